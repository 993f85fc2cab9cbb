//! SVG charts, drawn as text: the burn-up, the burndown, the index's sparklines and
//! the phase funnel. Colors come from CSS classes, so the page decides them for light
//! and dark schemes and for print; every chart has a title and a text alternative.

use std::fmt::Write;

use chrono::NaiveDate;

use super::{amount, Chart};
use crate::workflow::burnup::Day;

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 280.0;
const LEFT: f64 = 52.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 44.0;

/// Escapes text for HTML and SVG, attributes included.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Maps days and values to the plot area.
struct Frame {
    start: NaiveDate,
    span: f64,
    top: f64,
}

impl Frame {
    fn of(chart: &Chart, top: f64) -> Self {
        Frame {
            start: chart.start(),
            span: chart.span_days() as f64,
            top,
        }
    }

    fn x(&self, date: NaiveDate) -> f64 {
        LEFT + (date - self.start).num_days() as f64 / self.span * (WIDTH - LEFT - RIGHT)
    }

    fn y(&self, value: f64) -> f64 {
        TOP + (1.0 - value / self.top) * (HEIGHT - TOP - BOTTOM)
    }
}

/// A point as SVG takes it, rounded so the text is short and stable.
fn pt(x: f64, y: f64) -> String {
    format!("{x:.1},{y:.1}")
}

/// A line through each day's value, as steps: a change shows on the day it happened.
fn steps(frame: &Frame, days: &[Day], value: impl Fn(&Day) -> f64) -> Vec<String> {
    let mut points = Vec::new();
    for (i, day) in days.iter().enumerate() {
        let x = frame.x(day.date);
        if i > 0 {
            points.push(pt(x, frame.y(value(&days[i - 1]))));
        }
        points.push(pt(x, frame.y(value(day))));
    }
    points
}

/// Opens an accessible SVG element: role img, a title and a description.
fn open(out: &mut String, id: &str, class: &str, size: (f64, f64), title: &str, desc: &str) {
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"{class}\" viewBox=\"0 0 {} {}\" \
         role=\"img\" aria-labelledby=\"{id}-title {id}-desc\">\
         <title id=\"{id}-title\">{}</title><desc id=\"{id}-desc\">{}</desc>",
        size.0,
        size.1,
        escape(title),
        escape(desc)
    );
}

fn axes(out: &mut String, chart: &Chart, frame: &Frame) {
    for value in [0.0, frame.top / 2.0, frame.top] {
        let y = frame.y(value);
        let _ = write!(
            out,
            "<line class=\"grid\" x1=\"{LEFT}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\"/>\
             <text class=\"label\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            WIDTH - RIGHT,
            LEFT - 6.0,
            y + 4.0,
            amount(value)
        );
    }
    let base = HEIGHT - BOTTOM;
    for (date, anchor) in [(chart.start(), "start"), (chart.end(), "end")] {
        let _ = write!(
            out,
            "<text class=\"label\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\">{date}</text>",
            frame.x(date),
            base + 18.0
        );
    }
    marker(out, frame, chart.today, "today", "today", base + 34.0);
    if let Some(due) = chart.forecast.due {
        marker(out, frame, due, "due", &format!("due {due}"), base + 34.0);
    }
}

/// A vertical line at `date` with a label under the axis.
fn marker(out: &mut String, frame: &Frame, date: NaiveDate, class: &str, label: &str, y: f64) {
    let x = frame.x(date);
    // A label near an edge grows inwards, so it is never cut off.
    let anchor = if x < LEFT + 60.0 {
        "start"
    } else if x > WIDTH - RIGHT - 60.0 {
        "end"
    } else {
        "middle"
    };
    let _ = write!(
        out,
        "<line class=\"{class}\" x1=\"{x:.1}\" y1=\"{TOP}\" x2=\"{x:.1}\" y2=\"{:.1}\"/>\
         <text class=\"label {class}-label\" x=\"{x:.1}\" y=\"{y:.1}\" text-anchor=\"{anchor}\">{}</text>",
        HEIGHT - BOTTOM,
        escape(label)
    );
}

/// The burn-up chart: done work as an area, work started above it, the scope line (a
/// task added later raises it), the ideal line to the due day, and the forecast.
pub fn burnup(chart: &Chart, id: &str) -> String {
    let frame = Frame::of(chart, chart.top());
    let mut out = String::new();
    let title = format!("Burn-up of {}", chart.milestone);
    open(
        &mut out,
        id,
        "chart",
        (WIDTH, HEIGHT),
        &title,
        &describe(chart),
    );
    axes(&mut out, chart, &frame);
    if let (Some(first), Some(last)) = (chart.series.first(), chart.series.last()) {
        let done = steps(&frame, &chart.series, |d| d.done);
        let _ = write!(
            out,
            "<polygon class=\"done\" points=\"{} {} {}\"/>",
            pt(frame.x(first.date), frame.y(0.0)),
            done.join(" "),
            pt(frame.x(last.date), frame.y(0.0))
        );
        polyline(&mut out, "done", &done);
        polyline(
            &mut out,
            "started",
            &steps(&frame, &chart.series, |d| d.done + d.in_progress),
        );
        polyline(
            &mut out,
            "scope",
            &steps(&frame, &chart.series, |d| d.scope),
        );
        if let Some(due) = chart.forecast.due.filter(|due| *due > chart.start()) {
            let ideal = [
                pt(frame.x(chart.start()), frame.y(0.0)),
                pt(frame.x(due), frame.y(last.scope)),
            ];
            polyline(&mut out, "ideal", &ideal);
        }
        if let Some(date) = chart.forecast_day() {
            let line = [
                pt(frame.x(last.date), frame.y(last.done)),
                pt(frame.x(date), frame.y(last.scope)),
            ];
            polyline(&mut out, "forecast", &line);
        }
    }
    out.push_str("</svg>");
    out
}

