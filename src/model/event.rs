//! Events: what an operation caused, in the reference's vocabulary.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// An event as an operation records it in its commit message.
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
}

impl Event {
    /// An event about `milestone`.
    pub fn new(event_type: &str, milestone: &str, data: Value) -> Self {
        Event {
            event_type: event_type.to_string(),
            milestone_id: Some(milestone.to_string()),
            data,
        }
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
