//! Trailer moves that history recorded but a task does not remember. A commit's
//! trailer moves a task once: the task keeps the (commit, trailer) pairs that moved it
//! (`moved_by`), so a teammate's hook or a merge applying the same trailer again moves
//! nothing. Versions before that kept no such memory: on a history they wrote, the
//! task has forgotten the moves, and the same trailer applied again (a post-merge hook
//! after a reopen, a merge replaying a teammate's hook) would move it a second time.
//! Before a trailer move is applied again, the moves it would make are looked up in
//! the events of the history it is made on, and those found there are remembered
//! first. That history is the operation's parents' (the tip, for a write), so every
//! clone, writing, checking or merging, decides alike.
//!
//! Only the records that apply a trailer again are looked up: a merge's and a
//! rewrite's. A commit's own record (the post-commit hook's) is its first application,
//! made as the commit is: looking up every trailer commit in the whole history would
//! cost each trailer commit, and each check and merge of one, a walk of the ref's
//! history. Only moves that would move their task are looked up.

use std::collections::HashSet;

use git2::{Oid, Sort};
use memchr::memmem;

use super::message;
use super::{Store, StoreError};
use crate::model::{EventKind, MilestoneFiles, Op, TaskMove, TrailerAction, TrailerMoved};
use crate::workflow::trailers::moved_status;

/// One trailer's move of one task: (task, commit, trailer).
type Move = (String, String, TrailerAction);

/// The trailer moves `op` applies again, if it is a merge's or a rewrite's record.
fn moves_again(op: &Op) -> &[TaskMove] {
    match op {
        Op::RecordMerge { moves, .. } | Op::RecordRewrite { moves, .. } => moves,
        _ => &[],
    }
}

impl Store {
    /// `current` with the moves of `op` that the history from `parents` (the
    /// operation's parents, asked only when needed) recorded already remembered by
    /// their tasks: applied, they move nothing again.
    pub(super) fn with_moves_seen(
        &self,
        current: Option<MilestoneFiles>,
        op: &Op,
        parents: impl FnOnce() -> Result<Vec<Oid>, StoreError>,
    ) -> Result<Option<MilestoneFiles>, StoreError> {
        let Some(mut files) = current else {
            return Ok(None);
        };
        let definition = &files.definition;
        let forgotten: Vec<(&TaskMove, crate::model::TaskId)> = moves_again(op)
            .iter()
            .filter_map(|m| {
                let task = definition.task(definition.resolve_task(&m.task))?;
                let once = TrailerMoved {
                    commit: m.commit.clone(),
                    trailer: m.action,
                };
                let moves = moved_status(task.status, m.action).is_some();
                (moves && !task.moved_by.contains(&once)).then(|| (m, task.id.clone()))
            })
            .collect();
        if forgotten.is_empty() {
            return Ok(Some(files));
        }
        let commits: HashSet<&str> = forgotten.iter().map(|(m, _)| m.commit.as_str()).collect();
        let seen = self.recorded_moves(&parents()?, definition.id.as_str(), &commits)?;
        let remembered: Vec<(crate::model::TaskId, TrailerMoved)> = forgotten
            .into_iter()
            .filter(|(m, task)| seen.contains(&(task.to_string(), m.commit.clone(), m.action)))
            .map(|(m, task)| {
                let once = TrailerMoved {
                    commit: m.commit.clone(),
                    trailer: m.action,
                };
                (task, once)
            })
            .collect();
        for (task, once) in remembered {
            if let Some(task) = files.definition.task_mut(&task) {
                task.moved_by.push(once);
            }
        }
        Ok(Some(files))
    }

