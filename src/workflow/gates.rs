//! The rules that keep the four-phase workflow's gates shut whoever moves a task, in
//! whichever clone and in whichever merge order: a workflow task completes only
//! through its execute phase, a phase advances only once completed, a decision counts
//! only while its task still waits at the request's phase, and a request id is unique
//! across clones. Pure functions; the operations in [`super::apply`] call them.

use serde::Serialize;

use crate::model::{
    ApprovalRequest, Decision, Event, EventKind, EventRecord, MilestoneFiles, Phase, PhaseStatus,
    Task, TaskId, TaskStatus, TrailerAction,
};

use super::Rejection;

/// A refusal with the command that does the job instead.
fn refused(message: String, hint: String) -> Rejection {
    Rejection::Gate { message, hint }
}

/// Whether `task` follows the design → spec → task → execute workflow.
pub fn is_workflow_task(task: &Task) -> bool {
    task.workflow().is_some()
}

/// `task set|start|complete` on `task`: a workflow task's status follows its phases,
/// so setting it directly is refused unless forced with a reason (an override that is
/// recorded).
pub fn check_task_status(
    milestone: &str,
    task: &Task,
    status: TaskStatus,
    reason: Option<&str>,
) -> Result<(), Rejection> {
    if !is_workflow_task(task) || reason.is_some_and(|r| !r.trim().is_empty()) {
        return Ok(());
    }
    let id = &task.id;
    Err(refused(
        format!(
            "task {milestone}/{id} follows the design → spec → task → execute workflow: its status ({}) follows its phases, not `task set {status}`",
            task.status
        ),
        format!(
            "move it with `git milestone phase set {milestone} {id} <phase> completed` and `git milestone phase advance {milestone} {id}`; to override the gates, add --force --reason \"why\""
        ),
    ))
}

/// Why a trailer's move of `task` would bypass a gate, if it would: `Completes:` on a
/// workflow task whose execute phase is not completed.
pub fn trailer_bypass(task: &Task, action: TrailerAction) -> Option<String> {
    let workflow = task.workflow()?;
    let execute = workflow.phases.get(Phase::Execute).status;
    let done = matches!(execute, PhaseStatus::Completed | PhaseStatus::Approved);
    (action == TrailerAction::Complete && !done && task.status != TaskStatus::Completed).then(
        || {
            format!(
                "task {} follows the workflow and is at {} ({}); a trailer cannot complete it past its gates",
                task.id,
                workflow.current_phase,
                workflow.phases.get(workflow.current_phase).status
            )
        },
    )
}

/// `phase advance` needs the current phase completed (or approved).
pub fn check_advance(
    milestone: &str,
    task: &TaskId,
    phase: Phase,
    status: PhaseStatus,
) -> Result<(), Rejection> {
    if matches!(status, PhaseStatus::Completed | PhaseStatus::Approved) {
        return Ok(());
    }
    Err(refused(
        format!(
            "task {milestone}/{task} cannot advance: its {phase} phase is {status}, not completed"
        ),
        format!(
            "complete it first: `git milestone phase set {milestone} {task} {phase} completed`"
        ),
    ))
}

/// An advance made while the task was at `left`, applied (replayed by a merge) where
/// it is at `now` with that phase's status: it no longer fits.
pub fn moved_on(
    milestone: &str,
    task: &TaskId,
    left: Phase,
    (now, status): (Phase, PhaseStatus),
) -> Rejection {
    refused(
        format!("task {milestone}/{task} is at {now} ({status}), no longer at {left} where this advance was made"),
        format!("`git milestone show {milestone}` shows where it is now"),
    )
}

/// A decision on `request` counts only while it is pending and its task is still at
/// the request's `from_phase`, waiting for approval.
pub fn check_decision(files: &MilestoneFiles, request: &ApprovalRequest) -> Result<(), Rejection> {
    let id = &request.id;
    let hint = || {
        format!(
            "`git milestone approval list {} --pending` lists the requests still open",
            request.milestone_id
        )
    };
    match request.status {
        Decision::Pending => {}
        Decision::Superseded => {
            return Err(refused(
                format!("approval {id} is superseded: its task moved on before it was decided"),
                hint(),
            ))
        }
        decided => {
            return Err(refused(
                format!("approval {id} was already {}", decided.as_str()),
                hint(),
            ))
        }
    }
    let waiting = files
        .definition
        .task(&request.task_id)
        .and_then(Task::workflow)
        .map(|w| (w.current_phase, w.phases.get(w.current_phase).status));
    match waiting {
        Some((phase, PhaseStatus::WaitingApproval)) if phase == request.from_phase => Ok(()),
        Some((phase, status)) => Err(refused(
            format!(
                "approval {id} is superseded: task {} is at {phase} ({status}), no longer waiting at {}",
                request.task_id, request.from_phase
            ),
            hint(),
        )),
        None => Err(refused(
            format!("approval {id} is superseded: task {} no longer follows the workflow", request.task_id),
            hint(),
        )),
    }
}

