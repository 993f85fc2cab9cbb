//! A milestone's list of tasks, each shared between copies of the milestone until one
//! of them changes it. Replaying an operation keeps the milestone before it (to see
//! what changed) and works on a copy; with a few hundred tasks, copying, comparing and
//! dropping every task per operation was most of what a replay cost, and grew with the
//! milestone. Now a copy costs a pointer per task, a change copies only the task it
//! touches, and comparing two copies skips the tasks they still share.

use std::ops::{Index, IndexMut};
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::milestone::Task;

/// The tasks of a milestone, in their order.
#[derive(Debug, Clone, Default)]
pub struct Tasks(Vec<Arc<Task>>);

/// Borrowed tasks, in order.
pub type Iter<'a> = std::iter::Map<std::slice::Iter<'a, Arc<Task>>, fn(&Arc<Task>) -> &Task>;

impl Tasks {
    /// No tasks.
    pub fn new() -> Self {
        Tasks(Vec::new())
    }

    /// How many tasks.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The tasks in order.
    pub fn iter(&self) -> Iter<'_> {
        self.0.iter().map(|task| &**task)
    }

    /// The tasks in order, each copied first if another copy of the list shares it
    /// (to change one task, [`Tasks::find_mut`] copies only that one).
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut Task> {
        self.into_iter()
    }

    /// The first task `matches`, to change: only that one is copied if shared
    /// (`iter_mut().find(…)` would copy every task it passes).
    pub fn find_mut(&mut self, mut matches: impl FnMut(&Task) -> bool) -> Option<&mut Task> {
        let index = self.0.iter().position(|task| matches(task))?;
        Some(Arc::make_mut(&mut self.0[index]))
    }

    /// Adds a task at the end.
    pub fn push(&mut self, task: Task) {
        self.0.push(Arc::new(task));
    }

    /// Takes out the task at `index` (panics past the end, as `Vec::remove` does).
    pub fn remove(&mut self, index: usize) -> Task {
        Arc::unwrap_or_clone(self.0.remove(index))
    }

    /// Sorts the tasks by `key`, computed once per task (stable).
    pub fn sort_by_cached_key<K: Ord>(&mut self, mut key: impl FnMut(&Task) -> K) {
        self.0.sort_by_cached_key(|task| key(task));
    }

    /// Whether the task at each place is the same object in both lists: what two
    /// copies of one list share. A pointer comparison per task, for the tests.
    #[cfg(test)]
    fn shares_all(&self, other: &Tasks) -> bool {
        self.0.len() == other.0.len() && self.0.iter().zip(&other.0).all(|(a, b)| Arc::ptr_eq(a, b))
    }

    /// The tasks as they are shared, in order: to keep one beside what was made of
    /// it, and know it again by [`Arc::ptr_eq`] while it has not changed.
    pub fn shared(&self) -> std::slice::Iter<'_, Arc<Task>> {
        self.0.iter()
    }
}

impl PartialEq for Tasks {
    fn eq(&self, other: &Self) -> bool {
        self.0.len() == other.0.len()
            && self
                .0
                .iter()
                .zip(&other.0)
                .all(|(a, b)| Arc::ptr_eq(a, b) || a == b)
    }
}

impl From<Vec<Task>> for Tasks {
    fn from(tasks: Vec<Task>) -> Self {
        Tasks(tasks.into_iter().map(Arc::new).collect())
    }
}

impl FromIterator<Task> for Tasks {
    fn from_iter<I: IntoIterator<Item = Task>>(iter: I) -> Self {
        Tasks(iter.into_iter().map(Arc::new).collect())
    }
}

impl Extend<Task> for Tasks {
    fn extend<I: IntoIterator<Item = Task>>(&mut self, iter: I) {
        self.0.extend(iter.into_iter().map(Arc::new));
    }
}

impl<'a> IntoIterator for &'a Tasks {
    type Item = &'a Task;
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<'a> IntoIterator for &'a mut Tasks {
    type Item = &'a mut Task;
    type IntoIter =
        std::iter::Map<std::slice::IterMut<'a, Arc<Task>>, fn(&mut Arc<Task>) -> &mut Task>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter_mut().map(Arc::make_mut)
    }
}

impl IntoIterator for Tasks {
    type Item = Task;
    type IntoIter = std::iter::Map<std::vec::IntoIter<Arc<Task>>, fn(Arc<Task>) -> Task>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter().map(Arc::unwrap_or_clone)
    }
}

impl Index<usize> for Tasks {
    type Output = Task;

    fn index(&self, index: usize) -> &Task {
        &self.0[index]
    }
}

impl IndexMut<usize> for Tasks {
    fn index_mut(&mut self, index: usize) -> &mut Task {
        Arc::make_mut(&mut self.0[index])
    }
}

impl Serialize for Tasks {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for Tasks {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Vec::<Task>::deserialize(deserializer).map(Tasks::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{TaskId, TaskStatus};

    fn task(id: &str) -> Task {
        Task::new(TaskId::new(id).unwrap(), String::new(), false)
    }

    #[test]
    fn a_copy_shares_every_task_until_one_changes() {
        let tasks: Tasks = ["a", "b", "c"].into_iter().map(task).collect();
        let mut copy = tasks.clone();
        assert!(copy.shares_all(&tasks));
        copy[1].status = TaskStatus::Completed;
        assert!(!copy.shares_all(&tasks));
        assert_eq!(
            tasks[1].status,
            TaskStatus::Pending,
            "the original kept its task"
        );
        let same: Vec<bool> = copy
            .shared()
            .zip(tasks.shared())
            .map(|(a, b)| Arc::ptr_eq(a, b))
            .collect();
        assert_eq!(
            same,
            [true, false, true],
            "only the changed task was copied"
        );
        let found = copy.find_mut(|t| t.id.as_str() == "c").unwrap();
        found.title = "C".into();
        assert_eq!(
            tasks[2].title, "",
            "find_mut copied the one task it changed"
        );
        assert!(Arc::ptr_eq(
            &copy.shared().next().unwrap().clone(),
            tasks.shared().next().unwrap()
        ));
        assert_ne!(copy, tasks);
    }

    #[test]
    fn equal_lists_compare_equal_shared_or_not() {
        let one: Tasks = ["a", "b"].into_iter().map(task).collect();
        let other: Tasks = ["a", "b"].into_iter().map(task).collect();
        assert!(!one.shares_all(&other));
        assert_eq!(one, other);
        let shorter: Tasks = ["a"].into_iter().map(task).collect();
        assert_ne!(one, shorter);
    }

    #[test]
    fn serializes_as_the_list_of_tasks() {
        let tasks: Tasks = ["a", "b"].into_iter().map(task).collect();
        let json = serde_json::to_string(&tasks).unwrap();
        let plain: Vec<Task> = vec![task("a"), task("b")];
        assert_eq!(json, serde_json::to_string(&plain).unwrap());
        let back: Tasks = serde_json::from_str(&json).unwrap();
        assert_eq!(back, tasks);
        let mut removed = back;
        assert_eq!(removed.remove(0).id.as_str(), "a");
        assert_eq!(removed.len(), 1);
    }
}
