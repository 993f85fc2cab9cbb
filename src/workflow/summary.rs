//! What listings show of a milestone: a few fields of its definition and its derived
//! progress. Small and serializable, so that a cache can keep it per milestone version.

use serde::Serialize;

use chrono::NaiveDate;

use super::due::due_day;
use super::progress::{milestone_progress, MilestoneStatus};
use crate::model::Milestone;

/// A milestone as `list`, `status` and the report's index show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MilestoneSummary {
    /// Its id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Its due date, as written.
    pub due: Option<String>,
    /// The day it is due, when `due` reads as a date (see [`due_day`]).
    #[serde(skip)]
    pub due_day: Option<NaiveDate>,
    /// Mean task progress in percent, exact.
    pub percentage: f64,
    /// Tasks whose status is completed.
    pub completed_tasks: usize,
    /// All tasks.
    pub total_tasks: usize,
    /// The derived status.
    pub status: MilestoneStatus,
}

/// The summary of `milestone`.
pub fn summarize(milestone: &Milestone) -> MilestoneSummary {
    let progress = milestone_progress(milestone);
    MilestoneSummary {
        id: milestone.id.to_string(),
        title: milestone.title.clone(),
        due: milestone.due.clone(),
        due_day: milestone.due.as_deref().and_then(due_day),
        percentage: progress.percentage,
        completed_tasks: progress.completed_tasks,
        total_tasks: progress.total_tasks,
        status: progress.status,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn milestone(yaml: &str) -> Milestone {
        serde_yaml::from_str(yaml).unwrap()
    }

    #[test]
    fn summary_carries_the_derived_progress() {
        let m = milestone(
            "id: m1\ntitle: First\ndue: 2026-12-31\ntasks:\n- id: a\n  status: completed\n- id: b\n  status: in_progress\n",
        );
        let s = summarize(&m);
        assert_eq!(s.id, "m1");
        assert_eq!(s.title, "First");
        assert_eq!(s.due.as_deref(), Some("2026-12-31"));
        assert_eq!(s.due_day, NaiveDate::from_ymd_opt(2026, 12, 31));
        assert_eq!(s.percentage, 75.0);
        assert_eq!((s.completed_tasks, s.total_tasks), (1, 2));
        assert_eq!(s.status, MilestoneStatus::InProgress);
    }
}
