//! What one `kiro sync` does: match the file's tasks to the milestone's, merge their
//! marks three ways against the last synced base, and say what changes on each side.
//!
//! Structure flows from the file: new tasks are added, tasks gone from the file are
//! closed as removed, a task keeps its identity by title when numbers shift (its id
//! follows its number). Status merges: a side that moved from the base wins over one
//! that did not; both moved differently is a conflict, and nothing is written.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use crate::model::kiro::{AddedSpecTask, RemovedSpecTask, Renumbered, UpdatedSpecTask};
use crate::model::{Mark, Milestone, SpecChanges, SpecTask, Task, TaskId};

use super::tasks_md::{SpecItem, TasksFile};

/// A task whose mark was changed on both sides since the last sync, differently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// Its number in the file.
    pub number: String,
    /// Its title in the file.
    pub title: String,
    /// Its mark in the file.
    pub file: Mark,
    /// Its mark by its status on the ref.
    pub milestone: Mark,
    /// Its mark at the last sync, none if it had none.
    pub base: Option<Mark>,
}

/// What a sync would do.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SyncPlan {
    /// The changes on the ref.
    pub changes: SpecChanges,
    /// The marks to write into the file, by number (only those that change).
    pub file_marks: BTreeMap<String, Mark>,
    /// Marks changed differently on both sides: nothing may be written.
    pub conflicts: Vec<Conflict>,
    /// Whether the ref changes (the base or the order counts too).
    pub changes_ref: bool,
}

/// Why a file cannot be synced at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// The milestone was not made by `kiro import`.
    #[error("milestone {0} is not linked to a Kiro spec folder")]
    NotLinked(String),
    /// Two tasks of the file have the same number.
    #[error("tasks.md numbers more than one task {0}")]
    DuplicateNumber(String),
    /// A number is not usable as a task id.
    #[error("task number {0} of tasks.md cannot be a task id: {1}")]
    BadNumber(String, String),
    /// A number is the id of a task that does not come from `tasks.md`.
    #[error("task number {0} of tasks.md is the id of a task that is not from tasks.md")]
    TakenNumber(String),
}

/// The numbered tasks of a milestone: those that came from `tasks.md`.
fn spec_tasks(milestone: &Milestone) -> Vec<&Task> {
    milestone
        .tasks
        .iter()
        .filter(|t| t.kiro_task.is_some())
        .collect()
}

/// For each item of the file, the index in `known` of the task it is, if any: by title
/// first (the same number preferred among equal titles), then by number.
pub fn match_items(items: &[SpecItem], known: &[&Task]) -> Vec<Option<usize>> {
    // Indexed by title and by id: a plan of thousands of tasks stays linear.
    let mut by_title: HashMap<&str, Vec<usize>> = HashMap::new();
    for (k, task) in known.iter().enumerate() {
        by_title.entry(task.title.as_str()).or_default().push(k);
    }
    let by_id: HashMap<&str, usize> = known
        .iter()
        .enumerate()
        .map(|(k, task)| (task.id.as_str(), k))
        .collect();
    let mut taken = vec![false; known.len()];
    let mut matched = vec![None; items.len()];
    for (slot, item) in matched.iter_mut().zip(items) {
        let Some(candidates) = by_title.get(item.title.as_str()) else {
            continue;
        };
        let free = || candidates.iter().copied().filter(|k| !taken[*k]);
        let pick = free()
            .find(|k| known[*k].id.as_str() == item.number)
            .or_else(|| free().next());
        if let Some(k) = pick {
            taken[k] = true;
            *slot = Some(k);
        }
    }
    for (slot, item) in matched.iter_mut().zip(items) {
        let free = by_id
            .get(item.number.as_str())
            .copied()
            .filter(|k| !taken[*k]);
        if let (None, Some(k)) = (*slot, free) {
            taken[k] = true;
            *slot = Some(k);
        }
    }
    matched
}

/// The three-way merge of one task's mark: none when both sides moved differently.
pub fn merge_mark(file: Mark, milestone: Mark, base: Option<Mark>) -> Option<Mark> {
    if file == milestone {
        Some(file)
    } else if base == Some(file) {
        Some(milestone)
    } else if base == Some(milestone) {
        Some(file)
    } else {
        None
    }
}

