//! The one error type at the CLI edge: what went wrong, hints on what to do, and the
//! exit status, decided in one place.

use std::fmt;

use crate::hooks::install::InstallError;
use crate::store::StoreError;
use crate::workflow::Rejection;

/// What kind of failure, which decides the exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Something the user can fix: exit 1.
    User,
    /// The command line itself is wrong: exit 2.
    Usage,
    /// The reader of our output went away (`… | head`): not an error, exit 0.
    BrokenPipe,
    /// A bug: exit 1, and say so.
    Internal,
    /// Exit with this status, with nothing more to say: what failed (a chained hook)
    /// has spoken for itself.
    Silent(i32),
}

impl ErrorKind {
    /// Whether the error's message is printed.
    pub fn is_reported(self) -> bool {
        !matches!(self, ErrorKind::BrokenPipe | ErrorKind::Silent(_))
    }
}

/// An error as the user sees it.
#[derive(Debug)]
pub struct CliError {
    /// What kind of failure.
    pub kind: ErrorKind,
    /// What went wrong, one line.
    pub message: String,
    /// What to do about it.
    pub hints: Vec<String>,
}

impl CliError {
    /// An error the user can act on.
    pub fn user(message: impl Into<String>) -> Self {
        CliError {
            kind: ErrorKind::User,
            message: message.into(),
            hints: Vec::new(),
        }
    }

    /// A wrong command line.
    pub fn usage(message: impl Into<String>) -> Self {
        CliError {
            kind: ErrorKind::Usage,
            ..CliError::user(message)
        }
    }

    /// Adds a hint.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hints.push(hint.into());
        self
    }

    /// The process exit status for this error.
    pub fn exit_code(&self) -> i32 {
        match self.kind {
            ErrorKind::User | ErrorKind::Internal => 1,
            ErrorKind::Usage => 2,
            ErrorKind::BrokenPipe => 0,
            ErrorKind::Silent(code) => code,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            ErrorKind::Internal => write!(
                f,
                "error: {}\nThis is a bug in git-milestone; please report it.",
                self.message
            )?,
            _ => write!(f, "error: {}", self.message)?,
        }
        for hint in &self.hints {
            write!(f, "\nhint: {hint}")?;
        }
        Ok(())
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            CliError {
                kind: ErrorKind::BrokenPipe,
                ..CliError::user("broken pipe")
            }
        } else {
            CliError::user(e.to_string())
        }
    }
}

impl From<Rejection> for CliError {
    fn from(rejection: Rejection) -> Self {
        let error = CliError::user(rejection.to_string());
        match rejection {
            Rejection::NoSuchMilestone(id) => super::suggest::missing_milestone(&id)
                .into_iter()
                .fold(error, CliError::hint)
                .hint("`git milestone list` shows the milestones; `git milestone new <id>` creates one"),
            Rejection::MilestoneExists(id) => error.hint(format!(
                "choose another id, or change it with `git milestone edit {id}`"
            )),
            Rejection::NoSuchTask { milestone, task } => super::suggest::missing_task(&milestone, &task)
                .into_iter()
                .fold(error, CliError::hint)
                .hint(format!(
                "`git milestone show {milestone}` lists its tasks; `git milestone task add {milestone} <id>` adds one"
            )),
            Rejection::TaskExists { .. } => error.hint("choose another task id"),
            Rejection::CheckpointExists { milestone, .. } => error.hint(format!(
                "choose another name; `git milestone checkpoint list {milestone}` lists the taken ones"
            )),
            Rejection::NotAWorkflowTask { milestone, .. } => error.hint(format!(
                "only tasks added with --kiro have phases: `git milestone task add {milestone} <id> --kiro`"
            )),
            Rejection::WaitingForApproval { approval, .. } => error
                .hint(format!(
                    "decide it with `git milestone approval approve|reject {approval} --role <role>`"
                ))
                .hint("`git milestone approval list --pending` shows who is still to decide"),
            Rejection::NoSuchApproval { milestone, .. } => error.hint(format!(
                "`git milestone approval list {milestone}` lists its requests"
            )),
            Rejection::RequestClosed { .. } => error.hint(
                "nothing is left to decide; `git milestone approval list --pending` lists the open requests",
            ),
            Rejection::NotAnApprover { approvers, .. } => error.hint(format!(
                "decide as one of its roles, e.g. `--role {}`",
                approvers.first().map_or("<role>", String::as_str)
            )),
            Rejection::AlreadyDecided { .. } => error.hint(
                "each role decides once; `git milestone approval list` shows who is still to decide",
            ),
            Rejection::SessionExists(_) => error.hint("nothing was written; run the command again"),
            Rejection::NoSuchSession { milestone, .. } => error.hint(format!(
                "`git milestone session list {milestone}` lists its sessions"
            )),
            Rejection::SessionEnded(_) => {
                error.hint("start a new one with `git milestone session start <milestone>`")
            }
            Rejection::BuiltInEventType(_) => error.hint(
                "choose another event type: the built-in ones are recorded by the commands themselves",
            ),
            Rejection::NotAtCommit { .. } => error.hint(
                "`git log refs/milestones` lists the commits; choose one where the milestone existed",
            ),
            Rejection::Invalid(_) => error,
            Rejection::NotAuthorized(_) => error
                .hint("trust and roles change only by an operation signed with an owner's trusted key")
                .hint("`git milestone trust list` and `git milestone roles list` show who that is"),
            Rejection::Gate { hint, .. } => error.hint(hint),
        }
    }
}

