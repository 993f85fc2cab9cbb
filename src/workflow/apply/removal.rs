//! `rm`, `task rm` and `task mv`: taking things out of the current state and renaming
//! tasks. History keeps everything; these only change what the tip shows.

use crate::model::{Event, EventKind, MilestoneFiles, MilestoneId, TaskId};

use super::{Applied, Rejection};

/// `rm <m>`: the milestone leaves the current state (`files: None`); the store drops
/// its folder, and every earlier commit and checkpoint still holds it.
pub fn remove_milestone(
    current: Option<MilestoneFiles>,
    milestone: &MilestoneId,
) -> Result<Applied, Rejection> {
    let files = current.ok_or_else(|| Rejection::NoSuchMilestone(milestone.clone()))?;
    Ok(Applied {
        events: vec![Event::of(
            milestone.as_str(),
            EventKind::MilestoneRemoved {
                title: files.definition.title.clone(),
                tasks: files.definition.tasks.len(),
            },
        )],
        summary: format!("{milestone}: remove"),
        files: None,
        changed: true,
    })
}

/// `task rm <m> <t>` (the old id of a renamed task works too).
pub fn remove_task(
    current: Option<MilestoneFiles>,
    milestone: &MilestoneId,
    task: &TaskId,
) -> Result<Applied, Rejection> {
    let mut files = current.ok_or_else(|| Rejection::NoSuchMilestone(milestone.clone()))?;
    let definition = &mut files.definition;
    let id = definition.resolve_task(task).clone();
    let Some(position) = definition.tasks.iter().position(|t| t.id == id) else {
        return Err(no_such_task(milestone, task));
    };
    let removed = definition.tasks.remove(position);
    // Old names of the removed task no longer lead anywhere.
    definition.renamed_tasks.retain(|_, new| new != &id);
    Ok(Applied {
        events: vec![Event::of(
            milestone.as_str(),
            EventKind::TaskRemoved {
                task_id: id.clone(),
                title: removed.title,
                status: removed.status,
            },
        )],
        summary: format!("{milestone}: remove task {id}"),
        files: Some(files),
        changed: true,
    })
}

/// `task mv <m> <t> <new-id>`: the task, its approval requests and every older name of
/// it now answer to `new_task`; `task` is kept as an old name, so trailers and
/// commands that still say it find the task.
pub fn rename_task(
    current: Option<MilestoneFiles>,
    milestone: &MilestoneId,
    task: &TaskId,
    new_task: &TaskId,
) -> Result<Applied, Rejection> {
    let mut files = current.ok_or_else(|| Rejection::NoSuchMilestone(milestone.clone()))?;
    let definition = &mut files.definition;
    let old = definition.resolve_task(task).clone();
    if !definition.has_task_id(&old) {
        return Err(no_such_task(milestone, task));
    }
    if definition.has_task_id(new_task) {
        return Err(Rejection::TaskExists {
            milestone: milestone.clone(),
            task: new_task.clone(),
        });
    }
    if let Some(entry) = definition.tasks.find_mut(|t| t.id == old) {
        entry.id = new_task.clone();
    }
    for target in definition.renamed_tasks.values_mut() {
        if target == &old {
            *target = new_task.clone();
        }
    }
    // The new id is a task's own id now, no longer an old name of another.
    definition.renamed_tasks.remove(new_task);
    definition
        .renamed_tasks
        .insert(old.clone(), new_task.clone());
    for request in files.approvals.iter_mut().flat_map(|a| a.values_mut()) {
        if request.task_id == old {
            request.task_id = new_task.clone();
        }
    }
    Ok(Applied {
        events: vec![Event::of(
            milestone.as_str(),
            EventKind::TaskRenamed {
                task_id: old.clone(),
                new_task_id: new_task.clone(),
            },
        )],
        summary: format!("{milestone}: rename task {old} → {new_task}"),
        files: Some(files),
        changed: true,
    })
}

fn no_such_task(milestone: &MilestoneId, task: &TaskId) -> Rejection {
    Rejection::NoSuchTask {
        milestone: milestone.clone(),
        task: task.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Milestone, Task};

    fn files(tasks: &[&str]) -> MilestoneFiles {
        let mut definition = Milestone::new(MilestoneId::new("m").unwrap());
        for t in tasks {
            definition
                .tasks
                .push(Task::new(TaskId::new(*t).unwrap(), String::new(), false));
        }
        MilestoneFiles {
            definition,
            state: None,
            sessions: None,
            approvals: None,
        }
    }

    fn m() -> MilestoneId {
        MilestoneId::new("m").unwrap()
    }

    fn t(id: &str) -> TaskId {
        TaskId::new(id).unwrap()
    }

    #[test]
    fn renames_chain_and_old_names_resolve_to_the_newest() {
        let once = rename_task(Some(files(&["a", "b"])), &m(), &t("a"), &t("c")).unwrap();
        let twice = rename_task(once.files, &m(), &t("a"), &t("d")).unwrap();
        let definition = twice.files.unwrap().definition;
        assert_eq!(definition.resolve_task(&t("a")), &t("d"));
        assert_eq!(definition.resolve_task(&t("c")), &t("d"));
        assert_eq!(definition.resolve_task(&t("b")), &t("b"));
        assert!(definition.task(&t("d")).is_some());
    }

    #[test]
    fn a_task_can_be_renamed_back_and_old_names_still_find_it() {
        let there = rename_task(Some(files(&["a"])), &m(), &t("a"), &t("b")).unwrap();
        let back = rename_task(there.files, &m(), &t("b"), &t("a")).unwrap();
        let definition = back.files.unwrap().definition;
        assert!(definition.has_task_id(&t("a")));
        assert_eq!(
            definition.task(&t("b")).map(|task| task.id.as_str()),
            Some("a")
        );
    }

    #[test]
    fn renaming_onto_a_task_or_from_nothing_is_refused() {
        let taken = rename_task(Some(files(&["a", "b"])), &m(), &t("a"), &t("b"));
        assert!(matches!(taken, Err(Rejection::TaskExists { .. })));
        let missing = rename_task(Some(files(&["a"])), &m(), &t("x"), &t("y"));
        assert!(matches!(missing, Err(Rejection::NoSuchTask { .. })));
        assert!(matches!(
            rename_task(None, &m(), &t("a"), &t("b")),
            Err(Rejection::NoSuchMilestone(_))
        ));
    }

    #[test]
    fn removing_a_task_forgets_its_old_names() {
        let renamed = rename_task(Some(files(&["a"])), &m(), &t("a"), &t("b")).unwrap();
        let removed = remove_task(renamed.files, &m(), &t("a")).unwrap();
        let definition = removed.files.unwrap().definition;
        assert!(definition.tasks.is_empty());
        assert!(definition.renamed_tasks.is_empty());
    }

    #[test]
    fn removing_a_milestone_leaves_no_files() {
        let removed = remove_milestone(Some(files(&["a"])), &m()).unwrap();
        assert!(removed.files.is_none() && removed.changed);
        assert_eq!(removed.events[0].event_type, "milestone_removed");
        assert!(matches!(
            remove_milestone(None, &m()),
            Err(Rejection::NoSuchMilestone(_))
        ));
    }
}