    /// The trailer moves of `commits` on tasks of `milestone` that the events of the
    /// history from `parents` record. Only messages naming one of the commits are
    /// decoded.
    fn recorded_moves(
        &self,
        parents: &[Oid],
        milestone: &str,
        commits: &HashSet<&str>,
    ) -> Result<HashSet<Move>, StoreError> {
        let mut found = HashSet::new();
        if parents.is_empty() {
            return Ok(found);
        }
        let mut walk = self.repo.revwalk()?;
        walk.set_sorting(Sort::NONE)?;
        for parent in parents {
            walk.push(*parent)?;
        }
        for oid in walk {
            let commit = self.repo.find_commit(oid?)?;
            let bytes = commit.message_bytes();
            if !commits
                .iter()
                .any(|c| memmem::find(bytes, c.as_bytes()).is_some())
            {
                continue;
            }
            let text = String::from_utf8_lossy(bytes);
            let Some(header) = message::decode_header(&text) else {
                continue;
            };
            for event in header
                .events
                .iter()
                .filter(|e| e.milestone_id.as_deref() == Some(milestone))
            {
                if let Some(EventKind::TaskStatusChanged {
                    task_id,
                    trailer: Some(trailer),
                    commit: Some(moved_by),
                    ..
                }) = event.kind()
                {
                    let action = match trailer.as_str() {
                        "Completes" => TrailerAction::Complete,
                        "Task" => TrailerAction::Start,
                        _ => continue,
                    };
                    if commits.contains(moved_by.as_str()) {
                        found.insert((task_id.to_string(), moved_by, action));
                    }
                }
            }
        }
        Ok(found)
    }
}

/// A definition with its tasks' memory of trailer moves taken out, and that memory.
fn forgetting(text: &[u8]) -> Option<(crate::model::Milestone, Vec<Vec<TrailerMoved>>)> {
    let mut definition: crate::model::Milestone =
        crate::yaml::from_str(std::str::from_utf8(text).ok()?).ok()?;
    let memory = definition
        .tasks
        .iter_mut()
        .map(|t| std::mem::take(&mut t.moved_by))
        .collect();
    Some((definition, memory))
}

