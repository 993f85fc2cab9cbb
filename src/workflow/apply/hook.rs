//! Operations that git's hooks record: a commit, a merge, a checkout, a rewrite. They
//! share one shape (an event on the session, if the session is this milestone's, then
//! the task moves of the trailers); only the event differs by kind.

use crate::model::{
    BranchSwitch, Event, EventKind, MilestoneFiles, MilestoneId, Op, RewriteKind, RewrittenCommit,
    Session, SessionId, SessionStatus, TaskMove,
};

use super::super::trailers::apply_moves;
use super::{existing, short, Applied, Rejection, MAX_SESSION_REWRITES};

/// `Op::RecordCommit`, `Op::RecordMerge`, `Op::SessionBranch` and `Op::RecordRewrite`:
/// the kind's event, then the trailers' task moves. It changes something only when it
/// records an event (a hook seeing nothing new writes nothing).
pub(super) fn record(
    current: Option<MilestoneFiles>,
    op: &Op,
    stamp: &str,
) -> Result<Applied, Rejection> {
    let (milestone, moves): (_, &[TaskMove]) = match op {
        Op::RecordCommit {
            milestone, moves, ..
        }
        | Op::RecordMerge {
            milestone, moves, ..
        }
        | Op::RecordRewrite {
            milestone, moves, ..
        } => (milestone, moves),
        Op::SessionBranch { milestone, .. } => (milestone, &[]),
        _ => return Err(Rejection::Invalid("not an operation of a hook".into())),
    };
    let mut files = existing(current, milestone)?;
    let (event, summary) = match op {
        Op::RecordCommit {
            session,
            commit,
            branch,
            subject,
            ..
        } => commit_seen(milestone, session.is_some(), commit, branch, subject),
        Op::RecordMerge {
            session,
            head,
            branch,
            squash,
            commits,
            total,
            ..
        } => merge_seen(
            milestone,
            session.is_some(),
            head,
            branch,
            *squash,
            commits,
            *total,
        ),
        Op::SessionBranch {
            session,
            branch,
            head,
            ..
        } => checkout_seen(&mut files, session, branch, head.as_deref(), stamp),
        Op::RecordRewrite {
            session,
            kind,
            rewrites,
            total,
            ..
        } => rewrite_seen(&mut files, session.as_ref(), *kind, rewrites, *total),
        _ => (None, String::new()),
    };
    let mut events: Vec<Event> = event.into_iter().collect();
    events.extend(apply_moves(&mut files.definition, moves));
    Ok(hook_applied(files, events, summary))
}

/// A commit: its event when made in a session of this milestone.
fn commit_seen(
    milestone: &MilestoneId,
    in_session: bool,
    commit: &str,
    branch: &str,
    subject: &str,
) -> (Option<Event>, String) {
    let event = in_session.then(|| {
        Event::of(
            milestone.as_str(),
            EventKind::Commit {
                commit: commit.to_string(),
                branch: branch.to_string(),
                subject: subject.to_string(),
            },
        )
    });
    let summary = format!("{milestone}: commit {} {subject}", short(commit));
    (event, summary)
}

/// A merge or pull: its event when made in a session of this milestone.
fn merge_seen(
    milestone: &MilestoneId,
    in_session: bool,
    head: &str,
    branch: &str,
    squash: bool,
    commits: &[String],
    total: usize,
) -> (Option<Event>, String) {
    let event = in_session.then(|| {
        Event::of(
            milestone.as_str(),
            EventKind::Merge {
                head: head.to_string(),
                branch: branch.to_string(),
                squash,
                commits: commits.to_vec(),
                total,
            },
        )
    });
    let what = if squash { "squash merge" } else { "merge" };
    let summary = format!("{milestone}: {what} of {total} commits into {branch}");
    (event, summary)
}

