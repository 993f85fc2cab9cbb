//! The event log: the history of the ref, read back from the operations' messages.

use chrono::{DateTime, Utc};
use git2::{Oid, Sort};

use super::message;
use super::{Store, StoreError};
use crate::model::EventRecord;

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
    /// Whether `record` passes the filter.
    pub fn accepts(&self, record: &EventRecord) -> bool {
        let at = DateTime::parse_from_rfc3339(&record.timestamp)
            .ok()
            .map(|t| t.with_timezone(&Utc));
        self.matches(record, at)
    }

    /// Substrings every matching event's JSON line contains, to skip the others
    /// without parsing them.
    fn needles(&self) -> Vec<String> {
        let quoted = |s: &str| serde_json::to_string(s).unwrap_or_default();
        let mut needles = Vec::new();
        if let Some(m) = &self.milestone {
            needles.push(format!("\"milestone_id\":{}", quoted(m)));
        }
        if let Some(t) = &self.event_type {
            needles.push(format!("\"event_type\":{}", quoted(t)));
        }
        needles
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
    }
}

impl Store {
    /// Calls `visit` with each event reachable from `from`, newest first (within one
    /// operation, the last event first), until it returns false.
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
        for oid in walk {
            let oid = oid?;
            let commit = self.repo.find_commit(oid)?;
            let Some(header) = message::decode_header(commit.message().unwrap_or("")) else {
                continue;
            };
            let at = DateTime::parse_from_rfc3339(&header.at)
                .ok()
                .map(|t| t.with_timezone(&Utc));
            let user = commit.author().name().unwrap_or("").to_string();
            for event in header.events.into_iter().rev() {
                let record = EventRecord {
                    timestamp: header.at.clone(),
                    milestone_id: event.milestone_id,
                    session_id: header.session.clone(),
                    event_type: event.event_type,
                    data: event.data,
                    user: user.clone(),
                    commit: oid.to_string(),
                };
                if filter.matches(&record, at) && !visit(record) {
                    return Ok(());
                }
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

    /// Calls `visit` with each event reachable from `from` that matches `filter`, in
    /// timeline order (oldest first), until it returns false. Reads the local index
    /// when `from` is the tip, the history otherwise; both give the same answer.
    pub fn for_each_event(
        &self,
        from: Oid,
        filter: &EventFilter,
        mut visit: impl FnMut(EventRecord) -> bool,
    ) -> Result<(), StoreError> {
        let index = if self.tip().ok() == Some(from) {
            self.event_index(from)?
        } else {
            None
        };
        if let Some(path) = index {
            let since = filter.since.map(crate::clock::format_time);
            let mut visited = 0usize;
            let scanned =
                super::index::scan(&path, &filter.needles(), since.as_deref(), |_, record| {
                    if !filter.accepts(&record) {
                        return true;
                    }
                    visited += 1;
                    visit(record)
                });
            match scanned {
                Ok(()) => return Ok(()),
                // An index that cannot be read is bypassed, never trusted; past the
                // first event that would repeat events, so it is an error then.
                Err(e) if visited > 0 => {
                    return Err(StoreError::Local(format!(
                        "cannot read the event index: {e}"
                    )))
                }
                Err(_) => {}
            }
        }
        for keyed in self.keyed_events(from, None)? {
            if filter.accepts(&keyed.record) && !visit(keyed.record) {
                break;
            }
        }
        Ok(())
    }
}
