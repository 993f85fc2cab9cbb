//! Freshness for the commands: binding a decision to the deliverables at the examined
//! commit, and judging decisions against the target revision. The rules are
//! [`crate::workflow::freshness`]; the files are read by [`crate::store::deliverables`].

use git2::Oid;
use serde_json::{json, Value};

use crate::model::{
    ApprovalGate, ApprovalRequest, Approver, Binding, Decision, MilestoneFiles, MilestoneId,
    OnStale,
};
use crate::store::{DeliverableError, Parts, Store};
use crate::workflow::freshness::{self, Freshness, Verdict};

use super::CliError;

/// The revision approvals are judged against (`--at`, `milestone.approvalTarget`,
/// HEAD); `None` when HEAD is unborn.
pub fn target(store: &Store, at: Option<&str>) -> Result<Option<Oid>, CliError> {
    store.approval_target(at).map_err(refusal)
}

/// What a decision on `request` binds: its deliverables and the gate's watched files
/// at the examined commit. None when there is nothing to bind and no commit.
pub fn binding_for(
    store: &Store,
    files: &MilestoneFiles,
    request: &ApprovalRequest,
    at: Option<&str>,
) -> Result<Option<Binding>, CliError> {
    let gate = freshness::gate_of(files, request);
    let watches = gate.is_some_and(|g| !g.also_watch.is_empty());
    match target(store, at)? {
        Some(commit) => store
            .bind(commit, &request.deliverables, gate)
            .map(Some)
            .map_err(|e| refusal(e).hint(fix_hint(&request.milestone_id))),
        None if request.deliverables.is_empty() && !watches => Ok(None),
        None => Err(refusal(DeliverableError::NoCommit)),
    }
}

/// How one decided approver's decision stands at `target`.
pub fn verdict(
    store: &Store,
    gate: Option<&ApprovalGate>,
    approver: &Approver,
    target: Option<Oid>,
) -> Verdict {
    let checks = approver.binding.as_ref().map(|binding| {
        let followed = freshness::followed(binding, &approver.role, gate);
        store.check_binding(binding, &followed, target)
    });
    freshness::verdict(checks)
}

/// The milestone's files with its approval requests.
pub fn milestone_files(store: &Store, id: &MilestoneId) -> Result<MilestoneFiles, CliError> {
    let parts = Parts {
        sessions: false,
        approvals: true,
    };
    store
        .snapshot()?
        .milestone_with(id, parts)?
        .ok_or_else(|| CliError::from(crate::workflow::Rejection::NoSuchMilestone(id.clone())))
}

/// A relied-on decision that is not fresh.
pub struct Problem<'a> {
    /// The request.
    pub request: &'a ApprovalRequest,
    /// The role.
    pub role: &'a str,
    /// Its verdict.
    pub verdict: Verdict,
    /// What its gate does about it.
    pub on_stale: OnStale,
}

impl Problem<'_> {
    /// Whether it holds its gate back.
    pub fn blocks(&self) -> bool {
        !freshness::satisfies(self.verdict.freshness, self.on_stale)
    }
}

/// The decisions the milestone's unfinished tasks rely on that are not fresh (an
/// unbound one is listed too, flagged, but does not block), skipping gates with
/// `on_stale: off`; of one task when `task` is given.
pub fn problems<'a>(
    store: &Store,
    files: &'a MilestoneFiles,
    task: Option<&crate::model::TaskId>,
    target: Option<Oid>,
) -> Vec<Problem<'a>> {
    let mut found = Vec::new();
    for request in freshness::relied_on(files) {
        if task.is_some_and(|t| *t != request.task_id) {
            continue;
        }
        let gate = freshness::gate_of(files, request);
        let on_stale = gate.and_then(|g| g.on_stale).unwrap_or_default();
        if on_stale == OnStale::Off {
            continue;
        }
        for approver in request
            .approvers
            .iter()
            .filter(|a| a.status == Decision::Approved)
        {
            let verdict = verdict(store, gate, approver, target);
            if verdict.freshness != Freshness::Fresh {
                found.push(Problem {
                    request,
                    role: &approver.role,
                    verdict,
                    on_stale,
                });
            }
        }
    }
    found
}

