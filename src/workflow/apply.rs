//! Applying one operation to a milestone's files: the pure heart of every write.
//! The store reads the files, calls [`apply`], and writes what it returns.

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::model::{
    event::check_event_type, validate, BranchSwitch, Event, Milestone, MilestoneFiles, MilestoneId,
    Op, PutReason, RestoreSource, RewrittenCommit, Session, SessionId, SessionStatus, Task, TaskId,
};

use super::import;
use super::phases;
use super::progress::{display_percentage, milestone_progress, MilestoneStatus};
use super::trailers::apply_moves;

/// Event types the tool itself records; `event add` may not forge them.
pub const BUILT_IN_EVENT_TYPES: &[&str] = &[
    "milestone_created",
    "milestone_imported",
    "milestone_modified",
    "task_added",
    "task_status_changed",
    "task_points_set",
    "status_updated",
    "milestone_completed",
    "state_saved",
    "state_restored",
    "state_recovered",
    "state_cleaned",
    "checkpoint_created",
    "session_created",
    "session_ended",
    "kiro_phase_updated",
    "kiro_phase_transition",
    "kiro_approval_requested",
    "kiro_approval_granted",
    "kiro_approval_rejected",
    "kiro_approval_decided",
    "commit",
    "merge",
    "checkout",
    "rewrite",
];

/// The most rewritten commits a session keeps (the newest): a rebase of a long branch
/// must not grow the session's file without bound.
pub const MAX_SESSION_REWRITES: usize = 1000;

/// The error returned by [`apply`]: the operation does not fit the current state.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Rejection {
    /// The milestone does not exist.
    #[error("no milestone {0}")]
    NoSuchMilestone(MilestoneId),
    /// The milestone exists already.
    #[error("milestone {0} already exists")]
    MilestoneExists(MilestoneId),
    /// The task does not exist.
    #[error("milestone {milestone} has no task {task}")]
    NoSuchTask {
        /// The milestone.
        milestone: MilestoneId,
        /// The missing task.
        task: TaskId,
    },
    /// The task exists already.
    #[error("milestone {milestone} already has a task {task}")]
    TaskExists {
        /// The milestone.
        milestone: MilestoneId,
        /// The existing task.
        task: TaskId,
    },
    /// A checkpoint of that name exists already.
    #[error("milestone {milestone} already has a checkpoint {name:?}")]
    CheckpointExists {
        /// The milestone.
        milestone: MilestoneId,
        /// The taken name.
        name: String,
    },
    /// A value is not acceptable.
    #[error("{0}")]
    Invalid(String),
}

/// What applying an operation gives.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    /// The milestone's files afterwards (none for operations on no milestone).
    pub files: Option<MilestoneFiles>,
    /// The events the operation caused, in order.
    pub events: Vec<Event>,
    /// A one-line human summary, the commit's subject.
    pub summary: String,
    /// False when the operation would change nothing and record nothing.
    pub changed: bool,
}

/// Applies `op` to `current` (the files of the milestone it names, if it exists) at time
/// `at`. Everything an operation records (its events, the derived status before and
/// after) is decided here.
pub fn apply(
    current: Option<MilestoneFiles>,
    op: &Op,
    at: DateTime<Utc>,
) -> Result<Applied, Rejection> {
    apply_with_source(current, None, op, at)
}

