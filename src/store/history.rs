//! The event log: the history of the ref, read back from the operations' messages.

use chrono::{DateTime, Utc};
use git2::{Oid, Sort};

use super::message;
use super::{Store, StoreError};
use crate::model::{Event, EventRecord};

/// Which events to return.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// Only this milestone's.
    pub milestone: Option<String>,
    /// Only this type.
    pub event_type: Option<String>,
    /// Only those at or after this time.
    pub since: Option<DateTime<Utc>>,
}

impl EventFilter {
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
    }
}

/// The event as users see it: an event with its own timestamp (an imported record)
/// keeps its own user and session; any other takes its operation's.
fn record_of(
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

impl Store {
    /// Calls `visit` with each event reachable from `from`, newest first (within one
    /// operation, the last event first), until it returns false. The order is that of
    /// the operations, so imported events keep the order they were imported in.
    pub fn walk_events(
        &self,
        from: Oid,
        filter: &EventFilter,
        mut visit: impl FnMut(EventRecord) -> bool,
    ) -> Result<(), StoreError> {
        let mut walk = self.repo.revwalk()?;
        walk.set_sorting(Sort::TOPOLOGICAL | Sort::TIME)?;
        walk.push(from)?;
        for oid in walk {
            let oid = oid?;
            let commit = self.repo.find_commit(oid)?;
            let Some(mut header) = message::decode_header(commit.message().unwrap_or("")) else {
                continue;
            };
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

    /// Up to `limit` events matching `filter`, newest first.
    pub fn events(
        &self,
        from: Oid,
        filter: &EventFilter,
        limit: Option<usize>,
    ) -> Result<Vec<EventRecord>, StoreError> {
        let mut events = Vec::new();
        if limit == Some(0) {
            return Ok(events);
        }
        self.walk_events(from, filter, |record| {
            events.push(record);
            limit.is_none_or(|limit| events.len() < limit)
        })?;
        Ok(events)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn header() -> message::RecordHeader {
        message::RecordHeader {
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
