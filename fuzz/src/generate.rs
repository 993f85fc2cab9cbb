//! Fuzz bytes → a [`Scenario`] for the `apply` target. Ids come from small pools so
//! that operations meet the milestones, tasks, roles and approvals that exist; free
//! text mixes plain words, strings that YAML reads as something else, and arbitrary
//! strings.

use std::collections::BTreeMap;

use arbitrary::{Result, Unstructured};
use chrono::DateTime;
use git_milestone::model::{
    Advanced, ApprovalGate, ApprovalRequest, Approver, Decision, KiroConfiguration, KiroWorkflow,
    Milestone, MilestoneId, Op, Phase, PhaseState, PhaseStatus, PhaseWeights, Phases, PutReason,
    Resolution, RestoreSource, Session, SessionCommit, SessionId, SessionStatus, Task, TaskId,
    TaskStatus,
};
use serde_json::Value;

use crate::checks::{Files, Scenario};

const MILESTONES: [&str; 3] = ["m", "n", "v1.0"];
const TASKS: [&str; 4] = ["a", "b", "c", "task-1"];
const ROLES: [&str; 4] = ["lead", "qa", "dev", "anyone"];
const SESSIONS: [&str; 2] = ["session-20260101-000000-ab", "s2"];
const GATES: [&str; 5] = [
    "design_to_spec",
    "spec_to_task",
    "task_to_execute",
    "execute_to_design",
    "",
];
const EXTRA_KEYS: [&str; 8] = [
    "owner", "labels", "estimate", "assignee", "notes", "x-custom", "~", "null",
];
/// Strings that a YAML reader takes for something else when they are not quoted, or
/// that need care in a block scalar, and some that are multi-byte.
const TRICKY: [&str; 40] = [
    "",
    "~",
    "null",
    "Null",
    "true",
    "no",
    "y",
    "1",
    "-1",
    "1e3",
    "0x1F",
    "0o17",
    ".nan",
    "-.inf",
    "2026-01-01",
    "12:30",
    "- a",
    "a: b",
    "#comment",
    "a #b",
    " leading",
    "trailing ",
    "\n",
    "a\nb",
    "a\n\nb\n",
    " \n",
    "\t",
    "'",
    "\"",
    "*alias",
    "&anchor",
    "!tag",
    "%YAML",
    "@",
    "|",
    ">",
    "? x",
    "[a, b]",
    "é",
    "\u{feff}bom",
];
const DATES: [&str; 6] = [
    "2026-12-31",
    "2026-01-31T09:00:00Z",
    "2026-01-31T09:00:00+02:00",
    "someday",
    "2026-02-30",
    "+10000-01-01",
];