/// Like [`apply`], with `source`: for a restore, the milestone's files as they were at
/// the commit it restores (read by the store, which alone reads history).
pub fn apply_with_source(
    current: Option<MilestoneFiles>,
    source: Option<MilestoneFiles>,
    op: &Op,
    at: DateTime<Utc>,
) -> Result<Applied, Rejection> {
    let before = current.as_ref().map(|f| milestone_progress(&f.definition));
    let stamp = crate::clock::format_time(at);
    let mut applied = match op {
        Op::Init => Applied {
            files: None,
            events: Vec::new(),
            summary: "initialize refs/milestones".into(),
            changed: true,
        },
        Op::Merge { resolved, .. } => Applied {
            files: None,
            events: Vec::new(),
            summary: format!("merge {} operations", resolved.len()),
            changed: true,
        },
        Op::NewMilestone {
            milestone,
            title,
            description,
            due,
        } => {
            if current.is_some() {
                return Err(Rejection::MilestoneExists(milestone.clone()));
            }
            if let Some(due) = due {
                validate::parse_date_or_time(due).map_err(Rejection::Invalid)?;
            }
            let mut definition = Milestone::new(milestone.clone());
            definition.title = title.clone().unwrap_or_default();
            definition.description = description.clone();
            definition.due = due.clone();
            Applied {
                events: vec![Event::new(
                    "milestone_created",
                    milestone.as_str(),
                    json!({ "title": definition.title, "due": definition.due }),
                )],
                summary: format!("{milestone}: create"),
                files: Some(MilestoneFiles {
                    definition,
                    state: None,
                    sessions: Some(Default::default()),
                    approvals: Some(Default::default()),
                }),
                changed: true,
            }
        }
        Op::PutMilestone { definition, reason } => put_milestone(current, definition, *reason)?,
        Op::AddTask {
            milestone,
            task,
            title,
            kiro,
            points,
        } => {
            let mut files = existing(current, milestone)?;
            if files.definition.task(task).is_some() {
                return Err(Rejection::TaskExists {
                    milestone: milestone.clone(),
                    task: task.clone(),
                });
            }
            super::points::check(*points)?;
            let mut added = Task::new(task.clone(), title.clone(), *kiro);
            added.points = *points;
            files.definition.tasks.push(added);
            let mut data = json!({ "task_id": task, "title": title, "kiro_workflow": kiro });
            if let Some(points) = points {
                data["points"] = json!(points);
            }
            Applied {
                events: vec![Event::new("task_added", milestone.as_str(), data)],
                summary: format!("{milestone}: add task {task}"),
                files: Some(files),
                changed: true,
            }
        }
        Op::SetTaskStatus {
            milestone,
            task,
            status,
        } => {
            let mut files = existing(current, milestone)?;
            let entry = files
                .definition
                .task_mut(task)
                .ok_or_else(|| Rejection::NoSuchTask {
                    milestone: milestone.clone(),
                    task: task.clone(),
                })?;
            let previous = entry.status;
            entry.status = *status;
            Applied {
                events: vec![Event::new(
                    "task_status_changed",
                    milestone.as_str(),
                    json!({ "task_id": task, "previous_status": previous, "new_status": status }),
                )],
                summary: format!("{milestone}: task {task} {previous} → {status}"),
                files: Some(files),
                changed: previous != *status,
            }
        }
        Op::SetTaskPoints {
            milestone,
            task,
            points,
        } => super::points::set_points(current, milestone, task, *points)?,
        Op::SaveState { milestone, state } => {
            let mut files = existing(current, milestone)?;
            files.state = Some(state.clone());
            Applied {
                events: vec![Event::new(
                    "state_saved",
                    milestone.as_str(),
                    json!({ "state_file": format!("milestones/{milestone}/state.json") }),
                )],
                summary: format!("{milestone}: save state"),
                files: Some(files),
                changed: true,
            }
        }
        Op::AddEvent {
            milestone,
            event_type,
            data,
        } => {
            check_event_type(event_type).map_err(Rejection::Invalid)?;
            if BUILT_IN_EVENT_TYPES.contains(&event_type.as_str()) {
                return Err(Rejection::Invalid(format!(
                    "{event_type:?} is recorded by git-milestone itself; choose another event type"
                )));
            }
            let files = existing(current, milestone)?;
            Applied {
                events: vec![Event::new(event_type, milestone.as_str(), data.clone())],
                summary: format!("{milestone}: event {event_type}"),
                files: Some(files),
                changed: true,
            }
        }
        Op::CreateCheckpoint {
            milestone,
            name,
            commit,
        } => {
            let files = existing(current, milestone)?;
            Applied {
                events: vec![Event::new(
                    "checkpoint_created",
                    milestone.as_str(),
                    json!({
                        "checkpoint_name": name,
                        "commit": commit,
                        "tag": format!("refs/tags/milestone/{milestone}/{name}"),
                    }),
                )],
                summary: format!("{milestone}: checkpoint {name}"),
                files: Some(files),
                changed: true,
            }
        }
        Op::Restore {
            milestone,
            commit,
            source: why,
        } => {
            let restored = source.ok_or_else(|| {
                Rejection::Invalid(format!(
                    "milestone {milestone} did not exist at commit {commit}"
                ))
            })?;
            let (event, summary) = match why {
                RestoreSource::Checkpoint { name } => (
                    Event::new(
                        "state_restored",
                        milestone.as_str(),
                        json!({ "checkpoint_name": name, "commit": commit }),
                    ),
                    format!("{milestone}: restore checkpoint {name}"),
                ),
                RestoreSource::Recover => (
                    Event::new(
                        "state_recovered",
                        milestone.as_str(),
                        json!({ "commit": commit }),
                    ),
                    format!("{milestone}: recover from {}", short(commit)),
                ),
            };
            Applied {
                events: vec![event],
                summary,
                files: Some(restored),
                changed: true,
            }
        }
        Op::StartSession { session } => {
            let milestone = &session.milestone_id;
            let mut files = existing(current, milestone)?;
            let sessions = files.sessions.get_or_insert_with(Default::default);
            if sessions.contains_key(&session.session_id) {
                return Err(Rejection::Invalid(format!(
                    "session {} exists already",
                    session.session_id
                )));
            }
            sessions.insert(session.session_id.clone(), (**session).clone());
            Applied {
                events: vec![Event::new(
                    "session_created",
                    milestone.as_str(),
                    json!({
                        "session_id": session.session_id,
                        "git_branch": session.git_branch,
                        "head": session.head,
                    }),
                )],
                summary: format!("{milestone}: start session {}", session.session_id),
                files: Some(files),
                changed: true,
            }
        }
        Op::EndSession {
            milestone,
            session,
            head,
            commits,
        } => {
            let mut files = existing(current, milestone)?;
            let record = files
                .sessions
                .as_mut()
                .and_then(|s| s.get_mut(session))
                .ok_or_else(|| {
                    Rejection::Invalid(format!("milestone {milestone} has no session {session}"))
                })?;
            if record.status != SessionStatus::Active {
                return Err(Rejection::Invalid(format!(
                    "session {session} has already ended"
                )));
            }
            record.status = SessionStatus::Completed;
            record.ended_at = Some(stamp.clone());
            record.end_head = head.clone();
            record.commits = commits.clone();
            Applied {
                events: vec![Event::new(
                    "session_ended",
                    milestone.as_str(),
                    json!({ "session_id": session, "commits": commits.len() }),
                )],
                summary: format!("{milestone}: end session {session}"),
                files: Some(files),
                changed: true,
            }
        }
        Op::Cleanup {
            milestone,
            retention_days,
            cutoff,
            checkpoints,
        } => {
            let mut files = existing(current, milestone)?;
            let sessions = files.sessions.get_or_insert_with(Default::default);
            let removed: Vec<String> = sessions
                .values()
                .filter(|s| s.status == SessionStatus::Completed)
                .filter(|s| {
                    s.ended_at
                        .as_deref()
                        .is_some_and(|end| ended_before(end, cutoff))
                })
                .map(|s| s.session_id.to_string())
                .collect();
            sessions.retain(|id, _| !removed.contains(&id.to_string()));
            Applied {
                events: vec![Event::new(
                    "state_cleaned",
                    milestone.as_str(),
                    json!({
                        "retention_days": retention_days,
                        "removed_sessions": removed,
                        "removed_checkpoints": checkpoints,
                    }),
                )],
                summary: format!(
                    "{milestone}: clean up {} sessions, {} checkpoints",
                    removed.len(),
                    checkpoints.len()
                ),
                changed: !removed.is_empty() || !checkpoints.is_empty(),
                files: Some(files),
            }
        }
        Op::SetPhase {
            milestone,
            task,
            phase,
            status,
        } => {
            let mut files = existing(current, milestone)?;
            let events = phases::set_phase(&mut files, task, *phase, *status, &stamp)?;
            Applied {
                events,
                summary: format!("{milestone}: task {task} phase {phase} → {status}"),
                files: Some(files),
                changed: true,
            }
        }
        Op::AdvancePhase {
            milestone,
            task,
            by,
        } => {
            let mut files = existing(current, milestone)?;
            let events = phases::advance(&mut files, task, &stamp, by, "manual")?;
            Applied {
                summary: format!("{milestone}: task {task} advance"),
                changed: !events.is_empty(),
                events,
                files: Some(files),
            }
        }
        Op::DecideApproval {
            milestone,
            approval,
            role,
            decision,
            comment,
            by,
        } => {
            let mut files = existing(current, milestone)?;
            let events = phases::decide(
                &mut files,
                approval,
                role,
                *decision,
                comment.as_deref(),
                by,
                &stamp,
            )?;
            Applied {
                events,
                summary: format!("{milestone}: {role} {} {approval}", decision.as_str()),
                files: Some(files),
                changed: true,
            }
        }
        Op::Monitor { milestone, by } => {
            let mut files = existing(current, milestone)?;
            let events = phases::monitor(&mut files, &stamp, by)?;
            Applied {
                summary: format!("{milestone}: monitor"),
                changed: !events.is_empty(),
                events,
                files: Some(files),
            }
        }
        Op::RecordCommit {
            milestone,
            session,
            commit,
            branch,
            subject,
            moves,
        } => {
            let mut files = existing(current, milestone)?;
            let mut events = Vec::new();
            if session.is_some() {
                events.push(Event::new(
                    "commit",
                    milestone.as_str(),
                    json!({ "commit": commit, "branch": branch, "subject": subject }),
                ));
            }
            events.extend(apply_moves(&mut files.definition, moves));
            let summary = format!("{milestone}: commit {} {subject}", short(commit));
            hook_applied(files, events, summary)
        }
        Op::RecordMerge {
            milestone,
            session,
            head,
            branch,
            squash,
            commits,
            total,
            moves,
        } => {
            let mut files = existing(current, milestone)?;
            let mut events = Vec::new();
            if session.is_some() {
                events.push(Event::new(
                    "merge",
                    milestone.as_str(),
                    json!({
                        "head": head,
                        "branch": branch,
                        "squash": squash,
                        "commits": commits,
                        "total": total,
                    }),
                ));
            }
            events.extend(apply_moves(&mut files.definition, moves));
            let what = if *squash { "squash merge" } else { "merge" };
            let summary = format!("{milestone}: {what} of {total} commits into {branch}");
            hook_applied(files, events, summary)
        }
        Op::SessionBranch {
            milestone,
            session,
            branch,
            head,
        } => {
            let mut files = existing(current, milestone)?;
            let mut events = Vec::new();
            // A session that ended (elsewhere) or is unknown here records nothing: the
            // checkout is not part of it, and a hook must not fail over it.
            if let Some(record) = active_session(&mut files, session) {
                if &record.git_branch != branch {
                    let previous = std::mem::replace(&mut record.git_branch, branch.clone());
                    record.branches.push(BranchSwitch {
                        branch: branch.clone(),
                        head: head.clone(),
                        at: stamp.clone(),
                    });
                    events.push(Event::new(
                        "checkout",
                        milestone.as_str(),
                        json!({
                            "session_id": session,
                            "previous_branch": previous,
                            "branch": branch,
                            "head": head,
                        }),
                    ));
                }
            }
            let summary = format!("{milestone}: session {session} on branch {branch}");
            hook_applied(files, events, summary)
        }
        Op::RecordRewrite {
            milestone,
            session,
            kind,
            rewrites,
            total,
            moves,
        } => {
            let mut files = existing(current, milestone)?;
            let mut events = Vec::new();
            let record = session
                .as_ref()
                .and_then(|session| active_session(&mut files, session));
            if let Some(record) = record {
                record
                    .rewrites
                    .extend(rewrites.iter().map(|r| RewrittenCommit {
                        kind: Some(*kind),
                        ..r.clone()
                    }));
                let excess = record.rewrites.len().saturating_sub(MAX_SESSION_REWRITES);
                record.rewrites.drain(..excess);
                let commits: Vec<_> = rewrites
                    .iter()
                    .map(|r| json!({ "old": r.old, "new": r.new }))
                    .collect();
                events.push(Event::new(
                    "rewrite",
                    milestone.as_str(),
                    json!({ "kind": kind, "commits": commits, "total": total }),
                ));
            }
            events.extend(apply_moves(&mut files.definition, moves));
            let summary = format!("{milestone}: {} rewrote {total} commits", kind.as_str());
            hook_applied(files, events, summary)
        }
        Op::ImportMilestone {
            definition,
            replace,
            source,
        } => import::import_milestone(current, definition, *replace, source.as_deref())?,
        Op::ImportState {
            milestone,
            state,
            saved_at,
            ..
        } => import::import_state(current, milestone, state.as_ref(), saved_at.as_deref())?,
        Op::ImportSessions {
            milestone,
            sessions,
        } => import::import_sessions(current, milestone, sessions)?,
        Op::ImportApprovals {
            milestone,
            approvals,
        } => import::import_approvals(current, milestone, approvals)?,
        Op::ImportEvents { events } => import::import_events(events)?,
    };
    if applied.changed {
        add_status_events(&mut applied, before);
    }
    Ok(applied)
}

