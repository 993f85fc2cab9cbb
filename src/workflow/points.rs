//! Task sizes: `task add --points`, `task set-points`. A task without points counts 1
//! wherever progress is weighed by points.

use crate::model::{
    validate, Event, EventKind, Milestone, MilestoneFiles, MilestoneId, TaskId, TaskStatus,
};

use super::apply::{existing_task, Applied, Rejection};
use super::burnup::Measure;
use super::progress::{milestone_progress, task_progress, MilestoneProgress};

/// A milestone's work in points: completed and in all (a task without points counts 1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PointsDone {
    /// The points of completed tasks.
    pub completed: f64,
    /// The points of all tasks.
    pub total: f64,
}

/// The points of `milestone`'s completed tasks and of all its tasks.
pub fn points_done(milestone: &Milestone) -> PointsDone {
    let total = milestone.tasks.iter().map(|t| t.weight()).sum();
    let completed = milestone
        .tasks
        .iter()
        .filter(|t| t.status == TaskStatus::Completed)
        .map(|t| t.weight())
        .sum();
    PointsDone { completed, total }
}

/// `milestone`'s progress measured as `measure` asks: by count, the mean of its tasks'
/// progress; by points, that mean weighed by each task's points (a workflow task's own
/// progress still follows its phase weights). Status and task counts do not depend on
/// the measure. Tasks that all weigh 0 points fall back to the count.
pub fn progress_by(milestone: &Milestone, measure: Measure) -> MilestoneProgress {
    let mut progress = milestone_progress(milestone);
    let PointsDone { total, .. } = points_done(milestone);
    if measure == Measure::Points && total > 0.0 {
        let config = milestone.kiro_configuration.as_ref();
        let weighed: f64 = milestone
            .tasks
            .iter()
            .map(|t| t.weight() * task_progress(t, config))
            .sum();
        progress.percentage = weighed / total;
    }
    progress
}

/// Checks the points of a task being added; the caller stores them on the task.
pub fn check(points: Option<f64>) -> Result<(), Rejection> {
    match points {
        Some(points) => {
            validate::check_points(points).map_err(|e| Rejection::Invalid(format!("points: {e}")))
        }
        None => Ok(()),
    }
}