/// One line per file of a problem: `m/t design → spec  lead  stale  design.md  (id)`.
pub fn problem_lines(problem: &Problem<'_>) -> Vec<String> {
    let r = problem.request;
    let head = format!(
        "{}/{} {}  {}  {}",
        r.milestone_id,
        r.task_id,
        r.transition(),
        problem.role,
        problem.verdict.freshness.as_str()
    );
    let tail = match problem.blocks() {
        true => format!("({})", r.id),
        false if problem.verdict.freshness == Freshness::Unbound => {
            format!("({}; decided before approvals were bound)", r.id)
        }
        false => format!(
            "({}; on_stale: {}, not blocking)",
            r.id,
            problem.on_stale.as_str()
        ),
    };
    if problem.verdict.files.is_empty() {
        return vec![format!("{head}  {tail}")];
    }
    problem
        .verdict
        .files
        .iter()
        .map(|f| format!("{head}  {}  {tail}", f.path))
        .collect()
}

/// Adds each decided approver's `binding` (null when unbound) and `freshness` to a
/// request's JSON.
pub fn annotate(
    value: &mut Value,
    store: &Store,
    files: Option<&MilestoneFiles>,
    request: &ApprovalRequest,
    target: Option<Oid>,
) {
    let gate = files.and_then(|f| freshness::gate_of(f, request));
    let Some(approvers) = value["approvers"].as_array_mut() else {
        return;
    };
    for (json, approver) in approvers.iter_mut().zip(&request.approvers) {
        if approver.status == Decision::Pending {
            continue;
        }
        let verdict = verdict(store, gate, approver, target);
        json["binding"] = json!(approver.binding);
        json["freshness"] = json!(verdict.freshness.as_str());
        json["changed"] = json!(verdict.files);
    }
}

/// A freshness refusal as users read it, with what to do.
pub fn refusal(error: DeliverableError) -> CliError {
    let message = error.to_string();
    match error {
        DeliverableError::NoSuchRevision { from, .. } if from == "--at" => CliError::user(message)
            .hint(
            "give a branch, tag or commit (`git rev-parse --verify <rev>^{commit}` must name one)",
        ),
        DeliverableError::NoSuchRevision { from, .. } => CliError::user(message).hint(format!(
            "fix it (`git config {from} <rev>`) or unset it (`git config --unset {from}`)"
        )),
        DeliverableError::NoCommit => {
            CliError::user(message).hint("commit the deliverables first, or pass --at <rev>")
        }
        DeliverableError::Ambiguous { .. } | DeliverableError::NotFound { .. } => {
            CliError::user(message)
        }
        DeliverableError::Git(e) => CliError::user(format!("reading the repository failed: {e}")),
    }
}

fn fix_hint(milestone: &MilestoneId) -> String {
    format!(
        "commit the file, list the deliverable by its repository path (`git milestone edit {milestone}`), or pass --at <rev> naming a commit that has it"
    )
}

/// Each request's JSON ([`super::phase::request_json`]) with its decisions'
/// bindings and freshness at the target revision.
pub fn requests_json(store: &Store, requests: &[ApprovalRequest]) -> Result<Vec<Value>, CliError> {
    let target = target(store, None)?;
    let mut milestones: std::collections::BTreeMap<MilestoneId, Option<MilestoneFiles>> =
        Default::default();
    let mut values = Vec::new();
    for request in requests {
        let files = milestones
            .entry(request.milestone_id.clone())
            .or_insert_with(|| milestone_files(store, &request.milestone_id).ok());
        let mut value = super::phase::request_json(request);
        annotate(&mut value, store, files.as_ref(), request, target);
        values.push(value);
    }
    Ok(values)
}

/// Each decided approver's verdict at the target revision, in approver order.
pub fn verdicts(
    store: &Store,
    request: &ApprovalRequest,
) -> Result<Vec<(String, Verdict)>, CliError> {
    let target = target(store, None)?;
    let files = milestone_files(store, &request.milestone_id).ok();
    let gate = files.as_ref().and_then(|f| freshness::gate_of(f, request));
    Ok(request
        .approvers
        .iter()
        .filter(|a| a.status != Decision::Pending)
        .map(|a| (a.role.clone(), verdict(store, gate, a, target)))
        .collect())
}