/// What an operation recorded by a hook gives: it changes something only when it
/// records an event (a hook seeing nothing new writes nothing). The task moves are
/// named in the summary, since they are what `git log refs/milestones` readers look for.
fn hook_applied(files: MilestoneFiles, events: Vec<Event>, summary: String) -> Applied {
    let moved: Vec<String> = events
        .iter()
        .filter(|e| e.event_type == "task_status_changed")
        .map(|e| {
            format!(
                "{} → {}",
                e.data["task_id"].as_str().unwrap_or(""),
                e.data["new_status"].as_str().unwrap_or("")
            )
        })
        .collect();
    let summary = if moved.is_empty() {
        summary
    } else {
        format!("{summary}; {}", moved.join(", "))
    };
    Applied {
        changed: !events.is_empty(),
        events,
        summary,
        files: Some(files),
    }
}

/// The session `id` of a milestone's files, if it is there and still active.
fn active_session<'f>(files: &'f mut MilestoneFiles, id: &SessionId) -> Option<&'f mut Session> {
    files
        .sessions
        .as_mut()?
        .get_mut(id)
        .filter(|s| s.status == SessionStatus::Active)
}

/// The first 12 characters of a commit id, for a summary. The id comes from an
/// operation, which a merge may read from any message: it is not always hex.
fn short(commit: &str) -> &str {
    match commit.char_indices().nth(12) {
        Some((end, _)) => &commit[..end],
        None => commit,
    }
}