/// Marks superseded the pending requests of `task` that leave `phase` (its status was
/// set again, so the transition they ask for is no longer the one waiting), with an
/// event for each.
pub fn supersede(files: &mut MilestoneFiles, task: &TaskId, phase: Phase, at: &str) -> Vec<Event> {
    let milestone = files.definition.id.to_string();
    let mut events = Vec::new();
    for request in files.approvals.iter_mut().flat_map(|a| a.values_mut()) {
        if request.task_id != *task
            || request.from_phase != phase
            || request.status != Decision::Pending
        {
            continue;
        }
        request.status = Decision::Superseded;
        request.decided_at = Some(at.to_string());
        events.push(Event::of(
            &milestone,
            EventKind::KiroApprovalSuperseded {
                task_id: task.clone(),
                approval_id: request.id.clone(),
                transition: request.transition(),
            },
        ));
    }
    events
}

/// A request id: the readable `approval-<m>-<t>-<from>-<to>-<n>`, where `n` counts the
/// requests of that transition here, then the operation's nonce, which no other clone
/// makes (two clones asking offline would otherwise both make `…-1`). Operations
/// written before nonces existed keep the old form.
pub fn request_id(prefix: &str, number: usize, nonce: Option<&str>) -> String {
    match nonce.filter(|n| !n.is_empty()) {
        Some(nonce) => format!("{prefix}{number}-{nonce}"),
        None => format!("{prefix}{number}"),
    }
}

/// The event type an override is recorded as.
pub const OVERRIDDEN: &str = "kiro_workflow_overridden";

/// One recorded override of a task's gates.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GateOverride {
    /// The task.
    pub task_id: String,
    /// Its status before.
    pub previous_status: String,
    /// The status it was forced to.
    pub new_status: String,
    /// Why, as given with `--reason`.
    pub reason: String,
    /// Who (the operation's author).
    pub user: String,
    /// When (RFC 3339).
    pub timestamp: String,
    /// The operation's commit.
    pub commit: String,
}

