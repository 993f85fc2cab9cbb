//! Migration from the reference's bash scripts: reading a `.milestones/` folder in their
//! layout into operations. This module knows the reference's files, not the layout of
//! `refs/milestones`; the store writes what it plans.

pub mod approvals;
pub mod events;
pub mod folder;
pub mod imported;
pub mod plan;
pub mod problem;
pub mod sessions;
pub mod states;

use std::collections::HashSet;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;

use crate::model::{Op, SessionId, SessionStatus};
use crate::store::{BulkError, BulkProgress, Store, StoreError};
use crate::workflow::Rejection;

pub use folder::{read_folder, read_folder_with, Folder, ReadError, DEFAULT_MAX_FILE_BYTES};
pub use problem::{Invalid, Problem};

/// How often an import is planned and written again when another writer moved the ref
/// meanwhile. Each attempt starts from the new tip, so what the other writer did
/// (perhaps the same import) is taken into account.
const MAX_ATTEMPTS: u32 = 5;

/// What an import brought, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Milestones created or filled in.
    pub milestones: usize,
    /// The tasks of those milestones.
    pub tasks: usize,
    /// Events.
    pub events: usize,
    /// Saved versions of states (current ones, backups, checkpoints).
    pub states: usize,
    /// Session records.
    pub sessions: usize,
    /// Checkpoint tags.
    pub checkpoints: usize,
    /// Approval requests.
    pub approvals: usize,
}

impl Counts {
    /// What `op` brings, if it is written.
    fn of(op: &Op) -> Counts {
        let mut counts = Counts::default();
        match op {
            Op::ImportMilestone { definition, .. } => {
                counts.milestones = 1;
                counts.tasks = definition.tasks.len();
            }
            Op::ImportState { state, .. } => counts.states = usize::from(state.is_some()),
            Op::ImportSessions { sessions, .. } => counts.sessions = sessions.len(),
            Op::ImportApprovals { approvals, .. } => counts.approvals = approvals.len(),
            Op::ImportEvents { events } => counts.events = events.len(),
            _ => {}
        }
        counts
    }

    fn add(&mut self, other: Counts) {
        self.milestones += other.milestones;
        self.tasks += other.tasks;
        self.events += other.events;
        self.states += other.states;
        self.sessions += other.sessions;
        self.checkpoints += other.checkpoints;
        self.approvals += other.approvals;
    }
}

/// What an import did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// What it brought.
    #[serde(flatten)]
    pub counts: Counts,
    /// How many commits it wrote.
    pub commits: usize,
    /// The new tip of refs/milestones, none when nothing was written.
    pub tip: Option<String>,
    /// The reference's current session, made this worktree's current one.
    pub current_session: Option<String>,
}

/// How far an import is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Reading what earlier imports brought.
    Planning,
    /// Applying the operations: `events` of `total_events` so far.
    Writing {
        /// Events applied.
        events: usize,
        /// All events to import.
        total_events: usize,
        /// Operations applied.
        steps: usize,
        /// All operations.
        total_steps: usize,
    },
    /// Writing the pack.
    Packing {
        /// Objects in it.
        objects: usize,
    },
}

/// The error returned by [`import`]; nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// What the folder brings does not fit what the ref holds.
    #[error("{what}: {rejection}")]
    Rejected {
        /// The files concerned.
        what: String,
        /// Why.
        rejection: Rejection,
    },
    /// Other writers kept moving the ref.
    #[error("refs/milestones kept moving while the import was written ({attempts} attempts)")]
    KeptMoving {
        /// How many times it tried.
        attempts: u32,
    },
    /// The repository could not be read or written.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Imports `folder` (already read) into `store`: every item an earlier import did not
/// bring, as a chain of commits written at once. With `replace`, milestone definitions
/// replace different ones instead of being refused. The reference's current session
/// becomes this worktree's, when the worktree has none and the session is active.
pub fn import(
    store: &Store,
    folder: &Folder,
    replace: bool,
    progress: &mut dyn FnMut(Progress),
) -> Result<Report, ImportError> {
    for _ in 0..MAX_ATTEMPTS {
        progress(Progress::Planning);
        let tip = store.tip_if_any()?;
        let imported = match tip {
            Some(tip) => imported::Imported::read(store, tip)?,
            None => imported::Imported::default(),
        };
        let existing_tags: HashSet<(String, String)> = match tip {
            Some(_) => store
                .checkpoints(None)?
                .into_iter()
                .map(|c| (c.milestone_id, c.name))
                .collect(),
            None => HashSet::new(),
        };
        let plan = plan::plan(folder, imported, &existing_tags, replace);
        if plan.is_empty() {
            return finish(store, folder, Report::default());
        }
        let counts: Vec<Counts> = plan.steps.iter().map(|s| Counts::of(&s.op)).collect();
        let total_events: usize = counts.iter().map(|c| c.events).sum();
        let total_steps = plan.steps.len();
        let mut events_so_far = 0;
        let mut on_progress = |p: BulkProgress| match p {
            BulkProgress::Applied { done, .. } => {
                events_so_far += counts.get(done.wrapping_sub(1)).map_or(0, |c| c.events);
                progress(Progress::Writing {
                    events: events_so_far,
                    total_events,
                    steps: done,
                    total_steps,
                });
            }
            BulkProgress::Packing { objects } => progress(Progress::Packing { objects }),
        };
        let reflog = format!(
            "milestone: import {} ({total_steps} operations)",
            folder.root.display()
        );
        match store.write_bulk(tip, plan.steps, &plan.tags_on, &reflog, &mut on_progress) {
            Ok(outcome) => {
                let mut report = Report {
                    commits: outcome.commit_count(),
                    tip: outcome.tip.map(|t| t.to_string()),
                    ..Report::default()
                };
                for (step, commit) in outcome.commits.iter().enumerate() {
                    if commit.is_some() {
                        report.counts.add(counts[step]);
                    }
                }
                report.counts.checkpoints = outcome.tags.len();
                return finish(store, folder, report);
            }
            Err(BulkError::Moved) => continue,
            Err(BulkError::Rejected { step, rejection }) => {
                let what = plan
                    .sources
                    .get(step)
                    .map(|s| s.join(", "))
                    .unwrap_or_default();
                return Err(ImportError::Rejected { what, rejection });
            }
            Err(BulkError::Store(e)) => return Err(e.into()),
        }
    }
    Err(ImportError::KeptMoving {
        attempts: MAX_ATTEMPTS,
    })
}