/// Plans the sync of `file` into `milestone` (made by `kiro import`).
pub fn plan(file: &TasksFile, milestone: &Milestone) -> Result<SyncPlan, PlanError> {
    let link = milestone
        .kiro_spec
        .as_ref()
        .ok_or_else(|| PlanError::NotLinked(milestone.id.to_string()))?;
    if let Some(number) = file.duplicate_numbers().into_iter().next() {
        return Err(PlanError::DuplicateNumber(number));
    }
    let ids = item_ids(file, milestone)?;
    let known = spec_tasks(milestone);
    let matched = match_items(&file.items, &known);
    let mut plan = SyncPlan::default();
    let (mut merged, bases) = merge_marks(file, &known, &matched, link, &mut plan.conflicts);
    roll_up(file, &mut merged, &bases, &plan.conflicts);
    let changes = &mut plan.changes;
    let mut used = vec![false; known.len()];
    for (index, item) in file.items.iter().enumerate() {
        let id = ids[index].clone();
        let mark = merged[index];
        if mark != item.mark {
            plan.file_marks.insert(item.number.clone(), mark);
        }
        changes.base.insert(id.clone(), mark);
        changes.order.push(id.clone());
        if let Some(k) = matched[index] {
            used[k] = true;
        }
        change_task(changes, item, matched[index].map(|k| known[k]), id, mark);
    }
    changes.removed = (0..known.len())
        .filter(|k| !used[*k])
        .map(|k| RemovedSpecTask {
            task: known[k].id.clone(),
            title: known[k].title.clone(),
        })
        .collect();
    let old_order: Vec<&TaskId> = known.iter().map(|t| &t.id).collect();
    plan.changes_ref = !(changes.removed.is_empty()
        && changes.renumbered.is_empty()
        && changes.updated.is_empty()
        && changes.added.is_empty()
        && changes.statuses.is_empty())
        || changes.base != link.base
        || changes.order.iter().collect::<Vec<_>>() != old_order;
    Ok(plan)
}

/// Each item's merged mark and its base; both sides moved differently is a conflict
/// (the file's mark stands in for it, and nothing will be written).
fn merge_marks(
    file: &TasksFile,
    known: &[&Task],
    matched: &[Option<usize>],
    link: &crate::model::SpecLink,
    conflicts: &mut Vec<Conflict>,
) -> (Vec<Mark>, Vec<Option<Mark>>) {
    let mut merged = Vec::with_capacity(file.items.len());
    let mut bases = Vec::with_capacity(file.items.len());
    for (item, found) in file.items.iter().zip(matched) {
        let task = found.map(|k| known[k]);
        let base = task.and_then(|t| link.base.get(&t.id).copied());
        let ours = task.map(|t| Mark::of_status(t.status));
        let mark = match ours.map(|ours| (ours, merge_mark(item.mark, ours, base))) {
            None => item.mark,
            Some((_, Some(mark))) => mark,
            Some((ours, None)) => {
                conflicts.push(Conflict {
                    number: item.number.clone(),
                    title: item.title.clone(),
                    file: item.mark,
                    milestone: ours,
                    base,
                });
                item.mark
            }
        };
        merged.push(mark);
        bases.push(base);
    }
    (merged, bases)
}

/// What changes on the ref for one item of the file: added, or renumbered, updated
/// and moved to its merged mark's status.
fn change_task(
    changes: &mut SpecChanges,
    item: &SpecItem,
    task: Option<&Task>,
    id: TaskId,
    mark: Mark,
) {
    let spec = SpecTask {
        optional: item.optional,
        requirements: item.requirements.clone(),
    };
    let Some(task) = task else {
        changes.added.push(AddedSpecTask {
            task: id,
            title: item.title.clone(),
            status: mark.status(),
            spec,
        });
        return;
    };
    if task.id != id {
        changes.renumbered.push(Renumbered {
            from: task.id.clone(),
            to: id.clone(),
            title: task.title.clone(),
        });
    }
    if task.title != item.title || task.kiro_task.as_ref() != Some(&spec) {
        changes.updated.push(UpdatedSpecTask {
            task: id.clone(),
            title: item.title.clone(),
            spec,
        });
    }
    if Mark::of_status(task.status) != mark {
        changes.statuses.insert(id, mark.status());
    }
}

/// The task id of each item: its number, which must be a valid id and not the id of a
/// task that does not come from the file.
fn item_ids(file: &TasksFile, milestone: &Milestone) -> Result<Vec<TaskId>, PlanError> {
    let foreign: BTreeSet<&TaskId> = milestone
        .tasks
        .iter()
        .filter(|t| t.kiro_task.is_none())
        .map(|t| &t.id)
        .collect();
    file.items
        .iter()
        .map(|item| {
            let id = TaskId::new(item.number.as_str())
                .map_err(|e| PlanError::BadNumber(item.number.clone(), e.reason.to_string()))?;
            if foreign.contains(&id) {
                return Err(PlanError::TakenNumber(item.number.clone()));
            }
            Ok(id)
        })
        .collect()
}

