//! The pages of the static report: the index of all milestones and one page per
//! milestone. Plain HTML with inline SVG and one CSS block: nothing to load, nothing
//! to run, readable in light and dark schemes and on paper.

use std::fmt::Write;

use chrono::NaiveDate;

use super::svg::{self, escape};
use super::{amount, Chart};
use crate::model::{ApprovalRequest, EventRecord, Milestone, PhaseStatus, TaskStatus};
use crate::store::Checkpoint;
use crate::workflow::gates::GateOverride;

/// Everything one milestone's page shows.
#[derive(Debug, Clone)]
pub struct MilestonePage {
    /// The definition at the tip.
    pub definition: Milestone,
    /// Derived status and progress.
    pub progress: crate::workflow::MilestoneProgress,
    /// The burn-up, burndown and forecast.
    pub chart: Chart,
    /// Approval requests, oldest first.
    pub approvals: Vec<ApprovalRequest>,
    /// Workflow gates forced past (`--force --reason`), oldest first.
    pub overrides: Vec<GateOverride>,
    /// The newest events, oldest first.
    pub recent: Vec<EventRecord>,
    /// How many events the milestone has in all.
    pub event_count: usize,
    /// Its checkpoints, oldest first.
    pub checkpoints: Vec<Checkpoint>,
    /// Each decision's freshness at the target revision, by (request id, role).
    pub freshness:
        std::collections::BTreeMap<(String, String), crate::workflow::freshness::Freshness>,
}

impl MilestonePage {
    /// The page's file name in the report folder.
    pub fn file_name(&self) -> String {
        format!("milestone-{}.html", self.definition.id)
    }

    /// Whether the due day has passed with the milestone not completed.
    pub fn overdue(&self) -> bool {
        self.chart
            .forecast
            .due
            .is_some_and(|due| due < self.chart.today)
            && self.progress.status != crate::workflow::MilestoneStatus::Completed
    }
}

const STYLE: &str = include_str!("report.css");

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"color-scheme\" content=\"light dark\">\n\
         <title>{}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        escape(title)
    )
}

/// The index: every milestone with its progress, due day and a sparkline.
pub fn index(pages: &[MilestonePage], today: NaiveDate, tip: &str) -> String {
    let mut body = String::new();
    let _ = write!(
        body,
        "<header><h1>Milestones</h1><p class=\"meta\">{} milestones · as of {today} · \
         <code>refs/milestones</code> at <code>{}</code></p></header>\n<main>\n",
        pages.len(),
        escape(short(tip))
    );
    if pages.is_empty() {
        body.push_str(
            "<p>No milestones yet: <code>git milestone new &lt;id&gt;</code> creates one.</p>\n",
        );
    } else {
        body.push_str(
            "<table class=\"milestones\">\n<caption>Every milestone, its progress and its burn-up</caption>\n\
             <thead><tr><th scope=\"col\">Milestone</th><th scope=\"col\">Status</th>\
             <th scope=\"col\">Progress</th><th scope=\"col\">Done</th><th scope=\"col\">Due</th>\
             <th scope=\"col\">Burn-up</th></tr></thead>\n<tbody>\n",
        );
        for (i, p) in pages.iter().enumerate() {
            index_row(&mut body, p, i);
        }
        body.push_str("</tbody>\n</table>\n");
    }
    body.push_str("</main>\n");
    page("Milestones", &body)
}

fn index_row(body: &mut String, p: &MilestonePage, i: usize) {
    let d = &p.definition;
    let name = if d.title.is_empty() {
        escape(d.id.as_str())
    } else {
        format!(
            "{} <span class=\"title\">{}</span>",
            escape(d.id.as_str()),
            escape(&d.title)
        )
    };
    let _ = writeln!(
        body,
        "<tr><th scope=\"row\"><a href=\"{}\">{name}</a></th><td>{}</td><td>{}</td>\
         <td>{}/{}</td><td>{}</td><td>{}</td></tr>",
        p.file_name(),
        status_badge(p.progress.status.to_string().as_str()),
        meter(p.progress.percentage),
        p.progress.completed_tasks,
        p.progress.total_tasks,
        due_text(p),
        svg::sparkline(&p.chart, &format!("spark-{i}"))
    );
}

