//! `phase set|advance`, `approval list|approve|reject`, `monitor`.

use clap::{Args, Subcommand};

use crate::model::{
    ApprovalRequest, Decision, EventKind, MilestoneId, Op, Phase, PhaseStatus, TaskStatus,
};
use crate::store::{Parts, Store};

use super::{milestone_id, open_store, task_id, CliError, Output, Unreadable};

/// The `phase` commands.
#[derive(Debug, Subcommand)]
pub enum PhaseCommand {
    /// Set one phase's status: not_started, in_progress, completed, waiting_approval,
    /// approved or blocked.
    Set(SetArgs),
    /// Move a task to its next phase, or ask for approval when the move is gated.
    Advance(AdvanceArgs),
}

/// `phase set`.
#[derive(Debug, Args)]
pub struct SetArgs {
    /// The milestone.
    pub milestone: String,
    /// The task.
    pub task: String,
    /// design, spec, task or execute.
    pub phase: String,
    /// The new status.
    pub status: String,
}

/// `phase advance`.
#[derive(Debug, Args)]
pub struct AdvanceArgs {
    /// The milestone.
    pub milestone: String,
    /// The task.
    pub task: String,
}

/// The `approval` commands.
#[derive(Debug, Subcommand)]
pub enum ApprovalCommand {
    /// List approval requests.
    List(ListArgs),
    /// Approve a request as one of its approver roles.
    Approve(DecideArgs),
    /// Reject a request as one of its approver roles.
    Reject(DecideArgs),
    /// Show one request: the transition, who asked and when, each role's decision.
    Show(super::approval_show::ShowArgs),
    /// Whether the approvals unfinished tasks rely on still cover their files; exit 1
    /// when one is stale or missing, one line per file.
    Check(super::approval_check::CheckArgs),
    /// The `git diff` between the content a request's decisions approved and now.
    Diff(super::approval_check::DiffArgs),
    /// Approve a granted request again, binding the files as they are now (shows the
    /// diff and asks on a terminal).
    Renew(super::approval_check::RenewArgs),
}

/// `approval list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only this milestone's requests.
    pub milestone: Option<String>,
    /// Only requests still waiting for a decision.
    #[arg(long)]
    pub pending: bool,
}

/// `approval approve|reject`.
#[derive(Debug, Args)]
pub struct DecideArgs {
    /// The request's id (see `approval list`), or its readable part without the
    /// unique suffix when only one request has it.
    pub approval: String,
    /// The approver role you decide as.
    #[arg(long)]
    pub role: String,
    /// A comment kept with the decision.
    #[arg(long)]
    pub comment: Option<String>,
    /// The commit whose deliverables you examined (default: milestone.approvalTarget,
    /// else HEAD).
    #[arg(long, value_name = "REV")]
    pub at: Option<String>,
}

/// `monitor`.
#[derive(Debug, Args)]
pub struct MonitorArgs {
    /// Only this milestone; all of them when omitted.
    pub milestone: Option<String>,
}

fn parse_phase(value: &str) -> Result<Phase, CliError> {
    Phase::ALL
        .into_iter()
        .find(|p| p.as_str() == value)
        .ok_or_else(|| {
            CliError::user(format!(
                "unknown phase {value:?}: expected design, spec, task or execute"
            ))
        })
}

fn parse_phase_status(value: &str) -> Result<PhaseStatus, CliError> {
    serde_json::from_value(serde_json::Value::from(value)).map_err(|_| {
        CliError::user(format!(
            "unknown phase status {value:?}: expected not_started, in_progress, completed, waiting_approval, approved or blocked"
        ))
    })
}

/// The unique part of the ids of the approval requests an operation may open, made
/// once here and kept in the operation, so that every replay makes the same ids. Six
/// hex digits of a hash of what only this command has together: the tip it builds on,
/// who asks, when, and for what. Two clones asking offline differ in at least one, so
/// they never make the same id; the same command in the same state (a test with a
/// fixed clock) makes the same one.
fn new_nonce(store: &Store, by: &str, what: &str) -> String {
    let tip = store.tip().map(|t| t.to_string()).unwrap_or_default();
    let now = crate::clock::format_time(crate::clock::now());
    let seed = format!("{tip}\n{by}\n{now}\n{what}");
    sha1_smol::Sha1::from(seed).digest().to_string()[..6].to_string()
}