/// The burndown chart: the work remaining each day, and the ideal line to the due day.
pub fn burndown(chart: &Chart, id: &str) -> String {
    let top = chart.series.iter().map(Day::remaining).fold(1.0, f64::max);
    let frame = Frame::of(chart, top);
    let mut out = String::new();
    let title = format!("Burndown of {}", chart.milestone);
    let left = chart.series.last().map_or(0.0, Day::remaining);
    let desc = format!("{} left on {}.", amount(left), chart.today);
    open(&mut out, id, "chart", (WIDTH, HEIGHT), &title, &desc);
    axes(&mut out, chart, &frame);
    polyline(
        &mut out,
        "remaining",
        &steps(&frame, &chart.series, Day::remaining),
    );
    if let (Some(due), Some(first)) = (chart.forecast.due, chart.series.first()) {
        if due > first.date {
            let ideal = [
                pt(frame.x(first.date), frame.y(first.remaining())),
                pt(frame.x(due), frame.y(0.0)),
            ];
            polyline(&mut out, "ideal", &ideal);
        }
    }
    out.push_str("</svg>");
    out
}

/// A small burn-up for the index: scope and done, no axes.
pub fn sparkline(chart: &Chart, id: &str) -> String {
    let (w, h) = (120.0, 28.0);
    let top = chart.top();
    let span = chart.span_days() as f64;
    let x = |date: NaiveDate| 1.0 + (date - chart.start()).num_days() as f64 / span * (w - 2.0);
    let y = |v: f64| 1.0 + (1.0 - v / top) * (h - 2.0);
    let mut out = String::new();
    let title = format!("Burn-up of {}", chart.milestone);
    open(&mut out, id, "spark", (w, h), &title, &describe(chart));
    for (class, value) in [("done", 0usize), ("scope", 1)] {
        let points: Vec<String> = chart
            .series
            .iter()
            .map(|d| pt(x(d.date), y(if value == 0 { d.done } else { d.scope })))
            .collect();
        polyline(&mut out, class, &points);
    }
    out.push_str("</svg>");
    out
}

/// Horizontal bars, one per `(label, count)`: the phase funnel.
pub fn bars(rows: &[(String, usize)], id: &str, title: &str) -> String {
    let row_height = 26.0;
    let (w, h) = (WIDTH, row_height * rows.len() as f64 + 8.0);
    let most = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1) as f64;
    let desc: Vec<String> = rows.iter().map(|(l, c)| format!("{l}: {c}")).collect();
    let mut out = String::new();
    open(
        &mut out,
        id,
        "bars",
        (w, h),
        title,
        &format!("{}.", desc.join(", ")),
    );
    for (i, (label, count)) in rows.iter().enumerate() {
        let y = 4.0 + i as f64 * row_height;
        let bar = (*count as f64 / most) * (w - 220.0);
        let _ = write!(
            out,
            "<text class=\"label\" x=\"150\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\
             <rect class=\"bar\" x=\"160\" y=\"{y:.1}\" width=\"{bar:.1}\" height=\"{:.1}\"/>\
             <text class=\"label\" x=\"{:.1}\" y=\"{:.1}\">{count}</text>",
            y + 17.0,
            escape(label),
            row_height - 8.0,
            166.0 + bar,
            y + 17.0
        );
    }
    out.push_str("</svg>");
    out
}

fn polyline(out: &mut String, class: &str, points: &[String]) {
    if points.is_empty() {
        return;
    }
    let _ = write!(
        out,
        "<polyline class=\"{class}\" points=\"{}\"/>",
        points.join(" ")
    );
}

/// The text alternative of a burn-up: where it started, where it is, the forecast.
pub fn describe(chart: &Chart) -> String {
    let Some(last) = chart.series.last() else {
        return "No events yet.".to_string();
    };
    let first = &chart.series[0];
    format!(
        "From {} (scope {}) to {}: scope {}, done {}, in progress {}. Forecast: {}.",
        first.date,
        amount(first.scope),
        last.date,
        amount(last.scope),
        amount(last.done),
        amount(last.in_progress),
        chart.forecast.sentence()
    )
}
