//! The events git-milestone records itself, typed: one definition shared by the rules
//! that write them and the commands that read them back.
//!
//! On the wire an event is still `event_type` + `data` (serde's adjacent tagging), with
//! the field names and order the reference used, so every event written before keeps
//! its meaning (`tests/fixtures/events/events.json` pins that). Custom events
//! (`event add`) and events imported from the reference stay free-form [`Event`]s:
//! [`Event::kind`] gives `None` for them.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::approval::Decision;
use super::event::{Event, EventRecord};
use super::id::TaskId;
use super::milestone::{MilestoneStatus, Phase, PhaseStatus, TaskStatus};
use super::session::{RewriteKind, RewrittenCommit, SessionId};
use super::trust::Verification;

/// Event types the tool itself records; `event add` may not forge them.
pub const BUILT_IN_EVENT_TYPES: &[&str] = &[
    "milestone_created",
    "milestone_imported",
    "milestone_modified",
    "task_added",
    "task_status_changed",
    "status_updated",
    "milestone_completed",
    "state_saved",
    "state_restored",
    "state_recovered",
    "state_cleaned",
    "checkpoint_created",
    "session_created",
    "session_ended",
    "kiro_phase_updated",
    "kiro_phase_transition",
    "kiro_approval_requested",
    "kiro_approval_granted",
    "kiro_approval_rejected",
    "kiro_approval_decided",
    "kiro_approval_superseded",
    "kiro_workflow_overridden",
    "commit",
    "merge",
    "checkout",
    "rewrite",
    "trust_changed",
    "kiro_approval_ignored",
    "milestone_removed",
    "task_removed",
    "task_renamed",
    "task_points_set",
];

