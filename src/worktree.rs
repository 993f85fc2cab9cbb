//! This worktree's branch, HEAD and the commits of the user's history the hooks and
//! sessions read: questions about the working copy, not about `refs/milestones`.

use chrono::{DateTime, Utc};
use git2::{Oid, Repository};

use crate::clock;
use crate::model::{MilestoneId, Session, SessionCommit, SessionId, SessionStatus};
use crate::store::StoreError;

/// The most commits a session records; a longer list says how many were left out.
const MAX_SESSION_COMMITS: usize = 1000;

/// The worktree a command runs in, read through its repository.
pub struct Worktree<'r> {
    repo: &'r Repository,
}

impl<'r> Worktree<'r> {
    /// The worktree of `repo`.
    pub fn new(repo: &'r Repository) -> Self {
        Worktree { repo }
    }

    /// A session of `milestone` starting now in this worktree, by `identity` (name,
    /// email): its id, branch, HEAD, host and folder.
    pub fn new_session(
        &self,
        milestone: &MilestoneId,
        identity: (String, String),
        now: DateTime<Utc>,
    ) -> Session {
        let (branch, head) = self.head_info();
        Session {
            session_id: SessionId::starting_at(now, fastrand::u16(..)),
            milestone_id: milestone.clone(),
            status: SessionStatus::Active,
            created_at: clock::format_time(now),
            ended_at: None,
            user: identity.0,
            email: identity.1,
            host: host_name(),
            working_directory: std::env::current_dir()
                .map(|d| d.display().to_string())
                .unwrap_or_default(),
            git_branch: branch,
            head: head.map(|h| h.to_string()),
            end_head: None,
            commits: Vec::new(),
            branches: Vec::new(),
            rewrites: Vec::new(),
        }
    }
}

impl Worktree<'_> {
    /// The branch checked out in this worktree ("none" when detached or bare), and
    /// HEAD's commit (none when unborn).
    pub fn head_info(&self) -> (String, Option<Oid>) {
        match self.repo.head() {
            Ok(head) => {
                let branch = if head.is_branch() {
                    head.shorthand().unwrap_or("none").to_string()
                } else {
                    "none".to_string()
                };
                (branch, head.target())
            }
            Err(_) => {
                // Unborn: HEAD names a branch that has no commit yet.
                let branch = self
                    .repo
                    .find_reference("HEAD")
                    .ok()
                    .and_then(|h| h.symbolic_target().map(str::to_string))
                    .and_then(|t| t.strip_prefix("refs/heads/").map(str::to_string))
                    .unwrap_or_else(|| "none".to_string());
                (branch, None)
            }
        }
    }

    /// The tip of `branch`, or HEAD when it is "none" or gone.
    pub fn branch_tip(&self, branch: &str) -> Option<Oid> {
        self.repo
            .find_branch(branch, git2::BranchType::Local)
            .ok()
            .and_then(|b| b.get().target())
            .or_else(|| self.head_info().1)
    }

    /// The commits reachable from `end` and not from `start`, newest first.
    pub fn commits_between(
        &self,
        start: Option<Oid>,
        end: Option<Oid>,
    ) -> Result<Vec<SessionCommit>, StoreError> {
        let Some(end) = end else {
            return Ok(Vec::new());
        };
        let mut walk = self.repo.revwalk()?;
        walk.set_sorting(git2::Sort::TOPOLOGICAL | git2::Sort::TIME)?;
        walk.push(end)?;
        if let Some(start) = start {
            // A start commit that is gone (gc after a rewrite) hides nothing.
            let _ = walk.hide(start);
        }
        let mut commits = Vec::new();
        for oid in walk.take(MAX_SESSION_COMMITS) {
            let commit = self.repo.find_commit(oid?)?;
            commits.push(SessionCommit {
                id: commit.id().to_string(),
                subject: commit.summary().unwrap_or("").to_string(),
            });
        }
        Ok(commits)
    }
}

/// A commit of the user's history, as the hooks read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitCommit {
    /// Its id.
    pub id: Oid,
    /// Its whole message.
    pub message: String,
    /// Its subject line.
    pub subject: String,
    /// How many parents it has (more than one: a merge).
    pub parents: usize,
}

impl Worktree<'_> {
    /// The commit `id` of the user's history.
    pub fn git_commit(&self, id: Oid) -> Result<GitCommit, StoreError> {
        let commit = self.repo.find_commit(id)?;
        Ok(GitCommit {
            id,
            message: String::from_utf8_lossy(commit.message_bytes()).into_owned(),
            subject: commit.summary().unwrap_or("").to_string(),
            parents: commit.parent_count(),
        })
    }

    /// The commits reachable from `end` and from none of `hide`, oldest first, at most
    /// `limit` of them (the oldest ones), and how many there are up to `count_limit`.
    pub fn git_commits_between(
        &self,
        hide: &[Oid],
        end: Oid,
        limit: usize,
        count_limit: usize,
    ) -> Result<(Vec<GitCommit>, usize), StoreError> {
        let mut walk = self.repo.revwalk()?;
        walk.set_sorting(git2::Sort::TOPOLOGICAL | git2::Sort::TIME | git2::Sort::REVERSE)?;
        walk.push(end)?;
        for &oid in hide {
            // A commit that is gone (gc) hides nothing; the walk is then longer, not wrong.
            let _ = walk.hide(oid);
        }
        let mut commits = Vec::new();
        let mut total = 0;
        for oid in walk.take(count_limit) {
            total += 1;
            if commits.len() < limit {
                commits.push(self.git_commit(oid?)?);
            }
        }
        Ok((commits, total))
    }

    /// The first parent of `id`, if it has one.
    pub fn first_parent(&self, id: Oid) -> Result<Option<Oid>, StoreError> {
        let commit = self.repo.find_commit(id)?;
        Ok(commit.parent_ids().next())
    }

    /// `ORIG_HEAD`: where HEAD was before the last merge, reset or rebase.
    pub fn orig_head(&self) -> Option<Oid> {
        self.repo.refname_to_id("ORIG_HEAD").ok()
    }

    /// The commits `git merge --squash` squashed, from the `SQUASH_MSG` it leaves in
    /// this worktree's git dir (it lists them as `commit <id>` lines), oldest first.
    pub fn squashed_commits(&self) -> Vec<Oid> {
        let Ok(text) = std::fs::read_to_string(self.repo.path().join("SQUASH_MSG")) else {
            return Vec::new();
        };
        let mut ids: Vec<Oid> = text
            .lines()
            .filter_map(|l| l.strip_prefix("commit "))
            .filter_map(|id| Oid::from_str(id.trim()).ok())
            .filter(|id| self.repo.find_commit(*id).is_ok())
            .collect();
        // git lists them newest first, like `git log`.
        ids.reverse();
        ids
    }

    /// The worktree's top folder, none in a bare repository.
    pub fn workdir(&self) -> Option<&std::path::Path> {
        self.repo.workdir()
    }

    /// Whether a rebase is stopped or running in this worktree.
    pub fn rebase_in_progress(&self) -> bool {
        use git2::RepositoryState::*;
        matches!(
            self.repo.state(),
            Rebase | RebaseInteractive | RebaseMerge | ApplyMailboxOrRebase
        )
    }
}

/// The name of this machine, for the session record.
pub fn host_name() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|path| std::fs::read_to_string(path).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .unwrap_or_default()
}
