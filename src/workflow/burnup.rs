//! Progress over time: the burn-up series (scope, done, in progress per day) and the
//! forecast, computed from what happened to a milestone's tasks. Pure: the store reads
//! the facts, the report module draws them.

use std::collections::BTreeMap;

use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::model::{EventKind, Task, TaskStatus};

/// How many days of the recent past the forecast's pace is taken from.
pub const PACE_WINDOW_DAYS: u64 = 14;

/// What a task counts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Every task counts 1.
    #[default]
    Count,
    /// A task counts its points; one without points counts 1.
    Points,
}

impl Measure {
    /// The name users give and JSON shows.
    pub fn as_str(self) -> &'static str {
        match self {
            Measure::Count => "count",
            Measure::Points => "points",
        }
    }
}

/// A task as the series needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskSize {
    /// The task's id.
    pub id: String,
    /// Where it stands.
    pub status: TaskStatus,
    /// Its points, if set.
    pub points: Option<f64>,
}

impl From<&Task> for TaskSize {
    fn from(task: &Task) -> Self {
        TaskSize {
            id: task.id.to_string(),
            status: task.status,
            points: task.points,
        }
    }
}

/// One thing that happened to a milestone's tasks.
#[derive(Debug, Clone, PartialEq)]
pub enum TaskFact {
    /// The tasks as they stand from now on (created, imported, edited, restored).
    Reset(Vec<TaskSize>),
    /// A task was added.
    Added(TaskSize),
    /// A task's status changed.
    Status {
        /// The task.
        task: String,
        /// Its new status.
        status: TaskStatus,
    },
    /// A task's points were set or cleared.
    Points {
        /// The task.
        task: String,
        /// The new points.
        points: Option<f64>,
    },
    /// A task was removed.
    Removed {
        /// The task.
        task: String,
    },
    /// A task got a new id.
    Renamed {
        /// The old id.
        task: String,
        /// The new id.
        to: String,
    },
}

/// What an event says about the tasks.
#[derive(Debug, Clone, PartialEq)]
pub enum Reading {
    /// This fact.
    Fact(TaskFact),
    /// The tasks changed as a whole: read the milestone's definition at the event's
    /// commit.
    Definition,
    /// Nothing about tasks.
    Nothing,
}

/// Reads one event of a milestone. An event of a built-in type whose data has another
/// shape was imported from the reference's log: it changed nothing here (the import's
/// own events did), so its task moves are read as well as they can be, for the
/// history they tell, and anything else in it is passed over.
pub fn reading(event_type: &str, data: &Value) -> Reading {
    if !concerns_tasks(event_type) {
        return Reading::Nothing;
    }
    match EventKind::parse(event_type, data) {
        Some(kind) => typed_reading(kind),
        None => imported_reading(event_type, data),
    }
}

/// What a built-in event says about the tasks; every kind is placed here, so that a
/// new one is too.
fn typed_reading(kind: EventKind) -> Reading {
    let fact = match kind {
        EventKind::MilestoneCreated { .. } | EventKind::MilestoneRemoved { .. } => {
            TaskFact::Reset(Vec::new())
        }
        EventKind::TaskAdded {
            task_id, points, ..
        } => TaskFact::Added(TaskSize {
            id: task_id.to_string(),
            status: TaskStatus::Pending,
            points,
        }),
        EventKind::TaskStatusChanged {
            task_id,
            new_status,
            ..
        } => TaskFact::Status {
            task: task_id.to_string(),
            status: new_status,
        },
        EventKind::TaskPointsSet {
            task_id, points, ..
        } => TaskFact::Points {
            task: task_id.to_string(),
            points,
        },
        EventKind::TaskRemoved { task_id, .. } => TaskFact::Removed {
            task: task_id.to_string(),
        },
        EventKind::TaskRenamed {
            task_id,
            new_task_id,
        } => TaskFact::Renamed {
            task: task_id.to_string(),
            to: new_task_id.to_string(),
        },
        // The tasks changed as a whole.
        EventKind::MilestoneImported { .. }
        | EventKind::MilestoneModified { .. }
        | EventKind::StateRestored { .. }
        | EventKind::StateRecovered { .. } => return Reading::Definition,
        // Task moves these cause come as their own task_status_changed events.
        EventKind::StatusUpdated { .. }
        | EventKind::MilestoneCompleted { .. }
        | EventKind::StateSaved { .. }
        | EventKind::StateCleaned { .. }
        | EventKind::CheckpointCreated { .. }
        | EventKind::SessionCreated { .. }
        | EventKind::SessionEnded { .. }
        | EventKind::KiroPhaseUpdated { .. }
        | EventKind::KiroPhaseTransition { .. }
        | EventKind::KiroApprovalRequested { .. }
        | EventKind::KiroApprovalGranted { .. }
        | EventKind::KiroApprovalRejected { .. }
        | EventKind::KiroApprovalDecided { .. }
        | EventKind::KiroApprovalIgnored { .. }
        | EventKind::TrustChanged { .. }
        | EventKind::KiroApprovalSuperseded { .. }
        | EventKind::KiroWorkflowOverridden { .. }
        | EventKind::Commit { .. }
        | EventKind::Merge { .. }
        | EventKind::Checkout { .. }
        | EventKind::Rewrite { .. } => return Reading::Nothing,
    };
    Reading::Fact(fact)
}