/// An event git-milestone records, with its data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event_type", content = "data", rename_all = "snake_case")]
#[allow(missing_docs)] // the fields are the reference's names, documented by their types
pub enum EventKind {
    /// `new`.
    MilestoneCreated { title: String, due: Option<String> },
    /// `import` of a milestone that was not there.
    MilestoneImported { tasks: usize },
    /// `edit`, or an import replacing a milestone.
    MilestoneModified { tasks: usize },
    /// `task add`.
    TaskAdded {
        task_id: TaskId,
        title: String,
        kiro_workflow: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        points: Option<f64>,
    },
    /// A task's status moved; `trailer` and `commit` when a commit's trailer moved it.
    /// `target` is the trailer's task in full (`<m>/<t>`), `override` the reason a
    /// workflow task's status was forced past its gates.
    TaskStatusChanged {
        task_id: TaskId,
        previous_status: TaskStatus,
        new_status: TaskStatus,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        trailer: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        target: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        commit: Option<String>,
        #[serde(default, rename = "override", skip_serializing_if = "Option::is_none")]
        forced: Option<Forced>,
    },
    /// The milestone's derived status or progress moved; `trigger_event` caused it.
    StatusUpdated {
        old_status: MilestoneStatus,
        new_status: MilestoneStatus,
        progress_percentage: u32,
        trigger_event: String,
    },
    /// Every task is completed.
    MilestoneCompleted { total_tasks: usize },
    /// `state save`.
    StateSaved { state_file: String },
    /// `checkpoint restore`.
    StateRestored {
        checkpoint_name: String,
        commit: String,
    },
    /// `recover`.
    StateRecovered { commit: String },
    /// `cleanup`.
    StateCleaned {
        retention_days: u32,
        removed_sessions: Vec<String>,
        removed_checkpoints: Vec<String>,
    },
    /// `checkpoint create` (and the automatic one before a restore).
    CheckpointCreated {
        checkpoint_name: String,
        commit: String,
        tag: String,
    },
    /// `session start`.
    SessionCreated {
        session_id: SessionId,
        git_branch: String,
        head: Option<String>,
    },
    /// `session end`; `commits` is how many were made in it.
    SessionEnded {
        session_id: SessionId,
        commits: usize,
    },
    /// One phase's status moved.
    KiroPhaseUpdated {
        task_id: TaskId,
        phase: Phase,
        status: PhaseStatus,
        previous_status: PhaseStatus,
    },
    /// A task moved to its next phase; `transition_type` says who moved it.
    KiroPhaseTransition {
        task_id: TaskId,
        from_phase: Phase,
        to_phase: Phase,
        transition_type: String,
    },
    /// A gated move asks for approval.
    KiroApprovalRequested {
        task_id: TaskId,
        approval_id: String,
        transition: String,
        from_phase: Phase,
        to_phase: Phase,
        approvers: Vec<String>,
    },
    /// Every role approved.
    KiroApprovalGranted {
        task_id: TaskId,
        approval_id: String,
        transition: String,
    },
    /// A role rejected; the phase is blocked.
    KiroApprovalRejected {
        task_id: TaskId,
        approval_id: String,
        transition: String,
        rejected_by: Vec<String>,
    },
    /// One role decided; `pending` still have to.
    KiroApprovalDecided {
        approval_id: String,
        task_id: TaskId,
        role: String,
        decision: Decision,
        comments: Option<String>,
        pending: Vec<String>,
    },
    /// A request whose phase was set again before it was decided: it can no longer be.
    KiroApprovalSuperseded {
        task_id: TaskId,
        approval_id: String,
        transition: String,
    },
    /// A workflow task's status forced past its gates (`--force --reason`).
    KiroWorkflowOverridden {
        task_id: TaskId,
        previous_status: TaskStatus,
        new_status: TaskStatus,
        reason: String,
    },
    /// A commit made in a session.
    Commit {
        commit: String,
        branch: String,
        subject: String,
    },
    /// A merge or pull made in a session.
    Merge {
        head: String,
        branch: String,
        squash: bool,
        commits: Vec<String>,
        total: usize,
    },
    /// A session's worktree switched branch.
    Checkout {
        session_id: SessionId,
        previous_branch: String,
        branch: String,
        head: Option<String>,
    },
    /// A decision kept in history that does not count under the trust list.
    KiroApprovalIgnored {
        approval_id: String,
        task_id: TaskId,
        role: String,
        decision: Decision,
        decided_by: String,
        verification: Verification,
        key: Option<String>,
        reason: String,
    },
    /// `trust add|rm`, `roles add|rm`: `change` is add_key, remove_key, add_member or
    /// remove_member.
    TrustChanged {
        change: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        role: Option<String>,
        email: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fingerprint: Option<String>,
    },
    /// An amend or rebase in a session (at most a bounded number of `commits`).
    Rewrite {
        kind: RewriteKind,
        commits: Vec<RewrittenCommit>,
        total: usize,
    },
    /// `rm`: the milestone left the current state (history keeps it).
    MilestoneRemoved { title: String, tasks: usize },
    /// `task rm`.
    TaskRemoved {
        task_id: TaskId,
        title: String,
        status: TaskStatus,
    },
    /// `task set-points`: a task's size set, or cleared (`null`).
    TaskPointsSet {
        task_id: TaskId,
        previous_points: Option<f64>,
        points: Option<f64>,
    },
    /// `task mv`: `task_id` is the old id, kept as an alias.
    TaskRenamed {
        task_id: TaskId,
        new_task_id: TaskId,
    },
}

/// Why a workflow task's status was forced past its gates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Forced {
    /// What the user said (`--reason`).
    pub reason: String,
}

impl EventKind {
    /// Reads `event_type` + `data` as a built-in event; `None` for a custom type, or for
    /// data of another shape (an event imported from the reference).
    pub fn parse(event_type: &str, data: &Value) -> Option<EventKind> {
        let tagged = serde_json::json!({ "event_type": event_type, "data": data });
        serde_json::from_value(tagged).ok()
    }

