//! A definition's YAML, written a task at a time during a replay. Checking a fetch
//! writes the definition of every operation that changes it, and most change one task
//! of many: serializing the whole milestone each time was a fifth of what the check
//! cost. A tree is compared by id, so the text must be byte for byte what
//! `yaml::to_string` of the whole definition gives (one byte apart would fail an
//! honest commit): the milestone without its tasks is written whole, and each task as
//! the one item of a list, which is how the emitter writes the items of a top-level
//! field's list (the property below checks it over generated definitions). A task
//! equal to the one written last at its place reuses its text.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use crate::model::{Milestone, MilestoneId, Task, Tasks};
use crate::yaml::{self, YamlError};

/// The line an empty task list is written as, at the start of a line.
const NO_TASKS: &str = "tasks: []\n";

/// A task as last written at its place, and its text.
type Written = (Arc<Task>, String);

/// The text of each task last written, per milestone, for one replay.
#[derive(Debug, Default)]
pub struct WrittenTasks {
    texts: RefCell<HashMap<MilestoneId, Vec<Written>>>,
}

impl WrittenTasks {
    /// The YAML of `definition`, exactly as `yaml::to_string` writes it.
    pub(super) fn to_yaml(&self, definition: &Milestone) -> Result<String, YamlError> {
        if definition.tasks.is_empty() {
            return yaml::to_string(definition);
        }
        let head = yaml::to_string(&shell_of(definition))?;
        // The list's place: the one line `tasks: []` (any other line of the
        // definition's values is indented, or holds more); when in doubt, whole.
        let Some(at) = only_line(&head, NO_TASKS) else {
            return yaml::to_string(definition);
        };
        let mut texts = self.texts.borrow_mut();
        let known = texts.entry(definition.id.clone()).or_default();
        known.truncate(definition.tasks.len());
        let mut out = String::with_capacity(head.len() + 64 * definition.tasks.len());
        out.push_str(&head[..at]);
        out.push_str("tasks:\n");
        for (i, task) in definition.tasks.shared().enumerate() {
            // The very task written last (shared, unchanged since) needs no compare.
            match known.get(i) {
                Some((was, text)) if Arc::ptr_eq(was, task) || was == task => out.push_str(text),
                _ => {
                    let text = yaml::to_string(&[&**task])?;
                    out.push_str(&text);
                    let entry = (Arc::clone(task), text);
                    match known.get_mut(i) {
                        Some(slot) => *slot = entry,
                        None => known.push(entry),
                    }
                }
            }
        }
        out.push_str(&head[at + NO_TASKS.len()..]);
        Ok(out)
    }
}

/// Everything of `definition` but its tasks (not cloned).
fn shell_of(definition: &Milestone) -> Milestone {
    Milestone {
        id: definition.id.clone(),
        title: definition.title.clone(),
        description: definition.description.clone(),
        due: definition.due.clone(),
        tasks: Tasks::new(),
        kiro_configuration: definition.kiro_configuration.clone(),
        renamed_tasks: definition.renamed_tasks.clone(),
        kiro_spec: definition.kiro_spec.clone(),
        extra: definition.extra.clone(),
    }
}

/// Where `line` starts in `text` when it is a whole line there exactly once.
fn only_line(text: &str, line: &str) -> Option<usize> {
    let mut found = None;
    let mut start = 0;
    for piece in text.split_inclusive('\n') {
        if piece == line {
            if found.is_some() {
                return None;
            }
            found = Some(start);
        }
        start += piece.len();
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{TaskId, TaskStatus};
    use proptest::prelude::*;
    use serde_json::{json, Value};

    /// Text that the emitter quotes, folds, breaks or writes as a block.
    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-z ]{0,12}",
            "[ -~\n\t]{0,40}",
            "[a-z ]{60,120}",
            Just("tasks: []".to_string()),
            Just("\ntasks: []\n".to_string()),
            Just("- id: x\n  title: y".to_string()),
            Just("yes".to_string()),
            Just("0123".to_string()),
            Just("é ß \u{1b}[2J\u{7}".to_string()),
            Just("a: b #c".to_string()),
        ]
    }

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            text().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<bool>().prop_map(Value::from),
            Just(Value::Null),
        ];
        leaf.prop_recursive(3, 12, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                proptest::collection::btree_map("[a-z_]{1,8}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    fn task() -> impl Strategy<Value = Task> {
        (
            0usize..30,
            text(),
            any::<bool>(),
            0usize..4,
            proptest::option::of(0.0f64..100.0),
            proptest::collection::btree_map("x_[a-z]{1,6}", value(), 0..3),
        )
            .prop_map(|(n, title, kiro, status, points, extra)| {
                let mut task = Task::new(TaskId::new(format!("t{n}")).unwrap(), title, kiro);
                task.status = [
                    TaskStatus::Pending,
                    TaskStatus::InProgress,
                    TaskStatus::Completed,
                    TaskStatus::Blocked,
                ][status];
                task.points = points;
                task.extra = extra;
                task
            })
    }

    fn milestone() -> impl Strategy<Value = Milestone> {
        (
            text(),
            proptest::option::of(text()),
            proptest::option::of(text()),
            proptest::collection::vec(task(), 0..6),
            proptest::collection::btree_map("x_[a-z]{1,6}", value(), 0..3),
        )
            .prop_map(|(title, description, due, tasks, extra)| {
                let mut m = Milestone::new(MilestoneId::new("m").unwrap());
                m.title = title;
                m.description = description;
                m.due = due;
                m.tasks = tasks.into();
                m.extra = extra;
                m
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Written task by task, a definition is what writing it whole gives, also
        /// when the tasks written before it (reused or not) were others.
        #[test]
        fn task_by_task_is_the_whole_text(before in milestone(), after in milestone()) {
            let written = WrittenTasks::default();
            prop_assert_eq!(written.to_yaml(&before).unwrap(), yaml::to_string(&before).unwrap());
            prop_assert_eq!(written.to_yaml(&after).unwrap(), yaml::to_string(&after).unwrap());
            prop_assert_eq!(written.to_yaml(&after).unwrap(), yaml::to_string(&after).unwrap());
        }
    }

    #[test]
    fn a_changed_task_is_written_again_and_the_others_reused() {
        let mut m: Milestone = serde_json::from_value(json!({
            "id": "m", "title": "M",
            "tasks": [{"id": "a"}, {"id": "b", "kiro_workflow": {"current_phase": "spec"}}],
            "x_after": {"k": [1, 2]}
        }))
        .unwrap();
        let written = WrittenTasks::default();
        assert_eq!(written.to_yaml(&m).unwrap(), yaml::to_string(&m).unwrap());
        m.tasks[1].status = TaskStatus::Completed;
        m.tasks
            .push(Task::new(TaskId::new("c").unwrap(), "C".into(), false));
        assert_eq!(written.to_yaml(&m).unwrap(), yaml::to_string(&m).unwrap());
        m.tasks.remove(0);
        assert_eq!(written.to_yaml(&m).unwrap(), yaml::to_string(&m).unwrap());
        assert_eq!(
            written.texts.borrow()[&m.id].len(),
            2,
            "none kept past the list"
        );
    }

    #[test]
    fn the_list_is_found_only_as_a_whole_line_once() {
        assert_eq!(only_line("id: m\ntasks: []\n", NO_TASKS), Some(6));
        assert_eq!(only_line("tasks: []\nx: 1\n", NO_TASKS), Some(0));
        assert_eq!(only_line("id: m\n  tasks: []\n", NO_TASKS), None);
        assert_eq!(only_line("tasks: []\ntasks: []\n", NO_TASKS), None);
    }
}
