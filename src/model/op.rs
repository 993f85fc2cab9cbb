//! Operations: what one command asks the store to do, stored in the commit message
//! with every argument, so that it can be re-applied elsewhere (merges).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::id::{MilestoneId, TaskId};
use super::milestone::{Milestone, TaskStatus};

/// One operation; one commit on `refs/milestones`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Op {
    /// Creates the ref.
    Init,
    /// Creates a milestone.
    NewMilestone {
        /// The new milestone.
        milestone: MilestoneId,
        /// Its title.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        title: Option<String>,
        /// Its description.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        description: Option<String>,
        /// Its due date.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        due: Option<String>,
    },
    /// Replaces a milestone's definition (import, edit).
    PutMilestone {
        /// The whole new definition.
        definition: Box<Milestone>,
        /// Why: `import` or `edit`.
        reason: PutReason,
    },
    /// Adds a task.
    AddTask {
        /// The milestone.
        milestone: MilestoneId,
        /// The new task.
        task: TaskId,
        /// Its title.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        title: String,
        /// Whether it follows design → spec → task → execute.
        #[serde(default)]
        kiro: bool,
    },
    /// Sets a task's status.
    SetTaskStatus {
        /// The milestone.
        milestone: MilestoneId,
        /// The task.
        task: TaskId,
        /// The new status.
        status: TaskStatus,
    },
    /// Saves a milestone's state document.
    SaveState {
        /// The milestone.
        milestone: MilestoneId,
        /// Any JSON value.
        state: Value,
    },
    /// Records a custom event.
    AddEvent {
        /// The milestone.
        milestone: MilestoneId,
        /// The event's type.
        event_type: String,
        /// The event's data.
        #[serde(default)]
        data: Value,
    },
}

/// Why a milestone's definition was replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PutReason {
    /// `git milestone import`: refused if a different milestone of that id exists.
    Import,
    /// `git milestone import --replace`: creates or replaces.
    Replace,
    /// `git milestone edit`.
    Edit,
}

impl Op {
    /// The milestone the operation touches, if any.
    pub fn milestone(&self) -> Option<&MilestoneId> {
        match self {
            Op::Init => None,
            Op::PutMilestone { definition, .. } => Some(&definition.id),
            Op::NewMilestone { milestone, .. }
            | Op::AddTask { milestone, .. }
            | Op::SetTaskStatus { milestone, .. }
            | Op::SaveState { milestone, .. }
            | Op::AddEvent { milestone, .. } => Some(milestone),
        }
    }
}
