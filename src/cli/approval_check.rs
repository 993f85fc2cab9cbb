//! `approval check`, `approval diff` and `approval renew`: whether the approvals that
//! unfinished tasks rely on still cover what the files say, what changed, and
//! approving the new content. Freshness is derived here on every read; only `renew`
//! writes, and only the new decision.

use std::io::{BufRead, IsTerminal, Write};

use clap::Args;
use serde_json::json;

use crate::model::{ApprovalRequest, Decision, MilestoneFiles, Op};
use crate::workflow::freshness::{self, Freshness};

use super::freshness::{binding_for, milestone_files, problem_lines, problems, target, verdict};
use super::{milestone_id, open_store, CliError, Output};

/// `approval check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Only this milestone; all of them when omitted.
    pub milestone: Option<String>,
    /// The revision to check against (default: milestone.approvalTarget, else HEAD).
    #[arg(long, value_name = "REV")]
    pub at: Option<String>,
}

/// `approval diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The request's id (see `approval list`).
    pub approval: String,
    /// Only this role's decision.
    #[arg(long)]
    pub role: Option<String>,
    /// The revision to compare with (default: milestone.approvalTarget, else HEAD).
    #[arg(long, value_name = "REV")]
    pub at: Option<String>,
}

/// `approval renew`.
#[derive(Debug, Args)]
pub struct RenewArgs {
    /// The request's id (see `approval list`).
    pub approval: String,
    /// The role that approved it, deciding again.
    #[arg(long)]
    pub role: String,
    /// The revision whose content is approved (default: milestone.approvalTarget,
    /// else HEAD).
    #[arg(long, value_name = "REV")]
    pub at: Option<String>,
    /// A comment kept with the decision.
    #[arg(long)]
    pub comment: Option<String>,
}

pub fn check(out: &Output, args: CheckArgs) -> Result<(), CliError> {
    let store = open_store()?;
    let ids = match &args.milestone {
        Some(m) => vec![milestone_id(m)?],
        None => store.snapshot()?.milestone_ids()?,
    };
    let target = target(&store, args.at.as_deref())?;
    let all: Vec<MilestoneFiles> = ids
        .iter()
        .map(|id| milestone_files(&store, id))
        .collect::<Result<_, _>>()?;
    let found: Vec<_> = all
        .iter()
        .flat_map(|f| problems(&store, f, None, target))
        .collect();
    let blocking = found.iter().filter(|p| p.blocks()).count();
    if out.json {
        let listed: Vec<_> = found
            .iter()
            .map(|p| {
                json!({
                    "approval_id": p.request.id,
                    "milestone_id": p.request.milestone_id.as_str(),
                    "task_id": p.request.task_id.as_str(),
                    "role": p.role,
                    "freshness": p.verdict.freshness.as_str(),
                    "on_stale": p.on_stale.as_str(),
                    "blocking": p.blocks(),
                    "files": p.verdict.files,
                })
            })
            .collect();
        let target = target.map(|t| t.to_string());
        out.json_value(&json!({"target": target, "ok": blocking == 0, "problems": listed}))?;
    } else {
        for problem in &found {
            for line in problem_lines(problem) {
                out.line(line)?;
            }
        }
    }
    if blocking == 0 {
        if !out.json && found.is_empty() {
            out.note("Every approval an unfinished task relies on is fresh.")?;
        }
        return Ok(());
    }
    Err(CliError::user(format!(
        "{blocking} approval(s) that unfinished tasks rely on no longer cover their files"
    ))
    .hint("`git milestone approval diff <id>` shows what changed; `git milestone approval renew <id> --role <role>` approves the new content"))
}

/// The request `id` names, with its milestone's files.
fn find(
    store: &crate::store::Store,
    id: &str,
) -> Result<(MilestoneFiles, ApprovalRequest), CliError> {
    let (milestone, approval) = super::phase::owner_of(store, id)?;
    let files = milestone_files(store, &milestone)?;
    let request = files
        .approvals
        .as_ref()
        .and_then(|a| a.get(&approval))
        .cloned()
        .ok_or_else(|| CliError::user(format!("no approval request {id}")))?;
    Ok((files, request))
}

pub fn diff(out: &Output, args: DiffArgs) -> Result<(), CliError> {
    let store = open_store()?;
    let (_, request) = find(&store, &args.approval)?;
    let target = target(&store, args.at.as_deref())?;
    let mut shown = Vec::new();
    for approver in &request.approvers {
        if args.role.as_ref().is_some_and(|r| *r != approver.role) {
            continue;
        }
        let Some(binding) = &approver.binding else {
            continue;
        };
        if shown.contains(&binding) {
            continue;
        }
        shown.push(binding);
        let files: Vec<_> = binding.deliverables.iter().collect();
        let text = store
            .binding_diff(binding, &files, target)
            .map_err(super::freshness::refusal)?;
        if !text.is_empty() {
            out.line(text.trim_end())?;
        }
    }
    if shown.is_empty() {
        return Err(CliError::user(format!(
            "no decision on {} recorded what it approved",
            request.id
        ))
        .hint("decisions made before approvals were bound have nothing to compare; `git milestone approval show` lists them"));
    }
    Ok(())
}

pub fn renew(out: &Output, args: RenewArgs) -> Result<(), CliError> {
    let store = open_store()?;
    let (files, request) = find(&store, &args.approval)?;
    let approver = request
        .approvers
        .iter()
        .find(|a| a.role == args.role && a.status == Decision::Approved)
        .ok_or_else(|| {
            CliError::user(format!(
                "{} has no approval by {} to renew",
                request.id, args.role
            ))
            .hint(format!(
                "`git milestone approval show {}` lists its decisions",
                request.id
            ))
        })?;
    let gate = freshness::gate_of(&files, &request);
    let now = target(&store, args.at.as_deref())?;
    if verdict(&store, gate, approver, now).freshness == Freshness::Fresh {
        return out.note(format!(
            "{}'s approval of {} is fresh; nothing to renew.",
            args.role, request.id
        ));
    }
    let binding = binding_for(&store, &files, &request, args.at.as_deref())?;
    if let Some(old) = &approver.binding {
        let followed = freshness::followed(old, &approver.role, gate);
        let text = store
            .binding_diff(old, &followed, now)
            .map_err(super::freshness::refusal)?;
        if !confirm(out, &text, &request.id, &args.role)? {
            return out.note("Not renewed.");
        }
    }
    let by = {
        let (name, email) = store.identity()?;
        format!("{name} <{email}>")
    };
    let outcome = store.transact(Op::DecideApproval {
        milestone: request.milestone_id.clone(),
        approval: request.id.clone(),
        role: args.role.clone(),
        decision: Decision::Approved,
        comment: args.comment,
        by,
        binding,
        renew: true,
    })?;
    out.outcome(
        &outcome,
        &format!(
            "{} renewed {}: it now covers the files as they are.",
            args.role, request.id
        ),
    )
}

/// On a terminal: shows the diff and asks. Without one (scripts, CI) it decides
/// without asking, as the command was told to.
fn confirm(out: &Output, diff: &str, id: &str, role: &str) -> Result<bool, CliError> {
    let asking = std::io::stdin().is_terminal() && std::io::stderr().is_terminal() && !out.json;
    if !asking {
        return Ok(true);
    }
    out.line(diff.trim_end())?;
    let mut stderr = std::io::stderr();
    let _ = write!(stderr, "Approve this content of {id} as {role}? [y/N] ");
    let _ = stderr.flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| CliError::user(format!("reading the answer failed: {e}")))?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}