/// The event types that can tell something about tasks: the log is read through, and
/// the data of the others is never looked at.
pub fn concerns_tasks(event_type: &str) -> bool {
    matches!(
        event_type,
        "milestone_created"
            | "milestone_removed"
            | "milestone_imported"
            | "milestone_modified"
            | "state_restored"
            | "state_recovered"
            | "task_added"
            | "task_status_changed"
            | "task_points_set"
            | "task_removed"
            | "task_renamed"
    )
}

/// Reads an imported record: its task and new status when it names them.
fn imported_reading(event_type: &str, data: &Value) -> Reading {
    let task = data["task_id"].as_str().map(str::to_string);
    let status = data["new_status"].as_str().and_then(|s| s.parse().ok());
    match (event_type, task, status) {
        ("task_status_changed", Some(task), Some(status)) => {
            Reading::Fact(TaskFact::Status { task, status })
        }
        _ => Reading::Nothing,
    }
}

/// Ends the facts on the tasks as they are at the tip (`tip`): when the history does
/// not lead there (a migration brings a definition in with no events of its own), a
/// last fact at the time of the last one puts them as they are.
pub fn reconcile(facts: &mut Vec<(DateTime<Utc>, TaskFact)>, tip: Vec<TaskSize>) {
    let mut tasks = Tasks::default();
    for (_, fact) in facts.iter() {
        tasks.apply(fact);
    }
    let (mut replayed, mut wanted) = (tasks.0, tip.clone());
    replayed.sort_by(|a, b| a.id.cmp(&b.id));
    wanted.sort_by(|a, b| a.id.cmp(&b.id));
    if replayed == wanted {
        return;
    }
    if let Some(at) = facts.last().map(|(at, _)| *at) {
        facts.push((at, TaskFact::Reset(tip)));
    }
}

/// One day of the series: the tasks as they stood at the end of it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Day {
    /// The day (UTC).
    pub date: NaiveDate,
    /// All work: every task's weight.
    pub scope: f64,
    /// Completed work.
    pub done: f64,
    /// Work in progress.
    pub in_progress: f64,
}

impl Day {
    /// The work not yet done.
    pub fn remaining(&self) -> f64 {
        (self.scope - self.done).max(0.0)
    }
}

/// The tasks at one moment, in their order.
#[derive(Debug, Default)]
struct Tasks(Vec<TaskSize>);

impl Tasks {
    fn apply(&mut self, fact: &TaskFact) {
        match fact {
            TaskFact::Reset(tasks) => self.0 = tasks.clone(),
            TaskFact::Added(task) => match self.find(&task.id) {
                // A task added on two clones merges; its points may come with either.
                Some(existing) => existing.points = task.points.or(existing.points),
                None => self.0.push(task.clone()),
            },
            // A task the history never added (a migrated log moves the tasks of a
            // definition brought in whole) exists from its first move.
            TaskFact::Status { task, status } => match self.find(task) {
                Some(existing) => existing.status = *status,
                None => self.0.push(TaskSize {
                    id: task.clone(),
                    status: *status,
                    points: None,
                }),
            },
            TaskFact::Points { task, points } => {
                if let Some(existing) = self.find(task) {
                    existing.points = *points;
                }
            }
            TaskFact::Removed { task } => self.0.retain(|t| &t.id != task),
            TaskFact::Renamed { task, to } => {
                if let Some(existing) = self.find(task) {
                    existing.id = to.clone();
                }
            }
        }
    }

