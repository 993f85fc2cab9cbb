//! What the hooks record (CLI.md, "What the hooks record"): each hook invocation reads
//! what git did, and writes at most one operation per milestone it touches.
//!
//! A hook runs inside the user's git command, so the cheap checks come first: no
//! `refs/milestones`, or no current session and no task trailer, and it returns before
//! reading any milestone. It never touches the index or the working tree.

use std::collections::BTreeMap;
use std::path::Path;

use git2::Oid;

use super::HookName;
use crate::model::{
    MilestoneId, Op, RewriteKind, RewrittenCommit, Session, SessionId, SessionStatus, TaskMove,
};
use crate::store::{Outcome, Parts, Store, StoreError};
use crate::workflow::trailers;
use crate::worktree::GitCommit;

/// The most commit ids one operation lists (a merge, a rebase); the rest are counted.
const MAX_LISTED_COMMITS: usize = 1000;

/// The most merged commits whose trailers are read: a first pull of a long history must
/// not keep `git pull` waiting.
const MAX_READ_COMMITS: usize = 10_000;

/// What a hook invocation recorded.
#[derive(Debug, Default)]
pub struct Recorded {
    /// The tasks moved by trailers, as `<m>/<t> → <status>`.
    pub moved: Vec<String>,
    /// How many operations were written.
    pub operations: usize,
    /// Operations that could not be written (the others were).
    pub errors: Vec<StoreError>,
    /// Trailers that moved nothing, and why (a task that is not there, a gate).
    pub warnings: Vec<String>,
}

/// How a hook invocation runs.
#[derive(Debug, Default)]
pub struct Invocation<'a> {
    /// The recording's marker, when it runs in the background: it waits for the
    /// recordings started before it.
    pub marker: Option<&'a Path>,
    /// HEAD's branch and commit as git left them when it ran the hook. A recording in
    /// the background gets them from the shim, since HEAD may have moved since;
    /// otherwise they are read from the repository.
    pub head: Option<(String, Oid)>,
}

/// Records what `hook`, called by git with `args` and `input`, saw.
pub fn record(
    hook: HookName,
    args: &[String],
    input: &[u8],
    invocation: &Invocation<'_>,
) -> Result<Recorded, StoreError> {
    // Checked before the repository is even opened: a checkout of files, not of a
    // branch, has nothing to record.
    if hook == HookName::PostCheckout && args.get(2).map(String::as_str) != Some("1") {
        return Ok(Recorded::default());
    }
    // git runs hooks at the top of the worktree with GIT_DIR set where needed (linked
    // worktrees): opening from the environment finds the repository git is working on.
    let store = Store::open_from_env()?;
    match store.tip() {
        Ok(_) => {}
        Err(StoreError::NotInitialized) => return Ok(Recorded::default()),
        Err(e) => return Err(e),
    }
    // Recordings land in the order git ran the hooks.
    // (Past the deadline it records anyway: late is better than lost.)
    let _ = super::background::wait_for_recordings(&store.local_dir(), invocation.marker);
    let context = Context {
        session_id: store.current_session(),
        store: &store,
        head: invocation.head.clone(),
        warnings: Default::default(),
    };
    let ops = match hook {
        HookName::PostCommit => context.post_commit()?,
        HookName::PostMerge => context.post_merge(args.first().map(String::as_str) == Some("1"))?,
        HookName::PostCheckout => context.post_checkout()?,
        HookName::PostRewrite => context.post_rewrite(args.first().map(String::as_str), input)?,
    };
    let mut recorded = write(&store, ops);
    recorded.warnings = context.warnings.take();
    Ok(recorded)
}

/// Writes `ops`, each on its own; one failing does not stop the others.
fn write(store: &Store, ops: Vec<Op>) -> Recorded {
    let mut recorded = Recorded::default();
    for op in ops {
        match store.transact(op) {
            Ok(Outcome::Committed { applied, .. }) => {
                recorded.operations += 1;
                for e in &applied.events {
                    if let Some((task, status)) = e.task_moved() {
                        let milestone = e.milestone_id.as_deref().unwrap_or("");
                        recorded
                            .moved
                            .push(format!("{milestone}/{task} → {status}"));
                    }
                }
            }
            Ok(_) => {}
            Err(e) => recorded.errors.push(e),
        }
    }
    recorded
}