fn who(store: &Store) -> Result<String, CliError> {
    let (name, email) = store.identity()?;
    Ok(format!("{name} <{email}>"))
}

pub fn run_phase(out: &Output, command: PhaseCommand) -> Result<(), CliError> {
    match command {
        PhaseCommand::Set(args) => {
            let milestone = milestone_id(&args.milestone)?;
            let task = task_id(&args.task)?;
            let phase = parse_phase(&args.phase)?;
            let status = parse_phase_status(&args.status)?;
            let store = open_store()?;
            super::freshness::guard_completion(&store, &milestone, &task, Some((phase, status)))?;
            let outcome = store.transact(Op::SetPhase {
                milestone: milestone.clone(),
                task: task.clone(),
                phase,
                status,
            })?;
            out.outcome(
                &outcome,
                &format!("Task {milestone}/{task}: {phase} is {status}."),
            )
        }
        PhaseCommand::Advance(args) => {
            let milestone = milestone_id(&args.milestone)?;
            let task = task_id(&args.task)?;
            let store = open_store()?;
            super::freshness::guard_completion(&store, &milestone, &task, None)?;
            let by = who(&store)?;
            let outcome = store.transact(Op::AdvancePhase {
                nonce: Some(new_nonce(&store, &by, &format!("{milestone}/{task}"))),
                milestone: milestone.clone(),
                task: task.clone(),
                by,
                from: None,
                request: None,
            })?;
            out.outcome(&outcome, &describe(&outcome))
        }
    }
}

/// One line per workflow event of a write, for the text output.
fn describe(outcome: &crate::store::Outcome) -> String {
    let crate::store::Outcome::Committed { applied, .. } = outcome else {
        return String::new();
    };
    let lines: Vec<String> = applied
        .events
        .iter()
        .filter_map(|e| describe_event(e.kind()?))
        .collect();
    lines.join("\n")
}

/// The line a workflow event gets in a write's text output, if any.
fn describe_event(kind: EventKind) -> Option<String> {
    Some(match kind {
        EventKind::KiroApprovalRequested {
            task_id,
            approval_id,
            transition,
            approvers,
            ..
        } => {
            let approvers = match approvers.is_empty() {
                true => "anyone".to_string(),
                false => approvers.join(", "),
            };
            format!(
                "Task {task_id}: approval requested for {transition} as {approval_id} (approvers: {approvers})"
            )
        }
        EventKind::KiroPhaseTransition {
            task_id,
            from_phase,
            to_phase,
            ..
        } => format!("Task {task_id}: {from_phase} → {to_phase}"),
        EventKind::KiroApprovalGranted { task_id, .. } => {
            format!("Task {task_id}: approval granted")
        }
        EventKind::KiroApprovalIgnored { reason, .. } => format!(
            "Recorded, but it does not count: {reason} (`git milestone trust list` and `roles list` show who may decide)"
        ),
        EventKind::KiroApprovalSuperseded {
            task_id,
            approval_id,
            ..
        } => format!("Task {task_id}: approval {approval_id} is superseded"),
        EventKind::KiroApprovalRejected {
            task_id,
            rejected_by,
            ..
        } => format!(
            "Task {task_id}: approval rejected by {}; the phase is blocked (complete it again with `phase set`, then `phase advance` asks again)",
            rejected_by.join(", ")
        ),
        EventKind::KiroApprovalDecided { pending, .. } if !pending.is_empty() => {
            format!("Recorded; still to decide: {}", pending.join(", "))
        }
        EventKind::TaskStatusChanged {
            task_id,
            new_status: TaskStatus::Completed,
            ..
        } => format!("Task {task_id} is completed."),
        _ => return None,
    })
}