impl From<StoreError> for CliError {
    fn from(e: StoreError) -> Self {
        let message = e.to_string();
        match e {
            StoreError::Rejected(rejection) => rejection.into(),
            StoreError::NotARepository(_) => CliError::user(message)
                .hint("run this inside a git repository, or use `git -C <dir> milestone …`"),
            StoreError::NotInitialized => {
                CliError::user(message).hint(super::suggest::not_initialized())
            }
            StoreError::UnknownFormat { .. } => CliError::user(message)
                .hint("it was written by another version of git-milestone; install a version that reads it"),
            StoreError::NewerFormat { .. } => CliError::user(message)
                .hint("nothing was written; install a newer git-milestone, then run `git milestone sync` again"),
            StoreError::Corrupt {
                ref path,
                ref commit,
                ref last_readable,
                ..
            } => {
                let milestone = path.split('/').nth(1).unwrap_or("<m>").to_string();
                let error = match last_readable {
                    Some(good) => CliError::user(message).hint(format!(
                        "it was last readable at commit {good}; `git milestone recover {milestone}` restores that version"
                    )),
                    None => CliError::user(message).hint(format!(
                        "no earlier readable version exists; `git milestone recover {milestone} --to <commit>` restores another one"
                    )),
                };
                error.hint(format!("look at it with `git show {commit}:{path}`"))
            }
            StoreError::Local { .. } | StoreError::LocalFile { .. } => CliError::user(message),
            StoreError::StaleLock { ref path, .. } => {
                let fix = format!("if no git or git-milestone command is running, remove it: rm '{path}'");
                CliError::user(message).hint(fix).hint("nothing was written")
            }
            StoreError::TooLarge { .. } => CliError::user(message)
                .hint("nothing was written; every clone refuses larger ones (docs/security.md, \"Limits\")")
                .hint("keep large data in a file of the repository and save its path or a summary instead"),
            StoreError::Encode { .. } => CliError {
                kind: ErrorKind::Internal,
                ..CliError::user(message)
            },
            StoreError::NoIdentity | StoreError::BogusEmail(_) | StoreError::UnusableIdentity(_) => CliError::user(message)
                .hint("tell git who you are:")
                .hint("  git config --global user.name \"Your Name\"")
                .hint("  git config --global user.email you@example.com"),
            StoreError::Contention { .. } => {
                CliError::user(message).hint("nothing was written; run the command again")
            }
            StoreError::UnknownRevision(_) | StoreError::NotInHistory(_) => CliError::user(message)
                .hint("give a checkpoint name (`git milestone checkpoint list`) or a commit of `git log refs/milestones`"),
            StoreError::Signing(_) => CliError::user(message)
                .hint("nothing was written; operations are signed as your commits are (commit.gpgSign or milestone.sign, gpg.format, user.signingKey)")
                .hint("fix the key or the agent, or turn signing off for milestones: git config milestone.sign false"),
            // libgit2's failures are mostly about the repository (permissions, a
            // damaged object), which the user can look into.
            StoreError::Git(_) => CliError::user(message),
        }
    }
}

impl From<InstallError> for CliError {
    fn from(e: InstallError) -> Self {
        let message = e.to_string();
        match e {
            InstallError::LegacyTaken { .. } => CliError::user(message)
                .hint("compare the two files, keep the one you want as the hook (merging them if both matter), remove the other,")
                .hint("then run `git milestone hooks install` again"),
            InstallError::NotAFile(_) => CliError::user(message)
                .hint("move it out of the hooks folder, then run the command again"),
            InstallError::Io { .. } => CliError::user(message)
                .hint("check that the hooks folder exists and is writable (`git milestone hooks status` shows which folder)"),
            InstallError::Config(_) => CliError::user(message)
                .hint("check the repository's configuration with `git config --show-origin core.hooksPath`"),
        }
    }
}
