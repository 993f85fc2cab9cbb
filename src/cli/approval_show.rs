//! `approval show <id>`: one request in full. Its JSON is [`super::phase::request_json`],
//! the same as each entry of `approval list`, so what is added to a request (its
//! supersession, signatures, bindings) shows in both at once.

use clap::Args;

use crate::model::{ApprovalRequest, Approver, Decision};
use crate::workflow::gates::GateOverride;

use super::output::Paint;
use super::time::short_time;
use super::{CliError, Output};

/// `approval show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The request's id (see `approval list`).
    pub approval: String,
}

pub fn show(out: &Output, args: ShowArgs) -> Result<(), CliError> {
    let store = super::open_store()?;
    let requests = super::phase::all_requests(&store)?;
    let Some(request) = requests.iter().find(|r| r.id == args.approval) else {
        let ids = requests.iter().map(|r| r.id.as_str());
        let error = CliError::user(format!("no approval request {}", args.approval));
        return Err(match super::suggest::closest(&args.approval, ids) {
            Some(near) => error.hint(format!("did you mean {near}?")),
            None => error.hint("`git milestone approval list` lists the requests"),
        });
    };
    let overrides =
        super::overrides_shown::overrides(&store, &request.milestone_id, Some(&request.task_id))?;
    if out.json {
        let mut json =
            super::freshness::requests_json(&store, std::slice::from_ref(request))?.remove(0);
        // Only when there are some: otherwise it is `approval list`'s entry exactly.
        if !overrides.is_empty() {
            json["overrides"] = serde_json::json!(overrides);
        }
        return out.json_value(&json);
    }
    let verdicts = super::freshness::verdicts(&store, request)?;
    let freshness = super::freshness::verdict_lines(request, &verdicts);
    for line in request_lines(out, request, freshness) {
        out.line(line)?;
    }
    for line in override_lines(&overrides) {
        out.line(line)?;
    }
    Ok(())
}

/// The task's forced overrides of its gates, if any: they went past this request's
/// gate (or another of the task's), and whoever reads the request should know.
fn override_lines(overrides: &[GateOverride]) -> Vec<String> {
    if overrides.is_empty() {
        return Vec::new();
    }
    let mut lines = vec![String::new(), "Gates overridden on this task:".to_string()];
    lines.extend(overrides.iter().map(|o| {
        format!(
            "  {} by {}: {} → {} (--force): {:?}",
            short_time(&o.timestamp),
            o.user,
            o.previous_status,
            o.new_status,
            o.reason
        )
    }));
    lines
}

/// The text of one request: what it asks, who asked and when, then each role's
/// decision and whether it still covers its files (`freshness`).
pub fn request_lines(out: &Output, r: &ApprovalRequest, freshness: Vec<String>) -> Vec<String> {
    let mut lines = vec![
        format!("approval {}", out.paint(&r.id, Paint::Commit)),
        format!(
            "Task:        {}/{}  {}",
            r.milestone_id,
            r.task_id,
            r.transition()
        ),
        format!("Status:      {}", out.status(r.status.as_str(), 0)),
        format!(
            "Requested:   {}{}",
            short_time(&r.requested_at),
            r.requested_by
                .as_deref()
                .map(|by| format!(" by {by}"))
                .unwrap_or_default()
        ),
    ];
    if let Some(at) = &r.decided_at {
        lines.push(format!("Decided:     {}", short_time(at)));
    }
    for (label, items) in [
        ("Criteria:", &r.criteria),
        ("Deliverables:", &r.deliverables),
    ] {
        for (n, item) in items.iter().enumerate() {
            let label = if n == 0 { label } else { "" };
            lines.push(format!("{label:<12} {item}"));
        }
    }
    lines.push(String::new());
    if r.open_to_anyone {
        lines.push("Approvers:   anyone may decide, once".into());
    } else {
        lines.push("Approvers:".into());
    }
    lines.extend(r.approvers.iter().map(|a| approver_line(out, a)));
    lines.extend(ignored_lines(r));
    lines.extend(freshness);
    if r.status == Decision::Pending {
        lines.push(String::new());
        lines.push(format!(
            "Decide with `git milestone approval approve {} --role <role>` (or `reject`).",
            r.id
        ));
    }
    lines
}

/// `  lead   approved  by Ann <ann@example.com>, 2026-12-02 14:38: "ok"`.
fn approver_line(out: &Output, a: &Approver) -> String {
    let mut line = format!("  {:<10} {}", a.role, out.status(a.status.as_str(), 9));
    if let Some(by) = &a.decided_by {
        line.push_str(&format!(" by {by}"));
    }
    if let Some(at) = &a.decided_at {
        line.push_str(&format!(", {}", short_time(at)));
    }
    if let Some(comment) = a.comments.as_deref().filter(|c| !c.is_empty()) {
        line.push_str(&format!(": {comment:?}"));
    }
    if let Some(verification) = a.verification {
        line.push_str(&format!("  [{}", verification.as_str()));
        if let Some(key) = &a.key {
            line.push_str(&format!(" {key}"));
        }
        line.push(']');
    }
    line.trim_end().to_string()
}

/// The decisions that did not count under the trust list, with why.
fn ignored_lines(r: &ApprovalRequest) -> Vec<String> {
    if r.ignored.is_empty() {
        return Vec::new();
    }
    let mut lines = vec![String::new(), "Not counted:".to_string()];
    lines.extend(r.ignored.iter().map(|d| {
        format!(
            "  {:<10} {} by {}, {}: {} [{}]",
            d.role,
            d.decision.as_str(),
            d.decided_by,
            short_time(&d.decided_at),
            d.reason,
            d.verification.as_str()
        )
    }));
    lines
}
