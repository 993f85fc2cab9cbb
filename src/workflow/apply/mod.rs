//! Applying one operation to a milestone's files: the pure heart of every write.
//! The store reads the files, calls [`apply`], and writes what it returns.

use chrono::{DateTime, Utc};

use crate::model::{Event, EventKind, MilestoneFiles, MilestoneId, Op, PutReason, Task, TaskId};

use super::import;
use super::progress::{display_percentage, milestone_progress, MilestoneStatus};

mod hook;
mod milestone;
mod phase;
mod record;
mod recorded;
mod removal;
mod session;
#[cfg(test)]
mod testing;
mod twins;

pub use crate::model::event_kind::BUILT_IN_EVENT_TYPES;

/// The most rewritten commits a session keeps (the newest): a rebase of a long branch
/// must not grow the session's file without bound.
pub const MAX_SESSION_REWRITES: usize = 1000;

pub use super::rejection::Rejection;
pub use recorded::as_recorded;

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
    // A new definition wholesale: what the old files held that must stay true.
    let redefined = matches!(
        op,
        Op::PutMilestone { .. } | Op::ImportMilestone { .. } | Op::Restore { .. }
    )
    .then(|| current.clone())
    .flatten();
    let mut applied = dispatch(current, source, op, &stamp)?;
    if let (Some(old), Some(files), true) = (&redefined, &mut applied.files, applied.changed) {
        let superseded = super::redefine::carry_over(old, files, &stamp);
        applied.events.extend(superseded);
    }
    if applied.changed {
        add_status_events(&mut applied, before);
    }
    Ok(applied)
}

/// Each kind of operation to the function that applies it, one arm a kind; `stamp` is
/// the operation's time as events carry it.
fn dispatch(
    current: Option<MilestoneFiles>,
    source: Option<MilestoneFiles>,
    op: &Op,
    stamp: &str,
) -> Result<Applied, Rejection> {
    Ok(match op {
        Op::Init => on_no_milestone("initialize refs/milestones".into()),
        Op::Merge { resolved, .. } => {
            on_no_milestone(format!("merge {} operations", resolved.len()))
        }
        Op::NewMilestone {
            milestone,
            title,
            description,
            due,
        } => milestone::new_milestone(
            current,
            milestone,
            title.as_deref(),
            description.as_deref(),
            due.as_deref(),
        )?,
        Op::PutMilestone { definition, reason } => {
            milestone::put_milestone(current, definition, *reason)?
        }
        Op::AddTask {
            milestone,
            task,
            title,
            kiro,
            points,
        } => milestone::add_task(current, milestone, task, title, *kiro, *points)?,
        Op::SetTaskPoints {
            milestone,
            task,
            points,
        } => super::points::set_points(current, milestone, task, *points)?,
        Op::SetTaskStatus {
            milestone,
            task,
            status,
            reason,
        } => {
            milestone::set_task_status(current, milestone, task, *status, reason.as_deref(), stamp)?
        }
        Op::SaveState { milestone, state } => record::save_state(current, milestone, state)?,
        Op::AddEvent {
            milestone,
            event_type,
            data,
        } => record::add_event(current, milestone, event_type, data)?,
        Op::CreateCheckpoint {
            milestone,
            name,
            commit,
        } => record::create_checkpoint(current, milestone, name, commit)?,
        Op::Restore {
            milestone,
            commit,
            source: why,
        } => record::restore(source, milestone, commit, why)?,
        Op::Cleanup {
            milestone,
            retention_days,
            cutoff,
            checkpoints,
        } => record::cleanup(current, milestone, *retention_days, cutoff, checkpoints)?,
        Op::StartSession { session } => session::start_session(current, session)?,
        Op::EndSession {
            milestone,
            session,
            head,
            commits,
        } => session::end_session(current, milestone, session, head.as_deref(), commits, stamp)?,
        Op::SetPhase {
            milestone,
            task,
            phase,
            status,
        } => phase::set_phase(current, milestone, task, *phase, *status, stamp)?,
        Op::AdvancePhase {
            milestone,
            task,
            by,
            nonce,
            from,
            request,
        } => phase::advance_phase(
            current,
            milestone,
            task,
            (by, nonce.as_deref()),
            (*from, request.as_deref()),
            stamp,
        )?,
        Op::DecideApproval { .. } => phase::decide_op(current, op, stamp)?,
        Op::Monitor {
            milestone,
            by,
            nonce,
            advanced,
        } => phase::monitor(current, milestone, (by, nonce.as_deref()), advanced, stamp)?,
        Op::RecordCommit { .. }
        | Op::RecordMerge { .. }
        | Op::SessionBranch { .. }
        | Op::RecordRewrite { .. } => hook::record(current, op, stamp)?,
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
        Op::RemoveMilestone { milestone } => removal::remove_milestone(current, milestone)?,
        Op::RemoveTask { milestone, task } => removal::remove_task(current, milestone, task)?,
        Op::RenameTask {
            milestone,
            task,
            new_task,
        } => removal::rename_task(current, milestone, task, new_task)?,
        Op::KiroSync { milestone, changes } => {
            super::kiro::apply::sync(current, milestone, changes)?
        }
        // Trust and roles are not a milestone's files: the store applies them with
        // the rules of `workflow::trust`.
        Op::Trust(_) => {
            return Err(Rejection::Invalid(
                "a trust change is applied to the trust list, not to a milestone".into(),
            ))
        }
    })
}

