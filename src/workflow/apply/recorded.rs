//! Advances recorded with where they were made. When `phase advance` or `monitor` is
//! written, the operation records, for each task it advanced, the phase the task left
//! and the approval request it opened ([`as_recorded`]). Replayed by a merge in a
//! state where the task has moved on, or where a twin request already waits, the
//! advance no longer moves anything, but the request it opened is kept, `superseded`,
//! under the id its clone gave it, so that the decisions made on it there stay on it:
//! every request keeps its own decisions, in every clone alike.

use crate::model::{Advanced, Event, EventKind, MilestoneFiles, Op, Phase, TaskId, TaskStatus};

use super::super::phases::{self, Asker};
use super::{Applied, Rejection};

/// `op` as it is written once applied: an advance or a monitor records what each of
/// its advances did (see [`Advanced`]); any other operation, or one that records it
/// already, is written as it is.
pub fn as_recorded(op: &Op, applied: &Applied) -> Op {
    let mut recorded = op.clone();
    match &mut recorded {
        Op::AdvancePhase {
            task,
            from: from @ None,
            request,
            ..
        } => {
            if let Some(advanced) = advances(&applied.events)
                .into_iter()
                .find(|a| a.task == *task)
            {
                *from = Some(advanced.from);
                *request = advanced.request;
            }
        }
        Op::Monitor { advanced, .. } if advanced.is_empty() => {
            *advanced = advances(&applied.events);
        }
        _ => {}
    }
    recorded
}

/// What each task's advance did, from the events it caused, in order: a request
/// opened (from its phase), a move to the next phase, or (no move: the last phase) a
/// task finished at execute.
fn advances(events: &[Event]) -> Vec<Advanced> {
    let mut found: Vec<Advanced> = Vec::new();
    for kind in events.iter().filter_map(Event::kind) {
        let (task, from, request) = match kind {
            EventKind::KiroApprovalRequested {
                task_id,
                approval_id,
                from_phase,
                ..
            } => (task_id, from_phase, Some(approval_id)),
            EventKind::KiroPhaseTransition {
                task_id,
                from_phase,
                ..
            } => (task_id, from_phase, None),
            EventKind::TaskStatusChanged {
                task_id,
                new_status: TaskStatus::Completed,
                ..
            } => (task_id, Phase::Execute, None),
            _ => continue,
        };
        if found.iter().all(|a| a.task != task) {
            found.push(Advanced {
                task,
                from,
                request,
            });
        }
    }
    found
}

/// One advance of `task`, as [`phases::advance`] makes it; one that records the
/// request it opened where it was made, and does not open it here, keeps that
/// request superseded instead of losing it.
pub(super) fn advance_keeping(
    files: MilestoneFiles,
    task: &TaskId,
    asker: Asker<'_>,
    stamp: &str,
) -> Result<(MilestoneFiles, Vec<Event>), Rejection> {
    let recorded = asker.from.zip(asker.request);
    let Some((from, id, to)) = recorded.and_then(|(from, id)| Some((from, id, from.next()?)))
    else {
        let mut moved = files;
        let events = phases::advance(&mut moved, task, stamp, asker)?;
        return Ok((moved, events));
    };
    let transition = (from, to);
    let mut moved = files.clone();
    let result = phases::advance(&mut moved, task, stamp, asker);
    let opened = |f: &MilestoneFiles| f.approvals.as_ref().is_some_and(|a| a.contains_key(id));
    match result {
        Ok(events) if opened(&moved) => Ok((moved, events)),
        // It moved without a gate here: the request asked for in its clone is
        // superseded by that move.
        Ok(mut events) => {
            let kept = phases::keep_superseded(&mut moved, task, transition, id, (stamp, asker.by));
            events.extend(kept.unwrap_or_default());
            Ok((moved, events))
        }
        Err(refused) => {
            let mut kept = files;
            match phases::keep_superseded(&mut kept, task, transition, id, (stamp, asker.by)) {
                Some(events) => Ok((kept, events)),
                None => Err(refused),
            }
        }
    }
}

