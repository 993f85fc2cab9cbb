//! What happened to each milestone's tasks, read from the event log (through the
//! event index) for the burn-up charts; the definition is read from the tree only at
//! the few commits that changed the tasks as a whole (imports, edits, restores).

use std::collections::{BTreeMap, VecDeque};

use chrono::{DateTime, Utc};
use git2::Oid;

use super::history::EventFilter;
use super::{Store, StoreError};
use crate::model::{EventRecord, MilestoneId};
use crate::workflow::burnup::{reading, Reading, TaskFact, TaskSize};

/// One milestone's history as the pictures need it.
#[derive(Debug, Default)]
pub struct ProgressHistory {
    /// What happened to its tasks, in timeline order, with when.
    pub facts: Vec<(DateTime<Utc>, TaskFact)>,
    /// Its newest events, oldest first.
    pub recent: VecDeque<EventRecord>,
    /// How many events it has.
    pub events: usize,
}

/// A fact still to be read from a definition: where it goes and which commit holds it.
struct Pending {
    milestone: String,
    position: usize,
    commit: String,
}

impl Store {
    /// The progress history of `milestone` (of every milestone when `None`) as of
    /// `tip`, keeping its `recent` newest events, in one pass over the event log.
    pub fn progress_histories(
        &self,
        tip: Oid,
        milestone: Option<&MilestoneId>,
        recent: usize,
    ) -> Result<BTreeMap<String, ProgressHistory>, StoreError> {
        let filter = EventFilter {
            milestone: milestone.map(|m| m.to_string()),
            ..EventFilter::default()
        };
        let mut histories: BTreeMap<String, ProgressHistory> = BTreeMap::new();
        let mut pending: Vec<Pending> = Vec::new();
        self.for_each_event(tip, &filter, |record| {
            let Some(id) = record.milestone_id.clone() else {
                return true;
            };
            let history = histories.entry(id.clone()).or_default();
            history.events += 1;
            if let Some(at) = parse_time(&record.timestamp) {
                match reading(&record.event_type, &record.data) {
                    Reading::Fact(fact) => history.facts.push((at, fact)),
                    Reading::Definition => {
                        // One read per commit: its other events are in the same tree.
                        let last = pending.last().filter(|p| p.milestone == id);
                        if last.is_none_or(|p| p.commit != record.commit) {
                            pending.push(Pending {
                                milestone: id.clone(),
                                position: history.facts.len(),
                                commit: record.commit.clone(),
                            });
                            history.facts.push((at, TaskFact::Reset(Vec::new())));
                        }
                    }
                    Reading::Nothing => {}
                }
            }
            if recent > 0 {
                if history.recent.len() == recent {
                    history.recent.pop_front();
                }
                history.recent.push_back(record);
            }
            true
        })?;
        for p in pending {
            let tasks = self.tasks_at(&p.commit, &p.milestone)?;
            if let Some(history) = histories.get_mut(&p.milestone) {
                history.facts[p.position].1 = TaskFact::Reset(tasks);
            }
        }
        Ok(histories)
    }

    /// The tasks of `milestone` at `commit`; none where it did not exist or cannot be
    /// read (the chart then shows no scope there rather than failing).
    fn tasks_at(&self, commit: &str, milestone: &str) -> Result<Vec<TaskSize>, StoreError> {
        let (Ok(oid), Ok(id)) = (Oid::from_str(commit), MilestoneId::new(milestone)) else {
            return Ok(Vec::new());
        };
        let files = match self.snapshot_at(oid).and_then(|s| s.milestone(&id)) {
            Ok(files) => files,
            Err(StoreError::Corrupt { .. }) => None,
            Err(e) => return Err(e),
        };
        Ok(files
            .map(|f| f.definition.tasks.iter().map(TaskSize::from).collect())
            .unwrap_or_default())
    }
}

fn parse_time(timestamp: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(timestamp)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}