/// Every approval request at the tip, of one milestone or all, and the milestones
/// that could not be read.
fn requests(
    store: &Store,
    milestone: Option<&MilestoneId>,
) -> Result<(Vec<ApprovalRequest>, Unreadable), CliError> {
    let snapshot = store.snapshot()?;
    let ids = match milestone {
        Some(m) => vec![m.clone()],
        None => snapshot.milestone_ids()?,
    };
    let parts = Parts {
        sessions: false,
        approvals: true,
    };
    let mut all = Vec::new();
    let mut unreadable = Unreadable::default();
    for id in ids {
        let Some(files) = unreadable.check(snapshot.milestone_with(&id, parts))? else {
            continue;
        };
        let files = files.ok_or_else(|| {
            CliError::from(crate::workflow::Rejection::NoSuchMilestone(id.clone()))
        })?;
        all.extend(files.approvals.unwrap_or_default().into_values());
    }
    all.sort_by(|a, b| (&a.requested_at, &a.id).cmp(&(&b.requested_at, &b.id)));
    Ok((all, unreadable))
}

/// Every readable request of every milestone, oldest first.
pub fn all_requests(store: &Store) -> Result<Vec<ApprovalRequest>, CliError> {
    Ok(requests(store, None)?.0)
}

pub fn run_approval(out: &Output, command: ApprovalCommand) -> Result<(), CliError> {
    match command {
        ApprovalCommand::List(args) => list(out, args),
        ApprovalCommand::Show(args) => super::approval_show::show(out, args),
        ApprovalCommand::Approve(args) => decide(out, args, Decision::Approved),
        ApprovalCommand::Reject(args) => decide(out, args, Decision::Rejected),
        ApprovalCommand::Check(args) => super::approval_check::check(out, args),
        ApprovalCommand::Diff(args) => super::approval_check::diff(out, args),
        ApprovalCommand::Renew(args) => super::approval_check::renew(out, args),
    }
}

fn list(out: &Output, args: ListArgs) -> Result<(), CliError> {
    let milestone = args.milestone.as_deref().map(milestone_id).transpose()?;
    let store = open_store()?;
    let (mut requests, unreadable) = requests(&store, milestone.as_ref())?;
    if args.pending {
        requests.retain(|r| r.status == Decision::Pending);
    }
    if out.json {
        let values = super::freshness::requests_json(&store, &requests)?;
        out.json_value(&values)?;
        return unreadable.finish();
    }
    if requests.is_empty() {
        out.note("No approval requests.")?;
        return unreadable.finish();
    }
    for r in requests {
        let detail = match r.status {
            Decision::Pending if r.open_to_anyone => "waiting for anyone".to_string(),
            Decision::Pending => format!("waiting for {}", r.pending_roles().join(", ")),
            Decision::Superseded => "superseded (its task moved on)".to_string(),
            other => other.as_str().to_string(),
        };
        let detail = match r.ignored.len() {
            0 => detail,
            n => format!("{detail} ({n} decision(s) not counted)"),
        };
        out.line(format!(
            "{:<40} {}/{}  {}  {detail}",
            r.id,
            r.milestone_id,
            r.task_id,
            r.transition()
        ))?;
    }
    unreadable.finish()
}

/// CLI.md's JSON of an approval request.
pub fn request_json(r: &ApprovalRequest) -> serde_json::Value {
    let mut value = serde_json::to_value(r).unwrap_or_default();
    value["transition"] = serde_json::Value::from(r.transition());
    // Each decision says how it stands against the trust list; one made before
    // decisions were checked was not signed.
    if let Some(approvers) = value["approvers"].as_array_mut() {
        for (approver, stored) in approvers.iter_mut().zip(&r.approvers) {
            if stored.status == Decision::Pending {
                continue;
            }
            let verification = stored.verification.map_or("unsigned", |v| v.as_str());
            approver["verification"] = serde_json::Value::from(verification);
            approver["key"] = serde_json::json!(stored.key);
        }
    }
    value["ignored"] = serde_json::to_value(&r.ignored).unwrap_or_default();
    value
}