/// `Freshness:` then one line per decision: `  lead       stale  design.md`.
pub fn verdict_lines(request: &ApprovalRequest, verdicts: &[(String, Verdict)]) -> Vec<String> {
    if verdicts.is_empty() {
        return Vec::new();
    }
    let mut lines = vec![String::new(), "Freshness:".to_string()];
    for (role, verdict) in verdicts {
        let files: Vec<&str> = verdict.files.iter().map(|f| f.path.as_str()).collect();
        let line = format!(
            "  {role:<10} {} {}",
            verdict.freshness.as_str(),
            files.join(", ")
        );
        lines.push(line.trim_end().to_string());
    }
    let stale = verdicts
        .iter()
        .any(|(_, v)| matches!(v.freshness, Freshness::Stale | Freshness::Missing));
    if stale {
        lines.push(format!(
            "`git milestone approval diff {}` shows what changed; `approval renew {} --role <role>` approves it.",
            request.id, request.id
        ));
    }
    lines
}

/// Refuses to finish a task (its execute phase completed by `phase set`, or
/// advanced past by `phase advance` when `set` is none) while an approval it relies
/// on no longer covers its files under `on_stale: block`.
pub fn guard_completion(
    store: &Store,
    milestone: &MilestoneId,
    task: &crate::model::TaskId,
    set: Option<(crate::model::Phase, crate::model::PhaseStatus)>,
) -> Result<(), CliError> {
    use crate::model::{Phase, PhaseStatus};
    let finishing_set = |(phase, status)| {
        phase == Phase::Execute && matches!(status, PhaseStatus::Completed | PhaseStatus::Approved)
    };
    if set.is_some_and(|s| !finishing_set(s)) {
        return Ok(());
    }
    let Ok(files) = milestone_files(store, milestone) else {
        // The operation itself says what is wrong with the milestone.
        return Ok(());
    };
    let current = files
        .definition
        .task(task)
        .and_then(|t| t.workflow())
        .map(|w| w.current_phase);
    if set.is_none() && current != Some(Phase::Execute) {
        return Ok(());
    }
    let target = target(store, None)?;
    let found = problems(store, &files, Some(task), target);
    let lines: Vec<String> = found
        .iter()
        .filter(|p| p.blocks())
        .flat_map(problem_lines)
        .map(|line| format!("  {line}"))
        .collect();
    if lines.is_empty() {
        return Ok(());
    }
    Err(CliError::user(format!(
        "task {milestone}/{task} cannot be completed: approvals it relies on no longer cover their files\n{}",
        lines.join("\n")
    ))
    .hint(format!(
        "`git milestone approval check {milestone}` lists them; `git milestone approval renew <id> --role <role>` approves the new content"
    )))
}

/// Each decision's freshness at the target revision, by (request id, role), for the
/// report's approval trail.
pub fn page_freshness(
    store: &Store,
    files: &MilestoneFiles,
    requests: &[ApprovalRequest],
) -> Result<std::collections::BTreeMap<(String, String), Freshness>, CliError> {
    let target = target(store, None)?;
    let mut found = std::collections::BTreeMap::new();
    for request in requests {
        let gate = freshness::gate_of(files, request);
        for approver in request
            .approvers
            .iter()
            .filter(|a| a.status != Decision::Pending)
        {
            let verdict = verdict(store, gate, approver, target);
            found.insert(
                (request.id.clone(), approver.role.clone()),
                verdict.freshness,
            );
        }
    }
    Ok(found)
}

/// Under `show` and `status <m>`: the approvals unfinished tasks rely on that no
/// longer cover their files, one line per file.
pub fn print_problems(
    out: &super::Output,
    store: &Store,
    files: &MilestoneFiles,
) -> Result<(), CliError> {
    if freshness::relied_on(files).is_empty() {
        return Ok(());
    }
    let target = match target(store, None) {
        Ok(target) => target,
        Err(e) => {
            out.line("")?;
            return out.line(format!("Approvals: freshness unknown: {e}"));
        }
    };
    let found = problems(store, files, None, target);
    if found.is_empty() {
        return Ok(());
    }
    out.line("")?;
    out.line("Approvals that no longer cover their files:")?;
    for line in found.iter().flat_map(problem_lines) {
        out.line(format!("  {line}"))?;
    }
    Ok(())
}
