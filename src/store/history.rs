//! The event log: the history of the ref, read back from the operations' messages.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use git2::{Oid, Sort};

use super::message;
use super::{Store, StoreError};
use crate::model::{Event, EventRecord};
use crate::workflow::trailers::MovesSeen;

/// Which events to return.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// Only this milestone's.
    pub milestone: Option<String>,
    /// Only this type.
    pub event_type: Option<String>,
    /// Only those at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Only those at or before this time.
    pub until: Option<DateTime<Utc>>,
    /// Only those whose user contains this text, ignoring case (`git log --author`).
    pub author: Option<String>,
}

impl EventFilter {
    /// Whether `record` passes the filter.
    pub fn accepts(&self, record: &EventRecord) -> bool {
        let at = DateTime::parse_from_rfc3339(&record.timestamp)
            .ok()
            .map(|t| t.with_timezone(&Utc));
        self.matches(record, at)
    }

    fn matches(&self, record: &EventRecord, at: Option<DateTime<Utc>>) -> bool {
        self.milestone
            .as_ref()
            .is_none_or(|m| record.milestone_id.as_deref() == Some(m.as_str()))
            && self
                .event_type
                .as_ref()
                .is_none_or(|t| &record.event_type == t)
            && self
                .since
                .is_none_or(|since| at.is_some_and(|at| at >= since))
            && self
                .until
                .is_none_or(|until| at.is_some_and(|at| at <= until))
            && self
                .author
                .as_ref()
                .is_none_or(|pattern| record.user.to_lowercase().contains(&pattern.to_lowercase()))
    }

    /// Whether the filter looks into the event itself (its time, its user), beyond
    /// what the index key says.
    fn reads_record(&self) -> bool {
        self.since.is_some() || self.until.is_some() || self.author.is_some()
    }
}

/// Whether `record` is shown, in timeline order: a commit's trailer moves a task once
/// (see [`MovesSeen`]).
fn once(seen: &mut MovesSeen, record: &EventRecord) -> bool {
    seen.first(
        &record.commit,
        &record.event_type,
        record.milestone_id.as_deref(),
        &record.data,
    )
}

/// The event as users see it: an event with its own timestamp (an imported record)
/// keeps its own user and session; any other takes its operation's.
pub(super) fn record_of(
    event: Event,
    header: &message::RecordHeader,
    author: &str,
    commit: Oid,
) -> EventRecord {
    let (timestamp, user, session_id) = match event.timestamp {
        Some(timestamp) => (timestamp, event.user.unwrap_or_default(), event.session_id),
        None => (
            header.at.clone(),
            author.to_string(),
            header.session.clone(),
        ),
    };
    EventRecord {
        timestamp,
        milestone_id: event.milestone_id,
        session_id,
        event_type: event.event_type,
        data: event.data,
        user,
        commit: commit.to_string(),
    }
}

/// The commits whose recorded events are not shown: those a merge lists as ignored
/// (fetched, and not what their operation gives), unless that merge is itself listed.
pub(super) fn ignored_commits<'h>(
    headers: impl Iterator<Item = (Oid, &'h message::RecordHeader)> + Clone,
) -> HashSet<Oid> {
    let listed = |skip: &HashSet<Oid>| -> HashSet<Oid> {
        headers
            .clone()
            .filter(|(oid, _)| !skip.contains(oid))
            .flat_map(|(_, h)| h.op.ignored.iter())
            .filter_map(|c| Oid::from_str(c).ok())
            .collect()
    };
    let all = listed(&HashSet::new());
    if all.is_empty() {
        return all;
    }
    listed(&all)
}

impl Store {
    /// Calls `visit` with each event reachable from `from`, newest first (within one
    /// operation, the last event first), until it returns false. The order is that of
    /// the operations, so imported events keep the order they were imported in.
    pub fn walk_events(
        &self,
        from: Oid,
        filter: &EventFilter,
        visit: impl FnMut(EventRecord) -> bool,
    ) -> Result<(), StoreError> {
        self.walk_events_since(from, None, filter, visit)
    }