/// A monitor that recorded its advances: each replayed like the `phase advance` it
/// was, in order; one that no longer fits moves nothing (its request is kept, see
/// [`advance_keeping`]). Refused only when none of them does anything.
pub(super) fn monitor_recorded(
    mut files: MilestoneFiles,
    advanced: &[Advanced],
    (by, nonce): (&str, Option<&str>),
    stamp: &str,
) -> Result<(MilestoneFiles, Vec<Event>), Rejection> {
    let mut events = Vec::new();
    let mut refusal = None;
    for advance in advanced {
        let asker = Asker {
            by,
            nonce,
            transition_type: "automatic",
            from: Some(advance.from),
            request: advance.request.as_deref(),
        };
        match advance_keeping(files.clone(), &advance.task, asker, stamp) {
            Ok((moved, more)) => {
                files = moved;
                events.extend(more);
            }
            Err(refused) => {
                refusal.get_or_insert(refused);
            }
        }
    }
    match refusal {
        Some(refused) if events.is_empty() => Err(refused),
        _ => Ok((files, events)),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{at, mid, tid, with_tasks};
    use super::super::{apply, replay};
    use super::*;
    use crate::model::{Decision, PhaseStatus, Task};

    /// Milestone m1 with workflow tasks `ids`, each with its design phase completed.
    fn designed(ids: &[&str]) -> MilestoneFiles {
        let mut files = with_tasks(&[]);
        for id in ids {
            let mut task = Task::new(tid(id), String::new(), true);
            task.kiro_workflow.as_mut().unwrap().phases.design.status = PhaseStatus::Completed;
            files.definition.tasks.push(task);
        }
        files
    }

    fn advance(nonce: &str) -> Op {
        Op::AdvancePhase {
            milestone: mid(),
            task: tid("w"),
            by: "B <b@x>".into(),
            nonce: Some(nonce.into()),
            from: None,
            request: None,
        }
    }

    /// Applies `op` as written: what it did recorded in it.
    fn written(files: MilestoneFiles, op: Op) -> (MilestoneFiles, Op) {
        let applied = apply(Some(files), &op, at()).unwrap();
        let recorded = as_recorded(&op, &applied);
        (applied.files.unwrap(), recorded)
    }

    fn phase_of(files: &MilestoneFiles, task: &str) -> (Phase, PhaseStatus) {
        let w = files
            .definition
            .task(&tid(task))
            .unwrap()
            .workflow()
            .unwrap();
        (w.current_phase, w.phases.get(w.current_phase).status)
    }

    #[test]
    fn an_advance_records_the_phase_it_left_and_the_request_it_opened() {
        let (files, op) = written(designed(&["w"]), advance("bbbbbb"));
        let Op::AdvancePhase { from, request, .. } = &op else {
            panic!("{op:?}")
        };
        assert_eq!(*from, Some(Phase::Design));
        assert_eq!(
            request.as_deref(),
            Some("approval-m1-w-design-spec-1-bbbbbb")
        );
        // Applied again to where it was made, it does exactly the same.
        let again = apply(Some(designed(&["w"])), &op, at()).unwrap();
        assert_eq!(again.files.unwrap(), files);
        // Ungated and last-phase advances record the phase they left.
        let mut task_phase = designed(&["w"]);
        let w = task_phase.definition.tasks[0]
            .kiro_workflow
            .as_mut()
            .unwrap();
        w.current_phase = Phase::Task;
        w.phases.task.status = PhaseStatus::Completed;
        let (moved, op) = written(task_phase, advance("cccccc"));
        assert!(matches!(
            op,
            Op::AdvancePhase {
                from: Some(Phase::Task),
                request: None,
                ..
            }
        ));
        let mut done = moved;
        done.definition.tasks[0]
            .kiro_workflow
            .as_mut()
            .unwrap()
            .phases
            .execute
            .status = PhaseStatus::Completed;
        let (_, op) = written(done, advance("dddddd"));
        assert!(matches!(
            op,
            Op::AdvancePhase {
                from: Some(Phase::Execute),
                request: None,
                ..
            }
        ));
    }

    #[test]
    fn a_recorded_advance_replayed_after_its_task_moved_on_keeps_its_request() {
        let (_, op) = written(designed(&["w"]), advance("bbbbbb"));
        // Elsewhere the task went through the gate meanwhile.
        let mut moved_on = designed(&["w"]);
        let w = moved_on.definition.tasks[0].kiro_workflow.as_mut().unwrap();
        w.current_phase = Phase::Spec;
        w.phases.spec.status = PhaseStatus::Completed;
        let applied = replay(Some(moved_on), None, &op, at()).unwrap();
        let files = applied.files.unwrap();
        assert_eq!(
            phase_of(&files, "w"),
            (Phase::Spec, PhaseStatus::Completed),
            "nothing moved"
        );
        let approvals = files.approvals.unwrap();
        assert_eq!(approvals.len(), 1, "no spec → task request: {approvals:?}");
        let kept = &approvals["approval-m1-w-design-spec-1-bbbbbb"];
        assert_eq!(kept.status, Decision::Superseded);
        // An old operation (no record of where it was made) advances spec instead.
        let old = replay(Some(files_at_spec()), None, &advance("bbbbbb"), at()).unwrap();
        let old_ids: Vec<String> = old.files.unwrap().approvals.unwrap().into_keys().collect();
        assert_eq!(old_ids, ["approval-m1-w-spec-task-1-bbbbbb"]);
    }

    fn files_at_spec() -> MilestoneFiles {
        let mut files = designed(&["w"]);
        let w = files.definition.tasks[0].kiro_workflow.as_mut().unwrap();
        w.current_phase = Phase::Spec;
        w.phases.spec.status = PhaseStatus::Completed;
        files
    }

    #[test]
    fn a_recorded_request_id_must_be_a_new_one_of_its_transition() {
        for forged in [
            "../../etc",
            "approval-m1-w-design-spec-x",
            "approval-m1-w-spec-task-1",
        ] {
            let op = Op::AdvancePhase {
                milestone: mid(),
                task: tid("w"),
                by: "B <b@x>".into(),
                nonce: None,
                from: Some(Phase::Design),
                request: Some(forged.into()),
            };
            assert!(
                apply(Some(designed(&["w"])), &op, at()).is_err(),
                "{forged}"
            );
            // Not kept either where the task moved on.
            assert!(
                replay(Some(files_at_spec()), None, &op, at()).is_err(),
                "{forged}"
            );
        }
    }

    #[test]
    fn a_monitor_records_each_advance_and_replays_them_like_phase_advances() {
        let op = Op::Monitor {
            milestone: mid(),
            by: "C <c@x>".into(),
            nonce: Some("cccccc".into()),
            advanced: Vec::new(),
        };
        let (_, op) = written(designed(&["v", "w"]), op);
        let Op::Monitor { advanced, .. } = &op else {
            panic!("{op:?}")
        };
        let tasks: Vec<&str> = advanced.iter().map(|a| a.task.as_str()).collect();
        assert_eq!(tasks, ["v", "w"]);
        assert!(advanced
            .iter()
            .all(|a| a.from == Phase::Design && a.request.is_some()));
        // Replayed where w has moved on and v is still ready: v opens its gate as it
        // did, w's request is kept superseded.
        let mut elsewhere = designed(&["v", "w"]);
        let w = elsewhere.definition.tasks[1]
            .kiro_workflow
            .as_mut()
            .unwrap();
        w.current_phase = Phase::Spec;
        let files = replay(Some(elsewhere), None, &op, at())
            .unwrap()
            .files
            .unwrap();
        assert_eq!(
            phase_of(&files, "v"),
            (Phase::Design, PhaseStatus::WaitingApproval)
        );
        let statuses: Vec<Decision> = files
            .approvals
            .unwrap()
            .values()
            .map(|r| r.status)
            .collect();
        assert_eq!(statuses, [Decision::Pending, Decision::Superseded]);
        // Where nothing fits and nothing was asked, it is refused (a recorded no-op).
        let mut direct = advanced.clone();
        for a in &mut direct {
            a.request = None;
        }
        let op = Op::Monitor {
            milestone: mid(),
            by: "C <c@x>".into(),
            nonce: None,
            advanced: direct,
        };
        assert!(replay(Some(files_at_spec()), None, &op, at()).is_err());
    }

    #[test]
    fn operations_written_before_decode_as_they_did() {
        let old =
            r#"{"type":"advance_phase","milestone":"m1","task":"w","by":"A","nonce":"abc123"}"#;
        let op: Op = serde_json::from_str(old).unwrap();
        assert!(matches!(
            op,
            Op::AdvancePhase {
                from: None,
                request: None,
                ..
            }
        ));
        let old = r#"{"type":"monitor","milestone":"m1","by":"A"}"#;
        let op: Op = serde_json::from_str(old).unwrap();
        assert!(matches!(&op, Op::Monitor { advanced, .. } if advanced.is_empty()));
        // And what they did not record, they do not write.
        let json = serde_json::to_string(&op).unwrap();
        assert!(!json.contains("advanced"), "{json}");
    }
}