impl Store {
    /// Whether the tree `stored` of a fetched commit is the tree `computed` from its
    /// operation but for trailer moves its tasks do not remember: what a version
    /// before that memory wrote. Such a commit holds; the memory it lacks is found in
    /// history when it is needed (see [`Store::with_moves_seen`]).
    pub(super) fn differs_only_in_moves_remembered(
        &self,
        stored: Oid,
        computed: Oid,
    ) -> Result<bool, StoreError> {
        let (stored, computed) = (self.repo.find_tree(stored)?, self.repo.find_tree(computed)?);
        let folder = super::layout::MILESTONES;
        if !same_entries_but(&stored, &computed, folder) {
            return Ok(false);
        }
        let (Some(a), Some(b)) = (stored.get_name(folder), computed.get_name(folder)) else {
            return Ok(false);
        };
        let (a, b) = (self.repo.find_tree(a.id())?, self.repo.find_tree(b.id())?);
        if a.len() != b.len() {
            return Ok(false);
        }
        for entry in a.iter() {
            let Some(other) = entry.name().and_then(|n| b.get_name(n)) else {
                return Ok(false);
            };
            if entry.id() != other.id()
                && !self.same_milestone_but_memory(entry.id(), other.id())?
            {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Two folders of a milestone equal but for its definition, whose tasks in `stored`
    /// remember no move that `computed`'s do not.
    fn same_milestone_but_memory(&self, stored: Oid, computed: Oid) -> Result<bool, StoreError> {
        let (stored, computed) = (self.repo.find_tree(stored)?, self.repo.find_tree(computed)?);
        let file = super::layout::DEFINITION;
        let (Some(a), Some(b)) = (stored.get_name(file), computed.get_name(file)) else {
            return Ok(false);
        };
        if !same_entries_but(&stored, &computed, file) {
            return Ok(false);
        }
        let (a, b) = (self.repo.find_blob(a.id())?, self.repo.find_blob(b.id())?);
        let (Some((a, kept)), Some((b, remembered))) =
            (forgetting(a.content()), forgetting(b.content()))
        else {
            return Ok(false);
        };
        let subset = kept
            .iter()
            .zip(&remembered)
            .all(|(kept, all)| kept.iter().all(|m| all.contains(m)));
        Ok(a == b && subset)
    }
}

/// Whether trees `a` and `b` have the same entries, apart from `name`.
fn same_entries_but(a: &git2::Tree<'_>, b: &git2::Tree<'_>, name: &str) -> bool {
    let others = |t: &git2::Tree<'_>| -> Vec<(Option<String>, Oid, i32)> {
        t.iter()
            .filter(|e| e.name() != Some(name))
            .map(|e| (e.name().map(str::to_string), e.id(), e.filemode()))
            .collect()
    };
    others(a) == others(b)
}

#[cfg(test)]
mod tests {
    use super::super::test_store;
    use super::*;
    use crate::model::{MilestoneId, TaskId};

    /// The tip's tree with `v1`'s definition text changed by `edit`.
    fn edited(store: &Store, edit: impl Fn(&str) -> String) -> Oid {
        let repo = &store.repo;
        let tree = repo
            .find_commit(store.tip().unwrap())
            .unwrap()
            .tree()
            .unwrap();
        let milestones = repo
            .find_tree(tree.get_name("milestones").unwrap().id())
            .unwrap();
        let v1 = repo
            .find_tree(milestones.get_name("v1").unwrap().id())
            .unwrap();
        let yaml = repo
            .find_blob(v1.get_name("milestone.yaml").unwrap().id())
            .unwrap();
        let text = edit(std::str::from_utf8(yaml.content()).unwrap());
        let mut folder = repo.treebuilder(Some(&v1)).unwrap();
        folder
            .insert(
                "milestone.yaml",
                repo.blob(text.as_bytes()).unwrap(),
                0o100644,
            )
            .unwrap();
        let mut all = repo.treebuilder(Some(&milestones)).unwrap();
        all.insert("v1", folder.write().unwrap(), 0o040000).unwrap();
        let mut root = repo.treebuilder(Some(&tree)).unwrap();
        root.insert("milestones", all.write().unwrap(), 0o040000)
            .unwrap();
        root.write().unwrap()
    }

    #[test]
    fn only_a_tree_without_the_memory_of_trailer_moves_holds_as_it_is() {
        let (_dir, store) = test_store();
        store.init().unwrap();
        let m = MilestoneId::new("v1").unwrap();
        let new = Op::NewMilestone {
            milestone: m.clone(),
            title: None,
            description: None,
            due: None,
        };
        store.transact(new).unwrap();
        let task = Op::AddTask {
            milestone: m.clone(),
            task: TaskId::new("t1").unwrap(),
            title: String::new(),
            kiro: false,
            points: None,
        };
        store.transact(task).unwrap();
        let commit = Op::RecordCommit {
            milestone: m,
            session: None,
            commit: "c".repeat(40),
            branch: "main".into(),
            subject: "fix".into(),
            moves: vec![TaskMove {
                task: TaskId::new("t1").unwrap(),
                action: TrailerAction::Complete,
                commit: "c".repeat(40),
            }],
        };
        store.transact(commit).unwrap();
        let tip = store
            .repo
            .find_commit(store.tip().unwrap())
            .unwrap()
            .tree_id();
        let forgot = |t: &str| {
            let kept = t.lines().filter(|l| {
                !l.starts_with("  moved_by:")
                    && !l.starts_with("  - commit:")
                    && !l.starts_with("    trailer:")
            });
            kept.map(|l| format!("{l}\n")).collect::<String>()
        };
        let legacy = edited(&store, forgot);
        assert_ne!(legacy, tip);
        assert!(store.differs_only_in_moves_remembered(legacy, tip).unwrap());
        assert!(store.differs_only_in_moves_remembered(tip, tip).unwrap());
        // Anything else that differs still does, and so does a memory the operation
        // does not give.
        let reopened = edited(&store, |t| forgot(t).replace("completed", "in_progress"));
        assert!(!store
            .differs_only_in_moves_remembered(reopened, tip)
            .unwrap());
        assert!(!store.differs_only_in_moves_remembered(tip, legacy).unwrap());
    }
}