    /// Like [`Store::walk_events`], leaving out the events reachable from `seen` (an
    /// earlier tip): what landed since.
    pub fn walk_events_since(
        &self,
        from: Oid,
        seen: Option<Oid>,
        filter: &EventFilter,
        mut visit: impl FnMut(EventRecord) -> bool,
    ) -> Result<(), StoreError> {
        let mut walk = self.repo.revwalk()?;
        walk.set_sorting(Sort::TOPOLOGICAL | Sort::TIME)?;
        walk.push(from)?;
        if let Some(seen) = seen {
            // An earlier tip that is gone (history replaced, then gc) hides nothing.
            let _ = walk.hide(seen);
        }
        // Newest first: a merge is seen before the commits it lists.
        let mut ignored = HashSet::new();
        for oid in walk {
            let oid = oid?;
            let commit = self.repo.find_commit(oid)?;
            let Some(mut header) = message::decode_header(commit.message().unwrap_or("")) else {
                continue;
            };
            if ignored.contains(&oid) {
                continue;
            }
            ignored.extend(
                header
                    .op
                    .ignored
                    .iter()
                    .filter_map(|c| Oid::from_str(c).ok()),
            );
            let user = commit.author().name().unwrap_or("").to_string();
            for event in std::mem::take(&mut header.events).into_iter().rev() {
                let record = record_of(event, &header, &user, oid);
                let at = DateTime::parse_from_rfc3339(&record.timestamp)
                    .ok()
                    .map(|t| t.with_timezone(&Utc));
                if filter.matches(&record, at) && !visit(record) {
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    /// Calls `visit` with every operation this tool wrote that is reachable from `from`,
    /// with its commit, newest first. Commits of other tools or of a newer version of
    /// this one are skipped.
    pub fn walk_operations(
        &self,
        from: Oid,
        mut visit: impl FnMut(Oid, message::OpRecord),
    ) -> Result<(), StoreError> {
        let mut walk = self.repo.revwalk()?;
        walk.set_sorting(Sort::TOPOLOGICAL | Sort::TIME)?;
        walk.push(from)?;
        for oid in walk {
            let oid = oid?;
            let commit = self.repo.find_commit(oid)?;
            if let Some(record) = message::decode(commit.message().unwrap_or("")) {
                visit(oid, record);
            }
        }
        Ok(())
    }

    /// Up to `limit` events matching `filter`, newest first (the newest `limit` of
    /// the timeline, reversed).
    pub fn events(
        &self,
        from: Oid,
        filter: &EventFilter,
        limit: Option<usize>,
    ) -> Result<Vec<EventRecord>, StoreError> {
        let mut newest = std::collections::VecDeque::new();
        if limit == Some(0) {
            return Ok(Vec::new());
        }
        self.for_each_event(from, filter, |record| {
            newest.push_back(record);
            if limit.is_some_and(|limit| newest.len() > limit) {
                newest.pop_front();
            }
            true
        })?;
        Ok(newest.into_iter().rev().collect())
    }

    /// Like [`Store::for_each_event`], with each event as its JSON text: from the index
    /// it is the stored line, not parsed again, which keeps `timeline --json` of a
    /// long history fast.
    pub fn for_each_event_json(
        &self,
        from: Oid,
        filter: &EventFilter,
        mut visit: impl FnMut(&str) -> bool,
    ) -> Result<(), StoreError> {
        let mut seen = MovesSeen::default();
        let indexed = self.scan_index_at(from, filter, |json, exact| {
            // A key that did not settle the filter, a filter on the record itself (its
            // time, its author), and a trailer's move (shown once) send us to the JSON.
            let is_move = json.contains("\"trailer\":")
                || (seen.may_drop_status()
                    && (json.contains("\"event_type\":\"status_updated\"")
                        || json.contains("\"event_type\":\"milestone_completed\"")));
            if !exact || filter.reads_record() || is_move {
                match serde_json::from_str::<EventRecord>(json) {
                    Ok(record) if once(&mut seen, &record) && filter.accepts(&record) => {}
                    _ => return None,
                }
            }
            Some(visit(json))
        })?;
        if indexed {
            return Ok(());
        }
        for keyed in self.keyed_events(from, None)? {
            if once(&mut seen, &keyed.record) && filter.accepts(&keyed.record) {
                let json =
                    serde_json::to_string(&keyed.record).map_err(|e| StoreError::Encode {
                        what: "an event",
                        source: e.into(),
                    })?;
                if !visit(&json) {
                    break;
                }
            }
        }
        Ok(())
    }

    /// Calls `visit` with each event reachable from `from` that matches `filter`, in
    /// timeline order (oldest first), until it returns false. Reads the local index
    /// when `from` is the tip, the history otherwise; both give the same answer.
    pub fn for_each_event(
        &self,
        from: Oid,
        filter: &EventFilter,
        mut visit: impl FnMut(EventRecord) -> bool,
    ) -> Result<(), StoreError> {
        let mut seen = MovesSeen::default();
        let indexed = self.scan_index_at(from, filter, |json, _| {
            let record = serde_json::from_str::<EventRecord>(json).ok()?;
            (once(&mut seen, &record) && filter.accepts(&record)).then(|| visit(record))
        })?;
        if indexed {
            return Ok(());
        }
        for keyed in self.keyed_events(from, None)? {
            if once(&mut seen, &keyed.record)
                && filter.accepts(&keyed.record)
                && !visit(keyed.record)
            {
                break;
            }
        }
        Ok(())
    }

    /// Scans the index when it covers `from` (the tip): `visit` gets each line the key
    /// does not rule out and says `None` to skip it, or whether to go on. False when
    /// the index could not be used and the caller must read the history.
    fn scan_index_at(
        &self,
        from: Oid,
        filter: &EventFilter,
        mut visit: impl FnMut(&str, bool) -> Option<bool>,
    ) -> Result<bool, StoreError> {
        if self.tip().ok() != Some(from) {
            return Ok(false);
        }
        let Some(path) = self.event_index(from)? else {
            return Ok(false);
        };
        let since = filter.since.map(crate::clock::format_time);
        let key_filter = super::index::KeyFilter {
            milestone: filter.milestone.as_deref(),
            event_type: filter.event_type.as_deref(),
            since: since.as_deref(),
        };
        let mut visited = 0usize;
        let scanned =
            super::index::scan(&path, &key_filter, |json, exact| match visit(json, exact) {
                None => true,
                Some(go_on) => {
                    visited += 1;
                    go_on
                }
            });
        match scanned {
            Ok(()) => Ok(true),
            // An index that cannot be read is bypassed, never trusted; past the first
            // event that would repeat events, so it is an error then.
            Err(source) if visited > 0 => Err(StoreError::Local {
                what: "read the event index",
                source,
            }),
            Err(_) => Ok(false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn header() -> message::RecordHeader {
        message::RecordHeader {
            v: 1,
            op: Default::default(),
            lamport: 3,
            at: "2026-02-01T00:00:00.000Z".into(),
            session: Some("importer-session".into()),
            events: Vec::new(),
        }
    }

    #[test]
    fn an_ordinary_event_takes_its_operations_time_user_and_session() {
        let event = Event::new("note", "m1", json!({"k": 1}));
        let record = record_of(event, &header(), "Importer", Oid::zero());
        assert_eq!(record.timestamp, "2026-02-01T00:00:00.000Z");
        assert_eq!(record.user, "Importer");
        assert_eq!(record.session_id.as_deref(), Some("importer-session"));
    }

    #[test]
    fn an_imported_event_keeps_its_own_even_when_they_are_absent() {
        let mut event = Event::new("state_saved", "m1", json!({}));
        event.timestamp = Some("2025-12-31T23:59:59.000Z".into());
        event.user = Some("alice".into());
        event.session_id = Some("session-20251231-235959-42".into());
        let record = record_of(event.clone(), &header(), "Importer", Oid::zero());
        assert_eq!(record.timestamp, "2025-12-31T23:59:59.000Z");
        assert_eq!(record.user, "alice");
        assert_eq!(
            record.session_id.as_deref(),
            Some("session-20251231-235959-42")
        );
        // The reference's `state_initialized` line names neither: they stay unknown,
        // never the importer's.
        event.user = None;
        event.session_id = None;
        let record = record_of(event, &header(), "Importer", Oid::zero());
        assert_eq!(record.user, "");
        assert_eq!(record.session_id, None);
    }
}
