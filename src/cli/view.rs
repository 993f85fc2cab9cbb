//! What users see of a milestone: the JSON views of CLI.md and the text rendering.

use chrono::NaiveDate;
use serde::Serialize;

use super::terminal_text::TerminalText;
use crate::model::{KiroWorkflow, Milestone, MilestoneFiles, Task};
use crate::workflow::burnup::Measure;
use crate::workflow::due::due_state;
use crate::workflow::points::{points_done, progress_by};
use crate::workflow::summary::{summarize, MilestoneSummary};
use crate::workflow::{display_percentage, task_progress, MilestoneStatus};

/// `progress` of a milestone.
#[derive(Debug, Serialize)]
pub struct ProgressView {
    /// Whole percent, rounded down.
    pub percentage: u32,
    /// The exact value.
    pub exact: f64,
    /// Completed tasks.
    pub completed_tasks: usize,
    /// All tasks.
    pub total_tasks: usize,
    /// `points` when weighed by points (`--by points`); absent when tasks count 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<&'static str>,
    /// With `--by points`: the points of completed tasks (a task without points counts 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completed_points: Option<f64>,
    /// With `--by points`: the points of all tasks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_points: Option<f64>,
}

impl ProgressView {
    /// `3/8 points` with `--by points`, else `1/2 tasks`.
    pub fn done_of(&self) -> String {
        match (self.completed_points, self.total_points) {
            (Some(done), Some(total)) => format!(
                "{}/{} points",
                crate::report::amount(done),
                crate::report::amount(total)
            ),
            _ => format!("{}/{} tasks", self.completed_tasks, self.total_tasks),
        }
    }
}

/// Weighs `summary`'s progress by its tasks' points (`--by points`); the status, the
/// task counts and each task's own progress stay as they are.
pub fn weigh_by_points(summary: &mut SummaryView, milestone: &Milestone) {
    let weighed = progress_by(milestone, Measure::Points);
    let points = points_done(milestone);
    let progress = &mut summary.progress;
    progress.percentage = display_percentage(weighed.percentage);
    progress.exact = weighed.percentage;
    progress.by = Some(Measure::Points.as_str());
    progress.completed_points = Some(points.completed);
    progress.total_points = Some(points.total);
}

/// A milestone in `list` and `status`.
#[derive(Debug, Serialize)]
pub struct SummaryView {
    /// Its id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Derived status.
    pub status: MilestoneStatus,
    /// Derived progress.
    pub progress: ProgressView,
    /// Due date, if any.
    pub due: Option<String>,
    /// Past its due day and not completed.
    pub overdue: bool,
    /// Whole days to the due day (negative once past); null without a due date.
    pub days_left: Option<i64>,
}

/// A task in `show`.
#[derive(Debug, Serialize)]
pub struct TaskView<'a> {
    /// Its id.
    pub id: &'a str,
    /// Its title.
    pub title: &'a str,
    /// Its status.
    pub status: &'static str,
    /// Whole percent, rounded down.
    pub progress: u32,
    /// Its size, when it has one (`task set-points`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub points: Option<f64>,
    /// The workflow, null for plain tasks.
    pub kiro_workflow: Option<&'a KiroWorkflow>,
}

/// A milestone in `show` and `status <m>`.
#[derive(Debug, Serialize)]
pub struct DetailView<'a> {
    /// Summary fields.
    #[serde(flatten)]
    pub summary: SummaryView,
    /// Its description.
    pub description: Option<&'a str>,
    /// Its tasks.
    pub tasks: Vec<TaskView<'a>>,
    /// Whether a state was saved.
    pub has_state: bool,
    /// Approval requests still waiting for a decision.
    pub pending_approvals: Vec<serde_json::Value>,
}

/// The summary of `milestone`.
pub fn summary(milestone: &Milestone) -> SummaryView {
    summary_view(summarize(milestone), crate::clock::now().date_naive())
}

/// The view of a milestone's summary, as computed or as cached, on `today` (read
/// once by the caller: a listing makes a thousand of these).
pub fn summary_view(summary: MilestoneSummary, today: NaiveDate) -> SummaryView {
    let due = due_state(summary.due_day, summary.status, today);
    SummaryView {
        overdue: due.is_some_and(|d| d.overdue),
        days_left: due.map(|d| d.days_left),
        id: summary.id,
        title: summary.title,
        status: summary.status,
        progress: ProgressView {
            percentage: display_percentage(summary.percentage),
            exact: summary.percentage,
            completed_tasks: summary.completed_tasks,
            total_tasks: summary.total_tasks,
            by: None,
            completed_points: None,
            total_points: None,
        },
        due: summary.due,
    }
}

