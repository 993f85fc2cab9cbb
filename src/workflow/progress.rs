//! Derived values: task progress, milestone progress and status. Computed on read from
//! the stored facts, so they never disagree with them and never conflict in a merge.

use crate::model::{KiroConfiguration, Milestone, Phase, PhaseStatus, Task, TaskStatus};

/// Phase weights used where `kiro_configuration.phase_weights` sets none. The
/// reference meant these as fallbacks, but `yq … || echo 15` never fell back.
pub fn default_weight(phase: Phase) -> f64 {
    match phase {
        Phase::Design => 15.0,
        Phase::Spec => 25.0,
        Phase::Task => 20.0,
        Phase::Execute => 40.0,
    }
}

/// How far a phase in `status` is, in percent.
pub fn phase_progress(status: PhaseStatus) -> f64 {
    match status {
        PhaseStatus::Completed | PhaseStatus::Approved => 100.0,
        PhaseStatus::WaitingApproval => 90.0,
        PhaseStatus::InProgress => 60.0,
        PhaseStatus::Blocked => 30.0,
        PhaseStatus::NotStarted => 0.0,
    }
}

/// The weight of `phase`: the milestone's setting, else the default.
pub fn phase_weight(config: Option<&KiroConfiguration>, phase: Phase) -> f64 {
    config
        .and_then(|c| c.phase_weights.as_ref())
        .and_then(|w| w.get(phase))
        .unwrap_or_else(|| default_weight(phase))
}

/// A task's progress in percent, exact (round only for display).
///
/// Without the workflow: completed 100, in progress 50, otherwise 0. With it: the
/// weighted mean of the phases' progress. Weights are shares: they are divided by
/// their sum, which for the defaults is 100, so custom weights that do not add up to
/// 100 still give 0–100. A completed task is 100 either way.
pub fn task_progress(task: &Task, config: Option<&KiroConfiguration>) -> f64 {
    if task.status == TaskStatus::Completed {
        return 100.0;
    }
    let Some(workflow) = task.workflow() else {
        return match task.status {
            TaskStatus::InProgress => 50.0,
            _ => 0.0,
        };
    };
    let total_weight: f64 = Phase::ALL.iter().map(|&p| phase_weight(config, p)).sum();
    if total_weight <= 0.0 {
        return 0.0;
    }
    let weighted: f64 = Phase::ALL
        .iter()
        .map(|&p| phase_weight(config, p) * phase_progress(workflow.phases.get(p).status))
        .sum();
    weighted / total_weight
}

pub use crate::model::MilestoneStatus;

/// A milestone's derived progress.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MilestoneProgress {
    /// Mean task progress in percent, exact.
    pub percentage: f64,
    /// Tasks whose status is completed.
    pub completed_tasks: usize,
    /// All tasks.
    pub total_tasks: usize,
    /// The derived status.
    pub status: MilestoneStatus,
}

/// Progress and status of `milestone`.
pub fn milestone_progress(milestone: &Milestone) -> MilestoneProgress {
    let config = milestone.kiro_configuration.as_ref();
    let progresses: Vec<f64> = milestone
        .tasks
        .iter()
        .map(|t| task_progress(t, config))
        .collect();
    let total_tasks = milestone.tasks.len();
    let completed_tasks = milestone
        .tasks
        .iter()
        .filter(|t| t.status == TaskStatus::Completed)
        .count();
    let percentage = if total_tasks == 0 {
        0.0
    } else {
        progresses.iter().sum::<f64>() / total_tasks as f64
    };
    let status = if total_tasks > 0 && completed_tasks == total_tasks {
        MilestoneStatus::Completed
    } else if progresses.iter().any(|&p| p > 0.0) {
        MilestoneStatus::InProgress
    } else {
        MilestoneStatus::Planned
    };
    MilestoneProgress {
        percentage,
        completed_tasks,
        total_tasks,
        status,
    }
}