/// Whether the RFC 3339 time `end` is before `cutoff`; an unreadable time is kept.
fn ended_before(end: &str, cutoff: &str) -> bool {
    match (
        DateTime::parse_from_rfc3339(end),
        DateTime::parse_from_rfc3339(cutoff),
    ) {
        (Ok(end), Ok(cutoff)) => end < cutoff,
        _ => false,
    }
}

/// Applies `op` the way a merge replays it: like [`apply_with_source`], except that
/// adding what exists already merges into it (a milestone created on two clones, a
/// task added twice, the same import) instead of failing. The caller turns any other
/// rejection into a recorded no-op.
pub fn replay(
    current: Option<MilestoneFiles>,
    source: Option<MilestoneFiles>,
    op: &Op,
    at: DateTime<Utc>,
) -> Result<Applied, Rejection> {
    let result = apply_with_source(current.clone(), source, op, at);
    let (Err(Rejection::MilestoneExists(_) | Rejection::TaskExists { .. }), Some(files)) =
        (&result, &current)
    else {
        return result;
    };
    let mut merged = files.definition.clone();
    match op {
        Op::NewMilestone {
            title,
            description,
            due,
            ..
        } => {
            if let Some(title) = title.as_ref().filter(|t| !t.is_empty()) {
                merged.title = title.clone();
            }
            if description.is_some() {
                merged.description = description.clone();
            }
            if due.is_some() {
                merged.due = due.clone();
            }
        }
        Op::AddTask {
            task,
            title,
            kiro,
            points,
            ..
        } => {
            if let Some(existing) = merged.task_mut(task) {
                if !title.is_empty() {
                    existing.title = title.clone();
                }
                if points.is_some() {
                    existing.points = *points;
                }
                if *kiro && existing.kiro_workflow.is_none() {
                    existing.kiro_workflow = Some(Default::default());
                }
            }
        }
        Op::PutMilestone { definition, .. } | Op::ImportMilestone { definition, .. } => {
            merged = (**definition).clone()
        }
        _ => return result,
    }
    let as_update = Op::PutMilestone {
        definition: Box::new(merged),
        reason: PutReason::Replace,
    };
    apply_with_source(current, None, &as_update, at)
}