impl GateOverride {
    /// The override an event records, if it is one.
    pub fn of(record: &EventRecord) -> Option<GateOverride> {
        if record.event_type != OVERRIDDEN {
            return None;
        }
        let field = |name: &str| {
            record
                .data
                .get(name)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string()
        };
        Some(GateOverride {
            task_id: field("task_id"),
            previous_status: field("previous_status"),
            new_status: field("new_status"),
            reason: field("reason"),
            user: record.user.clone(),
            timestamp: record.timestamp.clone(),
            commit: record.commit.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Milestone, MilestoneId};

    fn workflow_task(phase: Phase, status: PhaseStatus) -> Task {
        let mut task = Task::new(TaskId::new("k").unwrap(), String::new(), true);
        let w = task.kiro_workflow.as_mut().unwrap();
        w.current_phase = phase;
        w.phases.get_mut(phase).status = status;
        task
    }

    #[test]
    fn task_status_of_a_workflow_task_needs_a_reason() {
        let plain = Task::new(TaskId::new("p").unwrap(), String::new(), false);
        let gated = workflow_task(Phase::Design, PhaseStatus::InProgress);
        let cases = [
            (&plain, None, true),
            (&gated, None, false),
            (&gated, Some("  "), false),
            (&gated, Some("shipped by hand"), true),
        ];
        for (task, reason, allowed) in cases {
            for status in TaskStatus::ALL {
                let result = check_task_status("m", task, status, reason);
                assert_eq!(result.is_ok(), allowed, "{} {status} {reason:?}", task.id);
            }
        }
        let Err(Rejection::Gate { hint, .. }) =
            check_task_status("m", &gated, TaskStatus::Completed, None)
        else {
            panic!("refused with a hint")
        };
        assert!(hint.contains("phase set m k"), "{hint}");
    }

    #[test]
    fn a_trailer_completes_a_workflow_task_only_after_execute() {
        let plain = Task::new(TaskId::new("p").unwrap(), String::new(), false);
        assert_eq!(trailer_bypass(&plain, TrailerAction::Complete), None);
        for (phase, status, bypass) in [
            (Phase::Design, PhaseStatus::NotStarted, true),
            (Phase::Spec, PhaseStatus::WaitingApproval, true),
            (Phase::Execute, PhaseStatus::InProgress, true),
            (Phase::Execute, PhaseStatus::Completed, false),
        ] {
            let task = workflow_task(phase, status);
            assert_eq!(
                trailer_bypass(&task, TrailerAction::Complete).is_some(),
                bypass
            );
            assert_eq!(
                trailer_bypass(&task, TrailerAction::Start),
                None,
                "starting opens no gate"
            );
        }
    }

    #[test]
    fn advance_needs_the_phase_completed() {
        let t = TaskId::new("k").unwrap();
        for status in [
            PhaseStatus::NotStarted,
            PhaseStatus::InProgress,
            PhaseStatus::Blocked,
            PhaseStatus::WaitingApproval,
        ] {
            let Err(Rejection::Gate { hint, .. }) = check_advance("m", &t, Phase::Spec, status)
            else {
                panic!("{status} refused")
            };
            assert_eq!(
                hint,
                "complete it first: `git milestone phase set m k spec completed`"
            );
        }
        assert!(check_advance("m", &t, Phase::Spec, PhaseStatus::Completed).is_ok());
        assert!(check_advance("m", &t, Phase::Spec, PhaseStatus::Approved).is_ok());
    }

    fn files_with(task: Task, request_status: Decision) -> (MilestoneFiles, ApprovalRequest) {
        let mut definition = Milestone::new(MilestoneId::new("m").unwrap());
        definition.tasks.push(task);
        let request = ApprovalRequest {
            status: request_status,
            ..ApprovalRequest::sample("m", "k")
        };
        let files = MilestoneFiles {
            definition,
            state: None,
            sessions: None,
            approvals: Some([(request.id.clone(), request.clone())].into()),
        };
        (files, request)
    }

    #[test]
    fn a_decision_counts_only_while_waiting_at_the_requests_phase() {
        let cases = [
            (
                Phase::Design,
                PhaseStatus::WaitingApproval,
                Decision::Pending,
                true,
            ),
            (
                Phase::Design,
                PhaseStatus::Completed,
                Decision::Pending,
                false,
            ),
            (
                Phase::Spec,
                PhaseStatus::WaitingApproval,
                Decision::Pending,
                false,
            ),
            (
                Phase::Spec,
                PhaseStatus::InProgress,
                Decision::Pending,
                false,
            ),
            (
                Phase::Design,
                PhaseStatus::WaitingApproval,
                Decision::Superseded,
                false,
            ),
            (
                Phase::Design,
                PhaseStatus::WaitingApproval,
                Decision::Approved,
                false,
            ),
        ];
        for (phase, status, request_status, allowed) in cases {
            let (files, request) = files_with(workflow_task(phase, status), request_status);
            assert_eq!(
                check_decision(&files, &request).is_ok(),
                allowed,
                "{phase} {status} {request_status:?}"
            );
        }
    }

    #[test]
    fn setting_the_phase_again_supersedes_its_pending_requests_only() {
        let (mut files, request) = files_with(
            workflow_task(Phase::Design, PhaseStatus::WaitingApproval),
            Decision::Pending,
        );
        let t = TaskId::new("k").unwrap();
        assert!(supersede(&mut files, &t, Phase::Spec, "t2").is_empty());
        let events = supersede(&mut files, &t, Phase::Design, "t2");
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].event_type, "kiro_approval_superseded");
        let stored = &files.approvals.as_ref().unwrap()[&request.id];
        assert_eq!(stored.status, Decision::Superseded);
        assert!(
            supersede(&mut files, &t, Phase::Design, "t3").is_empty(),
            "once"
        );
    }

    #[test]
    fn request_ids_keep_the_readable_prefix_and_add_the_nonce() {
        assert_eq!(
            request_id("approval-m-k-design-spec-", 2, Some("3fa9c2")),
            "approval-m-k-design-spec-2-3fa9c2"
        );
        assert_eq!(
            request_id("approval-m-k-design-spec-", 1, None),
            "approval-m-k-design-spec-1"
        );
    }
}