    fn find(&mut self, id: &str) -> Option<&mut TaskSize> {
        self.0.iter_mut().find(|t| t.id == id)
    }

    fn day(&self, date: NaiveDate, measure: Measure) -> Day {
        let weight = |t: &TaskSize| match measure {
            Measure::Count => 1.0,
            Measure::Points => t.points.unwrap_or(1.0),
        };
        let sum = |status: Option<TaskStatus>| -> f64 {
            self.0
                .iter()
                .filter(|t| status.is_none_or(|s| t.status == s))
                .map(weight)
                // Not `sum()`: an empty f64 sum is -0.0, which JSON would show.
                .fold(0.0, |total, w| total + w)
        };
        Day {
            date,
            scope: sum(None),
            done: sum(Some(TaskStatus::Completed)),
            in_progress: sum(Some(TaskStatus::InProgress)),
        }
    }
}

/// The daily series from the first fact's day to `until` (both included): each day
/// shows the tasks as they stood at its end. Facts come in timeline order; one dated
/// before the fact preceding it (an imported record, a clone's clock) counts on that
/// one's day, so the series never goes back in time. Empty with no facts, or when
/// `until` is before the first fact.
pub fn series(facts: &[(DateTime<Utc>, TaskFact)], measure: Measure, until: NaiveDate) -> Vec<Day> {
    let mut ends: BTreeMap<NaiveDate, Day> = BTreeMap::new();
    let mut tasks = Tasks::default();
    let mut latest: Option<NaiveDate> = None;
    for (at, fact) in facts {
        let date = latest.map_or(at.date_naive(), |l| l.max(at.date_naive()));
        latest = Some(date);
        tasks.apply(fact);
        ends.insert(date, tasks.day(date, measure));
    }
    let Some(first) = ends.keys().next().copied() else {
        return Vec::new();
    };
    let mut days = Vec::new();
    let mut current = Day {
        date: first,
        scope: 0.0,
        done: 0.0,
        in_progress: 0.0,
    };
    let mut date = first;
    while date <= until {
        if let Some(end) = ends.get(&date) {
            current = *end;
        }
        days.push(Day { date, ..current });
        date = date + Days::new(1);
    }
    days
}

/// Why the forecast says what it says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ForecastReason {
    /// The milestone has no work.
    NoTasks,
    /// All work is done.
    Finished,
    /// Nothing was completed in the pace window.
    NoProgress,
    /// At the recent pace it ends by its due date (or it has none).
    OnTrack,
    /// At the recent pace it ends after its due date.
    Late,
    /// The due date has passed with work left.
    PastDue,
}

/// When the remaining work is done at the recent pace.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Forecast {
    /// The day the work is done: the day it finished, or the projected day; none
    /// without progress or tasks.
    pub date: Option<NaiveDate>,
    /// Work done per day over the pace window.
    pub pace_per_day: f64,
    /// The milestone's due day.
    pub due: Option<NaiveDate>,
    /// Why.
    pub reason: ForecastReason,
}

/// The forecast from a series that ends today, and the due day.
pub fn forecast(days: &[Day], due: Option<NaiveDate>) -> Forecast {
    let Some(today) = days.last() else {
        return Forecast {
            date: None,
            pace_per_day: 0.0,
            due,
            reason: ForecastReason::NoTasks,
        };
    };
    // A series shorter than the window starts from nothing done the day before it.
    let window = (days.len() as u64).min(PACE_WINDOW_DAYS);
    let before = days.len().checked_sub(window as usize + 1);
    let done_before = before.map_or(0.0, |i| days[i].done);
    let pace_per_day = ((today.done - done_before) / window as f64).max(0.0);
    let (date, reason) = if today.scope <= 0.0 {
        (None, ForecastReason::NoTasks)
    } else if today.remaining() <= 0.0 {
        (Some(finished_on(days)), ForecastReason::Finished)
    } else if pace_per_day <= 0.0 {
        (
            None,
            past_due_or(today.date, due, ForecastReason::NoProgress),
        )
    } else {
        let needed = (today.remaining() / pace_per_day).ceil() as u64;
        let date = today.date + Days::new(needed);
        let reason = match due {
            Some(due) if date > due => past_due_or(today.date, Some(due), ForecastReason::Late),
            _ => ForecastReason::OnTrack,
        };
        (Some(date), reason)
    };
    Forecast {
        date,
        pace_per_day,
        due,
        reason,
    }
}