fn existing(
    current: Option<MilestoneFiles>,
    milestone: &MilestoneId,
) -> Result<MilestoneFiles, Rejection> {
    current.ok_or_else(|| Rejection::NoSuchMilestone(milestone.clone()))
}

fn put_milestone(
    current: Option<MilestoneFiles>,
    definition: &Milestone,
    reason: PutReason,
) -> Result<Applied, Rejection> {
    let problems = validate::milestone_problems(definition);
    if !problems.is_empty() {
        return Err(Rejection::Invalid(problems.join("\n")));
    }
    let id = &definition.id;
    let unchanged = current.as_ref().map(|f| &f.definition) == Some(definition);
    match (&current, reason) {
        (None, PutReason::Edit) => return Err(Rejection::NoSuchMilestone(id.clone())),
        (Some(_), PutReason::Import) if !unchanged => {
            return Err(Rejection::MilestoneExists(id.clone()))
        }
        _ => {}
    }
    let (event_type, verb) = match (&current, reason) {
        (_, PutReason::Edit) | (Some(_), PutReason::Replace) => ("milestone_modified", "edit"),
        _ => ("milestone_imported", "import"),
    };
    let (state, sessions, approvals) = match current {
        Some(f) => (f.state, f.sessions, f.approvals),
        None => (None, None, None),
    };
    Ok(Applied {
        events: vec![Event::new(
            event_type,
            id.as_str(),
            json!({ "tasks": definition.tasks.len() }),
        )],
        summary: format!("{id}: {verb}"),
        files: Some(MilestoneFiles {
            definition: definition.clone(),
            state,
            sessions,
            approvals,
        }),
        changed: !unchanged,
    })
}

