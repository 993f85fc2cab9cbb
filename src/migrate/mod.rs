//! Migration from the reference's bash scripts: reading a `.milestones/` folder in their
//! layout into operations. This module knows the reference's files, not the layout of
//! `refs/milestones`; the store writes what it plans.

pub mod approvals;
pub mod events;
pub mod folder;
pub mod milestone;
pub mod problem;
pub mod sessions;
pub mod states;

use chrono::{DateTime, NaiveDateTime, Utc};

pub use problem::{Invalid, Problem};

/// Reads a time the reference wrote (`date -u +%Y-%m-%dT%H:%M:%SZ`), or any RFC 3339
/// time; a time without a zone is taken as UTC, as the scripts always wrote UTC.
pub fn reference_time(value: &str) -> Option<DateTime<Utc>> {
    let value = value.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(value) {
        return Some(t.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|t| t.and_utc())
}

/// A JSON scalar as text: the reference's values pass through shell and `yq`, so a role
/// or a comment may come back as a number or a boolean. Null is no value.
fn scalar_text(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_times() {
        let expected = "2026-01-05T09:15:00.000Z";
        for input in [
            "2026-01-05T09:15:00Z",
            "2026-01-05T10:15:00+01:00",
            "2026-01-05T09:15:00",
            " 2026-01-05T09:15:00.000Z ",
        ] {
            let t = reference_time(input).unwrap_or_else(|| panic!("{input}"));
            assert_eq!(crate::clock::format_time(t), expected, "{input}");
        }
        for bad in [
            "",
            "null",
            "2026-01-05",
            "yesterday",
            "2026-13-05T09:15:00Z",
        ] {
            assert!(reference_time(bad).is_none(), "{bad:?}");
        }
    }
}