/// `task set-points`: sets (or with `None` clears) a task's points.
pub fn set_points(
    current: Option<MilestoneFiles>,
    milestone: &MilestoneId,
    task: &TaskId,
    points: Option<f64>,
) -> Result<Applied, Rejection> {
    check(points)?;
    let mut files = current.ok_or_else(|| Rejection::NoSuchMilestone(milestone.clone()))?;
    let entry = existing_task(&mut files, task)?;
    let previous = std::mem::replace(&mut entry.points, points);
    let shown = points.map_or("none".to_string(), |p| p.to_string());
    Ok(Applied {
        events: vec![Event::of(
            milestone.as_str(),
            EventKind::TaskPointsSet {
                task_id: task.clone(),
                previous_points: previous,
                points,
            },
        )],
        summary: format!("{milestone}: task {task} points {shown}"),
        files: Some(files),
        changed: previous != points,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Milestone, Task};
    use serde_json::json;

    fn files() -> MilestoneFiles {
        let mut definition = Milestone::new(MilestoneId::new("m").unwrap());
        definition
            .tasks
            .push(Task::new(TaskId::new("t").unwrap(), String::new(), false));
        MilestoneFiles {
            definition,
            state: None,
            sessions: None,
            approvals: None,
        }
    }

    fn ids() -> (MilestoneId, TaskId) {
        (MilestoneId::new("m").unwrap(), TaskId::new("t").unwrap())
    }

    fn sized(points: &[(Option<f64>, TaskStatus)]) -> Milestone {
        let mut m = Milestone::new(MilestoneId::new("m").unwrap());
        for (i, (p, status)) in points.iter().enumerate() {
            let mut task = Task::new(TaskId::new(format!("t{i}")).unwrap(), String::new(), false);
            task.points = *p;
            task.status = *status;
            m.tasks.push(task);
        }
        m
    }

    #[test]
    fn progress_by_points_weighs_each_task_by_its_points() {
        use TaskStatus::{Completed, InProgress, Pending};
        type Case<'a> = (&'a [(Option<f64>, TaskStatus)], f64, f64, (f64, f64));
        let cases: [Case; 6] = [
            (&[], 0.0, 0.0, (0.0, 0.0)),
            // 3 of 8 points done: 37.5%, while by count one of two is 50%.
            (
                &[(Some(3.0), Completed), (Some(5.0), Pending)],
                50.0,
                37.5,
                (3.0, 8.0),
            ),
            // A task without points counts 1; in progress is half of its weight.
            (
                &[(None, Completed), (Some(3.0), InProgress)],
                75.0,
                62.5,
                (1.0, 4.0),
            ),
            (
                &[(Some(0.0), Completed), (Some(2.0), Pending)],
                50.0,
                0.0,
                (0.0, 2.0),
            ),
            // Everything weighs 0: the count decides.
            (
                &[(Some(0.0), Completed), (Some(0.0), Pending)],
                50.0,
                50.0,
                (0.0, 0.0),
            ),
            (&[(Some(2.5), Completed)], 100.0, 100.0, (2.5, 2.5)),
        ];
        for (tasks, by_count, by_points, (completed, total)) in cases {
            let m = sized(tasks);
            assert_eq!(
                progress_by(&m, Measure::Count).percentage,
                by_count,
                "{tasks:?}"
            );
            let weighed = progress_by(&m, Measure::Points);
            assert_eq!(weighed.percentage, by_points, "{tasks:?}");
            assert_eq!(weighed.status, milestone_progress(&m).status);
            assert_eq!(points_done(&m), PointsDone { completed, total });
        }
    }

    #[test]
    fn a_workflow_task_keeps_its_phase_weights_within_its_points() {
        let mut m = sized(&[(Some(4.0), TaskStatus::Pending)]);
        let mut task = Task::new(TaskId::new("k").unwrap(), String::new(), true);
        task.points = Some(4.0);
        let w = task.kiro_workflow.as_mut().unwrap();
        w.phases.get_mut(crate::model::Phase::Design).status = crate::model::PhaseStatus::Completed;
        task.status = TaskStatus::InProgress;
        m.tasks.push(task);
        // Design is 15% of the workflow task; half the points are that task's.
        assert_eq!(progress_by(&m, Measure::Points).percentage, 7.5);
    }

    #[test]
    fn points_are_set_cleared_and_checked() {
        let (m, t) = ids();
        let set = set_points(Some(files()), &m, &t, Some(3.5)).unwrap();
        assert!(set.changed);
        assert_eq!(set.events[0].event_type, "task_points_set");
        assert_eq!(set.events[0].data["points"], json!(3.5));
        let task = set.files.unwrap().definition.tasks[0].clone();
        assert_eq!((task.points, task.weight()), (Some(3.5), 3.5));

        let mut with = files();
        with.definition.tasks[0].points = Some(2.0);
        let same = set_points(Some(with.clone()), &m, &t, Some(2.0)).unwrap();
        assert!(!same.changed, "the same points again change nothing");
        let cleared = set_points(Some(with), &m, &t, None).unwrap();
        assert_eq!(cleared.files.unwrap().definition.tasks[0].weight(), 1.0);

        for bad in [-1.0, f64::NAN, f64::INFINITY] {
            assert!(matches!(
                set_points(Some(files()), &m, &t, Some(bad)),
                Err(Rejection::Invalid(_))
            ));
        }
        let other = TaskId::new("x").unwrap();
        assert!(matches!(
            set_points(Some(files()), &m, &other, Some(1.0)),
            Err(Rejection::NoSuchTask { .. })
        ));
        assert!(matches!(
            set_points(None, &m, &t, Some(1.0)),
            Err(Rejection::NoSuchMilestone(_))
        ));
    }
}