/// One milestone's page.
pub fn milestone(p: &MilestonePage) -> String {
    let d = &p.definition;
    let heading = if d.title.is_empty() {
        escape(d.id.as_str())
    } else {
        format!("{} — {}", escape(d.id.as_str()), escape(&d.title))
    };
    let mut body = String::new();
    let _ = write!(
        body,
        "<nav><a href=\"index.html\">← All milestones</a></nav>\n<header><h1>{heading}</h1>\n\
         <p class=\"meta\">{} · {} · {}/{} tasks done · due {} · as of {}</p>\n",
        status_badge(p.progress.status.to_string().as_str()),
        meter(p.progress.percentage),
        p.progress.completed_tasks,
        p.progress.total_tasks,
        due_text(p),
        p.chart.today
    );
    if let Some(description) = &d.description {
        let _ = writeln!(body, "<p>{}</p>", escape(description));
    }
    let _ = write!(
        body,
        "<p class=\"outlook\">Forecast: {}</p>\n</header>\n<main>\n",
        escape(&p.chart.forecast.sentence())
    );
    charts(&mut body, p);
    tasks(&mut body, d);
    funnel(&mut body, d);
    approvals(&mut body, &p.approvals, &p.freshness);
    overrides(&mut body, &p.overrides);
    timeline(&mut body, p);
    checkpoints(&mut body, &p.checkpoints);
    body.push_str("</main>\n");
    page(&format!("{} — milestones", d.id), &body)
}

fn charts(body: &mut String, p: &MilestonePage) {
    let unit = p.chart.measure.as_str();
    let _ = write!(
        body,
        "<section><h2>Burn-up</h2>\n<figure>{}\n<figcaption>Work ({unit}) in scope and done per day. \
         {}</figcaption></figure>\n{}</section>\n",
        svg::burnup(&p.chart, "burnup"),
        legend(&[("done", "done"), ("started", "done + in progress"), ("scope", "scope"), ("ideal", "ideal"), ("forecast", "forecast")]),
        data_table(&p.chart)
    );
    let _ = write!(
        body,
        "<section><h2>Burndown</h2>\n<figure>{}\n<figcaption>Work ({unit}) remaining per day. {}</figcaption></figure></section>\n",
        svg::burndown(&p.chart, "burndown"),
        legend(&[("remaining", "remaining"), ("ideal", "ideal")])
    );
}

fn legend(items: &[(&str, &str)]) -> String {
    let spans: Vec<String> = items
        .iter()
        .map(|(class, name)| format!("<span class=\"key {class}\">{name}</span>"))
        .collect();
    format!("<span class=\"legend\">{}</span>", spans.join(" "))
}

/// The chart's numbers, for readers who cannot see it (folded away for the others).
fn data_table(chart: &Chart) -> String {
    let mut out = String::from(
        "<details><summary>The numbers</summary><table><thead><tr><th scope=\"col\">Day</th>\
         <th scope=\"col\">Scope</th><th scope=\"col\">Done</th><th scope=\"col\">In progress</th>\
         </tr></thead><tbody>\n",
    );
    let mut previous = None;
    for day in &chart.series {
        let values = (day.scope, day.done, day.in_progress);
        if previous == Some(values) {
            continue;
        }
        previous = Some(values);
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            day.date,
            amount(day.scope),
            amount(day.done),
            amount(day.in_progress)
        );
    }
    out.push_str("</tbody></table></details>\n");
    out
}

