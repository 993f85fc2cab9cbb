//! Operations of the four-phase workflow: set a phase, advance, decide, monitor. The
//! rules themselves are in [`super::super::phases`]; these wrap them as operations.

use crate::model::{
    Advanced, Binding, Decision, MilestoneFiles, MilestoneId, Op, Phase, PhaseStatus, TaskId,
};

use super::super::{phases, renewal};
use super::{existing, Applied, Rejection};

/// One approver's decision, as `Op::DecideApproval` carries it.
pub(super) struct Ballot<'a> {
    /// The request.
    pub approval: &'a str,
    /// The deciding role.
    pub role: &'a str,
    /// Approved or rejected.
    pub decision: Decision,
    /// An optional comment.
    pub comment: Option<&'a str>,
    /// Who decided ("Name <email>").
    pub by: &'a str,
    /// What the decider examined.
    pub binding: Option<&'a Binding>,
    /// Approves a granted request again, binding new content.
    pub renew: bool,
}

impl<'a> Ballot<'a> {
    /// The milestone and the ballot of `op`, when it is an `Op::DecideApproval`.
    pub fn of(op: &'a Op) -> Option<(&'a MilestoneId, Ballot<'a>)> {
        let Op::DecideApproval {
            milestone,
            approval,
            role,
            decision,
            comment,
            by,
            binding,
            renew,
        } = op
        else {
            return None;
        };
        let ballot = Ballot {
            approval,
            role,
            decision: *decision,
            comment: comment.as_deref(),
            by,
            binding: binding.as_ref(),
            renew: *renew,
        };
        Some((milestone, ballot))
    }
}

/// `Op::SetPhase`: one phase's status, as given.
pub(super) fn set_phase(
    current: Option<MilestoneFiles>,
    milestone: &MilestoneId,
    task: &TaskId,
    phase: Phase,
    status: PhaseStatus,
    stamp: &str,
) -> Result<Applied, Rejection> {
    let mut files = existing(current, milestone)?;
    let events = phases::set_phase(&mut files, task, phase, status, stamp)?;
    Ok(Applied {
        events,
        summary: format!("{milestone}: task {task} phase {phase} → {status}"),
        files: Some(files),
        changed: true,
    })
}

/// `Op::AdvancePhase`: the task's next phase, or an approval request; `recorded`, what
/// it did where it was made (the phase left, the request opened), when written.
pub(super) fn advance_phase(
    current: Option<MilestoneFiles>,
    milestone: &MilestoneId,
    task: &TaskId,
    (by, nonce): (&str, Option<&str>),
    recorded: (Option<Phase>, Option<&str>),
    stamp: &str,
) -> Result<Applied, Rejection> {
    let files = existing(current, milestone)?;
    let asker = phases::Asker {
        by,
        nonce,
        transition_type: "manual",
        from: recorded.0,
        request: recorded.1,
    };
    let (files, events) = super::recorded::advance_keeping(files, task, asker, stamp)?;
    Ok(Applied {
        summary: format!("{milestone}: task {task} advance"),
        changed: !events.is_empty(),
        events,
        files: Some(files),
    })
}

/// `Op::DecideApproval`, as dispatch hands it over.
pub(super) fn decide_op(
    current: Option<MilestoneFiles>,
    op: &Op,
    stamp: &str,
) -> Result<Applied, Rejection> {
    let (milestone, ballot) =
        Ballot::of(op).ok_or_else(|| Rejection::Invalid("not a decision".into()))?;
    decide_approval(current, milestone, ballot, stamp)
}