/// A percentage for display: whole percent, rounded down, so that 99.6% of the work
/// never shows as done. A tolerance absorbs the float error of exact fractions such as
/// 100/3 × 3.
pub fn display_percentage(percentage: f64) -> u32 {
    (percentage + 1e-9).floor().clamp(0.0, 100.0) as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{KiroWorkflow, MilestoneId, PhaseWeights, TaskId};

    fn task(status: TaskStatus) -> Task {
        let mut t = Task::new(TaskId::new("t").unwrap(), String::new(), false);
        t.status = status;
        t
    }

    fn workflow_task(phases: [PhaseStatus; 4]) -> Task {
        let mut t = Task::new(TaskId::new("k").unwrap(), String::new(), true);
        let w = t.kiro_workflow.as_mut().unwrap();
        for (phase, status) in Phase::ALL.into_iter().zip(phases) {
            w.phases.get_mut(phase).status = status;
        }
        t
    }

    fn milestone(tasks: Vec<Task>) -> Milestone {
        let mut m = Milestone::new(MilestoneId::new("m").unwrap());
        m.tasks = tasks.into();
        m
    }

    #[test]
    fn plain_task_progress() {
        let cases = [
            (TaskStatus::Pending, 0.0),
            (TaskStatus::InProgress, 50.0),
            (TaskStatus::Completed, 100.0),
            (TaskStatus::Blocked, 0.0),
        ];
        for (status, expected) in cases {
            assert_eq!(task_progress(&task(status), None), expected, "{status}");
        }
    }

    #[test]
    fn phase_progress_table() {
        let cases = [
            (PhaseStatus::NotStarted, 0.0),
            (PhaseStatus::InProgress, 60.0),
            (PhaseStatus::Completed, 100.0),
            (PhaseStatus::WaitingApproval, 90.0),
            (PhaseStatus::Approved, 100.0),
            (PhaseStatus::Blocked, 30.0),
        ];
        for (status, expected) in cases {
            assert_eq!(phase_progress(status), expected, "{status}");
        }
    }

    #[test]
    fn workflow_progress_uses_default_weights_when_none_are_configured() {
        use PhaseStatus::*;
        // The reference's `yq … || echo 15` yields "null" here, and its arithmetic
        // then counts nothing; the defaults must apply.
        let t = workflow_task([Approved, InProgress, NotStarted, NotStarted]);
        // 15 × 100% + 25 × 60% = 30
        assert_eq!(task_progress(&t, None), 30.0);
        let empty_config = KiroConfiguration::default();
        assert_eq!(task_progress(&t, Some(&empty_config)), 30.0);
    }

    #[test]
    fn workflow_progress_is_exact_not_truncated_per_phase() {
        use PhaseStatus::*;
        // The reference truncated each term: 30 × 15 / 100 = 4 (4.5 lost).
        let t = workflow_task([Blocked, NotStarted, NotStarted, NotStarted]);
        assert_eq!(task_progress(&t, None), 4.5);
    }

    #[test]
    fn configured_weights_override_some_phases_others_keep_defaults() {
        use PhaseStatus::*;
        let config = KiroConfiguration {
            phase_weights: Some(PhaseWeights {
                design: Some(35.0),
                execute: Some(20.0),
                ..Default::default()
            }),
            ..Default::default()
        };
        // weights 35, 25 (default), 20 (default), 20: sum 100
        let t = workflow_task([Completed, Completed, NotStarted, NotStarted]);
        assert_eq!(task_progress(&t, Some(&config)), 60.0);
    }

    #[test]
    fn weights_are_shares_of_their_sum() {
        use PhaseStatus::*;
        let config = KiroConfiguration {
            phase_weights: Some(PhaseWeights {
                design: Some(1.0),
                spec: Some(1.0),
                task: Some(1.0),
                execute: Some(1.0),
            }),
            ..Default::default()
        };
        let t = workflow_task([Completed, Completed, Completed, Completed]);
        assert_eq!(task_progress(&t, Some(&config)), 100.0);
        let zero = KiroConfiguration {
            phase_weights: Some(PhaseWeights {
                design: Some(0.0),
                spec: Some(0.0),
                task: Some(0.0),
                execute: Some(0.0),
            }),
            ..Default::default()
        };
        assert_eq!(task_progress(&t, Some(&zero)), 0.0);
    }

    #[test]
    fn disabled_workflow_falls_back_to_the_task_status() {
        let mut t = workflow_task([PhaseStatus::Completed; 4]);
        t.kiro_workflow = Some(KiroWorkflow {
            enabled: false,
            ..t.kiro_workflow.unwrap()
        });
        t.status = TaskStatus::InProgress;
        assert_eq!(task_progress(&t, None), 50.0);
    }

    #[test]
    fn completed_workflow_task_counts_fully() {
        let mut t = workflow_task([PhaseStatus::NotStarted; 4]);
        t.status = TaskStatus::Completed;
        assert_eq!(task_progress(&t, None), 100.0);
    }

    #[test]
    fn milestone_status_rules() {
        use TaskStatus::*;
        let cases: [(Vec<TaskStatus>, MilestoneStatus, f64); 6] = [
            (vec![], MilestoneStatus::Planned, 0.0),
            (vec![Pending, Blocked], MilestoneStatus::Planned, 0.0),
            (vec![Pending, InProgress], MilestoneStatus::InProgress, 25.0),
            (vec![Completed, Pending], MilestoneStatus::InProgress, 50.0),
            (
                vec![Completed, Completed],
                MilestoneStatus::Completed,
                100.0,
            ),
            (vec![Completed, Blocked], MilestoneStatus::InProgress, 50.0),
        ];
        for (statuses, status, percentage) in cases {
            let m = milestone(statuses.iter().map(|&s| task(s)).collect());
            let p = milestone_progress(&m);
            assert_eq!(p.status, status, "{statuses:?}");
            assert_eq!(p.percentage, percentage, "{statuses:?}");
            assert_eq!(p.total_tasks, statuses.len());
        }
    }

    #[test]
    fn milestone_progress_mixes_plain_and_workflow_tasks() {
        use PhaseStatus::*;
        let m = milestone(vec![
            task(TaskStatus::Completed),
            workflow_task([WaitingApproval, NotStarted, NotStarted, NotStarted]),
        ]);
        // (100 + 15 × 90%) / 2 = 56.75
        let p = milestone_progress(&m);
        assert_eq!(p.percentage, 56.75);
        assert_eq!(p.completed_tasks, 1);
        assert_eq!(p.status, MilestoneStatus::InProgress);
    }

    #[test]
    fn display_rounds_down_but_not_below_exact_values() {
        assert_eq!(display_percentage(99.99), 99);
        assert_eq!(display_percentage(100.0 / 3.0 * 3.0), 100);
        assert_eq!(display_percentage(56.75), 56);
        assert_eq!(display_percentage(0.0), 0);
    }
}