fn tasks(body: &mut String, d: &Milestone) {
    body.push_str("<section><h2>Tasks</h2>\n");
    if d.tasks.is_empty() {
        body.push_str("<p>No tasks yet.</p></section>\n");
        return;
    }
    body.push_str(
        "<table><thead><tr><th scope=\"col\">Task</th><th scope=\"col\">Status</th>\
         <th scope=\"col\">Phase</th><th scope=\"col\">Points</th><th scope=\"col\">Progress</th></tr></thead><tbody>\n",
    );
    let config = d.kiro_configuration.as_ref();
    for t in &d.tasks {
        let phase = t
            .workflow()
            .map(|w| {
                format!(
                    "{} ({})",
                    w.current_phase,
                    w.phases.get(w.current_phase).status
                )
            })
            .unwrap_or_default();
        let name = if t.title.is_empty() {
            escape(t.id.as_str())
        } else {
            format!(
                "{} <span class=\"title\">{}</span>",
                escape(t.id.as_str()),
                escape(&t.title)
            )
        };
        let _ = writeln!(
            body,
            "<tr><th scope=\"row\">{name}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            status_badge(t.status.as_str()),
            escape(&phase),
            t.points.map(amount).unwrap_or_default(),
            meter(crate::workflow::task_progress(t, config))
        );
    }
    body.push_str("</tbody></table></section>\n");
}

/// Workflow tasks by where they stand: each phase, waiting for approval, blocked.
pub fn phase_funnel(d: &Milestone) -> Vec<(String, usize)> {
    let mut rows: Vec<(String, usize)> = crate::model::Phase::ALL
        .iter()
        .map(|p| (format!("in {p}"), 0))
        .collect();
    rows.extend(["waiting for approval", "blocked", "completed"].map(|l| (l.to_string(), 0)));
    for t in &d.tasks {
        let Some(w) = t.workflow() else { continue };
        let status = w.phases.get(w.current_phase).status;
        let row = if t.status == TaskStatus::Completed {
            6
        } else if status == PhaseStatus::WaitingApproval {
            4
        } else if status == PhaseStatus::Blocked || t.status == TaskStatus::Blocked {
            5
        } else {
            w.current_phase as usize
        };
        rows[row].1 += 1;
    }
    rows
}

fn funnel(body: &mut String, d: &Milestone) {
    if !d.tasks.iter().any(|t| t.workflow().is_some()) {
        return;
    }
    let _ = writeln!(
        body,
        "<section><h2>Phase funnel</h2>\n<figure>{}<figcaption>Workflow tasks by phase.</figcaption></figure></section>",
        svg::bars(&phase_funnel(d), "funnel", "Workflow tasks by phase")
    );
}

fn approvals(
    body: &mut String,
    requests: &[ApprovalRequest],
    freshness: &std::collections::BTreeMap<(String, String), crate::workflow::freshness::Freshness>,
) {
    body.push_str("<section><h2>Approvals</h2>\n");
    if requests.is_empty() {
        body.push_str("<p>No approval requests.</p></section>\n");
        return;
    }
    body.push_str(
        "<table><thead><tr><th scope=\"col\">Request</th><th scope=\"col\">Role</th>\
         <th scope=\"col\">Decision</th><th scope=\"col\">Who</th><th scope=\"col\">When</th>\
         <th scope=\"col\">Comment</th><th scope=\"col\">Verified</th>\
         <th scope=\"col\">Files</th></tr></thead><tbody>\n",
    );
    for r in requests {
        let request = format!(
            "{} <span class=\"title\">{} {} · asked by {} at {} · {}</span>",
            escape(&r.id),
            escape(r.task_id.as_str()),
            escape(&r.transition()),
            escape(r.requested_by.as_deref().unwrap_or("unknown")),
            escape(&r.requested_at),
            status_badge(r.status.as_str())
        );
        let rows = r.approvers.len().max(1);
        let _ = write!(
            body,
            "<tr><th scope=\"rowgroup\" rowspan=\"{rows}\">{request}</th>"
        );
        if r.approvers.is_empty() {
            body.push_str("<td colspan=\"7\">open to anyone, no decision yet</td></tr>\n");
        }
        for (i, a) in r.approvers.iter().enumerate() {
            if i > 0 {
                body.push_str("<tr>");
            }
            // As checked against the trust list when the decision was recorded; one
            // made without a trust list, or before decisions were checked, is unverified.
            let verified = match (&a.decided_by, a.verification) {
                (None, _) => "",
                (Some(_), Some(verification)) => verification.as_str(),
                (Some(_), None) => "unverified",
            };
            // Whether the decision still covers the files it examined, as of the
            // revision the report was made at.
            let files = freshness
                .get(&(r.id.clone(), a.role.clone()))
                .map_or("", |f| f.as_str());
            let _ = writeln!(
                body,
                "<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{verified}</td><td>{files}</td></tr>",
                escape(&a.role),
                status_badge(a.status.as_str()),
                escape(a.decided_by.as_deref().unwrap_or("")),
                escape(a.decided_at.as_deref().unwrap_or("")),
                escape(a.comments.as_deref().unwrap_or(""))
            );
        }
    }
    body.push_str("</tbody></table></section>\n");
}