/// A parent's mark follows its sub-tasks, as Kiro does, when a sub-task moved in this
/// sync: done once every required sub-task is done, in progress once one started.
/// Deepest parents first, so a grandparent sees its children's new marks; parents
/// never move back, and a parent in conflict is left alone.
fn roll_up(file: &TasksFile, merged: &mut [Mark], bases: &[Option<Mark>], conflicts: &[Conflict]) {
    let items = &file.items;
    let index: HashMap<&str, usize> = items
        .iter()
        .enumerate()
        .map(|(i, item)| (item.number.as_str(), i))
        .collect();
    let mut children: HashMap<usize, Vec<usize>> = HashMap::new();
    for (c, child) in items.iter().enumerate() {
        let parent = child.number.rsplit_once('.').map(|(parent, _)| parent);
        if let Some(&p) = parent.and_then(|parent| index.get(parent)) {
            children.entry(p).or_default().push(c);
        }
    }
    let conflicted: HashSet<&str> = conflicts.iter().map(|c| c.number.as_str()).collect();
    let mut parents: Vec<usize> = children.keys().copied().collect();
    parents.sort_by_key(|p| (std::cmp::Reverse(items[*p].depth), *p));
    for parent in parents {
        let kids = &children[&parent];
        let moved = kids.iter().any(|c| bases[*c] != Some(merged[*c]));
        if conflicted.contains(items[parent].number.as_str()) || !moved {
            continue;
        }
        let mut required = kids.iter().filter(|c| !items[**c].optional).peekable();
        let has_required = required.peek().is_some();
        let all_done = has_required && required.all(|c| merged[*c] == Mark::Done);
        let started = kids.iter().any(|c| merged[*c] != Mark::Pending);
        if all_done {
            merged[parent] = Mark::Done;
        } else if started && merged[parent] == Mark::Pending {
            merged[parent] = Mark::InProgress;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{MilestoneId, TaskStatus};

    /// A milestone as `kiro import` makes it from `text`.
    fn imported(text: &str) -> Milestone {
        let file = TasksFile::parse(text);
        let mut m = Milestone::new(MilestoneId::new("feature").unwrap());
        let (tasks, link) =
            super::super::import::numbered_tasks(".kiro/specs/feature", &file).unwrap();
        m.tasks = tasks.into();
        m.kiro_spec = Some(link);
        m
    }

    const PLAN: &str = "- [ ] 1. One\n- [-] 2. Two\n  - [x] 2.1 A\n  - [ ] 2.2 B\n  - [ ]* 2.3 C\n- [ ] 3. Three\n";

    fn set(m: &mut Milestone, id: &str, status: TaskStatus) {
        m.task_mut(&TaskId::new(id).unwrap()).unwrap().status = status;
    }

    #[test]
    fn unchanged_plans_nothing() {
        let m = imported(PLAN);
        let plan = plan(&TasksFile::parse(PLAN), &m).unwrap();
        assert!(!plan.changes_ref, "{plan:?}");
        assert!(plan.file_marks.is_empty());
        assert!(plan.conflicts.is_empty());
    }

    #[test]
    fn completing_the_last_required_sub_task_ticks_the_parent() {
        let mut m = imported(PLAN);
        set(&mut m, "2.2", TaskStatus::Completed);
        let plan = plan(&TasksFile::parse(PLAN), &m).unwrap();
        let marks: Vec<_> = plan
            .file_marks
            .iter()
            .map(|(n, m)| (n.as_str(), *m))
            .collect();
        assert_eq!(marks, [("2", Mark::Done), ("2.2", Mark::Done)]);
        let t2 = TaskId::new("2").unwrap();
        assert_eq!(plan.changes.statuses.get(&t2), Some(&TaskStatus::Completed));
        assert!(plan.conflicts.is_empty());
    }

    #[test]
    fn a_ticked_box_moves_the_task() {
        let m = imported(PLAN);
        let ticked = PLAN.replace("- [ ] 3.", "- [x] 3.");
        let plan = plan(&TasksFile::parse(&ticked), &m).unwrap();
        assert!(plan.file_marks.is_empty());
        let statuses: Vec<_> = plan.changes.statuses.iter().collect();
        assert_eq!(
            statuses,
            [(&TaskId::new("3").unwrap(), &TaskStatus::Completed)]
        );
    }

    #[test]
    fn both_sides_moving_differently_is_a_conflict() {
        let mut m = imported(PLAN);
        set(&mut m, "3", TaskStatus::InProgress);
        let ticked = PLAN.replace("- [ ] 3.", "- [x] 3.");
        let plan = plan(&TasksFile::parse(&ticked), &m).unwrap();
        assert_eq!(plan.conflicts.len(), 1);
        let c = &plan.conflicts[0];
        assert_eq!(
            (c.number.as_str(), c.file, c.milestone, c.base),
            ("3", Mark::Done, Mark::InProgress, Some(Mark::Pending))
        );
    }

    #[test]
    fn both_sides_moving_alike_is_no_conflict() {
        let mut m = imported(PLAN);
        set(&mut m, "3", TaskStatus::Completed);
        let ticked = PLAN.replace("- [ ] 3.", "- [x] 3.");
        let plan = plan(&TasksFile::parse(&ticked), &m).unwrap();
        assert!(plan.conflicts.is_empty());
        assert!(plan.changes.statuses.is_empty());
        assert!(plan.changes_ref, "the base moves");
    }

    #[test]
    fn inserting_a_task_renumbers_the_others_by_title() {
        let mut m = imported(PLAN);
        set(&mut m, "3", TaskStatus::InProgress);
        let inserted = PLAN
            .replace("- [-] 2. Two", "- [ ] 2. New\n- [-] 3. Two")
            .replace("2.1 A", "3.1 A")
            .replace("2.2 B", "3.2 B")
            .replace("2.3 C", "3.3 C")
            .replace("- [ ] 3. Three", "- [ ] 4. Three");
        let plan = plan(&TasksFile::parse(&inserted), &m).unwrap();
        assert!(plan.conflicts.is_empty(), "{:?}", plan.conflicts);
        let moves: Vec<_> = plan
            .changes
            .renumbered
            .iter()
            .map(|r| (r.from.as_str(), r.to.as_str()))
            .collect();
        assert_eq!(
            moves,
            [
                ("2", "3"),
                ("2.1", "3.1"),
                ("2.2", "3.2"),
                ("2.3", "3.3"),
                ("3", "4")
            ]
        );
        let added: Vec<_> = plan.changes.added.iter().map(|a| a.task.as_str()).collect();
        assert_eq!(added, ["2"]);
        assert!(plan.changes.removed.is_empty());
        // Task 3 was started on the ref: the file's task 4 (the same task) gets its mark.
        assert_eq!(plan.file_marks.get("4"), Some(&Mark::InProgress));
    }

    #[test]
    fn a_task_gone_from_the_file_is_removed_and_a_retitled_one_kept() {
        let m = imported(PLAN);
        let edited = PLAN
            .replace("- [ ] 1. One\n", "")
            .replace("3. Three", "3. Three, renamed");
        let plan = plan(&TasksFile::parse(&edited), &m).unwrap();
        let removed: Vec<_> = plan
            .changes
            .removed
            .iter()
            .map(|r| r.task.as_str())
            .collect();
        assert_eq!(removed, ["1"]);
        let updated: Vec<_> = plan
            .changes
            .updated
            .iter()
            .map(|u| u.title.as_str())
            .collect();
        assert_eq!(updated, ["Three, renamed"]);
    }

    #[test]
    fn refuses_duplicate_numbers_and_foreign_ids() {
        let m = imported(PLAN);
        let twice = format!("{PLAN}- [ ] 3. Again\n");
        assert_eq!(
            plan(&TasksFile::parse(&twice), &m),
            Err(PlanError::DuplicateNumber("3".into()))
        );
        let mut foreign = imported(PLAN);
        foreign
            .tasks
            .push(Task::new(TaskId::new("4").unwrap(), String::new(), false));
        let more = format!("{PLAN}- [ ] 4. Four\n");
        assert_eq!(
            plan(&TasksFile::parse(&more), &foreign),
            Err(PlanError::TakenNumber("4".into()))
        );
        assert!(matches!(
            plan(
                &TasksFile::parse(PLAN),
                &Milestone::new(MilestoneId::new("x").unwrap())
            ),
            Err(PlanError::NotLinked(_))
        ));
    }

    #[test]
    fn merge_mark_table() {
        use Mark::*;
        let cases = [
            (Done, Done, Some(Pending), Some(Done)),
            (Done, Pending, Some(Pending), Some(Done)),
            (Pending, Done, Some(Pending), Some(Done)),
            (Done, InProgress, Some(Pending), None),
            (Done, Pending, None, None),
            (InProgress, InProgress, None, Some(InProgress)),
        ];
        for (file, ours, base, want) in cases {
            assert_eq!(
                merge_mark(file, ours, base),
                want,
                "{file:?} {ours:?} {base:?}"
            );
        }
    }
}
