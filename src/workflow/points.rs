//! Task sizes: `task add --points`, `task set-points`. A task without points counts 1
//! wherever progress is weighed by points.

use crate::model::{validate, Event, EventKind, MilestoneFiles, MilestoneId, TaskId};

use super::apply::{existing_task, Applied, Rejection};

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
