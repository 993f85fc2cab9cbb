//! The burn-up chart in the terminal: Unicode blocks to a given width, done work as
//! filled columns (in eighths of a row), work in progress shaded above it, the scope
//! as a line over them, the ideal line, the forecast line and the due day, then the
//! forecast in words.

use chrono::{Days, NaiveDate};

use super::{amount, Chart};

/// Rows of the plot.
const HEIGHT: usize = 8;
/// The narrowest plot drawn, whatever the width.
const MIN_PLOT: usize = 10;
/// Partial fills, by eighths of a row.
const EIGHTHS: [char; 9] = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// What a cell of the plot shows, which decides its character and color.
#[derive(Clone, Copy, PartialEq)]
enum Ink {
    Done(usize),
    InProgress,
    Scope,
    Ideal,
    Forecast,
    Due,
    Empty,
}

impl Ink {
    fn glyph(self) -> char {
        match self {
            Ink::Done(eighths) => EIGHTHS[eighths],
            Ink::InProgress => '░',
            Ink::Scope => '─',
            Ink::Ideal => '·',
            Ink::Forecast => '•',
            Ink::Due => '│',
            Ink::Empty => ' ',
        }
    }

    /// The ANSI color, as git's own output uses them.
    fn color(self) -> Option<&'static str> {
        match self {
            Ink::Done(_) => Some("32"),
            Ink::InProgress => Some("33"),
            Ink::Scope => Some("1;36"),
            Ink::Ideal => Some("2"),
            Ink::Forecast => Some("35"),
            Ink::Due => Some("31"),
            Ink::Empty => None,
        }
    }
}

/// The chart, `width` columns wide, colored with ANSI codes when `color` is set.
pub fn render(chart: &Chart, width: usize, color: bool) -> String {
    let paint = |text: &str, code: Option<&str>| match code {
        Some(code) if color && !text.trim().is_empty() => format!("\x1b[{code}m{text}\x1b[0m"),
        _ => text.to_string(),
    };
    let mut out = String::new();
    out.push_str(&headline(chart));
    out.push('\n');
    if chart.series.is_empty() {
        out.push_str("no events yet\n");
        return out;
    }
    let top = chart.top();
    let label_width = amount(top).len().max(1);
    let plot = width.saturating_sub(label_width + 2).max(MIN_PLOT);
    let columns: Vec<NaiveDate> = (0..plot).map(|c| day_of(chart, c, plot)).collect();
    for row in 0..HEIGHT {
        let label = match row {
            0 => amount(top),
            r if r == HEIGHT - 1 => "0".to_string(),
            _ => String::new(),
        };
        let axis = if label.is_empty() { '│' } else { '┤' };
        out.push_str(&format!("{label:>label_width$} {axis}"));
        let mut run = String::new();
        let mut run_ink = Ink::Empty;
        let mut previous: Option<NaiveDate> = None;
        for &date in &columns {
            // A column shows the due day when it is among the days it stands for.
            let due_here = chart
                .forecast
                .due
                .is_some_and(|due| due <= date && previous.is_none_or(|p| due > p));
            previous = Some(date);
            let ink = cell(chart, date, row, top, due_here);
            if ink.color() != run_ink.color() && !run.is_empty() {
                out.push_str(&paint(&run, run_ink.color()));
                run.clear();
            }
            run_ink = ink;
            run.push(ink.glyph());
        }
        out.push_str(paint(&run, run_ink.color()).trim_end());
        out.push('\n');
    }
    out.push_str(&format!("{:label_width$} └{}\n", "", "─".repeat(plot)));
    let (start, end) = (chart.start().to_string(), chart.end().to_string());
    let gap = plot.saturating_sub(start.len() + end.len()).max(1);
    out.push_str(&format!(
        "{:label_width$}  {start}{}{end}\n",
        "",
        " ".repeat(gap)
    ));
    out.push_str(&legend(chart, &paint));
    out.push_str(&chart.forecast.sentence());
    out.push('\n');
    out
}

/// "m1 — Title: 3 of 5 tasks done (60%)".
pub fn headline(chart: &Chart) -> String {
    let title = if chart.title.is_empty() {
        chart.milestone.clone()
    } else {
        format!("{} — {}", chart.milestone, chart.title)
    };
    let Some(last) = chart.series.last() else {
        return title;
    };
    let unit = match chart.measure {
        crate::workflow::burnup::Measure::Count => "tasks",
        crate::workflow::burnup::Measure::Points => "points",
    };
    let percent = if last.scope > 0.0 {
        (last.done / last.scope * 100.0).floor()
    } else {
        0.0
    };
    format!(
        "{title}: {} of {} {unit} done ({percent}%)",
        amount(last.done),
        amount(last.scope)
    )
}

fn legend(chart: &Chart, paint: &dyn Fn(&str, Option<&str>) -> String) -> String {
    let mut items = vec![
        (Ink::Done(8), "done"),
        (Ink::InProgress, "in progress"),
        (Ink::Scope, "scope"),
    ];
    if chart.forecast.due.is_some() {
        items.push((Ink::Ideal, "ideal"));
    }
    if chart.forecast_day().is_some() {
        items.push((Ink::Forecast, "forecast"));
    }
    if chart.forecast.due.is_some() {
        items.push((Ink::Due, "due"));
    }
    let parts: Vec<String> = items
        .into_iter()
        .map(|(ink, name)| format!("{} {name}", paint(&ink.glyph().to_string(), ink.color())))
        .collect();
    format!("{}\n", parts.join("  "))
}

/// The day column `column` of `plot` stands for: the span is spread evenly, and a
/// column that covers several days shows the last of them.
fn day_of(chart: &Chart, column: usize, plot: usize) -> NaiveDate {
    let days = chart.span_days() as usize + 1;
    let index = ((column + 1) * days).div_ceil(plot).saturating_sub(1);
    chart.start() + Days::new(index.min(days - 1) as u64)
}

/// What the cell of `row` (0 at the top) shows on `date`.
fn cell(chart: &Chart, date: NaiveDate, row: usize, top: f64, due_here: bool) -> Ink {
    let unit = top / HEIGHT as f64;
    let bottom = (HEIGHT - 1 - row) as f64 * unit;
    let within = |value: f64| value > bottom && value <= bottom + unit + 1e-9;
    if let Some(day) = chart.on(date) {
        let eighths = ((day.done - bottom) / unit * 8.0).round().clamp(0.0, 8.0) as usize;
        if eighths > 0 {
            return Ink::Done(eighths);
        }
        if day.in_progress > 0.0 && day.done + day.in_progress > bottom + unit / 2.0 {
            return Ink::InProgress;
        }
        if within(day.scope) {
            return Ink::Scope;
        }
    }
    if due_here {
        return Ink::Due;
    }
    // The forecast goes on from the last day at the recent pace to the whole scope.
    if chart.forecast_line(date).is_some_and(&within) {
        return Ink::Forecast;
    }
    // The due day's other columns stay clear, so the line ends at the marker.
    if chart.forecast.due.is_some_and(|due| date >= due) {
        return Ink::Empty;
    }
    match chart.ideal(date) {
        Some(ideal) if within(ideal) || (ideal == 0.0 && row == HEIGHT - 1) => Ink::Ideal,
        _ => Ink::Empty,
    }
}