/// One role's decision on a request.
pub(super) fn decide_approval(
    current: Option<MilestoneFiles>,
    milestone: &MilestoneId,
    ballot: Ballot<'_>,
    stamp: &str,
) -> Result<Applied, Rejection> {
    let mut files = existing(current, milestone)?;
    let (approval, role, by) = (ballot.approval, ballot.role, ballot.by);
    if ballot.renew {
        let renewal = renewal::Renewal {
            approval,
            role,
            comment: ballot.comment,
            by,
            binding: ballot.binding,
        };
        return Ok(Applied {
            events: renewal::renew(&mut files, renewal, stamp)?,
            summary: format!("{milestone}: {role} renewed {approval}"),
            files: Some(files),
            changed: true,
        });
    }
    let decision = ballot.decision;
    let events = phases::decide(
        &mut files,
        approval,
        role,
        decision,
        ballot.comment,
        by,
        stamp,
    )?;
    if let Some(binding) = ballot.binding {
        renewal::attach(&mut files, approval, role, by, binding);
    }
    Ok(Applied {
        events,
        summary: format!("{milestone}: {role} {} {approval}", decision.as_str()),
        files: Some(files),
        changed: true,
    })
}

/// `Op::Monitor`: every transition that is ready; nothing ready changes nothing. One
/// that recorded its advances where it was made replays those.
pub(super) fn monitor(
    current: Option<MilestoneFiles>,
    milestone: &MilestoneId,
    (by, nonce): (&str, Option<&str>),
    advanced: &[Advanced],
    stamp: &str,
) -> Result<Applied, Rejection> {
    let mut files = existing(current, milestone)?;
    let events = if advanced.is_empty() {
        phases::monitor(&mut files, stamp, by, nonce)?
    } else {
        let (moved, events) =
            super::recorded::monitor_recorded(files, advanced, (by, nonce), stamp)?;
        files = moved;
        events
    };
    Ok(Applied {
        summary: format!("{milestone}: monitor"),
        changed: !events.is_empty(),
        events,
        files: Some(files),
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::{mid, tid, types, with_tasks};
    use super::*;
    use crate::model::{Task, TaskStatus};

    const STAMP: &str = "2026-01-01T00:00:00.000Z";

    fn with_workflow() -> MilestoneFiles {
        let mut files = with_tasks(&[]);
        files
            .definition
            .tasks
            .push(Task::new(tid("w"), String::new(), true));
        files
    }

    /// Task w with its design phase completed.
    fn design_completed() -> Applied {
        let design = (Phase::Design, PhaseStatus::Completed);
        set_phase(
            Some(with_workflow()),
            &mid(),
            &tid("w"),
            design.0,
            design.1,
            STAMP,
        )
        .unwrap()
    }

    #[test]
    fn set_phase_starts_a_pending_task() {
        let applied = design_completed();
        assert_eq!(
            types(&applied),
            ["kiro_phase_updated", "task_status_changed"]
        );
        assert_eq!(applied.summary, "m1: task w phase design → completed");
        let task = &applied.files.unwrap().definition.tasks[0];
        assert_eq!(task.status, TaskStatus::InProgress);
    }

    #[test]
    fn advance_of_a_gated_phase_asks_for_approval() {
        let files = design_completed().files;
        let by = ("A <a@x>", None);
        let applied = advance_phase(files, &mid(), &tid("w"), by, (None, None), STAMP).unwrap();
        assert!(applied.changed);
        assert!(types(&applied).contains(&"kiro_approval_requested"));
        let approvals = applied.files.unwrap().approvals.unwrap();
        let request = approvals.values().next().unwrap();
        let ballot = Ballot {
            approval: &request.id,
            role: "anyone",
            decision: Decision::Pending,
            comment: None,
            by: "B <b@x>",
            binding: None,
            renew: false,
        };
        assert!(decide_approval(Some(with_workflow()), &mid(), ballot, STAMP).is_err());
    }

    #[test]
    fn monitor_with_nothing_ready_changes_nothing() {
        let by = ("A <a@x>", None);
        let applied = monitor(Some(with_workflow()), &mid(), by, &[], STAMP).unwrap();
        assert!(!applied.changed);
        assert!(monitor(None, &mid(), by, &[], STAMP).is_err());
    }
}
