//! Work sessions: who worked on which milestone, where, on which branch, and which
//! commits they made. Stored as `sessions/<session-id>.json` under the milestone.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::id::check_id;

/// A session's id: `session-<YYYYmmdd-HHMMSS>-<hex>`, usable as a file name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SessionId(String);

impl SessionId {
    /// Validates and wraps `value` (the id rules of milestones apply).
    pub fn new(value: impl Into<String>) -> Result<Self, super::InvalidId> {
        let value = value.into();
        check_id("session", &value)?;
        Ok(SessionId(value))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id of a session starting at `now`: `session-<date>-<time>-<salt>`, the salt
    /// telling apart sessions started in the same second (in other clones too).
    pub fn starting_at(now: chrono::DateTime<chrono::Utc>, salt: u16) -> SessionId {
        SessionId(format!(
            "session-{}-{salt:04x}",
            now.format("%Y%m%d-%H%M%S")
        ))
    }
}

impl Session {
    /// An active session `id` of `milestone` on branch main, for tests.
    #[cfg(test)]
    pub fn sample(id: &str, milestone: &str) -> Session {
        Session {
            session_id: SessionId::new(id).unwrap(),
            milestone_id: super::MilestoneId::new(milestone).unwrap(),
            status: SessionStatus::Active,
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
}

impl TryFrom<String> for SessionId {
    type Error = super::InvalidId;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        SessionId::new(value)
    }
}

impl From<SessionId> for String {
    fn from(id: SessionId) -> String {
        id.0
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether a session is still going.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    /// Started, not ended.
    Active,
    /// Ended (the reference's word for it).
    Completed,
}

/// A commit made during a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionCommit {
    /// The commit id.
    pub id: String,
    /// Its subject line.
    pub subject: String,
}

/// One work session, in the reference's field names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    /// Its id.
    pub session_id: SessionId,
    /// The milestone worked on.
    pub milestone_id: super::MilestoneId,
    /// Active or completed.
    pub status: SessionStatus,
    /// When it started (RFC 3339).
    pub created_at: String,
    /// When it ended.
    #[serde(default)]
    pub ended_at: Option<String>,
    /// The git identity that started it (name).
    pub user: String,
    /// The git identity's email.
    #[serde(default)]
    pub email: String,
    /// The machine it ran on.
    #[serde(default)]
    pub host: String,
    /// The working directory at start.
    pub working_directory: String,
    /// The branch the session works on: the one checked out at start ("none" when
    /// detached or unborn), then the last one switched to (recorded by the hooks).
    pub git_branch: String,
    /// HEAD at start.
    #[serde(default)]
    pub head: Option<String>,
    /// HEAD at end.
    #[serde(default)]
    pub end_head: Option<String>,
    /// Commits made on the session's branch between start and end.
    #[serde(default)]
    pub commits: Vec<SessionCommit>,
    /// Branches switched to during the session, oldest first (recorded by the hooks).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub branches: Vec<BranchSwitch>,
    /// Commits rewritten during the session by `git commit --amend` or `git rebase`,
    /// oldest first (recorded by the hooks; the newest ones when there are very many).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rewrites: Vec<RewrittenCommit>,
}

/// A branch switched to during a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BranchSwitch {
    /// The branch.
    pub branch: String,
    /// HEAD after the switch.
    #[serde(default)]
    pub head: Option<String>,
    /// When (RFC 3339).
    pub at: String,
}

/// Why commits were rewritten, as git's post-rewrite hook names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RewriteKind {
    /// `git commit --amend`.
    Amend,
    /// `git rebase`.
    Rebase,
}

impl RewriteKind {
    /// The name git gives it.
    pub fn as_str(self) -> &'static str {
        match self {
            RewriteKind::Amend => "amend",
            RewriteKind::Rebase => "rebase",
        }
    }
}

/// One rewritten commit: its id before and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RewrittenCommit {
    /// The id before.
    pub old: String,
    /// The id after.
    pub new: String,
    /// Amend or rebase (absent in an operation, which says it once for all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<RewriteKind>,
}
