//! The commit message of an operation: a one-line summary, a blank line, and one JSON
//! document with the operation and its events. Versioned by `v`.

use serde::{Deserialize, Serialize};

use crate::model::{Event, Op};

/// The version of the JSON document this code writes.
pub const VERSION: u32 = 1;

/// What an operation's commit message carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpRecord {
    /// The document's version.
    pub v: u32,
    /// 1 + the highest lamport of the parents: orders operations across clones.
    pub lamport: u64,
    /// Wall-clock time of the operation, RFC 3339 with milliseconds, UTC.
    pub at: String,
    /// The session current when the operation was made.
    pub session: Option<String>,
    /// The operation with all its arguments.
    pub op: Op,
    /// What it caused.
    pub events: Vec<Event>,
}

/// The parts of a record that reading history needs; skips decoding the operation,
/// which may be large (a whole milestone) or from a newer version.
#[derive(Debug, Clone, Deserialize)]
pub struct RecordHeader {
    /// See [`OpRecord::v`].
    #[serde(default = "first_version")]
    pub v: u32,
    /// See [`OpRecord::lamport`].
    pub lamport: u64,
    /// See [`OpRecord::at`].
    pub at: String,
    /// See [`OpRecord::session`].
    #[serde(default)]
    pub session: Option<String>,
    /// See [`OpRecord::events`].
    #[serde(default)]
    pub events: Vec<Event>,
    /// The part of the operation that readers of events need.
    #[serde(default)]
    pub op: OpHeader,
}

/// What readers of events take from an operation without decoding all of it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OpHeader {
    /// A merge's commits whose recorded events are not to be shown (see
    /// [`Op::Merge`]).
    #[serde(default)]
    pub ignored: Vec<String>,
}

fn first_version() -> u32 {
    1
}

/// The document version a message claims, read before anything else so that an
/// operation of a newer version is recognized as such rather than as garbage.
pub fn version(message: &str) -> Option<u32> {
    #[derive(Deserialize)]
    struct Probe {
        v: u32,
    }
    serde_json::from_str::<Probe>(body(message)?)
        .ok()
        .map(|p| p.v)
}

/// The lamport clock of an operation whose parents have the clocks `parents`: one
/// more than the highest. A clock is read from a commit message, which anyone with
/// push access can write, so it saturates at `u64::MAX` rather than overflow (ties
/// there are still ordered by time and commit id).
pub fn next_lamport(parents: impl IntoIterator<Item = u64>) -> u64 {
    parents.into_iter().max().unwrap_or(0).saturating_add(1)
}

/// Writes the commit message for `record`, with `summary` as its subject.
pub fn encode(summary: &str, record: &OpRecord) -> String {
    // A summary is one line whatever its inputs hold.
    let subject: String = summary
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let json = serde_json::to_string(record).expect("an operation record always serializes");
    format!("{subject}\n\n{json}\n")
}

/// The JSON part of a message, if it has one.
fn body(message: &str) -> Option<&str> {
    message.split_once("\n\n").map(|(_, body)| body.trim())
}

/// Reads the header of an operation's commit message; `None` for a commit that was not
/// made by this tool (plain git, or an unknown version).
pub fn decode_header(message: &str) -> Option<RecordHeader> {
    serde_json::from_str(body(message)?).ok()
}

/// Reads a whole operation record.
pub fn decode(message: &str) -> Option<OpRecord> {
    serde_json::from_str(body(message)?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::MilestoneId;

    #[test]
    fn round_trip() {
        let record = OpRecord {
            v: VERSION,
            lamport: 7,
            at: "2026-01-01T00:00:00.000Z".into(),
            session: Some("s".into()),
            op: Op::AddEvent {
                milestone: MilestoneId::new("m").unwrap(),
                event_type: "note".into(),
                data: serde_json::json!({"text": "a \"quote\"\n\nand blank lines"}),
            },
            events: vec![Event::new("note", "m", serde_json::json!({}))],
        };
        let message = encode("m: event\nnote", &record);
        assert!(message.starts_with("m: event note\n\n"));
        assert_eq!(decode(&message), Some(record.clone()));
        let header = decode_header(&message).unwrap();
        assert_eq!(header.lamport, 7);
        assert_eq!(header.events, record.events);
    }

    #[test]
    fn floats_read_back_exactly() {
        // Found by the `apply` fuzz target: without serde_json's `float_roundtrip`, this
        // number came back as ...744e199 from a commit message (and from state.json).
        let data = serde_json::json!({"x": 9.770816440088745e199, "y": 0.1, "z": 5e-324});
        let record = OpRecord {
            v: VERSION,
            lamport: 1,
            at: "2026-01-01T00:00:00.000Z".into(),
            session: None,
            op: Op::SaveState {
                milestone: MilestoneId::new("m").unwrap(),
                state: data.clone(),
            },
            events: vec![Event::new("note", "m", data)],
        };
        assert_eq!(decode(&encode("m: state", &record)), Some(record));
    }

    #[test]
    fn lamport_clocks_saturate() {
        assert_eq!(next_lamport([]), 1);
        assert_eq!(next_lamport([3, 7, 5]), 8);
        assert_eq!(next_lamport([u64::MAX - 1]), u64::MAX);
        assert_eq!(next_lamport([u64::MAX, 2]), u64::MAX);
    }

    #[test]
    fn foreign_messages_decode_to_none() {
        for message in ["", "fix typo", "subject\n\nnot json", "s\n\n{\"v\":1}"] {
            assert!(decode(message).is_none(), "{message:?}");
        }
    }
}
