//! Identifiers of milestones and tasks, validated once at the edge.
//!
//! An id becomes a tree entry name on `refs/milestones` and part of a tag name, so it
//! must be safe in both: 1–64 characters of `A-Z a-z 0-9 . _ -`, not starting with
//! `.` or `-`, and without `..`.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The error returned when a string is not a valid id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind} id {value:?}: {reason}")]
pub struct InvalidId {
    /// What the id names ("milestone", "task").
    pub kind: &'static str,
    /// The refused input, as given.
    pub value: String,
    /// Why it was refused.
    pub reason: &'static str,
}

/// Checks `value` against the id rules of CLI.md.
pub fn check_id(kind: &'static str, value: &str) -> Result<(), InvalidId> {
    let refuse = |reason| {
        Err(InvalidId {
            kind,
            value: value.to_string(),
            reason,
        })
    };
    if value.is_empty() {
        return refuse("it is empty");
    }
    if value.len() > 64 {
        return refuse("it is longer than 64 characters");
    }
    if !value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    {
        return refuse("only letters, digits, '.', '_' and '-' are allowed");
    }
    if value.starts_with('.') || value.starts_with('-') {
        return refuse("it must not start with '.' or '-'");
    }
    if value.contains("..") {
        return refuse("it must not contain '..'");
    }
    if value.ends_with(".lock") {
        // git refuses ref components ending in .lock, and checkpoint tags carry the id.
        return refuse("it must not end with '.lock'");
    }
    Ok(())
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Validates and wraps `value`.
            pub fn new(value: impl Into<String>) -> Result<Self, InvalidId> {
                let value = value.into();
                check_id($kind, &value)?;
                Ok(Self(value))
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidId;
            fn try_from(value: String) -> Result<Self, InvalidId> {
                Self::new(value)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = InvalidId;
            fn from_str(value: &str) -> Result<Self, InvalidId> {
                Self::new(value)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id_type!(
    /// The id of a milestone: a folder name under `milestones/` on the ref.
    MilestoneId,
    "milestone"
);
id_type!(
    /// The id of a task, unique within its milestone.
    TaskId,
    "task"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_ids() {
        for ok in ["m1", "v1.2", "release_2026-Q1", "a", &"x".repeat(64)] {
            assert!(check_id("milestone", ok).is_ok(), "{ok} should be valid");
        }
    }

    #[test]
    fn refuses_unsafe_ids() {
        let long = "x".repeat(65);
        let cases = [
            ("", "empty"),
            (long.as_str(), "longer"),
            ("a/b", "only"),
            ("a b", "only"),
            ("é", "only"),
            ("a\nb", "only"),
            (".hidden", "start"),
            ("-flag", "start"),
            ("a..b", "'..'"),
            ("x.lock", ".lock"),
        ];
        for (input, reason) in cases {
            let err = check_id("task", input).unwrap_err();
            assert!(err.reason.contains(reason), "{input:?}: {}", err.reason);
        }
    }

    #[test]
    fn deserializing_validates() {
        let ok: Result<TaskId, _> = serde_json::from_str("\"t1\"");
        assert!(ok.is_ok());
        let bad: Result<TaskId, _> = serde_json::from_str("\"../x\"");
        assert!(bad.is_err());
    }
}
