//! Applying `Op::KiroSync`: the changes one sync planned, set by id, so that a merge
//! replays them like any other operation.

use std::collections::{BTreeMap, HashMap};

use crate::model::kiro::{RemovedSpecTask, Renumbered};
use crate::model::{
    validate, Event, EventKind, MilestoneFiles, MilestoneId, SpecChanges, Task, TaskId, Tasks,
};
use crate::workflow::apply::Applied;
use crate::workflow::Rejection;

/// Applies `changes` to the milestone `milestone` made by `kiro import`.
pub fn sync(
    current: Option<MilestoneFiles>,
    milestone: &MilestoneId,
    changes: &SpecChanges,
) -> Result<Applied, Rejection> {
    let mut files = current.ok_or_else(|| Rejection::NoSuchMilestone(milestone.clone()))?;
    let before = files.definition.clone();
    let definition = &mut files.definition;
    let mut link = definition.kiro_spec.take().ok_or_else(|| {
        Rejection::Invalid(format!(
            "milestone {milestone} is not linked to a Kiro spec folder"
        ))
    })?;
    let mut events = Vec::new();
    let mut record = |kind| events.push(Event::of(milestone.as_str(), kind));
    remove(
        &mut definition.tasks,
        &mut link.removed,
        &changes.removed,
        &mut record,
    );
    renumber(definition, &changes.renumbered, &mut record);
    update_and_add(&mut definition.tasks, changes, &mut record);
    set_statuses(&mut definition.tasks, &changes.statuses, &mut record);
    put_in_order(&mut definition.tasks, &changes.order);
    link.base = changes.base.clone();
    definition.kiro_spec = Some(link);
    let problems = validate::milestone_problems(definition);
    if !problems.is_empty() {
        return Err(Rejection::Invalid(problems.join("\n")));
    }
    let changed = *definition != before;
    let summary = format!(
        "{milestone}: kiro sync ({} added, {} removed, {} renumbered, {} moved)",
        changes.added.len(),
        changes.removed.len(),
        changes.renumbered.len(),
        changes.statuses.len()
    );
    Ok(Applied {
        files: Some(files),
        events,
        summary,
        changed,
    })
}

/// Tasks gone from the file leave the list and are kept under the link's `removed`.
fn remove(
    tasks: &mut Tasks,
    removed: &mut Vec<Task>,
    gone: &[RemovedSpecTask],
    record: &mut impl FnMut(EventKind),
) {
    for gone in gone {
        let found = tasks
            .iter()
            .position(|t| t.id == gone.task && t.title == gone.title && t.kiro_task.is_some());
        if let Some(position) = found {
            let task = tasks.remove(position);
            record(EventKind::TaskRemoved {
                task_id: task.id.clone(),
                title: task.title.clone(),
                status: task.status,
            });
            removed.push(task);
        }
    }
}

/// Every renumbering at once (2 → 3 and 3 → 4 in one step), old names following.
fn renumber(
    definition: &mut crate::model::Milestone,
    renumbered: &[Renumbered],
    record: &mut impl FnMut(EventKind),
) {
    let moves: BTreeMap<&TaskId, &Renumbered> = renumbered.iter().map(|r| (&r.from, r)).collect();
    let mut done = BTreeMap::new();
    for task in definition
        .tasks
        .iter_mut()
        .filter(|t| t.kiro_task.is_some())
    {
        let found = moves.get(&task.id).filter(|r| r.title == task.title);
        if let Some(to) = found.map(|r| &r.to) {
            done.insert(task.id.clone(), to.clone());
            record(EventKind::TaskRenamed {
                task_id: task.id.clone(),
                new_task_id: to.clone(),
            });
            task.id = to.clone();
        }
    }
    for target in definition.renamed_tasks.values_mut() {
        if let Some(to) = done.get(target) {
            *target = to.clone();
        }
    }
}

/// New titles and details, and new tasks (a task there already, as when a merge
/// replays the same sync, is updated instead).
fn update_and_add(tasks: &mut Tasks, changes: &SpecChanges, record: &mut impl FnMut(EventKind)) {
    for update in &changes.updated {
        if let Some(task) = tasks.find_mut(|t| t.id == update.task) {
            task.title = update.title.clone();
            task.kiro_task = Some(update.spec.clone());
        }
    }
    for added in &changes.added {
        if let Some(task) = tasks.find_mut(|t| t.id == added.task) {
            task.title = added.title.clone();
            task.kiro_task = Some(added.spec.clone());
            continue;
        }
        let mut task = Task::new(added.task.clone(), added.title.clone(), false);
        task.status = added.status;
        task.kiro_task = Some(added.spec.clone());
        record(EventKind::TaskAdded {
            task_id: task.id.clone(),
            title: task.title.clone(),
            kiro_workflow: false,
            points: None,
        });
        tasks.push(task);
    }
}

