//! Operations on a milestone's definition: create, replace, add a task, set its status.

use crate::model::{
    validate, Event, EventKind, Forced, Milestone, MilestoneFiles, MilestoneId, PutReason, Task,
    TaskId, TaskStatus,
};

use super::super::gates;
use super::{existing, existing_task, Applied, Rejection};

/// `Op::NewMilestone`: a milestone that does not exist yet, with empty sessions and
/// approvals.
pub(super) fn new_milestone(
    current: Option<MilestoneFiles>,
    milestone: &MilestoneId,
    title: Option<&str>,
    description: Option<&str>,
    due: Option<&str>,
) -> Result<Applied, Rejection> {
    if current.is_some() {
        return Err(Rejection::MilestoneExists(milestone.clone()));
    }
    if let Some(due) = due {
        validate::parse_date_or_time(due).map_err(Rejection::Invalid)?;
    }
    let mut definition = Milestone::new(milestone.clone());
    definition.title = title.unwrap_or_default().to_string();
    definition.description = description.map(str::to_string);
    definition.due = due.map(str::to_string);
    Ok(Applied {
        events: vec![Event::of(
            milestone.as_str(),
            EventKind::MilestoneCreated {
                title: definition.title.clone(),
                due: definition.due.clone(),
            },
        )],
        summary: format!("{milestone}: create"),
        files: Some(MilestoneFiles {
            definition,
            state: None,
            sessions: Some(Default::default()),
            approvals: Some(Default::default()),
        }),
        changed: true,
    })
}

/// `Op::PutMilestone`: a whole new definition (import, replace, edit); the saved state,
/// sessions and approvals stay.
pub(super) fn put_milestone(
    current: Option<MilestoneFiles>,
    definition: &Milestone,
    reason: PutReason,
) -> Result<Applied, Rejection> {
    let problems = validate::milestone_problems(definition);
    if !problems.is_empty() {
        return Err(Rejection::Invalid(problems.join("\n")));
    }
    let id = &definition.id;
    let unchanged = current.as_ref().map(|f| &f.definition) == Some(definition);
    match (&current, reason) {
        (None, PutReason::Edit) => return Err(Rejection::NoSuchMilestone(id.clone())),
        (Some(_), PutReason::Import) if !unchanged => {
            return Err(Rejection::MilestoneExists(id.clone()))
        }
        _ => {}
    }
    let tasks = definition.tasks.len();
    let (event, verb) = match (&current, reason) {
        (_, PutReason::Edit) | (Some(_), PutReason::Replace) => {
            (EventKind::MilestoneModified { tasks }, "edit")
        }
        _ => (EventKind::MilestoneImported { tasks }, "import"),
    };
    let (state, sessions, approvals) = match current {
        Some(f) => (f.state, f.sessions, f.approvals),
        None => (None, None, None),
    };
    Ok(Applied {
        events: vec![Event::of(id.as_str(), event)],
        summary: format!("{id}: {verb}"),
        files: Some(MilestoneFiles {
            definition: definition.clone(),
            state,
            sessions,
            approvals,
        }),
        changed: !unchanged,
    })
}

/// `Op::AddTask`: a new task at the end of the milestone's list.
pub(super) fn add_task(
    current: Option<MilestoneFiles>,
    milestone: &MilestoneId,
    task: &TaskId,
    title: &str,
    kiro: bool,
    points: Option<f64>,
) -> Result<Applied, Rejection> {
    let mut files = existing(current, milestone)?;
    if files.definition.task(task).is_some() {
        return Err(Rejection::TaskExists {
            milestone: milestone.clone(),
            task: task.clone(),
        });
    }
    crate::workflow::points::check(points)?;
    let mut added = Task::new(task.clone(), title.to_string(), kiro);
    added.points = points;
    files.definition.tasks.push(added);
    Ok(Applied {
        events: vec![Event::of(
            milestone.as_str(),
            EventKind::TaskAdded {
                task_id: task.clone(),
                title: title.to_string(),
                kiro_workflow: kiro,
                points,
            },
        )],
        summary: format!("{milestone}: add task {task}"),
        files: Some(files),
        changed: true,
    })
}

