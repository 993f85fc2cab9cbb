//! What an operation that replaces a milestone's definition wholesale (`edit`,
//! `import --replace`, a migration's import, `checkpoint restore`) must keep true of
//! the files it replaces: every approval request stays on record, a pending one whose
//! task no longer waits at its phase is superseded (as `phase set` does it), and a
//! commit's trailer that already moved a task does not move it again.

use crate::model::{Decision, Event, MilestoneFiles, PhaseStatus, Task};

use super::gates;

/// Carries what `before` held into `after`, the files an edit, import or restore made,
/// at `at`; returns the events of the requests it superseded.
pub fn carry_over(before: &MilestoneFiles, after: &mut MilestoneFiles, at: &str) -> Vec<Event> {
    keep_trailer_moves(before, after);
    keep_requests(before, after);
    supersede_stale(after, at)
}

/// The trailers that moved a task before stay counted: a restore to before the move,
/// or a definition written without them, must not let the same commit move it again.
fn keep_trailer_moves(before: &MilestoneFiles, after: &mut MilestoneFiles) {
    for task in &mut after.definition.tasks {
        let Some(old) = before.definition.tasks.iter().find(|t| t.id == task.id) else {
            continue;
        };
        for moved in &old.moved_by {
            if !task.moved_by.contains(moved) {
                task.moved_by.push(moved.clone());
            }
        }
    }
}

/// A request made after the checkpoint a restore goes back to stays on record (with
/// its decisions): the restore brings back the milestone's data, not an erased past.
fn keep_requests(before: &MilestoneFiles, after: &mut MilestoneFiles) {
    let Some(old) = &before.approvals else {
        return;
    };
    let requests = after.approvals.get_or_insert_with(Default::default);
    for (id, request) in old {
        requests
            .entry(id.clone())
            .or_insert_with(|| request.clone());
    }
}

/// Whether `task` still waits for approval at `phase`.
fn waits_at(task: Option<&Task>, phase: crate::model::Phase) -> bool {
    task.and_then(Task::workflow).is_some_and(|w| {
        w.current_phase == phase && w.phases.get(phase).status == PhaseStatus::WaitingApproval
    })
}

/// Supersedes the pending requests whose task no longer waits at their phase.
fn supersede_stale(files: &mut MilestoneFiles, at: &str) -> Vec<Event> {
    let stale: Vec<_> = files
        .approvals
        .iter()
        .flat_map(|a| a.values())
        .filter(|r| r.status == Decision::Pending)
        .filter(|r| !waits_at(files.definition.task(&r.task_id), r.from_phase))
        .map(|r| (r.task_id.clone(), r.from_phase))
        .collect();
    let mut events = Vec::new();
    for (task, phase) in stale {
        events.extend(gates::supersede(files, &task, phase, at));
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{
        ApprovalRequest, Milestone, MilestoneId, Phase, TaskId, TrailerAction, TrailerMoved,
    };

    fn files(status: PhaseStatus) -> MilestoneFiles {
        let mut definition = Milestone::new(MilestoneId::new("m").unwrap());
        let mut task = Task::new(TaskId::new("k").unwrap(), String::new(), true);
        task.kiro_workflow
            .as_mut()
            .unwrap()
            .phases
            .get_mut(Phase::Design)
            .status = status;
        definition.tasks.push(task);
        MilestoneFiles {
            definition,
            state: None,
            sessions: None,
            approvals: Some(Default::default()),
        }
    }

    fn request(id: &str) -> ApprovalRequest {
        ApprovalRequest {
            id: id.into(),
            requested_at: "t".into(),
            ..ApprovalRequest::sample("m", "k")
        }
    }

    fn with_request(mut files: MilestoneFiles, id: &str) -> MilestoneFiles {
        files
            .approvals
            .get_or_insert_with(Default::default)
            .insert(id.into(), request(id));
        files
    }

    fn status_of(files: &MilestoneFiles, id: &str) -> Decision {
        files.approvals.as_ref().unwrap()[id].status
    }

    #[test]
    fn a_pending_request_is_superseded_when_its_task_no_longer_waits() {
        let before = with_request(files(PhaseStatus::WaitingApproval), "r1");
        // An edit that keeps the task waiting keeps the request open.
        let mut kept = with_request(files(PhaseStatus::WaitingApproval), "r1");
        assert!(carry_over(&before, &mut kept, "t2").is_empty());
        assert_eq!(status_of(&kept, "r1"), Decision::Pending);
        // One that sets the phase again supersedes it, once.
        let mut edited = with_request(files(PhaseStatus::Completed), "r1");
        let events = carry_over(&before, &mut edited, "t2");
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].event_type, "kiro_approval_superseded");
        assert_eq!(status_of(&edited, "r1"), Decision::Superseded);
        assert!(carry_over(&edited.clone(), &mut edited, "t3").is_empty());
    }

    #[test]
    fn a_restore_keeps_later_requests_on_record_superseded() {
        // Restored to before the request: the task is back at design, not waiting.
        let before = with_request(files(PhaseStatus::WaitingApproval), "r1");
        let mut restored = files(PhaseStatus::InProgress);
        let events = carry_over(&before, &mut restored, "t2");
        assert_eq!(events.len(), 1);
        assert_eq!(status_of(&restored, "r1"), Decision::Superseded);
        // A decided request is kept as it was decided.
        let mut approved = with_request(files(PhaseStatus::Approved), "r2");
        approved
            .approvals
            .as_mut()
            .unwrap()
            .get_mut("r2")
            .unwrap()
            .status = Decision::Approved;
        let mut restored = files(PhaseStatus::InProgress);
        assert!(carry_over(&approved, &mut restored, "t2").is_empty());
        assert_eq!(status_of(&restored, "r2"), Decision::Approved);
    }

    #[test]
    fn trailer_moves_already_applied_stay_counted() {
        let moved = TrailerMoved {
            commit: "c1".into(),
            trailer: TrailerAction::Complete,
        };
        let mut before = files(PhaseStatus::NotStarted);
        before.definition.tasks[0].moved_by.push(moved.clone());
        let mut restored = files(PhaseStatus::NotStarted);
        carry_over(&before, &mut restored, "t");
        assert_eq!(
            restored.definition.tasks[0].moved_by,
            std::slice::from_ref(&moved)
        );
        carry_over(&before, &mut restored, "t");
        assert_eq!(restored.definition.tasks[0].moved_by, [moved], "once");
    }
}
