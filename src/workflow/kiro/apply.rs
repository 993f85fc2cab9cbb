//! Applying `Op::KiroSync`: the changes one sync planned, set by id, so that a merge
//! replays them like any other operation.

use std::collections::BTreeMap;

use crate::model::{
    validate, Event, EventKind, Milestone, MilestoneFiles, MilestoneId, SpecChanges, Task, TaskId,
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
    let event = |kind| Event::of(milestone.as_str(), kind);
    for id in &changes.removed {
        let found = definition
            .tasks
            .iter()
            .position(|t| &t.id == id && t.kiro_task.is_some());
        if let Some(position) = found {
            let task = definition.tasks.remove(position);
            events.push(event(EventKind::TaskRemoved {
                task_id: task.id.clone(),
                title: task.title.clone(),
                status: task.status,
            }));
            link.removed.push(task);
        }
    }
    renumber(definition, changes, &mut events);
    for update in &changes.updated {
        if let Some(task) = definition.tasks.iter_mut().find(|t| t.id == update.task) {
            task.title = update.title.clone();
            task.kiro_task = Some(update.spec.clone());
        }
    }
    for added in &changes.added {
        if let Some(task) = definition.tasks.iter_mut().find(|t| t.id == added.task) {
            // Replayed after the same sync elsewhere: the task is there already.
            task.title = added.title.clone();
            task.kiro_task = Some(added.spec.clone());
            continue;
        }
        let mut task = Task::new(added.task.clone(), added.title.clone(), false);
        task.status = added.status;
        task.kiro_task = Some(added.spec.clone());
        events.push(event(EventKind::TaskAdded {
            task_id: task.id.clone(),
            title: task.title.clone(),
            kiro_workflow: false,
            points: None,
        }));
        definition.tasks.push(task);
    }
    set_statuses(definition, changes, &mut events);
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

/// Gives the spec's tasks their new numbers, and the renames recorded before too.
fn renumber(definition: &mut Milestone, changes: &SpecChanges, events: &mut Vec<Event>) {
    let moves: BTreeMap<&TaskId, &TaskId> = changes
        .renumbered
        .iter()
        .map(|r| (&r.from, &r.to))
        .collect();
    for task in definition
        .tasks
        .iter_mut()
        .filter(|t| t.kiro_task.is_some())
    {
        if let Some(to) = moves.get(&task.id) {
            events.push(Event::of(
                definition.id.as_str(),
                EventKind::TaskRenamed {
                    task_id: task.id.clone(),
                    new_task_id: (*to).clone(),
                },
            ));
            task.id = (*to).clone();
        }
    }
    for target in definition.renamed_tasks.values_mut() {
        if let Some(to) = moves.get(target) {
            *target = (*to).clone();
        }
    }
}

/// Sets the statuses the sync merged, each change an event.
fn set_statuses(definition: &mut Milestone, changes: &SpecChanges, events: &mut Vec<Event>) {
    for (id, status) in &changes.statuses {
        let Some(task) = definition.tasks.iter_mut().find(|t| &t.id == id) else {
            continue;
        };
        if task.status != *status {
            events.push(Event::of(
                definition.id.as_str(),
                EventKind::TaskStatusChanged {
                    task_id: id.clone(),
                    previous_status: task.status,
                    new_status: *status,
                    trailer: None,
                    target: None,
                    commit: None,
                    forced: None,
                },
            ));
            task.status = *status;
        }
    }
}

/// Tasks not from `tasks.md` first, as they were; then the file's tasks in its order.
fn put_in_order(tasks: &mut [Task], order: &[TaskId]) {
    let rank = |task: &Task| match task.kiro_task {
        None => (0, 0),
        Some(_) => (
            1,
            order
                .iter()
                .position(|id| id == &task.id)
                .unwrap_or(order.len()),
        ),
    };
    tasks.sort_by_key(rank);
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
    fn refuses_a_milestone_not_linked() {
        let mut current = files(PLAN);
        current.definition.kiro_spec = None;
        let m = current.definition.id.clone();
        let err = sync(Some(current), &m, &SpecChanges::default()).unwrap_err();
        assert!(err.to_string().contains("not linked"));
    }
}