fn decide(out: &Output, args: DecideArgs, decision: Decision) -> Result<(), CliError> {
    let store = open_store()?;
    let (milestone, approval) = owner_of(&store, &args.approval)?;
    let files = super::freshness::milestone_files(&store, &milestone)?;
    let binding = match files.approvals.as_ref().and_then(|a| a.get(&approval)) {
        // A request that is no longer open is refused by the decision itself.
        Some(request) if request.status == Decision::Pending => {
            super::freshness::binding_for(&store, &files, request, args.at.as_deref())?
        }
        _ => None,
    };
    let outcome = store.transact(Op::DecideApproval {
        milestone,
        approval: approval.clone(),
        role: args.role.clone(),
        decision,
        comment: args.comment,
        by: who(&store)?,
        binding,
        renew: false,
    })?;
    let verb = decision.as_str();
    let text = [
        format!("{} {verb} {approval}.", args.role),
        describe(&outcome),
    ]
    .join("\n");
    out.outcome(&outcome, text.trim_end())
}

/// The milestone and whole id of the request `id` names: its whole id, or its
/// readable part without the unique suffix when only one request has it.
pub fn owner_of(store: &Store, id: &str) -> Result<(MilestoneId, String), CliError> {
    // A milestone that cannot be read cannot hold the request being decided; its
    // error is for the commands that read it.
    let all = requests(store, None)?.0;
    let mut owners: Vec<(MilestoneId, String)> = all
        .iter()
        .filter(|r| r.id == id)
        .map(|r| (r.milestone_id.clone(), r.id.clone()))
        .collect();
    if owners.is_empty() {
        // Like an abbreviated commit id: the readable part of an id, without its
        // unique suffix, names the request when only one has it.
        let prefix = format!("{id}-");
        owners = all
            .iter()
            .filter(|r| r.id.starts_with(&prefix))
            .map(|r| (r.milestone_id.clone(), r.id.clone()))
            .collect();
    }
    match owners.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(CliError::user(format!("no approval request {id}"))
            .hint("`git milestone approval list --pending` lists the open ones")),
        several => {
            let ids: Vec<&str> = several.iter().map(|(_, id)| id.as_str()).collect();
            Err(
                CliError::user(format!("{id} names several requests: {}", ids.join(", ")))
                    .hint("give the whole id"),
            )
        }
    }
}

/// Refuses when a task of `milestone` that `monitor` would complete (its execute
/// phase done) relies on an approval that no longer covers its files.
fn guard_finishing(store: &Store, milestone: &MilestoneId) -> Result<(), CliError> {
    let Ok(files) = super::freshness::milestone_files(store, milestone) else {
        return Ok(());
    };
    for task in &files.definition.tasks {
        let finishing = task.workflow().is_some_and(|w| {
            w.current_phase == Phase::Execute
                && matches!(
                    w.phases.get(Phase::Execute).status,
                    PhaseStatus::Completed | PhaseStatus::Approved
                )
        });
        if finishing {
            super::freshness::guard_completion(store, milestone, &task.id, None)?;
        }
    }
    Ok(())
}

pub fn monitor(out: &Output, args: MonitorArgs) -> Result<(), CliError> {
    let store = open_store()?;
    let milestones = match args.milestone {
        Some(m) => vec![milestone_id(&m)?],
        None => store.snapshot()?.milestone_ids()?,
    };
    // A task monitor would finish is held to the files its approvals cover, as
    // `phase advance` is: checked for every milestone before anything is written.
    for milestone in &milestones {
        guard_finishing(&store, milestone)?;
    }
    let by = who(&store)?;
    let mut moved = Vec::new();
    let mut unreadable = Unreadable::default();
    for milestone in milestones {
        let Some(outcome) = unreadable.check(store.transact(Op::Monitor {
            nonce: Some(new_nonce(&store, &by, milestone.as_str())),
            milestone: milestone.clone(),
            by: by.clone(),
            advanced: Vec::new(),
        }))?
        else {
            continue;
        };
        if let crate::store::Outcome::Committed { applied, commit } = &outcome {
            moved.push(serde_json::json!({
                "milestone_id": milestone.as_str(),
                "commit": commit.to_string(),
                "events": applied.events,
            }));
            out.note(describe(&outcome))?;
        }
    }
    if out.json {
        out.json_value(&moved)?;
    } else if moved.is_empty() {
        out.note("No transition is ready.")?;
    }
    unreadable.finish()
}
