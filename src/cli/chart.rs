//! `chart`: a milestone's burn-up in the terminal, with the forecast.

use chrono::NaiveDate;
use clap::Args;
use serde_json::json;

use crate::model::{validate, Milestone};
use crate::report::{terminal, Chart};
use crate::store::ProgressHistory;
use crate::workflow::burnup::{self, Measure};

use super::{milestone_id, open_store, CliError, Output};

/// What a task counts for (`--by`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum By {
    /// Every task counts 1.
    #[default]
    Count,
    /// A task counts its points (1 without).
    Points,
}

impl From<By> for Measure {
    fn from(by: By) -> Self {
        match by {
            By::Count => Measure::Count,
            By::Points => Measure::Points,
        }
    }
}

/// `chart`.
#[derive(Debug, Args)]
pub struct ChartArgs {
    /// The milestone.
    pub milestone: String,
    /// Count tasks, or weigh them by their points.
    #[arg(long, value_enum, default_value_t = By::Count)]
    pub by: By,
    /// Draw as of this day (YYYY-MM-DD or an RFC 3339 time) instead of today.
    #[arg(long, value_name = "DATE")]
    pub now: Option<String>,
    /// Columns to draw in (default: the terminal's width, 80 on a pipe).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(20..))]
    pub width: Option<u16>,
}

pub fn chart(out: &Output, args: ChartArgs) -> Result<(), CliError> {
    let id = milestone_id(&args.milestone)?;
    let today = today(args.now.as_deref())?;
    let store = open_store()?;
    let tip = store.tip()?;
    let Some(files) = store.snapshot_at(tip)?.milestone(&id)? else {
        return Err(crate::workflow::Rejection::NoSuchMilestone(id).into());
    };
    let mut histories = store.progress_histories(tip, Some(&id), 0)?;
    let history = histories.remove(id.as_str()).unwrap_or_default();
    let chart = chart_of(&files.definition, &history, args.by.into(), today);
    if out.json {
        return out.json_value(&json!({
            "milestone_id": id,
            "by": chart.measure,
            "series": chart.series,
            "forecast": chart.forecast,
        }));
    }
    let width = args.width.map_or_else(terminal_width, usize::from);
    let text = terminal::render(&chart, width, out.colored());
    out.line(text.trim_end())
}

/// The chart of one milestone from its history, as of `today`.
pub(super) fn chart_of(
    definition: &Milestone,
    history: &ProgressHistory,
    measure: Measure,
    today: NaiveDate,
) -> Chart {
    let mut facts = history.facts.clone();
    let tip = definition
        .tasks
        .iter()
        .map(burnup::TaskSize::from)
        .collect();
    burnup::reconcile(&mut facts, tip);
    let series = burnup::series(&facts, measure, today);
    let due = definition
        .due
        .as_deref()
        .and_then(|d| validate::parse_date_or_time(d).ok())
        .map(|t| t.date_naive());
    Chart {
        milestone: definition.id.to_string(),
        title: definition.title.clone(),
        measure,
        forecast: burnup::forecast(&series, due),
        series,
        today,
    }
}

/// `--now`, else the clock's today (UTC).
pub(super) fn today(now: Option<&str>) -> Result<NaiveDate, CliError> {
    match now {
        None => Ok(crate::clock::now().date_naive()),
        Some(value) => validate::parse_date_or_time(value)
            .map(|t| t.date_naive())
            .map_err(|e| CliError::usage(format!("--now: {e}"))),
    }
}

/// The terminal's width, `COLUMNS` where it cannot be asked, else 80.
fn terminal_width() -> usize {
    if let Some((terminal_size::Width(w), _)) = terminal_size::terminal_size() {
        return usize::from(w);
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse().ok())
        .filter(|&c: &usize| c >= 20)
        .unwrap_or(80)
}