/// Adds `status_updated` when the derived status or progress moved, and
/// `milestone_completed` when the milestone became completed.
fn add_status_events(applied: &mut Applied, before: Option<super::MilestoneProgress>) {
    let (Some(before), Some(files)) = (before, &applied.files) else {
        return;
    };
    let after = milestone_progress(&files.definition);
    if after.status == before.status && after.percentage == before.percentage {
        return;
    }
    let milestone = files.definition.id.as_str().to_string();
    let trigger = applied
        .events
        .first()
        .map(|e| e.event_type.clone())
        .unwrap_or_default();
    applied.events.push(Event::new(
        "status_updated",
        &milestone,
        json!({
            "old_status": before.status,
            "new_status": after.status,
            "progress_percentage": display_percentage(after.percentage),
            "trigger_event": trigger,
        }),
    ));
    if after.status == MilestoneStatus::Completed && before.status != MilestoneStatus::Completed {
        applied.events.push(Event::new(
            "milestone_completed",
            &milestone,
            json!({ "total_tasks": after.total_tasks }),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::TaskStatus;
    use serde_json::Value;

    fn at() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn mid() -> MilestoneId {
        MilestoneId::new("m1").unwrap()
    }

    fn tid(id: &str) -> TaskId {
        TaskId::new(id).unwrap()
    }

    fn with_tasks(ids: &[&str]) -> MilestoneFiles {
        let mut definition = Milestone::new(mid());
        for id in ids {
            definition
                .tasks
                .push(Task::new(tid(id), String::new(), false));
        }
        MilestoneFiles {
            definition,
            state: None,
            sessions: None,
            approvals: None,
        }
    }

    fn set(task: &str, status: TaskStatus) -> Op {
        Op::SetTaskStatus {
            milestone: mid(),
            task: tid(task),
            status,
        }
    }

    fn types(applied: &Applied) -> Vec<&str> {
        applied
            .events
            .iter()
            .map(|e| e.event_type.as_str())
            .collect()
    }

    #[test]
    fn completing_the_last_task_completes_the_milestone() {
        let files = with_tasks(&["a"]);
        let applied = apply(Some(files), &set("a", TaskStatus::Completed), at()).unwrap();
        assert_eq!(
            types(&applied),
            [
                "task_status_changed",
                "status_updated",
                "milestone_completed"
            ]
        );
        let status = &applied.events[1].data;
        assert_eq!(status["old_status"], "planned");
        assert_eq!(status["new_status"], "completed");
        assert_eq!(status["progress_percentage"], 100);
        assert_eq!(status["trigger_event"], "task_status_changed");
        assert_eq!(applied.events[0].data["previous_status"], "pending");
    }

    #[test]
    fn progress_change_without_status_change_is_still_reported() {
        let mut files = with_tasks(&["a", "b"]);
        files.definition.tasks[0].status = TaskStatus::InProgress;
        let applied = apply(Some(files), &set("b", TaskStatus::InProgress), at()).unwrap();
        assert_eq!(types(&applied), ["task_status_changed", "status_updated"]);
        assert_eq!(applied.events[1].data["old_status"], "in_progress");
        assert_eq!(applied.events[1].data["progress_percentage"], 50);
    }

    #[test]
    fn setting_the_same_status_changes_nothing() {
        let applied = apply(
            Some(with_tasks(&["a"])),
            &set("a", TaskStatus::Pending),
            at(),
        )
        .unwrap();
        assert!(!applied.changed);
        assert_eq!(types(&applied), ["task_status_changed"]);
    }

    #[test]
    fn rejections() {
        let cases: Vec<(Option<MilestoneFiles>, Op)> = vec![
            (None, set("a", TaskStatus::Completed)),
            (Some(with_tasks(&[])), set("a", TaskStatus::Completed)),
            (
                Some(with_tasks(&["a"])),
                Op::AddTask {
                    milestone: mid(),
                    task: tid("a"),
                    title: String::new(),
                    kiro: false,
                    points: None,
                },
            ),
            (
                Some(with_tasks(&[])),
                Op::NewMilestone {
                    milestone: mid(),
                    title: None,
                    description: None,
                    due: None,
                },
            ),
            (
                None,
                Op::NewMilestone {
                    milestone: mid(),
                    title: None,
                    description: None,
                    due: Some("tomorrow".into()),
                },
            ),
            (
                Some(with_tasks(&[])),
                Op::AddEvent {
                    milestone: mid(),
                    event_type: "milestone_completed".into(),
                    data: Value::Null,
                },
            ),
            (
                Some(with_tasks(&[])),
                Op::AddEvent {
                    milestone: mid(),
                    event_type: "has space".into(),
                    data: Value::Null,
                },
            ),
        ];
        for (files, op) in cases {
            assert!(apply(files, &op, at()).is_err(), "{op:?} should be refused");
        }
    }

    #[test]
    fn import_refuses_to_overwrite_but_replace_and_edit_may() {
        let existing = with_tasks(&["a"]);
        let mut changed = existing.definition.clone();
        changed.title = "new".into();
        let put = |reason| Op::PutMilestone {
            definition: Box::new(changed.clone()),
            reason,
        };
        assert!(matches!(
            apply(Some(existing.clone()), &put(PutReason::Import), at()),
            Err(Rejection::MilestoneExists(_))
        ));
        for reason in [PutReason::Replace, PutReason::Edit] {
            let applied = apply(Some(existing.clone()), &put(reason), at()).unwrap();
            assert_eq!(types(&applied), ["milestone_modified"]);
        }
        assert!(matches!(
            apply(None, &put(PutReason::Edit), at()),
            Err(Rejection::NoSuchMilestone(_))
        ));
        // Importing what is already there is a no-op, not a conflict.
        let same = Op::PutMilestone {
            definition: Box::new(existing.definition.clone()),
            reason: PutReason::Import,
        };
        assert!(!apply(Some(existing), &same, at()).unwrap().changed);
    }

    fn session(id: &str, status: SessionStatus) -> Session {
        Session {
            session_id: SessionId::new(id).unwrap(),
            milestone_id: mid(),
            status,
            created_at: "2026-01-01T00:00:00.000Z".into(),
            ended_at: None,
            user: "u".into(),
            email: String::new(),
            host: String::new(),
            working_directory: String::new(),
            git_branch: "main".into(),
            head: None,
            end_head: None,
            commits: Vec::new(),
            branches: Vec::new(),
            rewrites: Vec::new(),
        }
    }

    fn with_session(status: SessionStatus) -> MilestoneFiles {
        let mut files = with_tasks(&["a", "b"]);
        let s = session("s1", status);
        files.sessions = Some([(s.session_id.clone(), s)].into());
        files
    }

    fn moves(message: &str) -> Vec<crate::model::TaskMove> {
        super::super::trailers::task_moves([("c1", message)], Some(&mid()))
            .remove(&mid())
            .unwrap_or_default()
    }

    fn record_commit(session: Option<&str>, message: &str) -> Op {
        Op::RecordCommit {
            milestone: mid(),
            session: session.map(|s| SessionId::new(s).unwrap()),
            commit: "c1".into(),
            branch: "main".into(),
            subject: "subject".into(),
            moves: moves(message),
        }
    }

    #[test]
    fn a_commit_records_its_event_and_its_trailers_once() {
        let op = record_commit(Some("s1"), "subject\n\nTask: a\nCompletes: b\nTask: nope\n");
        let first = apply(Some(with_tasks(&["a", "b"])), &op, at()).unwrap();
        assert_eq!(
            types(&first),
            [
                "commit",
                "task_status_changed",
                "task_status_changed",
                "status_updated"
            ]
        );
        assert_eq!(first.events[0].data["subject"], "subject");
        assert!(
            first.summary.contains("a → in_progress"),
            "{}",
            first.summary
        );
        // Replayed on the result (a rebase, a second hook run): only the commit event.
        let again = apply(first.files.clone(), &op, at()).unwrap();
        assert_eq!(types(&again), ["commit"]);
        assert_eq!(
            again.files.unwrap().definition,
            first.files.unwrap().definition
        );
    }

    #[test]
    fn without_a_session_only_trailers_record_anything() {
        let nothing = apply(
            Some(with_tasks(&["a"])),
            &record_commit(None, "s\n\nTask: x\n"),
            at(),
        );
        assert!(!nothing.unwrap().changed);
        let moved = apply(
            Some(with_tasks(&["a"])),
            &record_commit(None, "s\n\nTask: a\n"),
            at(),
        );
        assert_eq!(
            types(&moved.unwrap()),
            ["task_status_changed", "status_updated"]
        );
    }

    #[test]
    fn a_merge_records_its_commits_and_squash_flag() {
        let op = Op::RecordMerge {
            milestone: mid(),
            session: Some(SessionId::new("s1").unwrap()),
            head: "h".into(),
            branch: "main".into(),
            squash: true,
            commits: vec!["c1".into(), "c2".into()],
            total: 2,
            moves: moves("s\n\nCompletes: a\n"),
        };
        let applied = apply(Some(with_tasks(&["a"])), &op, at()).unwrap();
        assert_eq!(applied.events[0].event_type, "merge");
        assert_eq!(applied.events[0].data["squash"], true);
        assert_eq!(applied.events[0].data["commits"][1], "c2");
        assert_eq!(applied.events[1].data["new_status"], "completed");
    }

    #[test]
    fn a_checkout_moves_an_active_session_to_the_new_branch_only() {
        let switch = |branch: &str| Op::SessionBranch {
            milestone: mid(),
            session: SessionId::new("s1").unwrap(),
            branch: branch.into(),
            head: Some("h".into()),
        };
        let applied = apply(
            Some(with_session(SessionStatus::Active)),
            &switch("feat"),
            at(),
        )
        .unwrap();
        assert_eq!(types(&applied), ["checkout"]);
        assert_eq!(applied.events[0].data["previous_branch"], "main");
        let files = applied.files.unwrap();
        let record = &files.sessions.as_ref().unwrap()[&SessionId::new("s1").unwrap()];
        assert_eq!(record.git_branch, "feat");
        assert_eq!(record.branches[0].branch, "feat");
        // Same branch again, an ended session, an unknown session: nothing.
        assert!(!apply(Some(files), &switch("feat"), at()).unwrap().changed);
        let ended = apply(
            Some(with_session(SessionStatus::Completed)),
            &switch("x"),
            at(),
        );
        assert!(!ended.unwrap().changed);
        assert!(
            !apply(Some(with_tasks(&[])), &switch("x"), at())
                .unwrap()
                .changed
        );
    }

    #[test]
    fn rewrites_are_kept_on_the_session_up_to_a_bound() {
        let rewrite = |n: usize| Op::RecordRewrite {
            milestone: mid(),
            session: Some(SessionId::new("s1").unwrap()),
            kind: crate::model::RewriteKind::Rebase,
            rewrites: (0..n)
                .map(|i| RewrittenCommit {
                    old: format!("o{i}"),
                    new: format!("n{i}"),
                    kind: None,
                })
                .collect(),
            total: n,
            moves: Vec::new(),
        };
        let applied = apply(Some(with_session(SessionStatus::Active)), &rewrite(2), at()).unwrap();
        assert_eq!(types(&applied), ["rewrite"]);
        assert_eq!(applied.events[0].data["commits"][0]["old"], "o0");
        let files = applied.files.unwrap();
        let record = &files.sessions.as_ref().unwrap()[&SessionId::new("s1").unwrap()];
        assert_eq!(
            record.rewrites[1].kind,
            Some(crate::model::RewriteKind::Rebase)
        );
        let many = apply(Some(files), &rewrite(MAX_SESSION_REWRITES), at()).unwrap();
        let files = many.files.unwrap();
        let record = &files.sessions.as_ref().unwrap()[&SessionId::new("s1").unwrap()];
        assert_eq!(record.rewrites.len(), MAX_SESSION_REWRITES);
        assert_eq!(record.rewrites[0].old, "o0", "the oldest ones go first");
        assert_eq!(
            record.rewrites.last().unwrap().old,
            format!("o{}", MAX_SESSION_REWRITES - 1)
        );
    }

    #[test]
    fn short_never_splits_a_character() {
        assert_eq!(short("ééééééé"), "ééééééé");
        assert_eq!(short("éééééééééééééé"), "éééééééééééé");
        assert_eq!(short("abc"), "abc");
    }

    #[test]
    fn edit_keeps_the_saved_state() {
        let mut existing = with_tasks(&[]);
        existing.state = Some(serde_json::json!({"k": 1}));
        let op = Op::PutMilestone {
            definition: Box::new(with_tasks(&["x"]).definition),
            reason: PutReason::Edit,
        };
        let applied = apply(Some(existing), &op, at()).unwrap();
        assert_eq!(
            applied.files.unwrap().state,
            Some(serde_json::json!({"k": 1}))
        );
    }

    #[test]
    fn a_recovery_from_a_commit_id_that_is_not_hex_is_summarized() {
        // Found by review while writing the `apply` fuzz target: the summary cut the
        // id at byte 12, inside the 'é'.
        let op = Op::Restore {
            milestone: mid(),
            commit: "0123456789aé-and-more".into(),
            source: RestoreSource::Recover,
        };
        let applied =
            apply_with_source(Some(with_tasks(&[])), Some(with_tasks(&["a"])), &op, at()).unwrap();
        assert_eq!(applied.summary, "m1: recover from 0123456789aé");
        assert_eq!(short("abc"), "abc");
        assert_eq!(short("0123456789abcdef"), "0123456789ab");
    }

    #[test]
    fn replay_merges_what_exists_instead_of_failing() {
        let existing = with_tasks(&["a"]);
        let new = Op::NewMilestone {
            milestone: mid(),
            title: Some("from the other clone".into()),
            description: None,
            due: None,
        };
        let merged = replay(Some(existing.clone()), None, &new, at()).unwrap();
        assert_eq!(
            merged.files.unwrap().definition.title,
            "from the other clone"
        );
        let add = Op::AddTask {
            milestone: mid(),
            task: tid("a"),
            title: "titled".into(),
            kiro: true,
            points: None,
        };
        let merged = replay(Some(existing.clone()), None, &add, at()).unwrap();
        let definition = merged.files.unwrap().definition;
        assert_eq!(definition.tasks.len(), 1);
        assert_eq!(definition.tasks[0].title, "titled");
        assert!(definition.tasks[0].workflow().is_some());
        // Anything else that does not fit is still refused, for the caller to record
        // as a no-op.
        assert!(replay(
            Some(existing),
            None,
            &set("zz", TaskStatus::Completed),
            at()
        )
        .is_err());
    }
}
