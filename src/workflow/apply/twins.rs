//! What a merge does with approval work that two clones did offline on the same
//! transition. Each clone's `phase advance` opened its own request; replayed in merge
//! order, the first opens the task's gate and the later one finds the task already
//! waiting. The later request is kept, `superseded`, rather than dropped; a decision
//! made on it in its clone stays on it, with no effect on the task. Every request keeps
//! its own decisions, in every clone alike.

use crate::model::{Decision, MilestoneFiles, Op};

use super::super::{phases, renewal};
use super::phase::Ballot;
use super::{Applied, Rejection};

/// Replays `op`, refused on `current` with `refused`, as a twin's request or a
/// decision on a superseded request, when it is one; otherwise the refusal stands.
pub(super) fn replay_refused(
    current: &MilestoneFiles,
    op: &Op,
    refused: Rejection,
    stamp: &str,
) -> Result<Applied, Rejection> {
    match (op, &refused) {
        (
            Op::AdvancePhase {
                task,
                by,
                nonce: Some(nonce),
                request: None,
                ..
            },
            Rejection::WaitingForApproval { approval, .. },
        ) if !approval.is_empty() => {
            let mut files = current.clone();
            match phases::twin_request(&mut files, task, approval, (stamp, by, nonce)) {
                Some(events) => Ok(Applied {
                    summary: format!(
                        "{}: task {task} advance (a twin request)",
                        files.definition.id
                    ),
                    changed: true,
                    events,
                    files: Some(files),
                }),
                None => Err(refused),
            }
        }
        (Op::DecideApproval { renew: false, .. }, Rejection::Gate { .. }) => {
            let Some((_, ballot)) = Ballot::of(op) else {
                return Err(refused);
            };
            let superseded = current
                .approvals
                .as_ref()
                .and_then(|a| a.get(ballot.approval))
                .is_some_and(|r| r.status == Decision::Superseded);
            if !superseded {
                return Err(refused);
            }
            on_superseded(current.clone(), ballot, stamp).map_err(|_| refused)
        }
        _ => Err(refused),
    }
}

/// A decision made in its clone on a request that the merge superseded: kept on the
/// request as that role's decision, the request stays superseded and the task does
/// not move.
fn on_superseded(
    mut files: MilestoneFiles,
    ballot: Ballot<'_>,
    stamp: &str,
) -> Result<Applied, Rejection> {
    let milestone = files.definition.id.clone();
    let (approval, role, decision) = (ballot.approval, ballot.role, ballot.decision);
    let event = phases::record_decision(
        &mut files,
        approval,
        (role, decision),
        ballot.comment,
        ballot.by,
        stamp,
    )?;
    if let Some(binding) = ballot.binding {
        renewal::attach(&mut files, approval, role, ballot.by, binding);
    }
    Ok(Applied {
        events: vec![event],
        summary: format!(
            "{milestone}: {role} {} {approval} (superseded: no effect)",
            decision.as_str()
        ),
        files: Some(files),
        changed: true,
    })
}