struct Context<'s> {
    store: &'s Store,
    /// The current session file's content, not yet checked against the store.
    session_id: Option<String>,
    /// HEAD as git left it, when the shim read it (see [`Invocation::head`]).
    head: Option<(String, Oid)>,
    /// What the trailers read so far moved nothing, and why.
    warnings: std::cell::RefCell<Vec<String>>,
}

/// The milestones one hook invocation touches: the session's, and those its commits'
/// trailers name, each with its moves.
struct Touched {
    session: Option<Session>,
    moves: BTreeMap<MilestoneId, Vec<TaskMove>>,
    /// Short trailers that name no milestone, since no session is current.
    warnings: Vec<String>,
}

/// Whose short trailers (`Task: t`, no `<m>/`) a hook resolves.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ShortTrailers {
    /// The committer's own, at commit time, against their current session.
    Resolve,
    /// Commits that came in from others (a merge, a pull): their short trailers were
    /// resolved, or not, when they were made; only full `<m>/<t>` ones apply here.
    LeaveToTheirCommitter,
}

impl Touched {
    /// One operation per milestone: `make(milestone, session id if it is the session's
    /// milestone, moves)`. Milestones that do not exist are skipped: a trailer naming
    /// no existing task is ignored, and neither does a milestone that is not there.
    fn ops(
        mut self,
        context: &Context<'_>,
        make: impl Fn(MilestoneId, Option<SessionId>, Vec<TaskMove>) -> Op,
    ) -> Result<Vec<Op>, StoreError> {
        let snapshot = context.store.snapshot()?;
        let mut warnings = std::mem::take(&mut self.warnings);
        for (milestone, moves) in &self.moves {
            // A milestone that cannot be read has nothing to warn about here: the
            // operation's own error says it.
            let definition_only = Parts {
                sessions: false,
                approvals: false,
            };
            if let Ok(files) = snapshot.milestone_with(milestone, definition_only) {
                let definition = files.map(|f| f.definition);
                warnings.extend(trailers::warnings(milestone, definition.as_ref(), moves));
            }
        }
        context.warnings.borrow_mut().extend(warnings);
        let mut ops = Vec::new();
        if let Some(session) = &self.session {
            let moves = self.moves.remove(&session.milestone_id).unwrap_or_default();
            ops.push(make(
                session.milestone_id.clone(),
                Some(session.session_id.clone()),
                moves,
            ));
        }
        for (milestone, moves) in self.moves {
            if snapshot.has_milestone(&milestone)? {
                ops.push(make(milestone, None, moves));
            }
        }
        Ok(ops)
    }
}

