//! Saved states of the reference: `state/active/<id>.json` (the current one), and in
//! `state/backups/` the copies `save_milestone_state` makes before each save
//! (`<id>-<YYYYmmdd-HHMMSS>.json`) and the checkpoints (`<id>-checkpoint-<name>.json`).
//! All are the same envelope, `{timestamp, milestone_id, version, state}`.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{reference_time, scalar_text, Invalid};

/// A saved state: the envelope's parts.
#[derive(Debug, Clone, PartialEq)]
pub struct SavedState {
    /// The milestone the envelope names, if it names one.
    pub milestone_id: Option<String>,
    /// When it was saved.
    pub saved_at: DateTime<Utc>,
    /// The envelope's `version` ("1.0").
    pub version: Option<String>,
    /// The state itself: any JSON.
    pub state: Value,
}

/// Reads an envelope.
pub fn parse_envelope(text: &str) -> Result<SavedState, Invalid> {
    let value: Value = serde_json::from_str(text).map_err(|e| Invalid::json(&e))?;
    let Value::Object(mut map) = value else {
        return Err(Invalid::new(
            "not a saved state: expected {\"timestamp\", \"milestone_id\", \"version\", \"state\"}",
        ));
    };
    let Some(state) = map.remove("state") else {
        return Err(Invalid::new(
            "not a saved state: no \"state\" (expected {\"timestamp\", \"milestone_id\", \"version\", \"state\"})",
        ));
    };
    let saved_at = match map.get("timestamp") {
        Some(Value::String(t)) => reference_time(t)
            .ok_or_else(|| Invalid::new(format!("\"timestamp\" {t:?} is not a time")))?,
        Some(other) => {
            return Err(Invalid::new(format!(
                "\"timestamp\" is not a time: {other}"
            )))
        }
        None => return Err(Invalid::new("no \"timestamp\"")),
    };
    let milestone_id = match map.get("milestone_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(id)) => Some(id.clone()),
        Some(other) => {
            return Err(Invalid::new(format!(
                "\"milestone_id\" is not an id: {other}"
            )))
        }
    };
    Ok(SavedState {
        milestone_id,
        saved_at,
        version: map.get("version").and_then(scalar_text),
        state,
    })
}

/// What a file of `state/backups/` is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backup {
    /// `create_state_checkpoint`'s copy, by name.
    Checkpoint(String),
    /// `save_milestone_state`'s copy of the state it replaced.
    Plain,
}

/// What the backup file `stem` (its name without `.json`) is, if it belongs to
/// `milestone`: the scripts name every backup `<id>-…`.
pub fn backup_kind(stem: &str, milestone: &str) -> Option<Backup> {
    let rest = stem.strip_prefix(milestone)?.strip_prefix('-')?;
    match rest.strip_prefix("checkpoint-") {
        Some(name) => Some(Backup::Checkpoint(name.to_string())),
        None => Some(Backup::Plain),
    }
}

/// The milestone a backup file belongs to, from its name alone, for an envelope that
/// does not say: `<id>-checkpoint-<name>` or `<id>-<YYYYmmdd-HHMMSS>`.
pub fn backup_milestone(stem: &str) -> Option<String> {
    if let Some((id, _)) = stem.split_once("-checkpoint-") {
        return Some(id.to_string());
    }
    let cut = stem.len().checked_sub("-YYYYmmdd-HHMMSS".len())?;
    let (id, stamp) = (stem.get(..cut)?, stem.get(cut..)?);
    // Bytes, not characters: a name is not necessarily ASCII.
    let digits = |b: &[u8]| b.iter().all(u8::is_ascii_digit);
    let stamp = stamp.as_bytes();
    let stamped = stamp.len() == 16
        && stamp[0] == b'-'
        && digits(&stamp[1..9])
        && stamp[9] == b'-'
        && digits(&stamp[10..]);
    (stamped && !id.is_empty()).then(|| id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_scripts_envelope_reads() {
        let text = r#"{
  "timestamp": "2026-01-04T10:15:00Z",
  "milestone_id": "launch",
  "version": "1.0",
  "state": {"phase": "design", "notes": ["a \"quoted\" note"]}
}
"#;
        let saved = parse_envelope(text).unwrap();
        assert_eq!(saved.milestone_id.as_deref(), Some("launch"));
        assert_eq!(saved.version.as_deref(), Some("1.0"));
        assert_eq!(saved.saved_at.to_rfc3339(), "2026-01-04T10:15:00+00:00");
        assert_eq!(saved.state["notes"][0], "a \"quoted\" note");
        // The state may be any JSON, even a bare value.
        let bare = parse_envelope(r#"{"timestamp":"2026-01-04T10:15:00Z","state":3}"#).unwrap();
        assert_eq!((bare.state, bare.milestone_id), (json!(3), None));
    }

    #[test]
    fn broken_envelopes_say_why() {
        let cases = [
            ("{\n  \"state\": {,\n}", "not valid JSON"),
            ("[1]", "not a saved state"),
            (r#"{"timestamp":"2026-01-04T10:15:00Z"}"#, "no \"state\""),
            (r#"{"state":{}}"#, "no \"timestamp\""),
            (r#"{"timestamp":"soon","state":{}}"#, "not a time"),
            (
                r#"{"timestamp":"2026-01-04T10:15:00Z","milestone_id":7,"state":{}}"#,
                "not an id",
            ),
        ];
        for (text, expected) in cases {
            let err = parse_envelope(text).unwrap_err();
            assert!(err.message.contains(expected), "{text}: {err}");
        }
        assert_eq!(
            parse_envelope("{\n  \"state\": {,\n}").unwrap_err().line,
            Some(2)
        );
    }

    #[test]
    fn backup_names() {
        assert_eq!(
            backup_kind("launch-checkpoint-before-spec", "launch"),
            Some(Backup::Checkpoint("before-spec".into()))
        );
        assert_eq!(
            backup_kind("launch-20260104-101500", "launch"),
            Some(Backup::Plain)
        );
        assert_eq!(backup_kind("launchpad-20260104-101500", "launch"), None);
        assert_eq!(backup_kind("other-checkpoint-x", "launch"), None);
        assert_eq!(
            backup_milestone("release-1-checkpoint-pre-restore-20260106-080000").as_deref(),
            Some("release-1")
        );
        assert_eq!(
            backup_milestone("release-1-20260104-101500").as_deref(),
            Some("release-1")
        );
        for unknown in [
            "notes",
            "-20260104-101500",
            "x-2026010-1015000",
            "é-20260104-10150é",
            "xx-2026é104-101500",
        ] {
            assert_eq!(backup_milestone(unknown), None, "{unknown}");
        }
    }
}