/// A checkout: the active session moves to `branch`. A session that ended (elsewhere)
/// or is unknown here records nothing: the checkout is not part of it, and a hook must
/// not fail over it.
fn checkout_seen(
    files: &mut MilestoneFiles,
    session: &SessionId,
    branch: &str,
    head: Option<&str>,
    stamp: &str,
) -> (Option<Event>, String) {
    let milestone = files.definition.id.clone();
    let summary = format!("{milestone}: session {session} on branch {branch}");
    let Some(record) = active_session(files, session).filter(|r| r.git_branch != branch) else {
        return (None, summary);
    };
    let previous = std::mem::replace(&mut record.git_branch, branch.to_string());
    record.branches.push(BranchSwitch {
        branch: branch.to_string(),
        head: head.map(str::to_string),
        at: stamp.to_string(),
    });
    let event = Event::of(
        milestone.as_str(),
        EventKind::Checkout {
            session_id: session.clone(),
            previous_branch: previous,
            branch: branch.to_string(),
            head: head.map(str::to_string),
        },
    );
    (Some(event), summary)
}

/// An amend or rebase: the rewritten ids are kept on the active session (the newest
/// [`MAX_SESSION_REWRITES`]), with its event.
fn rewrite_seen(
    files: &mut MilestoneFiles,
    session: Option<&SessionId>,
    kind: RewriteKind,
    rewrites: &[RewrittenCommit],
    total: usize,
) -> (Option<Event>, String) {
    let milestone = files.definition.id.clone();
    let summary = format!("{milestone}: {} rewrote {total} commits", kind.as_str());
    let Some(record) = session.and_then(|session| active_session(files, session)) else {
        return (None, summary);
    };
    record
        .rewrites
        .extend(rewrites.iter().map(|r| RewrittenCommit {
            kind: Some(kind),
            ..r.clone()
        }));
    let excess = record.rewrites.len().saturating_sub(MAX_SESSION_REWRITES);
    record.rewrites.drain(..excess);
    let commits = rewrites
        .iter()
        .map(|r| RewrittenCommit {
            kind: None,
            ..r.clone()
        })
        .collect();
    let event = Event::of(
        milestone.as_str(),
        EventKind::Rewrite {
            kind,
            commits,
            total,
        },
    );
    (Some(event), summary)
}

/// What a hook's operation gives. The task moves are named in the summary, since they
/// are what `git log refs/milestones` readers look for.
fn hook_applied(files: MilestoneFiles, events: Vec<Event>, summary: String) -> Applied {
    let moved: Vec<String> = events
        .iter()
        .filter_map(Event::task_moved)
        .map(|(task, status)| format!("{task} → {status}"))
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

#[cfg(test)]
mod tests {
    use super::super::apply;
    use super::super::testing::{at, mid, types, with_session, with_tasks};
    use super::*;

    const STAMP: &str = "2026-01-01T00:00:00.000Z";

    fn moves(message: &str) -> Vec<crate::model::TaskMove> {
        crate::workflow::trailers::task_moves([("c1", message)], Some(&mid()))
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
    fn only_a_hook_operation_is_recorded_as_one() {
        let op = Op::Monitor {
            milestone: mid(),
            by: String::new(),
            nonce: None,
            advanced: Vec::new(),
        };
        assert!(record(Some(with_tasks(&[])), &op, STAMP).is_err());
        assert!(record(None, &record_commit(None, "s"), STAMP).is_err());
    }

    #[test]
    fn the_summary_names_the_tasks_moved() {
        let op = record_commit(None, "s\n\nCompletes: a\n");
        let applied = record(Some(with_tasks(&["a"])), &op, STAMP).unwrap();
        assert_eq!(applied.summary, "m1: commit c1 subject; a → completed");
        assert_eq!(types(&applied), ["task_status_changed"]);
    }

    #[test]
    fn each_kind_says_what_it_saw() {
        let (event, summary) = merge_seen(&mid(), false, "h", "main", true, &[], 3);
        assert!(event.is_none());
        assert_eq!(summary, "m1: squash merge of 3 commits into main");
        let (event, _) = commit_seen(&mid(), true, "c", "main", "s");
        assert_eq!(event.unwrap().data["branch"], "main");
        let mut files = with_session(SessionStatus::Active);
        let unknown = SessionId::new("zz").unwrap();
        assert!(checkout_seen(&mut files, &unknown, "x", None, STAMP)
            .0
            .is_none());
        let rewrite = rewrite_seen(&mut files, None, RewriteKind::Amend, &[], 1);
        assert_eq!(rewrite, (None, "m1: amend rewrote 1 commits".to_string()));
    }
}
