//! Milestone files for the operations' unit tests.

use chrono::{DateTime, Utc};

use crate::model::{Milestone, MilestoneFiles, MilestoneId, Session, SessionStatus, Task, TaskId};

use super::Applied;

pub(super) fn at() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

pub(super) fn mid() -> MilestoneId {
    MilestoneId::new("m1").unwrap()
}

pub(super) fn tid(id: &str) -> TaskId {
    TaskId::new(id).unwrap()
}

/// Milestone m1 with plain pending tasks `ids`.
pub(super) fn with_tasks(ids: &[&str]) -> MilestoneFiles {
    let mut definition = Milestone::new(mid());
    for id in ids {
        definition
            .tasks
            .push(Task::new(tid(id), String::new(), false));
    }
    MilestoneFiles {
        definition,
        state: None,
        sessions: None,
        approvals: None,
    }
}

/// A session of m1 on branch main.
pub(super) fn session(id: &str, status: SessionStatus) -> Session {
    Session {
        status,
        ..Session::sample(id, "m1")
    }
}

/// Milestone m1 with tasks a and b and session s1.
pub(super) fn with_session(status: SessionStatus) -> MilestoneFiles {
    let mut files = with_tasks(&["a", "b"]);
    let s = session("s1", status);
    files.sessions = Some([(s.session_id.clone(), s)].into());
    files
}

/// The types of the events applied, in order.
pub(super) fn types(applied: &Applied) -> Vec<&str> {
    applied
        .events
        .iter()
        .map(|e| e.event_type.as_str())
        .collect()
}