/// The gates forced past, beside the approval trail they went around; no section when
/// there are none.
fn overrides(body: &mut String, list: &[GateOverride]) {
    if list.is_empty() {
        return;
    }
    body.push_str(
        "<section><h2>Gates overridden</h2>\n<p class=\"meta\">Workflow tasks moved past their \
         approval gates with <code>--force --reason</code>.</p>\n<table><thead><tr>\
         <th scope=\"col\">Task</th><th scope=\"col\">Moved</th><th scope=\"col\">Who</th>\
         <th scope=\"col\">When</th><th scope=\"col\">Reason</th></tr></thead><tbody>\n",
    );
    for o in list {
        let _ = writeln!(
            body,
            "<tr><td>{}</td><td>{} → {}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&o.task_id),
            status_badge(&o.previous_status),
            status_badge(&o.new_status),
            escape(&o.user),
            escape(&o.timestamp),
            escape(&o.reason)
        );
    }
    body.push_str("</tbody></table></section>\n");
}

fn timeline(body: &mut String, p: &MilestonePage) {
    let _ = write!(
        body,
        "<section><h2>Recent events</h2>\n<p class=\"meta\">The newest {} of {} events, newest first.</p>\n",
        p.recent.len(),
        p.event_count
    );
    body.push_str(
        "<table class=\"events\"><thead><tr><th scope=\"col\">When</th><th scope=\"col\">Event</th>\
         <th scope=\"col\">Who</th><th scope=\"col\">Details</th></tr></thead><tbody>\n",
    );
    for e in p.recent.iter().rev() {
        let _ = writeln!(
            body,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
            escape(&e.timestamp),
            escape(&e.event_type),
            escape(&e.user),
            escape(&details(&e.data))
        );
    }
    body.push_str("</tbody></table></section>\n");
}

/// An event's data in one short line.
fn details(data: &serde_json::Value) -> String {
    const MAX: usize = 160;
    let text = if data.is_null() {
        String::new()
    } else {
        data.to_string()
    };
    match text.char_indices().nth(MAX) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text,
    }
}

fn checkpoints(body: &mut String, list: &[Checkpoint]) {
    body.push_str("<section><h2>Checkpoints</h2>\n");
    if list.is_empty() {
        body.push_str("<p>No checkpoints.</p></section>\n");
        return;
    }
    body.push_str(
        "<table><thead><tr><th scope=\"col\">Name</th><th scope=\"col\">Created</th>\
         <th scope=\"col\">By</th><th scope=\"col\">Commit</th></tr></thead><tbody>\n",
    );
    for c in list {
        let _ = writeln!(
            body,
            "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
            escape(&c.name),
            escape(&c.created_at),
            escape(&c.created_by),
            escape(short(&c.commit))
        );
    }
    body.push_str("</tbody></table></section>\n");
}

fn status_badge(status: &str) -> String {
    format!("<span class=\"status {0}\">{0}</span>", escape(status))
}

/// A progress bar that reads as a number too.
fn meter(percentage: f64) -> String {
    let shown = crate::workflow::display_percentage(percentage);
    format!("<meter min=\"0\" max=\"100\" value=\"{shown}\">{shown}%</meter> {shown}%")
}

fn due_text(p: &MilestonePage) -> String {
    match p.chart.forecast.due {
        None => "none".to_string(),
        Some(due) if p.overdue() => format!("{due} <strong class=\"overdue\">overdue</strong>"),
        Some(due) => due.to_string(),
    }
}

fn short(commit: &str) -> &str {
    commit.get(..12).unwrap_or(commit)
}