fn pick<'a>(u: &mut Unstructured<'_>, from: &[&'a str]) -> Result<&'a str> {
    u.choose(from).copied()
}

/// Free text.
pub fn text(u: &mut Unstructured<'_>) -> Result<String> {
    Ok(match u.int_in_range(0..=3)? {
        0 => pick(u, &["", "Launch", "Build the API", "ok"])?.to_string(),
        1 => pick(u, &TRICKY)?.to_string(),
        2 => {
            let a = pick(u, &TRICKY)?;
            let b = pick(u, &TRICKY)?;
            format!("{a}{b}")
        }
        _ => {
            let s: String = u.arbitrary()?;
            s.chars().take(40).collect()
        }
    })
}

fn maybe<T>(
    u: &mut Unstructured<'_>,
    f: impl FnOnce(&mut Unstructured<'_>) -> Result<T>,
) -> Result<Option<T>> {
    Ok(if u.arbitrary()? { Some(f(u)?) } else { None })
}

fn list<T>(
    u: &mut Unstructured<'_>,
    max: usize,
    mut f: impl FnMut(&mut Unstructured<'_>) -> Result<T>,
) -> Result<Vec<T>> {
    let n = u.int_in_range(0..=max)?;
    (0..n).map(|_| f(u)).collect()
}

fn number(u: &mut Unstructured<'_>) -> Result<Value> {
    Ok(match u.int_in_range(0..=3)? {
        0 => Value::from(u.arbitrary::<i64>()?),
        1 => Value::from(u.arbitrary::<u64>()?),
        2 => serde_json::Number::from_f64(u.arbitrary::<f64>()?)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        _ => Value::from(*u.choose(&[0.1, -0.0, 1e300, 5e-324, 0.30000000000000004])?),
    })
}

/// Any JSON value, nested up to `depth`.
pub fn value(u: &mut Unstructured<'_>, depth: u32) -> Result<Value> {
    let top = if depth == 0 { 3 } else { 5 };
    Ok(match u.int_in_range(0..=top)? {
        0 => Value::Null,
        1 => Value::Bool(u.arbitrary()?),
        2 => number(u)?,
        3 => Value::String(text(u)?),
        4 => Value::Array(list(u, 3, |u| value(u, depth - 1))?),
        _ => Value::Object(extra_map(u, depth - 1)?.into_iter().collect()),
    })
}

fn key(u: &mut Unstructured<'_>) -> Result<String> {
    if u.arbitrary()? {
        Ok(pick(u, &EXTRA_KEYS)?.to_string())
    } else {
        text(u)
    }
}

fn extra_map(u: &mut Unstructured<'_>, depth: u32) -> Result<BTreeMap<String, Value>> {
    let mut map = BTreeMap::new();
    for _ in 0..u.int_in_range(0..=2)? {
        map.insert(key(u)?, value(u, depth)?);
    }
    Ok(map)
}

/// Unknown fields of a struct: never the name of one of its own fields, which the
/// reader would take for that field.
fn extra(u: &mut Unstructured<'_>, known: &[&str]) -> Result<BTreeMap<String, Value>> {
    let mut map = extra_map(u, 2)?;
    map.retain(|k, _| !known.contains(&k.as_str()));
    Ok(map)
}

fn milestone_id(u: &mut Unstructured<'_>) -> Result<MilestoneId> {
    Ok(MilestoneId::new(pick(u, &MILESTONES)?).expect("valid"))
}

fn task_id(u: &mut Unstructured<'_>) -> Result<TaskId> {
    Ok(TaskId::new(pick(u, &TASKS)?).expect("valid"))
}

fn session_id(u: &mut Unstructured<'_>) -> Result<SessionId> {
    Ok(SessionId::new(pick(u, &SESSIONS)?).expect("valid"))
}

fn stamp(u: &mut Unstructured<'_>) -> Result<String> {
    Ok(match u.int_in_range(0..=2)? {
        0 => "2026-01-01T00:00:00.000Z".to_string(),
        1 => pick(u, &DATES)?.to_string(),
        _ => text(u)?,
    })
}

fn weight(u: &mut Unstructured<'_>) -> Result<f64> {
    Ok(match u.int_in_range(0..=2)? {
        0 => f64::from(u.int_in_range(0..=100u8)?),
        1 => *u.choose(&[
            0.0,
            -1.0,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            1e308,
            5e-324,
            0.1,
        ])?,
        _ => u.arbitrary()?,
    })
}

fn phase_state(u: &mut Unstructured<'_>) -> Result<PhaseState> {
    Ok(PhaseState {
        status: u.choose(&PHASE_STATUSES)?.to_owned(),
        approval_required: u.arbitrary()?,
        deliverables: list(u, 2, text)?,
        started_at: maybe(u, stamp)?,
        completed_at: maybe(u, stamp)?,
        approved_at: maybe(u, stamp)?,
        blocked_at: maybe(u, stamp)?,
        extra: extra(
            u,
            &[
                "status",
                "approval_required",
                "deliverables",
                "started_at",
                "completed_at",
                "approved_at",
                "blocked_at",
            ],
        )?,
    })
}

const PHASE_STATUSES: [PhaseStatus; 6] = [
    PhaseStatus::NotStarted,
    PhaseStatus::InProgress,
    PhaseStatus::Completed,
    PhaseStatus::WaitingApproval,
    PhaseStatus::Approved,
    PhaseStatus::Blocked,
];

fn workflow(u: &mut Unstructured<'_>) -> Result<KiroWorkflow> {
    Ok(KiroWorkflow {
        enabled: u.ratio(7, 8)?,
        current_phase: *u.choose(&Phase::ALL)?,
        phases: Phases {
            design: phase_state(u)?,
            spec: phase_state(u)?,
            task: phase_state(u)?,
            execute: phase_state(u)?,
        },
        extra: extra(u, &["enabled", "current_phase", "phases"])?,
    })
}

fn task(u: &mut Unstructured<'_>) -> Result<Task> {
    Ok(Task {
        id: task_id(u)?,
        title: text(u)?,
        status: *u.choose(&TaskStatus::ALL)?,
        kiro_workflow: maybe(u, workflow)?,
        points: maybe(u, |u| u.arbitrary())?,
        kiro_task: None,
        moved_by: Vec::new(),
        extra: extra(u, &["id", "title", "status", "kiro_workflow", "points"])?,
    })
}

fn configuration(u: &mut Unstructured<'_>) -> Result<KiroConfiguration> {
    let phase_weights = maybe(u, |u| {
        Ok(PhaseWeights {
            design: maybe(u, weight)?,
            spec: maybe(u, weight)?,
            task: maybe(u, weight)?,
            execute: maybe(u, weight)?,
        })
    })?;
    let mut approval_gates = BTreeMap::new();
    for _ in 0..u.int_in_range(0..=3)? {
        let gate = ApprovalGate {
            required: u.arbitrary()?,
            approvers: list(u, 3, |u| Ok(pick(u, &ROLES)?.to_string()))?,
            criteria: list(u, 2, text)?,
            on_stale: None,
            rule: None,
            covers: BTreeMap::new(),
            also_watch: Vec::new(),
            extra: extra(u, &["required", "approvers", "criteria"])?,
        };
        approval_gates.insert(pick(u, &GATES)?.to_string(), gate);
    }
    Ok(KiroConfiguration {
        phase_weights,
        approval_gates,
        extra: extra(u, &["phase_weights", "approval_gates"])?,
    })
}

/// A milestone's definition as a file may hold it: not necessarily valid.
pub fn milestone(u: &mut Unstructured<'_>, id: MilestoneId) -> Result<Milestone> {
    Ok(Milestone {
        id,
        title: text(u)?,
        description: maybe(u, text)?,
        due: maybe(u, |u| Ok(pick(u, &DATES)?.to_string()))?,
        tasks: list(u, 4, task)?.into(),
        kiro_configuration: maybe(u, configuration)?,
        kiro_spec: None,
        renamed_tasks: Default::default(),
        extra: extra(
            u,
            &[
                "id",
                "title",
                "description",
                "due",
                "tasks",
                "kiro_configuration",
            ],
        )?,
    })
}

fn session(u: &mut Unstructured<'_>, milestone: MilestoneId) -> Result<Session> {
    Ok(Session {
        session_id: session_id(u)?,
        milestone_id: milestone,
        status: *u.choose(&[SessionStatus::Active, SessionStatus::Completed])?,
        created_at: stamp(u)?,
        ended_at: maybe(u, stamp)?,
        user: text(u)?,
        email: text(u)?,
        host: text(u)?,
        working_directory: text(u)?,
        git_branch: text(u)?,
        head: maybe(u, text)?,
        end_head: maybe(u, text)?,
        commits: list(u, 2, |u| {
            Ok(SessionCommit {
                id: text(u)?,
                subject: text(u)?,
            })
        })?,
        branches: Vec::new(),
        rewrites: Vec::new(),
    })
}

const DECISIONS: [Decision; 3] = [Decision::Pending, Decision::Approved, Decision::Rejected];

fn approval_id(u: &mut Unstructured<'_>, milestone: &MilestoneId) -> Result<String> {
    if u.ratio(1, 8)? {
        return text(u);
    }
    let task = pick(u, &TASKS)?;
    let from = *u.choose(&Phase::ALL[..3])?;
    let to = from.next().expect("not execute");
    let n = u.int_in_range(1..=2)?;
    Ok(format!("approval-{milestone}-{task}-{from}-{to}-{n}"))
}

fn approval(u: &mut Unstructured<'_>, milestone: &MilestoneId) -> Result<ApprovalRequest> {
    let id = approval_id(u, milestone)?;
    let from = *u.choose(&Phase::ALL)?;
    Ok(ApprovalRequest {
        id,
        milestone_id: milestone.clone(),
        task_id: task_id(u)?,
        from_phase: from,
        to_phase: from.next().unwrap_or(Phase::Execute),
        status: *u.choose(&DECISIONS)?,
        requested_at: stamp(u)?,
        requested_by: maybe(u, text)?,
        decided_at: maybe(u, stamp)?,
        approvers: list(u, 3, |u| {
            Ok(Approver {
                role: pick(u, &ROLES)?.to_string(),
                status: *u.choose(&DECISIONS)?,
                decided_by: maybe(u, text)?,
                decided_at: maybe(u, stamp)?,
                comments: maybe(u, text)?,
                verification: None,
                key: None,
                binding: None,
            })
        })?,
        open_to_anyone: u.arbitrary()?,
        criteria: list(u, 2, text)?,
        deliverables: list(u, 2, text)?,
        ignored: Vec::new(),
    })
}

/// A milestone's files as the store may hold them.
pub fn files(u: &mut Unstructured<'_>, id: MilestoneId) -> Result<Files> {
    let mut sessions = BTreeMap::new();
    for _ in 0..u.int_in_range(0..=2)? {
        let s = session(u, id.clone())?;
        sessions.insert(s.session_id.clone(), s);
    }
    let mut approvals = BTreeMap::new();
    for _ in 0..u.int_in_range(0..=2)? {
        let a = approval(u, &id)?;
        approvals.insert(a.id.clone(), a);
    }
    Ok(Files {
        definition: milestone(u, id)?,
        state: maybe(u, |u| value(u, 2))?,
        sessions: Some(sessions),
        approvals: Some(approvals),
    })
}

fn commit_id(u: &mut Unstructured<'_>) -> Result<String> {
    const HEX: &str = "0123456789abcdef0123456789abcdef01234567";
    Ok(match u.int_in_range(0..=2)? {
        0 => HEX.to_string(),
        // A commit id cut short or run into other text, as a hand-written or damaged
        // message may hold it.
        1 => {
            let cut = u.int_in_range(0..=HEX.len())?;
            format!("{}{}", &HEX[..cut], text(u)?)
        }
        _ => text(u)?,
    })
}

fn by(u: &mut Unstructured<'_>) -> Result<String> {
    Ok(if u.arbitrary()? {
        "Ann <ann@example.com>".to_string()
    } else {
        text(u)?
    })
}

/// One operation.
pub fn op(u: &mut Unstructured<'_>) -> Result<Op> {
    let m = milestone_id(u)?;
    Ok(match u.int_in_range(0..=16)? {
        0 => Op::Init,
        1 => Op::NewMilestone {
            milestone: m,
            title: maybe(u, text)?,
            description: maybe(u, text)?,
            due: maybe(u, |u| Ok(pick(u, &DATES)?.to_string()))?,
        },
        2 => Op::PutMilestone {
            definition: Box::new(milestone(u, m)?),
            reason: *u.choose(&[PutReason::Import, PutReason::Replace, PutReason::Edit])?,
        },
        3 => Op::AddTask {
            milestone: m,
            task: task_id(u)?,
            title: text(u)?,
            kiro: u.arbitrary()?,
            points: maybe(u, |u| u.arbitrary())?,
        },
        4 => Op::SetTaskStatus {
            milestone: m,
            task: task_id(u)?,
            status: *u.choose(&TaskStatus::ALL)?,
            reason: maybe(u, text)?,
        },
        5 => Op::SaveState {
            milestone: m,
            state: value(u, 3)?,
        },
        6 => Op::AddEvent {
            milestone: m,
            event_type: if u.arbitrary()? {
                pick(u, &["note", "review_held", "status_updated", "a b", ""])?.to_string()
            } else {
                text(u)?
            },
            data: value(u, 2)?,
        },
        7 => Op::CreateCheckpoint {
            milestone: m,
            name: text(u)?,
            commit: commit_id(u)?,
        },
        8 => Op::Restore {
            milestone: m,
            commit: commit_id(u)?,
            source: if u.arbitrary()? {
                RestoreSource::Recover
            } else {
                RestoreSource::Checkpoint { name: text(u)? }
            },
        },
        9 => Op::StartSession {
            session: Box::new(session(u, m)?),
        },
        10 => Op::EndSession {
            milestone: m,
            session: session_id(u)?,
            head: maybe(u, text)?,
            commits: list(u, 2, |u| {
                Ok(SessionCommit {
                    id: text(u)?,
                    subject: text(u)?,
                })
            })?,
        },
        11 => Op::SetPhase {
            milestone: m,
            task: task_id(u)?,
            phase: *u.choose(&Phase::ALL)?,
            status: *u.choose(&PHASE_STATUSES)?,
        },
        12 => Op::AdvancePhase {
            task: task_id(u)?,
            by: by(u)?,
            nonce: maybe(u, text)?,
            from: maybe(u, |u| Ok(*u.choose(&Phase::ALL)?))?,
            request: maybe(u, |u| approval_id(u, &m))?,
            milestone: m,
        },
        13 => Op::DecideApproval {
            approval: approval_id(u, &m)?,
            milestone: m,
            role: pick(u, &ROLES)?.to_string(),
            decision: *u.choose(&DECISIONS)?,
            comment: maybe(u, text)?,
            by: by(u)?,
            binding: None,
            renew: u.arbitrary()?,
        },
        14 => Op::Monitor {
            by: by(u)?,
            nonce: maybe(u, text)?,
            advanced: list(u, 3, |u| {
                Ok(Advanced {
                    task: task_id(u)?,
                    from: *u.choose(&Phase::ALL)?,
                    request: maybe(u, |u| approval_id(u, &m))?,
                })
            })?,
            milestone: m,
        },
        15 => Op::Merge {
            ours: commit_id(u)?,
            theirs: commit_id(u)?,
            base: maybe(u, commit_id)?,
            resolved: list(u, 2, |u| {
                Ok(Resolution {
                    commit: commit_id(u)?,
                    op: text(u)?,
                    outcome: text(u)?,
                    reason: maybe(u, text)?,
                })
            })?,
            ignored: list(u, 2, commit_id)?,
        },
        _ => Op::Cleanup {
            milestone: m,
            retention_days: u.arbitrary()?,
            cutoff: stamp(u)?,
            checkpoints: list(u, 2, text)?,
        },
    })
}

/// A whole scenario.
pub fn scenario(u: &mut Unstructured<'_>) -> Result<Scenario> {
    let seconds = if u.arbitrary()? {
        1_767_225_600
    } else {
        // Years 1 to 9999.
        u.int_in_range(-62_135_596_800..=253_402_300_799)?
    };
    let nanos = u.int_in_range(0..=999_999_999)?;
    let at = DateTime::from_timestamp(seconds, nanos)
        .expect("in range")
        .to_rfc3339_opts(chrono::SecondsFormat::Nanos, true);
    let mut milestones = Vec::new();
    for id in MILESTONES {
        if u.ratio(1, 3)? {
            milestones.push(files(u, MilestoneId::new(id).expect("valid"))?);
        }
    }
    let source = if u.arbitrary()? {
        let id = milestone_id(u)?;
        Some(files(u, id)?)
    } else {
        None
    };
    let replay = u.arbitrary()?;
    let ops = list(u, 12, op)?;
    Ok(Scenario {
        at,
        milestones,
        source,
        ops,
        replay,
    })
}
