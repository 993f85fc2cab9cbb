//! What happened to each milestone's tasks, read from the event log (through the
//! event index) for the burn-up charts; the definition is read from the tree only at
//! the few commits that changed the tasks as a whole (imports, edits, restores).

use std::collections::{BTreeMap, VecDeque};

use chrono::{DateTime, Utc};
use git2::Oid;
use serde::Deserialize;
use serde_json::Value;

use super::history::EventFilter;
use super::{Store, StoreError};
use crate::model::{EventRecord, MilestoneId};
use crate::workflow::burnup::{concerns_tasks, reading, Reading, TaskFact, TaskSize};

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

/// What the pass over the log needs of each event before deciding whether to read
/// the rest (most events say nothing about tasks, and only the newest are kept).
#[derive(Deserialize)]
struct Head {
    timestamp: String,
    milestone_id: Option<String>,
    event_type: String,
    commit: String,
}

/// An event's data, read only for the events that concern tasks.
#[derive(Deserialize)]
struct Data {
    #[serde(default)]
    data: Value,
}

/// The histories as the pass builds them; the recent events are kept as their JSON
/// lines and read at the end.
#[derive(Default)]
struct Collector {
    histories: BTreeMap<String, (ProgressHistory, VecDeque<String>)>,
    pending: Vec<Pending>,
    recent: usize,
}

impl Collector {
    fn take(&mut self, json: &str) {
        let Ok(head) = serde_json::from_str::<Head>(json) else {
            return;
        };
        let Some(id) = head.milestone_id else {
            return;
        };
        let (history, recent) = self.histories.entry(id.clone()).or_default();
        history.events += 1;
        if self.recent > 0 {
            if recent.len() == self.recent {
                recent.pop_front();
            }
            recent.push_back(json.to_string());
        }
        let Some(at) = parse_time(&head.timestamp) else {
            return;
        };
        if !concerns_tasks(&head.event_type) {
            return;
        }
        let data = serde_json::from_str::<Data>(json)
            .map(|d| d.data)
            .unwrap_or_default();
        match reading(&head.event_type, &data) {
            Reading::Fact(fact) => history.facts.push((at, fact)),
            Reading::Definition => {
                // One read per commit: its other events are in the same tree.
                let last = self.pending.last().filter(|p| p.milestone == id);
                if last.is_none_or(|p| p.commit != head.commit) {
                    self.pending.push(Pending {
                        milestone: id,
                        position: history.facts.len(),
                        commit: head.commit,
                    });
                    history.facts.push((at, TaskFact::Reset(Vec::new())));
                }
            }
            Reading::Nothing => {}
        }
    }
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
        let mut collector = Collector {
            recent,
            ..Collector::default()
        };
        self.for_each_event_json(tip, &filter, |json| {
            collector.take(json);
            true
        })?;
        for p in std::mem::take(&mut collector.pending) {
            let tasks = self.tasks_at(&p.commit, &p.milestone)?;
            if let Some((history, _)) = collector.histories.get_mut(&p.milestone) {
                history.facts[p.position].1 = TaskFact::Reset(tasks);
            }
        }
        Ok(collector
            .histories
            .into_iter()
            .map(|(id, (mut history, recent))| {
                history.recent = recent
                    .iter()
                    .filter_map(|json| serde_json::from_str::<EventRecord>(json).ok())
                    .collect();
                (id, history)
            })
            .collect())
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