/// `Op::SetTaskStatus`: setting the status it has already records the event but
/// changes nothing.
pub(super) fn set_task_status(
    current: Option<MilestoneFiles>,
    milestone: &MilestoneId,
    task: &TaskId,
    status: TaskStatus,
    reason: Option<&str>,
    stamp: &str,
) -> Result<Applied, Rejection> {
    let mut files = existing(current, milestone)?;
    let entry = existing_task(&mut files, task)?;
    gates::check_task_status(milestone.as_str(), entry, status, reason)?;
    let previous = entry.status;
    entry.status = status;
    let forced = reason
        .filter(|_| gates::is_workflow_task(entry) && previous != status)
        .map(str::to_string);
    let mut events = vec![Event::of(
        milestone.as_str(),
        EventKind::TaskStatusChanged {
            task_id: task.clone(),
            previous_status: previous,
            new_status: status,
            trailer: None,
            target: None,
            commit: None,
            forced: forced.clone().map(|reason| Forced { reason }),
        },
    )];
    if let Some(reason) = forced {
        // Forced past the gates: on record, for `events`, `approval show` and reports.
        events.push(Event::of(
            milestone.as_str(),
            EventKind::KiroWorkflowOverridden {
                task_id: task.clone(),
                previous_status: previous,
                new_status: status,
                reason,
            },
        ));
        // Completed past its gates: no request of the task is waiting any more, in
        // every clone alike, so none can be decided.
        if status == TaskStatus::Completed {
            for phase in crate::model::Phase::ALL {
                events.extend(gates::supersede(&mut files, task, phase, stamp));
            }
        }
    }
    Ok(Applied {
        events,
        summary: format!("{milestone}: task {task} {previous} → {status}"),
        files: Some(files),
        changed: previous != status,
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::{mid, tid, types, with_tasks};
    use super::*;
    use crate::model::{ApprovalRequest, Decision, Task};

    const STAMP: &str = "2026-01-01T00:00:00.000Z";

    #[test]
    fn a_forced_completion_supersedes_the_tasks_pending_requests() {
        let mut files = with_tasks(&["a"]);
        files
            .definition
            .tasks
            .push(Task::new(tid("w"), String::new(), true));
        let waiting = ApprovalRequest::sample("m1", "w");
        let elsewhere = ApprovalRequest {
            id: "approval-m1-a-design-spec-1".into(),
            task_id: tid("a"),
            ..ApprovalRequest::sample("m1", "a")
        };
        files.approvals = Some(
            [waiting.clone(), elsewhere.clone()]
                .into_iter()
                .map(|r| (r.id.clone(), r))
                .collect(),
        );
        let status =
            |files: &MilestoneFiles, id: &str| files.approvals.as_ref().unwrap()[id].status;
        // Forced to anything but completed, the request still stands.
        let blocked = set_task_status(
            Some(files.clone()),
            &mid(),
            &tid("w"),
            TaskStatus::Blocked,
            Some("waiting on a vendor"),
            STAMP,
        )
        .unwrap();
        assert_eq!(
            status(&blocked.files.unwrap(), &waiting.id),
            Decision::Pending
        );
        let completed = set_task_status(
            Some(files),
            &mid(),
            &tid("w"),
            TaskStatus::Completed,
            Some("shipped by hand"),
            STAMP,
        )
        .unwrap();
        assert_eq!(
            types(&completed),
            [
                "task_status_changed",
                "kiro_workflow_overridden",
                "kiro_approval_superseded"
            ]
        );
        let files = completed.files.unwrap();
        assert_eq!(status(&files, &waiting.id), Decision::Superseded);
        assert_eq!(
            status(&files, &elsewhere.id),
            Decision::Pending,
            "another task's"
        );
    }

    #[test]
    fn a_new_milestone_starts_empty_and_refuses_a_bad_due_date() {
        let applied = new_milestone(None, &mid(), Some("T"), None, Some("2026-02-01")).unwrap();
        assert_eq!(types(&applied), ["milestone_created"]);
        assert_eq!(applied.events[0].data["due"], "2026-02-01");
        let files = applied.files.unwrap();
        assert_eq!(files.definition.title, "T");
        assert!(files.sessions.unwrap().is_empty());
        assert!(matches!(
            new_milestone(None, &mid(), None, None, Some("tomorrow")),
            Err(Rejection::Invalid(_))
        ));
        assert!(matches!(
            new_milestone(Some(with_tasks(&[])), &mid(), None, None, None),
            Err(Rejection::MilestoneExists(_))
        ));
    }

    #[test]
    fn put_refuses_an_invalid_definition() {
        let mut definition = with_tasks(&["a"]).definition;
        definition.tasks.push(definition.tasks[0].clone());
        let put = put_milestone(None, &definition, PutReason::Import);
        assert!(matches!(put, Err(Rejection::Invalid(_))), "{put:?}");
    }

    #[test]
    fn put_without_a_milestone_imports() {
        let definition = with_tasks(&["a", "b"]).definition;
        let applied = put_milestone(None, &definition, PutReason::Replace).unwrap();
        assert_eq!(types(&applied), ["milestone_imported"]);
        assert_eq!(applied.events[0].data["tasks"], 2);
        assert_eq!(applied.summary, "m1: import");
    }

    #[test]
    fn add_task_appends_and_refuses_a_duplicate() {
        let applied =
            add_task(Some(with_tasks(&["a"])), &mid(), &tid("b"), "B", true, None).unwrap();
        assert_eq!(applied.events[0].data["kiro_workflow"], true);
        assert!(applied.events[0].data.get("points").is_none());
        let files = applied.files.unwrap();
        assert_eq!(files.definition.tasks[1].title, "B");
        assert!(files.definition.tasks[1].workflow().is_some());
        assert!(matches!(
            add_task(Some(files.clone()), &mid(), &tid("a"), "", false, None),
            Err(Rejection::TaskExists { .. })
        ));
        assert!(matches!(
            add_task(None, &mid(), &tid("a"), "", false, None),
            Err(Rejection::NoSuchMilestone(_))
        ));
        let sized = add_task(Some(files.clone()), &mid(), &tid("c"), "", false, Some(3.0)).unwrap();
        assert_eq!(sized.events[0].data["points"], 3.0);
        assert_eq!(sized.files.unwrap().definition.tasks[2].points, Some(3.0));
        assert!(matches!(
            add_task(Some(files), &mid(), &tid("c"), "", false, Some(-1.0)),
            Err(Rejection::Invalid(_))
        ));
    }

    #[test]
    fn set_task_status_records_the_previous_status() {
        let applied = set_task_status(
            Some(with_tasks(&["a"])),
            &mid(),
            &tid("a"),
            TaskStatus::InProgress,
            None,
            STAMP,
        )
        .unwrap();
        assert_eq!(applied.events[0].data["previous_status"], "pending");
        assert_eq!(applied.summary, "m1: task a pending → in_progress");
        assert!(matches!(
            set_task_status(
                Some(with_tasks(&[])),
                &mid(),
                &tid("a"),
                TaskStatus::Pending,
                None,
                STAMP
            ),
            Err(Rejection::NoSuchTask { .. })
        ));
    }
}
