//! Events: what an operation caused, in the reference's vocabulary.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// An event as an operation records it in its commit message.
///
/// An event normally happens when its operation does, and by its operation's author
/// and session. An event brought in from elsewhere (the reference's event log) happened
/// long before, by someone else: it carries its own `timestamp`, and then its own
/// `user` and `session_id` too (absent meaning unknown or none, never the importer's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// `task_status_changed`, `status_updated`, a custom type, …
    pub event_type: String,
    /// The milestone it concerns, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub milestone_id: Option<String>,
    /// Details, by event type.
    #[serde(default)]
    pub data: Value,
    /// When it happened, for an event recorded after the fact (RFC 3339, milliseconds,
    /// UTC); absent: when its operation was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    /// Who made it, for an event with its own `timestamp`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// The session it was made in, for an event with its own `timestamp`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
}

impl Event {
    /// An event about `milestone`, happening with its operation.
    pub fn new(event_type: &str, milestone: &str, data: Value) -> Self {
        Event {
            event_type: event_type.to_string(),
            milestone_id: Some(milestone.to_string()),
            data,
            timestamp: None,
            user: None,
            session_id: None,
        }
    }

    /// Whether it carries its own time, user and session (an imported record).
    pub fn is_recorded_elsewhere(&self) -> bool {
        self.timestamp.is_some()
    }
}

/// An event as users see it: the reference's fields plus the operation's commit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRecord {
    /// When the operation happened (RFC 3339, milliseconds, UTC).
    pub timestamp: String,
    /// The milestone it concerns.
    pub milestone_id: Option<String>,
    /// The session current when it happened.
    pub session_id: Option<String>,
    /// The event's type.
    pub event_type: String,
    /// Details, by event type.
    pub data: Value,
    /// Who made the operation (the commit's author name).
    pub user: String,
    /// The operation's commit id.
    pub commit: String,
}

/// Checks a custom event type: it is matched by `--type` and shown in one line, so it
/// is kept to a plain word.
pub fn check_event_type(value: &str) -> Result<(), String> {
    let valid = !value.is_empty()
        && value.len() <= 64
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':'));
    if valid {
        Ok(())
    } else {
        Err(format!(
            "invalid event type {value:?}: use 1-64 letters, digits, '_', '-', '.' or ':'"
        ))
    }
}