    /// The wire form: `event_type` and `data`.
    pub fn into_parts(self) -> (String, Value) {
        // Serializing plain data types to a `Value` cannot fail: no maps with non-string
        // keys, no serializer of our own.
        let tagged = serde_json::to_value(self).expect("an event kind serializes to JSON");
        let Value::Object(mut tagged) = tagged else {
            unreachable!("an adjacently tagged enum serializes to an object")
        };
        let event_type = match tagged.remove("event_type") {
            Some(Value::String(event_type)) => event_type,
            _ => unreachable!("the tag is the variant's name"),
        };
        (event_type, tagged.remove("data").unwrap_or(Value::Null))
    }
}

impl Event {
    /// A built-in event about `milestone`, happening with its operation.
    pub fn of(milestone: &str, kind: EventKind) -> Event {
        let (event_type, data) = kind.into_parts();
        Event {
            event_type,
            milestone_id: Some(milestone.to_string()),
            data,
            timestamp: None,
            user: None,
            session_id: None,
        }
    }

    /// What it is, when it is one of the built-in events.
    pub fn kind(&self) -> Option<EventKind> {
        EventKind::parse(&self.event_type, &self.data)
    }

    /// The task it moved and where to, for a `task_status_changed`.
    pub fn task_moved(&self) -> Option<(TaskId, TaskStatus)> {
        match self.kind()? {
            EventKind::TaskStatusChanged {
                task_id,
                new_status,
                ..
            } => Some((task_id, new_status)),
            _ => None,
        }
    }
}

impl EventRecord {
    /// What it is, when it is one of the built-in events.
    pub fn kind(&self) -> Option<EventKind> {
        EventKind::parse(&self.event_type, &self.data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Events as `events --json` showed them before they were typed (made by
    /// `tests/fixtures/events/make.sh`): every built-in type, and one custom.
    const FIXTURE: &str = include_str!("../../tests/fixtures/events/events.json");

    fn fixture() -> Vec<EventRecord> {
        serde_json::from_str(FIXTURE).expect("the fixture is an events --json array")
    }

    #[test]
    fn every_event_written_before_reads_as_its_kind_and_writes_back_the_same() {
        let mut seen = std::collections::BTreeSet::new();
        for record in fixture() {
            let Some(kind) = record.kind() else {
                assert!(
                    !BUILT_IN_EVENT_TYPES.contains(&record.event_type.as_str()),
                    "a built-in event no longer reads: {record:?}"
                );
                continue;
            };
            let (event_type, data) = kind.into_parts();
            assert_eq!(event_type, record.event_type);
            // Byte for byte: field names, order, nulls and absent fields.
            assert_eq!(
                serde_json::to_string(&data).unwrap(),
                serde_json::to_string(&record.data).unwrap(),
                "{event_type}"
            );
            seen.insert(event_type);
        }
        let built_in: std::collections::BTreeSet<_> =
            BUILT_IN_EVENT_TYPES.iter().map(|t| t.to_string()).collect();
        assert_eq!(seen, built_in, "the fixture holds every built-in type");
    }

    #[test]
    fn custom_and_foreign_shaped_events_stay_free_form() {
        let custom = Event::new("review_held", "m1", serde_json::json!({"attendees": 4}));
        assert_eq!(custom.kind(), None);
        // A reference log's status change without the fields we write.
        let foreign = Event::new(
            "task_status_changed",
            "m1",
            serde_json::json!({"task": "a", "status": "done"}),
        );
        assert_eq!(foreign.kind(), None);
        assert_eq!(foreign.task_moved(), None);
    }

    #[test]
    fn a_trailer_move_keeps_its_trailer_and_commit() {
        let event = Event::of(
            "m1",
            EventKind::TaskStatusChanged {
                task_id: TaskId::new("a").unwrap(),
                previous_status: TaskStatus::Pending,
                new_status: TaskStatus::InProgress,
                trailer: Some("Task".into()),
                target: Some("m1/a".into()),
                commit: Some("c1".into()),
                forced: None,
            },
        );
        assert_eq!(event.event_type, "task_status_changed");
        assert_eq!(event.data["trailer"], "Task");
        assert_eq!(
            event.task_moved(),
            Some((TaskId::new("a").unwrap(), TaskStatus::InProgress))
        );
    }
}