/// Makes the reference's current session this worktree's, when it can be.
fn finish(store: &Store, folder: &Folder, mut report: Report) -> Result<Report, ImportError> {
    let Some(id) = folder
        .current_session
        .as_deref()
        .and_then(|id| SessionId::new(id).ok())
    else {
        return Ok(report);
    };
    if store.current_session().is_some() || store.tip_if_any()?.is_none() {
        return Ok(report);
    }
    let active = store
        .snapshot()?
        .find_session(&id)?
        .is_some_and(|s| s.status == SessionStatus::Active);
    if active {
        store.set_current_session(&id)?;
        report.current_session = Some(id.to_string());
    }
    Ok(report)
}

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

    use crate::store::test_store as repository;

    use super::folder::fixture;

    #[test]
    fn importing_the_fixture_twice_brings_everything_once() {
        let (_dir, store) = repository();
        let folder = fixture();
        let mut seen = Vec::new();
        let report = import(&store, &folder, false, &mut |p| seen.push(p)).unwrap();
        assert_eq!(
            report.counts,
            Counts {
                milestones: 4,
                tasks: 5,
                events: 25,
                states: 5,
                sessions: 2,
                checkpoints: 3,
                approvals: 2,
            }
        );
        assert_eq!(
            report.current_session.as_deref(),
            Some("session-20260105-091500-4242")
        );
        assert!(seen.iter().any(|p| matches!(
            p,
            Progress::Writing {
                events: 25,
                total_events: 25,
                ..
            }
        )));
        let tip = store.tip().unwrap();
        let again = import(&store, &folder, false, &mut |_| {}).unwrap();
        assert_eq!(again.counts, Counts::default());
        assert_eq!((again.commits, again.tip), (0, None));
        assert_eq!(store.tip().unwrap(), tip);
    }

    #[test]
    fn a_ref_moved_during_the_import_makes_it_start_again_and_loses_nothing() {
        let (dir, store) = repository();
        store.init().unwrap();
        let side = crate::model::MilestoneId::new("side").unwrap();
        store
            .transact(Op::NewMilestone {
                milestone: side.clone(),
                title: None,
                description: None,
                due: None,
            })
            .unwrap();
        // Another process writes while the import is being written.
        let other = Store::open(dir.path()).unwrap();
        let mut plans = 0;
        let mut wrote = false;
        let report = import(&store, &fixture(), false, &mut |p| match p {
            Progress::Planning => plans += 1,
            Progress::Writing { .. } if !wrote => {
                wrote = true;
                other
                    .transact(Op::AddEvent {
                        milestone: side.clone(),
                        event_type: "meanwhile".into(),
                        data: serde_json::Value::Null,
                    })
                    .unwrap();
            }
            _ => {}
        })
        .unwrap();
        assert_eq!(plans, 2, "planned again from the moved ref");
        assert_eq!(report.counts.events, 25);
        let filter = crate::store::EventFilter {
            event_type: Some("meanwhile".into()),
            ..Default::default()
        };
        assert_eq!(
            store
                .events(store.tip().unwrap(), &filter, None)
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn a_different_milestone_of_the_same_id_is_refused_unless_replacing() {
        let (_dir, store) = repository();
        store.init().unwrap();
        store
            .transact(Op::NewMilestone {
                milestone: crate::model::MilestoneId::new("docs").unwrap(),
                title: Some("mine".into()),
                description: None,
                due: None,
            })
            .unwrap();
        let tip = store.tip().unwrap();
        let folder = fixture();
        let err = import(&store, &folder, false, &mut |_| {}).unwrap_err();
        assert!(
            matches!(&err, ImportError::Rejected { what, rejection: Rejection::MilestoneExists(_) } if what == "active/docs.yaml"),
            "{err}"
        );
        assert_eq!(store.tip().unwrap(), tip, "nothing written");
        let report = import(&store, &folder, true, &mut |_| {}).unwrap();
        assert_eq!(report.counts.milestones, 4);
    }

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