impl Context<'_> {
    /// The current session, if the file names one that is still active.
    fn session(&self) -> Result<Option<Session>, StoreError> {
        let Some(id) = self.session_id.as_deref() else {
            return Ok(None);
        };
        let Ok(id) = SessionId::new(id) else {
            return Ok(None);
        };
        let session = self.store.snapshot()?.find_session(&id)?;
        Ok(session.filter(|s| s.status == SessionStatus::Active))
    }

    /// The session and the trailers' moves of `commits`; `None` when there is nothing
    /// to record. The cheap test comes first: without a session file and without a task
    /// trailer, no milestone is read at all.
    fn touched(
        &self,
        commits: &[GitCommit],
        short: ShortTrailers,
    ) -> Result<Option<Touched>, StoreError> {
        let has_trailers = commits
            .iter()
            .any(|c| !trailers::task_trailers(&c.message).is_empty());
        if self.session_id.is_none() && !has_trailers {
            return Ok(None);
        }
        let session = self.session()?;
        let ids: Vec<String> = commits.iter().map(|c| c.id.to_string()).collect();
        let default = match short {
            ShortTrailers::Resolve => session.as_ref().map(|s| &s.milestone_id),
            ShortTrailers::LeaveToTheirCommitter => None,
        };
        let moves = trailers::task_moves(
            ids.iter()
                .map(String::as_str)
                .zip(commits.iter().map(|c| c.message.as_str())),
            default,
        );
        let mut warnings: Vec<String> = commits
            .iter()
            .filter_map(|c| trailers::past_limit_warning(&c.id.to_string(), &c.message))
            .collect();
        if short == ShortTrailers::Resolve && default.is_none() {
            for trailer in commits
                .iter()
                .flat_map(|c| trailers::task_trailers(&c.message))
            {
                if trailer.milestone.is_none() {
                    warnings.push(format!(
                        "{}: {} ignored: no session is current to name its milestone; write {}: <milestone>/{}",
                        trailer.action.key(),
                        trailer.task,
                        trailer.action.key(),
                        trailer.task
                    ));
                }
            }
        }
        if session.is_none() && moves.is_empty() {
            self.warnings.borrow_mut().extend(warnings);
            return Ok(None);
        }
        Ok(Some(Touched {
            session,
            moves,
            warnings,
        }))
    }

    fn post_commit(&self) -> Result<Vec<Op>, StoreError> {
        let (branch, head) = match &self.head {
            // The shim read HEAD, and records in the background only outside a rebase.
            Some((branch, head)) => (branch.clone(), *head),
            None => {
                // A rebase commits each picked commit; post-rewrite records the rebase
                // whole.
                if self.store.worktree().rebase_in_progress() {
                    return Ok(Vec::new());
                }
                let (branch, Some(head)) = self.store.worktree().head_info() else {
                    return Ok(Vec::new());
                };
                (branch, head)
            }
        };
        let commit = self.store.worktree().git_commit(head)?;
        if commit.parents > 1 {
            // A merge concluded by `git commit` (after conflicts) runs post-commit, not
            // post-merge: it is recorded as the merge it is.
            let hide: Vec<Oid> = self
                .store
                .worktree()
                .first_parent(head)?
                .into_iter()
                .collect();
            return self.merge(&hide, head, branch, false);
        }
        let Some(touched) = self.touched(std::slice::from_ref(&commit), ShortTrailers::Resolve)?
        else {
            return Ok(Vec::new());
        };
        touched.ops(self, |milestone, session, moves| Op::RecordCommit {
            milestone,
            session,
            commit: head.to_string(),
            branch: branch.clone(),
            subject: commit.subject.clone(),
            moves,
        })
    }

    fn post_merge(&self, squash: bool) -> Result<Vec<Op>, StoreError> {
        let (branch, Some(head)) = self.store.worktree().head_info() else {
            return Ok(Vec::new());
        };
        if squash {
            // HEAD did not move; the squashed commits are listed in SQUASH_MSG.
            let commits: Vec<GitCommit> = self
                .store
                .worktree()
                .squashed_commits()
                .into_iter()
                .take(MAX_READ_COMMITS)
                .map(|id| self.store.worktree().git_commit(id))
                .collect::<Result<_, _>>()?;
            let total = commits.len();
            return self.merge_ops(&commits, total, head, branch, true);
        }
        let hide: Vec<Oid> = match self.store.worktree().orig_head() {
            Some(orig) => vec![orig],
            None => self
                .store
                .worktree()
                .first_parent(head)?
                .into_iter()
                .collect(),
        };
        self.merge(&hide, head, branch, false)
    }

    /// A merge of the commits reachable from `head` and not from `hide`.
    fn merge(
        &self,
        hide: &[Oid],
        head: Oid,
        branch: String,
        squash: bool,
    ) -> Result<Vec<Op>, StoreError> {
        if hide.contains(&head) {
            return Ok(Vec::new());
        }
        let (commits, total) = self.store.worktree().git_commits_between(
            hide,
            head,
            MAX_READ_COMMITS,
            MAX_READ_COMMITS,
        )?;
        self.merge_ops(&commits, total, head, branch, squash)
    }

    fn merge_ops(
        &self,
        commits: &[GitCommit],
        total: usize,
        head: Oid,
        branch: String,
        squash: bool,
    ) -> Result<Vec<Op>, StoreError> {
        if commits.is_empty() {
            return Ok(Vec::new());
        }
        let Some(touched) = self.touched(commits, ShortTrailers::LeaveToTheirCommitter)? else {
            return Ok(Vec::new());
        };
        let listed: Vec<String> = commits
            .iter()
            .take(MAX_LISTED_COMMITS)
            .map(|c| c.id.to_string())
            .collect();
        touched.ops(self, |milestone, session, moves| Op::RecordMerge {
            milestone,
            session,
            head: head.to_string(),
            branch: branch.clone(),
            squash,
            commits: listed.clone(),
            total,
            moves,
        })
    }

    fn post_checkout(&self) -> Result<Vec<Op>, StoreError> {
        if self.session_id.is_none() || self.store.worktree().rebase_in_progress() {
            return Ok(Vec::new());
        }
        let (branch, head) = self.store.worktree().head_info();
        // A detached HEAD is not a branch to work on (a rebase detaches it too).
        if branch == "none" {
            return Ok(Vec::new());
        }
        let Some(session) = self.session()? else {
            return Ok(Vec::new());
        };
        if session.git_branch == branch {
            return Ok(Vec::new());
        }
        Ok(vec![Op::SessionBranch {
            milestone: session.milestone_id,
            session: session.session_id,
            branch,
            head: head.map(|h| h.to_string()),
        }])
    }

    fn post_rewrite(&self, kind: Option<&str>, input: &[u8]) -> Result<Vec<Op>, StoreError> {
        let kind = match kind {
            Some("amend") => RewriteKind::Amend,
            Some("rebase") => RewriteKind::Rebase,
            _ => return Ok(Vec::new()),
        };
        let rewrites = parse_rewrites(input);
        if rewrites.is_empty() {
            return Ok(Vec::new());
        }
        let mut seen = std::collections::HashSet::new();
        let new_commits: Vec<GitCommit> = rewrites
            .iter()
            .filter(|(_, new)| seen.insert(*new))
            .take(MAX_READ_COMMITS)
            .filter_map(|(_, new)| self.store.worktree().git_commit(*new).ok())
            .collect();
        // Amended and rebased commits are the user's own, rewritten here and now.
        let Some(touched) = self.touched(&new_commits, ShortTrailers::Resolve)? else {
            return Ok(Vec::new());
        };
        let total = rewrites.len();
        let listed: Vec<RewrittenCommit> = rewrites
            .iter()
            .skip(total.saturating_sub(MAX_LISTED_COMMITS))
            .map(|(old, new)| RewrittenCommit {
                old: old.to_string(),
                new: new.to_string(),
                kind: None,
            })
            .collect();
        touched.ops(self, |milestone, session, moves| Op::RecordRewrite {
            milestone,
            session,
            kind,
            rewrites: listed.clone(),
            total,
            moves,
        })
    }
}

/// The `<old> <new> [extra]` lines git gives post-rewrite; other lines are skipped.
fn parse_rewrites(input: &[u8]) -> Vec<(Oid, Oid)> {
    String::from_utf8_lossy(input)
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            Some((full_id(words.next()?)?, full_id(words.next()?)?))
        })
        .collect()
}

/// A whole commit id (`Oid::from_str` would also take an abbreviation).
fn full_id(word: &str) -> Option<Oid> {
    let whole = matches!(word.len(), 40 | 64) && word.bytes().all(|b| b.is_ascii_hexdigit());
    whole.then(|| Oid::from_str(word).ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrite_input_lines() {
        let a = "1".repeat(40);
        let b = "2".repeat(40);
        let input = format!("{a} {b}\n\ngarbage\nabc {a}\n{b} {a} extra words\n{a}\n");
        assert_eq!(
            parse_rewrites(input.as_bytes()),
            [
                (Oid::from_str(&a).unwrap(), Oid::from_str(&b).unwrap()),
                (Oid::from_str(&b).unwrap(), Oid::from_str(&a).unwrap()),
            ]
        );
        assert!(parse_rewrites(b"\xff\xfe").is_empty());
    }
}