/// The detailed view of a milestone's files.
pub fn detail(files: &MilestoneFiles) -> DetailView<'_> {
    let milestone = &files.definition;
    let config = milestone.kiro_configuration.as_ref();
    DetailView {
        summary: summary(milestone),
        description: milestone.description.as_deref(),
        tasks: milestone
            .tasks
            .iter()
            .map(|t| TaskView {
                id: t.id.as_str(),
                title: &t.title,
                status: t.status.as_str(),
                progress: display_percentage(task_progress(t, config)),
                points: t.points,
                kiro_workflow: t.kiro_workflow.as_ref(),
            })
            .collect(),
        has_state: files.state.is_some(),
        pending_approvals: files
            .approvals
            .iter()
            .flat_map(|a| a.values())
            .filter(|r| r.status == crate::model::Decision::Pending)
            .map(super::phase::request_json)
            .collect(),
    }
}

/// How the due date reads in text: `due 2026-12-31 (in 26 days)`, or `overdue` in
/// git's warning color (yellow) and how late.
pub fn due_text(out: &super::Output, summary: &SummaryView) -> Option<String> {
    let mut text = TerminalText::default();
    push_due(out, summary, &mut text);
    (!text.is_empty()).then(|| text.into_string())
}

/// Appends [`due_text`] to `text`, the date escaped; nothing without a due date.
pub fn push_due(out: &super::Output, summary: &SummaryView, text: &mut TerminalText) {
    let Some(due) = summary.due.as_deref() else {
        return;
    };
    let day = due.get(..10).unwrap_or(due);
    match summary.days_left {
        _ if summary.overdue => {
            let late = -summary.days_left.unwrap_or(0);
            let days = if late == 1 { " day" } else { " days" };
            out.push_paint(text, "overdue", super::output::Paint::Yellow);
            text.ours(" (due ").field(day).ours(", ").number(late, 0);
            text.ours(days).ours(" late)");
        }
        Some(0) => {
            text.ours("due ").field(day).ours(" (today)");
        }
        Some(1) => {
            text.ours("due ").field(day).ours(" (tomorrow)");
        }
        Some(n) if n > 1 && summary.status != MilestoneStatus::Completed => {
            text.ours("due ").field(day).ours(" (in ");
            text.number(n, 0).ours(" days)");
        }
        _ => {
            text.ours("due ").field(day);
        }
    }
}

/// The filled and the empty part of a progress bar's 20 places.
pub fn bar_parts(percentage: u32) -> (&'static str, &'static str) {
    const WIDTH: usize = 20;
    const HASHES: &str = "####################";
    const DASHES: &str = "--------------------";
    let filled = (percentage.min(100) as usize * WIDTH) / 100;
    (&HASHES[..filled], &DASHES[filled..])
}

/// One line of a task in text output.
pub fn task_line(out: &super::Output, task: &Task, progress: u32) -> String {
    let mut line = format!(
        "  {:<12} {} {:>3}%  {}",
        task.id.as_str(),
        out.status(task.status.as_str(), 11),
        progress,
        task.title
    );
    if let Some(points) = task.points {
        let unit = if points == 1.0 { "point" } else { "points" };
        line = format!(
            "{}  ({} {unit})",
            line.trim_end(),
            crate::report::amount(points)
        );
    }
    if let Some(workflow) = task.workflow() {
        let phases: Vec<String> = crate::model::Phase::ALL
            .iter()
            .map(|&p| {
                let marker = if p == workflow.current_phase { "*" } else { "" };
                let status = workflow.phases.get(p).status;
                format!("{marker}{p}:{}", out.status(status.as_str(), 0))
            })
            .collect();
        line.push_str(&format!("\n  {:<12} {}", "", phases.join("  ")));
    }
    line.trim_end().to_string()
}

#[cfg(test)]
mod tests {

    use crate::cli::output::{ColorChoice, Output};

    #[test]
    fn bars() {
        let out = Output::new(false, false, ColorChoice::Never, false);
        assert_eq!(out.bar(0), "[--------------------]   0%");
        assert_eq!(out.bar(35), "[#######-------------]  35%");
        assert_eq!(out.bar(100), "[####################] 100%");
        assert_eq!(out.bar(7), "[#-------------------]   7%");
        assert_eq!(out.bar(250), "[####################] 250%");
        assert_eq!(out.bar(1000), "[####################] 1000%");
        let colored = Output::new(false, false, ColorChoice::Always, false);
        assert_eq!(colored.bar(4), "[--------------------]   4%");
        assert_eq!(
            colored.bar(35),
            "[\x1b[32m#######\x1b[0m-------------]  35%"
        );
    }
}
