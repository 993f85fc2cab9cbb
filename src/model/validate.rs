//! Checks of whole values that serde alone cannot express: dates, unique task ids,
//! phase weights, gate names. Every problem is listed, so a user fixes a file once.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

use super::milestone::{Milestone, Phase};

/// Parses a date given as `YYYY-MM-DD` (midnight UTC) or an RFC 3339 time.
pub fn parse_date_or_time(value: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(date) = NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        return Ok(date.and_time(NaiveTime::MIN).and_utc());
    }
    DateTime::parse_from_rfc3339(value)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            format!(
                "invalid date {value:?}: use YYYY-MM-DD or an RFC 3339 time such as 2026-01-31T09:00:00Z"
            )
        })
}

/// The problems of a milestone definition, empty when it is valid.
pub fn milestone_problems(milestone: &Milestone) -> Vec<String> {
    let mut problems = Vec::new();
    if let Some(due) = &milestone.due {
        if let Err(e) = parse_date_or_time(due) {
            problems.push(format!("due: {e}"));
        }
    }
    let mut seen = HashSet::new();
    for task in &milestone.tasks {
        if !seen.insert(&task.id) {
            problems.push(format!(
                "tasks: task id {:?} appears more than once",
                task.id.as_str()
            ));
        }
        if let Some(points) = task.points {
            if let Err(e) = check_points(points) {
                problems.push(format!("tasks: task {}: points: {e}", task.id.as_str()));
            }
        }
    }
    if let Some(config) = &milestone.kiro_configuration {
        if let Some(weights) = &config.phase_weights {
            for phase in Phase::ALL {
                if let Some(w) = weights.get(phase) {
                    if !w.is_finite() || w < 0.0 {
                        problems.push(format!(
                            "kiro_configuration.phase_weights.{phase}: {w} is not a non-negative number"
                        ));
                    }
                }
            }
        }
        for name in config.approval_gates.keys() {
            if gate_phases(name).is_none() {
                problems.push(format!(
                    "kiro_configuration.approval_gates.{name}: not a transition; use design_to_spec, spec_to_task or task_to_execute"
                ));
            }
        }
    }
    problems
}

/// The transition a gate name such as `design_to_spec` stands for.
pub fn gate_phases(name: &str) -> Option<(Phase, Phase)> {
    Phase::ALL.into_iter().find_map(|from| {
        let to = from.next()?;
        (name == format!("{from}_to_{to}")).then_some((from, to))
    })
}

/// Checks a task's points: a size is a non-negative, finite number.
pub fn check_points(points: f64) -> Result<(), String> {
    if points.is_finite() && points >= 0.0 {
        Ok(())
    } else {
        Err(format!("{points} is not a non-negative number"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{MilestoneId, Task, TaskId};

    #[test]
    fn dates_and_times_parse() {
        assert_eq!(
            parse_date_or_time("2026-03-01").unwrap().to_rfc3339(),
            "2026-03-01T00:00:00+00:00"
        );
        assert_eq!(
            parse_date_or_time("2026-03-01T10:00:00+02:00")
                .unwrap()
                .to_rfc3339(),
            "2026-03-01T08:00:00+00:00"
        );
        for bad in ["", "yesterday", "2026-13-01", "2026-02-30", "01/02/2026"] {
            assert!(parse_date_or_time(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn duplicate_tasks_and_bad_weights_are_listed() {
        let mut m = Milestone::new(MilestoneId::new("m").unwrap());
        let t = TaskId::new("t").unwrap();
        m.tasks.push(Task::new(t.clone(), String::new(), false));
        m.tasks.push(Task::new(t, String::new(), false));
        m.due = Some("soon".into());
        let mut config = crate::model::KiroConfiguration {
            phase_weights: Some(crate::model::PhaseWeights {
                design: Some(-1.0),
                ..Default::default()
            }),
            ..Default::default()
        };
        config
            .approval_gates
            .insert("design_to_execute".into(), Default::default());
        m.kiro_configuration = Some(config);
        let problems = milestone_problems(&m);
        assert_eq!(problems.len(), 4, "{problems:?}");
    }

    #[test]
    fn gate_names() {
        assert_eq!(
            gate_phases("spec_to_task"),
            Some((Phase::Spec, Phase::Task))
        );
        assert_eq!(gate_phases("execute_to_design"), None);
    }
}