fn past_due_or(
    today: NaiveDate,
    due: Option<NaiveDate>,
    otherwise: ForecastReason,
) -> ForecastReason {
    match due {
        Some(due) if today > due => ForecastReason::PastDue,
        _ => otherwise,
    }
}

/// The first day since which all work is done.
fn finished_on(days: &[Day]) -> NaiveDate {
    days.iter()
        .rev()
        .take_while(|d| d.remaining() <= 0.0)
        .last()
        .map_or(days[days.len() - 1].date, |d| d.date)
}

impl Forecast {
    /// The forecast in one sentence.
    pub fn sentence(&self) -> String {
        let due = self.due.map(|d| format!(" (due {d})")).unwrap_or_default();
        let window = PACE_WINDOW_DAYS;
        match (self.reason, self.date) {
            (ForecastReason::NoTasks, _) => "no tasks yet".to_string(),
            (ForecastReason::Finished, Some(date)) => format!("done on {date}{due}"),
            (_, None) => format!("no progress in {window} days{due}"),
            (_, Some(date)) => {
                format!("at the last {window} days' pace: done around {date}{due}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, day, 12, 0, 0).unwrap()
    }

    fn date(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, day).unwrap()
    }

    fn task(id: &str, points: Option<f64>) -> TaskSize {
        TaskSize {
            id: id.into(),
            status: TaskStatus::Pending,
            points,
        }
    }

    fn added(id: &str) -> TaskFact {
        TaskFact::Added(task(id, None))
    }

    fn status(id: &str, status: TaskStatus) -> TaskFact {
        TaskFact::Status {
            task: id.into(),
            status,
        }
    }

    /// (day, scope, done, in progress) for each day.
    fn table(days: &[Day]) -> Vec<(u32, f64, f64, f64)> {
        use chrono::Datelike;
        days.iter()
            .map(|d| (d.date.day(), d.scope, d.done, d.in_progress))
            .collect()
    }

    #[test]
    fn scope_grows_when_a_task_is_added_later() {
        let facts = vec![
            (at(1), TaskFact::Reset(Vec::new())),
            (at(1), added("a")),
            (at(1), added("b")),
            (at(2), status("a", TaskStatus::InProgress)),
            (at(3), status("a", TaskStatus::Completed)),
            (at(4), added("c")),
        ];
        assert_eq!(
            table(&series(&facts, Measure::Count, date(5))),
            vec![
                (1, 2.0, 0.0, 0.0),
                (2, 2.0, 0.0, 1.0),
                (3, 2.0, 1.0, 0.0),
                (4, 3.0, 1.0, 0.0),
                (5, 3.0, 1.0, 0.0),
            ]
        );
    }

    #[test]
    fn a_reopened_task_leaves_done_and_a_removed_one_leaves_scope() {
        let facts = vec![
            (at(1), added("a")),
            (at(1), added("b")),
            (at(2), status("a", TaskStatus::Completed)),
            (at(3), status("a", TaskStatus::InProgress)),
            (at(4), TaskFact::Removed { task: "b".into() }),
            (
                at(4),
                TaskFact::Removed {
                    task: "gone".into(),
                },
            ),
        ];
        assert_eq!(
            table(&series(&facts, Measure::Count, date(4))),
            vec![
                (1, 2.0, 0.0, 0.0),
                (2, 2.0, 1.0, 0.0),
                (3, 2.0, 0.0, 1.0),
                (4, 1.0, 0.0, 1.0),
            ]
        );
    }

    #[test]
    fn a_renamed_task_keeps_its_place_and_moves_under_its_new_id() {
        let facts = vec![
            (at(1), added("a")),
            (
                at(2),
                TaskFact::Renamed {
                    task: "a".into(),
                    to: "b".into(),
                },
            ),
            (at(3), status("b", TaskStatus::Completed)),
        ];
        assert_eq!(
            table(&series(&facts, Measure::Count, date(3))),
            vec![(1, 1.0, 0.0, 0.0), (2, 1.0, 0.0, 0.0), (3, 1.0, 1.0, 0.0)]
        );
    }

    #[test]
    fn the_history_is_reconciled_with_the_tasks_at_the_tip() {
        let mut done = task("a", Some(2.0));
        done.status = TaskStatus::Completed;
        // A migrated log moved `a`, which no event added; the tip also has `b`.
        let mut facts = vec![(at(1), status("a", TaskStatus::InProgress))];
        reconcile(&mut facts, vec![done.clone(), task("b", None)]);
        assert_eq!(
            table(&series(&facts, Measure::Points, date(2))),
            vec![(1, 3.0, 2.0, 0.0), (2, 3.0, 2.0, 0.0)]
        );
        // A history that leads to the tip is left as it is.
        let mut whole = vec![(at(1), TaskFact::Added(task("b", None)))];
        reconcile(&mut whole, vec![task("b", None)]);
        assert_eq!(whole.len(), 1);
        let mut none = Vec::new();
        reconcile(&mut none, vec![task("b", None)]);
        assert!(none.is_empty(), "no events, nothing to date a fact by");
    }

    #[test]
    fn a_restore_puts_the_tasks_back_as_they_were() {
        let mut done = task("a", None);
        done.status = TaskStatus::Completed;
        let facts = vec![
            (at(1), added("a")),
            (at(2), status("a", TaskStatus::Completed)),
            (at(3), added("b")),
            (at(3), added("c")),
            (at(4), TaskFact::Reset(vec![done])),
        ];
        assert_eq!(
            table(&series(&facts, Measure::Count, date(4))),
            vec![
                (1, 1.0, 0.0, 0.0),
                (2, 1.0, 1.0, 0.0),
                (3, 3.0, 1.0, 0.0),
                (4, 1.0, 1.0, 0.0),
            ]
        );
    }

    #[test]
    fn points_weigh_tasks_and_tasks_without_points_count_one() {
        let facts = vec![
            (at(1), TaskFact::Added(task("a", Some(5.0)))),
            (at(1), added("b")),
            (at(2), status("a", TaskStatus::Completed)),
            (
                at(3),
                TaskFact::Points {
                    task: "b".into(),
                    points: Some(3.0),
                },
            ),
            (
                at(4),
                TaskFact::Points {
                    task: "a".into(),
                    points: None,
                },
            ),
        ];
        assert_eq!(
            table(&series(&facts, Measure::Points, date(4))),
            vec![
                (1, 6.0, 0.0, 0.0),
                (2, 6.0, 5.0, 0.0),
                (3, 8.0, 5.0, 0.0),
                (4, 4.0, 1.0, 0.0),
            ]
        );
        assert_eq!(
            table(&series(&facts, Measure::Count, date(2))),
            vec![(1, 2.0, 0.0, 0.0), (2, 2.0, 1.0, 0.0)]
        );
    }

    #[test]
    fn a_fact_dated_before_its_predecessor_counts_on_the_later_day() {
        let facts = vec![
            (at(3), added("a")),
            (at(1), status("a", TaskStatus::Completed)),
        ];
        assert_eq!(
            table(&series(&facts, Measure::Count, date(3))),
            vec![(3, 1.0, 1.0, 0.0)]
        );
        assert!(series(&facts, Measure::Count, date(2)).is_empty());
        assert!(series(&[], Measure::Count, date(2)).is_empty());
    }

    #[test]
    fn every_event_kind_that_tells_about_tasks_is_read() {
        let fixture: Vec<crate::model::EventRecord> =
            serde_json::from_str(include_str!("../../tests/fixtures/events/events.json")).unwrap();
        for record in fixture {
            if let Some(kind) = record.kind() {
                let said = typed_reading(kind) != Reading::Nothing;
                assert_eq!(
                    said,
                    concerns_tasks(&record.event_type),
                    "{}",
                    record.event_type
                );
            }
        }
    }

    #[test]
    fn events_are_read_as_facts() {
        assert_eq!(
            reading(
                "task_added",
                &json!({"task_id": "a", "title": "", "kiro_workflow": false, "points": 2})
            ),
            Reading::Fact(TaskFact::Added(task("a", Some(2.0))))
        );
        assert_eq!(
            reading(
                "task_status_changed",
                &json!({"task_id": "a", "previous_status": "pending", "new_status": "completed"})
            ),
            Reading::Fact(status("a", TaskStatus::Completed))
        );
        assert_eq!(
            reading("task_renamed", &json!({"task_id": "a", "new_task_id": "b"})),
            Reading::Fact(TaskFact::Renamed {
                task: "a".into(),
                to: "b".into()
            })
        );
        for (whole, data) in [
            (
                "state_restored",
                json!({"checkpoint_name": "c", "commit": "1"}),
            ),
            ("state_recovered", json!({"commit": "1"})),
            ("milestone_modified", json!({"tasks": 2})),
            ("milestone_imported", json!({"tasks": 2})),
        ] {
            assert_eq!(reading(whole, &data), Reading::Definition, "{whole}");
        }
        // Records imported from the reference: their status moves count, nothing
        // else in them does (the import's own events changed the tasks).
        assert_eq!(
            reading(
                "task_status_changed",
                &json!({"task_id": "a", "new_status": "completed", "pid": 42})
            ),
            Reading::Fact(status("a", TaskStatus::Completed))
        );
        assert_eq!(reading("task_added", &json!({})), Reading::Nothing);
        assert_eq!(
            reading("status_updated", &json!({"x": 1})),
            Reading::Nothing
        );
        assert_eq!(
            reading("state_saved", &json!({"state_file": "x"})),
            Reading::Nothing
        );
        assert_eq!(
            reading("my_custom", &json!({"task_id": "a"})),
            Reading::Nothing
        );
    }

    fn days(rows: &[(u32, f64, f64)]) -> Vec<Day> {
        rows.iter()
            .map(|&(d, scope, done)| Day {
                date: date(d),
                scope,
                done,
                in_progress: 0.0,
            })
            .collect()
    }

    #[test]
    fn forecast_projects_the_recent_pace_to_the_remaining_work() {
        // 3 done in the 3 days since the start: 1 a day, 3 left: three more days.
        let series = days(&[(1, 6.0, 1.0), (2, 6.0, 2.0), (3, 6.0, 3.0)]);
        let on_track = forecast(&series, Some(date(10)));
        assert_eq!(on_track.date, Some(date(6)));
        assert_eq!(on_track.pace_per_day, 1.0);
        assert_eq!(on_track.reason, ForecastReason::OnTrack);
        assert_eq!(
            on_track.sentence(),
            "at the last 14 days' pace: done around 2026-12-06 (due 2026-12-10)"
        );
        assert_eq!(
            forecast(&series, Some(date(5))).reason,
            ForecastReason::Late
        );
        assert_eq!(forecast(&series, None).reason, ForecastReason::OnTrack);
    }

    #[test]
    fn forecast_without_progress_finished_and_past_due() {
        let mut rows = vec![(1, 2.0, 1.0)];
        rows.extend((2..=15).map(|d| (d, 2.0, 1.0)));
        let stalled = days(&rows);
        let none = forecast(&stalled, Some(date(20)));
        assert_eq!((none.date, none.reason), (None, ForecastReason::NoProgress));
        assert_eq!(none.sentence(), "no progress in 14 days (due 2026-12-20)");

        let finished = days(&[(1, 2.0, 1.0), (2, 2.0, 2.0), (3, 2.0, 2.0)]);
        let done = forecast(&finished, Some(date(2)));
        assert_eq!(
            (done.date, done.reason),
            (Some(date(2)), ForecastReason::Finished)
        );
        assert_eq!(done.sentence(), "done on 2026-12-02 (due 2026-12-02)");

        // 2 done in 3 days, 2 left: 3 more days, after a due day already gone.
        let late = days(&[(1, 4.0, 0.0), (2, 4.0, 1.0), (3, 4.0, 2.0)]);
        let past = forecast(&late, Some(date(2)));
        assert_eq!(
            (past.date, past.reason),
            (Some(date(6)), ForecastReason::PastDue)
        );
        let stalled_past = forecast(&stalled, Some(date(1)));
        assert_eq!(stalled_past.reason, ForecastReason::PastDue);
        assert_eq!(stalled_past.date, None);

        assert_eq!(forecast(&[], None).reason, ForecastReason::NoTasks);
        let empty = days(&[(1, 0.0, 0.0)]);
        assert_eq!(forecast(&empty, None).reason, ForecastReason::NoTasks);
    }

    #[test]
    fn the_pace_is_taken_over_the_last_fourteen_days_only() {
        // 10 done on day 1, nothing since: 20 days later the pace is zero.
        // (Within the first 14 days, it counts from nothing done.)
        let young = days(&[(1, 20.0, 10.0), (2, 20.0, 10.0)]);
        assert_eq!(forecast(&young, None).pace_per_day, 5.0);
        let mut rows = vec![(1, 20.0, 0.0)];
        rows.extend((2..=21).map(|d| (d, 20.0, 10.0)));
        assert_eq!(
            forecast(&days(&rows), None).reason,
            ForecastReason::NoProgress
        );
    }
}
