//! A milestone linked to a Kiro spec folder (`.kiro/specs/<feature>/`): the link, what
//! each numbered task of `tasks.md` carries besides its status, and the changes one
//! `kiro sync` makes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::id::TaskId;
use super::milestone::{Task, TaskStatus};

/// A checkbox mark of `tasks.md`: `[ ]`, `[-]` or `[x]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mark {
    /// `[ ]`: not started.
    Pending,
    /// `[-]`: in progress.
    InProgress,
    /// `[x]`: done.
    Done,
}

impl Mark {
    /// The mark read from the character between the brackets; none for one Kiro does
    /// not write.
    pub fn from_char(c: char) -> Option<Mark> {
        match c {
            ' ' => Some(Mark::Pending),
            '-' => Some(Mark::InProgress),
            'x' | 'X' => Some(Mark::Done),
            _ => None,
        }
    }

    /// The character Kiro writes for the mark.
    pub fn as_char(self) -> char {
        match self {
            Mark::Pending => ' ',
            Mark::InProgress => '-',
            Mark::Done => 'x',
        }
    }

    /// The task status a mark means.
    pub fn status(self) -> TaskStatus {
        match self {
            Mark::Pending => TaskStatus::Pending,
            Mark::InProgress => TaskStatus::InProgress,
            Mark::Done => TaskStatus::Completed,
        }
    }

    /// The mark a task status shows as. Kiro has no "blocked": a blocked task was
    /// started and is not done, so it shows as in progress.
    pub fn of_status(status: TaskStatus) -> Mark {
        match status {
            TaskStatus::Pending => Mark::Pending,
            TaskStatus::InProgress | TaskStatus::Blocked => Mark::InProgress,
            TaskStatus::Completed => Mark::Done,
        }
    }
}

/// The link of a milestone made by `kiro import` to its spec folder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpecLink {
    /// The spec folder, relative to the repository's top (`.kiro/specs/<feature>`).
    pub path: String,
    /// Each numbered task's mark as of the last sync (or the import): the base of the
    /// three-way merge of marks.
    #[serde(default)]
    pub base: BTreeMap<TaskId, Mark>,
    /// Tasks gone from `tasks.md`: closed as removed, kept here with their record.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub removed: Vec<Task>,
}

/// What a numbered task of `tasks.md` carries besides its title and status.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SpecTask {
    /// Marked `*` after the checkbox: Kiro may skip it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub optional: bool,
    /// The requirement numbers of its `_Requirements: …_` line.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requirements: Vec<String>,
}

/// A task `tasks.md` gained since the last sync.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AddedSpecTask {
    /// Its id, its number in the file.
    pub task: TaskId,
    /// Its title.
    pub title: String,
    /// Its status, from its mark.
    pub status: TaskStatus,
    /// Optional, requirements.
    #[serde(default)]
    pub spec: SpecTask,
}

/// A task whose title, optional mark or requirements changed in the file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpdatedSpecTask {
    /// Its id (after this sync's renumbering).
    pub task: TaskId,
    /// Its title now.
    pub title: String,
    /// Optional, requirements now.
    #[serde(default)]
    pub spec: SpecTask,
}

/// A task whose number changed: its id follows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Renumbered {
    /// The id it had.
    pub from: TaskId,
    /// The id it has now.
    pub to: TaskId,
    /// Its title on the milestone when the sync was planned: a replay renumbers only
    /// the task that still has it, never another task that took the id meanwhile.
    pub title: String,
}

/// A task gone from `tasks.md`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemovedSpecTask {
    /// Its id before the sync.
    pub task: TaskId,
    /// Its title then: as for [`Renumbered::title`], a replay removes only that task.
    pub title: String,
}

/// Everything one `kiro sync` changes on the ref, by id, so that a merge can replay it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SpecChanges {
    /// Tasks gone from the file, by their id before this sync.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub removed: Vec<RemovedSpecTask>,
    /// Tasks whose number changed, all applied at once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub renumbered: Vec<Renumbered>,
    /// Tasks whose title, optional mark or requirements changed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub updated: Vec<UpdatedSpecTask>,
    /// New tasks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub added: Vec<AddedSpecTask>,
    /// Status changes that came from the file's marks, by id after renumbering.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub statuses: BTreeMap<TaskId, TaskStatus>,
    /// The numbered tasks in the file's order.
    #[serde(default)]
    pub order: Vec<TaskId>,
    /// The new base of marks.
    #[serde(default)]
    pub base: BTreeMap<TaskId, Mark>,
}