/// The statuses the file's marks asked for.
fn set_statuses(
    tasks: &mut Tasks,
    statuses: &BTreeMap<TaskId, crate::model::TaskStatus>,
    record: &mut impl FnMut(EventKind),
) {
    for (id, status) in statuses {
        let Some(task) = tasks.find_mut(|t| &t.id == id) else {
            continue;
        };
        if task.status != *status {
            record(EventKind::TaskStatusChanged {
                task_id: id.clone(),
                previous_status: task.status,
                new_status: *status,
                trailer: None,
                target: None,
                commit: None,
                forced: None,
            });
            task.status = *status;
        }
    }
}

/// Tasks not from `tasks.md` first, as they were; then the file's tasks in its order.
fn put_in_order(tasks: &mut Tasks, order: &[TaskId]) {
    let position: HashMap<&TaskId, usize> =
        order.iter().enumerate().map(|(i, id)| (id, i)).collect();
    let rank = |task: &Task| match task.kiro_task {
        None => (0, 0),
        Some(_) => (1, position.get(&task.id).copied().unwrap_or(order.len())),
    };
    tasks.sort_by_cached_key(rank);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::TaskStatus;
    use crate::workflow::kiro::{plan, spec_milestone, PhaseDocuments, TasksFile};

    const PLAN: &str = "- [ ] 1. One\n- [-] 2. Two\n  - [x] 2.1 A\n  - [ ] 2.2 B\n- [ ] 3. Three\n";

    fn files(text: &str) -> MilestoneFiles {
        let id = MilestoneId::new("feature").unwrap();
        let definition = spec_milestone(
            id,
            ".kiro/specs/feature",
            &PhaseDocuments::new(false),
            &TasksFile::parse(text),
        )
        .unwrap();
        MilestoneFiles {
            definition,
            state: None,
            sessions: None,
            approvals: None,
        }
    }

    fn ids(files: &MilestoneFiles) -> Vec<String> {
        files
            .definition
            .tasks
            .iter()
            .map(|t| t.id.to_string())
            .collect()
    }

    #[test]
    fn an_insert_renumbers_adds_and_keeps_each_task_once() {
        let current = files(PLAN);
        let edited = "- [ ] 1. One\n- [ ] 2. New\n- [-] 3. Two\n  - [x] 3.1 A\n  - [ ] 3.2 B\n";
        let planned = plan(&TasksFile::parse(edited), &current.definition).unwrap();
        let m = current.definition.id.clone();
        let applied = sync(Some(current), &m, &planned.changes).unwrap();
        let after = applied.files.unwrap();
        assert_eq!(ids(&after), ["spec", "1", "2", "3", "3.1", "3.2"]);
        let two = after.definition.task(&TaskId::new("3").unwrap()).unwrap();
        assert_eq!(
            (two.title.as_str(), two.status),
            ("Two", TaskStatus::InProgress)
        );
        let link = after.definition.kiro_spec.unwrap();
        let removed: Vec<_> = link.removed.iter().map(|t| t.title.as_str()).collect();
        assert_eq!(removed, ["Three"]);
        // The same changes again change nothing: a merge may replay them.
        let again = files(edited);
        let planned = plan(&TasksFile::parse(edited), &again.definition).unwrap();
        assert!(!planned.changes_ref);
    }

    #[test]
    fn replaying_the_same_sync_again_as_a_merge_does_changes_nothing_more() {
        // Two clones ran the same sync; a merge replays both operations in a row.
        let current = files(PLAN);
        let edited = "- [-] 1. Two\n  - [x] 1.1 A\n  - [ ] 1.2 B\n- [ ] 2. Three\n";
        let planned = plan(&TasksFile::parse(edited), &current.definition).unwrap();
        let m = current.definition.id.clone();
        let once = sync(Some(current), &m, &planned.changes).unwrap();
        let first = once.files.unwrap();
        assert_eq!(ids(&first), ["spec", "1", "1.1", "1.2", "2"]);
        let twice = sync(Some(first.clone()), &m, &planned.changes).unwrap();
        assert!(!twice.changed, "{:?}", twice.events);
        assert_eq!(twice.files.unwrap(), first);
    }

    #[test]
    fn refuses_a_milestone_not_linked() {
        let mut current = files(PLAN);
        current.definition.kiro_spec = None;
        let m = current.definition.id.clone();
        let err = sync(Some(current), &m, &SpecChanges::default()).unwrap_err();
        assert!(err.to_string().contains("not linked"));
    }
}