/// An operation on the ref as a whole (init, merge): no milestone, no events.
fn on_no_milestone(summary: String) -> Applied {
    Applied {
        files: None,
        events: Vec::new(),
        summary,
        changed: true,
    }
}

/// The first 12 characters of a commit id, for a summary. The id comes from an
/// operation, which a merge may read from any message: it is not always hex.
fn short(commit: &str) -> &str {
    match commit.char_indices().nth(12) {
        Some((end, _)) => &commit[..end],
        None => commit,
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
    let result = match (apply_with_source(current.clone(), source, op, at), &current) {
        // Approval work two clones did offline: each request keeps its own decisions.
        (
            Err(refused @ (Rejection::WaitingForApproval { .. } | Rejection::Gate { .. })),
            Some(files),
        ) => {
            let stamp = crate::clock::format_time(at);
            return twins::replay_refused(files, op, refused, &stamp);
        }
        (result, _) => result,
    };
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

/// Task `task` of a milestone's files, which must exist.
pub(crate) fn existing_task<'f>(
    files: &'f mut MilestoneFiles,
    task: &TaskId,
) -> Result<&'f mut Task, Rejection> {
    let milestone = files.definition.id.clone();
    files
        .definition
        .task_mut(task)
        .ok_or_else(|| Rejection::NoSuchTask {
            milestone,
            task: task.clone(),
        })
}

/// The files of the milestone an operation names, which must exist.
fn existing(
    current: Option<MilestoneFiles>,
    milestone: &MilestoneId,
) -> Result<MilestoneFiles, Rejection> {
    current.ok_or_else(|| Rejection::NoSuchMilestone(milestone.clone()))
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
    applied.events.push(Event::of(
        &milestone,
        EventKind::StatusUpdated {
            old_status: before.status,
            new_status: after.status,
            progress_percentage: display_percentage(after.percentage),
            trigger_event: trigger,
        },
    ));
    if after.status == MilestoneStatus::Completed && before.status != MilestoneStatus::Completed {
        applied.events.push(Event::of(
            &milestone,
            EventKind::MilestoneCompleted {
                total_tasks: after.total_tasks,
            },
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{at, mid, tid, types, with_tasks};
    use super::*;
    use crate::model::{RestoreSource, TaskStatus};
    use serde_json::Value;

    fn set(task: &str, status: TaskStatus) -> Op {
        Op::SetTaskStatus {
            milestone: mid(),
            task: tid(task),
            status,
            reason: None,
        }
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
