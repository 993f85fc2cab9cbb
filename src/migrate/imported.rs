//! What earlier imports brought, as fingerprints of the items their operations carry:
//! importing the same folder again then adds nothing, and a log that has grown since
//! adds only its new lines. The fingerprints are computed from the operations
//! themselves, so nothing extra is stored on the ref.

use std::collections::{HashMap, HashSet};

use git2::Oid;
use serde::Serialize;
use serde_json::Value;

use crate::model::{Event, MilestoneId, Op};
use crate::store::{Store, StoreError};

/// The SHA-1 of an item's JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint([u8; 20]);

impl Fingerprint {
    /// The fingerprint of `value`'s JSON.
    pub fn of<T: Serialize + ?Sized>(value: &T) -> Self {
        Self::of_json(&to_json(value))
    }

    /// The fingerprint of JSON text already written.
    pub fn of_json(json: &[u8]) -> Self {
        Fingerprint(sha1_smol::Sha1::from(json).digest().bytes())
    }
}

/// The JSON of a value; the model's types always serialize.
pub fn to_json<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_default()
}

/// The fingerprint of one saved version of a milestone's state.
pub fn state_key(
    milestone: &MilestoneId,
    state: Option<&Value>,
    saved_at: Option<&str>,
    version: Option<&str>,
) -> Fingerprint {
    Fingerprint::of(&(milestone, state, saved_at, version))
}

/// The items earlier imports brought.
#[derive(Debug, Default)]
pub struct Imported {
    definitions: HashSet<Fingerprint>,
    states: HashMap<Fingerprint, Oid>,
    sessions: HashSet<Fingerprint>,
    approvals: HashSet<Fingerprint>,
    /// Counted: the same line may be in a log twice, and each is an event.
    events: HashMap<Fingerprint, usize>,
}

impl Imported {
    /// Reads every import operation reachable from `tip`.
    pub fn read(store: &Store, tip: Oid) -> Result<Self, StoreError> {
        let mut imported = Imported::default();
        store.walk_operations(tip, |commit, record| imported.record(commit, &record.op))?;
        Ok(imported)
    }

    /// Notes what `op`, the operation of `commit`, brought.
    pub fn record(&mut self, commit: Oid, op: &Op) {
        match op {
            Op::ImportMilestone { definition, .. } => {
                self.definitions.insert(Fingerprint::of(definition));
            }
            Op::ImportState {
                milestone,
                state,
                saved_at,
                version,
                ..
            } => {
                let key = state_key(
                    milestone,
                    state.as_ref(),
                    saved_at.as_deref(),
                    version.as_deref(),
                );
                self.states.entry(key).or_insert(commit);
            }
            Op::ImportSessions { sessions, .. } => {
                self.sessions.extend(sessions.iter().map(Fingerprint::of));
            }
            Op::ImportApprovals { approvals, .. } => {
                self.approvals.extend(approvals.iter().map(Fingerprint::of));
            }
            Op::ImportEvents { events } => {
                for event in events {
                    *self.events.entry(Fingerprint::of(event)).or_default() += 1;
                }
            }
            _ => {}
        }
    }

    /// Whether this definition was imported.
    pub fn has_definition(&self, key: &Fingerprint) -> bool {
        self.definitions.contains(key)
    }

    /// The commit that imported this state version, if one did.
    pub fn state_commit(&self, key: &Fingerprint) -> Option<Oid> {
        self.states.get(key).copied()
    }

    /// Whether this session record was imported.
    pub fn has_session(&self, key: &Fingerprint) -> bool {
        self.sessions.contains(key)
    }

    /// Whether this approval request was imported.
    pub fn has_approval(&self, key: &Fingerprint) -> bool {
        self.approvals.contains(key)
    }

    /// Whether an event like this one was imported and not yet matched: each imported
    /// event matches one event of the folder.
    pub fn take_event(&mut self, key: &Fingerprint) -> bool {
        match self.events.get_mut(key) {
            Some(count) if *count > 0 => {
                *count -= 1;
                true
            }
            _ => false,
        }
    }
}

/// An event's fingerprint and the size of its JSON (for batching).
pub fn event_key(event: &Event) -> (Fingerprint, usize) {
    let json = to_json(event);
    (Fingerprint::of_json(&json), json.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn events_are_matched_as_many_times_as_they_were_imported() {
        let mut event = Event::new("note", "m", json!({"a": 1}));
        event.timestamp = Some("2026-01-01T00:00:00.000Z".into());
        let mut imported = Imported::default();
        imported.record(
            Oid::zero(),
            &Op::ImportEvents {
                events: vec![event.clone(), event.clone()],
            },
        );
        let (key, _) = event_key(&event);
        assert!(imported.take_event(&key));
        assert!(imported.take_event(&key));
        assert!(!imported.take_event(&key), "a third copy is new");
        let mut other = event;
        other.user = Some("bob".into());
        assert!(!imported.take_event(&event_key(&other).0));
    }

    #[test]
    fn states_remember_their_commit() {
        let m = MilestoneId::new("m").unwrap();
        let commit = Oid::from_str("1234567890123456789012345678901234567890").unwrap();
        let mut imported = Imported::default();
        imported.record(
            commit,
            &Op::ImportState {
                milestone: m.clone(),
                state: Some(json!({"s": 1})),
                saved_at: Some("t".into()),
                version: Some("1.0".into()),
                sources: vec!["ignored for the key".into()],
            },
        );
        let key = state_key(&m, Some(&json!({"s": 1})), Some("t"), Some("1.0"));
        assert_eq!(imported.state_commit(&key), Some(commit));
        let other = state_key(&m, Some(&json!({"s": 2})), Some("t"), Some("1.0"));
        assert_eq!(imported.state_commit(&other), None);
    }
}
