//! The error returned by the store's reads and writes.

use crate::workflow::Rejection;

/// The error returned by [`super::Store`] operations.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No repository where git would look.
    #[error("not a git repository (or any of the parent directories)")]
    NotARepository(#[source] git2::Error),
    /// `refs/milestones` does not exist yet.
    #[error("this repository has no milestones yet (refs/milestones does not exist)")]
    NotInitialized,
    /// The ref holds a layout this version does not know.
    #[error("refs/milestones uses layout format {found:?}, but this git-milestone reads format {expected:?}")]
    UnknownFormat {
        /// What the `format` file says.
        found: String,
        /// What this version reads.
        expected: &'static str,
    },
    /// A fetched commit was written by a newer version of this tool.
    #[error("commit {commit} was written by a newer git-milestone (format {format}); upgrade")]
    NewerFormat {
        /// The commit.
        commit: String,
        /// The format it claims.
        format: String,
    },
    /// A stored file cannot be read.
    #[error("{path} at commit {commit} cannot be read: {detail}")]
    Corrupt {
        /// The file's path in the tree.
        path: String,
        /// The commit it was read from.
        commit: String,
        /// What is wrong with it.
        detail: String,
        /// The newest earlier commit where the milestone could be read.
        last_readable: Option<String>,
    },
    /// No git identity to record the operation with.
    #[error("no git identity is configured, and every operation is recorded with one")]
    NoIdentity,
    /// No identity is configured and the email git would guess has no domain.
    #[error("unable to auto-detect your email address (got '{0}'), and every operation is recorded with one")]
    BogusEmail(String),
    /// The configured git identity cannot make a signature.
    #[error("your git identity is not usable: {}", .0.message())]
    UnusableIdentity(#[source] git2::Error),
    /// The operation does not fit the current state.
    #[error(transparent)]
    Rejected(#[from] Rejection),
    /// Other writers kept moving the ref.
    #[error("refs/milestones kept moving while this command tried to write ({attempts} attempts)")]
    Contention {
        /// How many times it tried.
        attempts: u32,
    },
    /// The ref's lock file was left behind by a process that died.
    #[error("{path} has existed for {seconds} s: a git or git-milestone process was stopped while updating refs/milestones")]
    StaleLock {
        /// The lock file.
        path: String,
        /// How old it is.
        seconds: u64,
    },
    /// A revision given by the user does not name a commit.
    #[error("{0:?} does not name a commit")]
    UnknownRevision(String),
    /// A revision names a commit that is not part of `refs/milestones`.
    #[error("{0:?} is not a commit of refs/milestones")]
    NotInHistory(String),
    /// A file of this worktree's own could not be read or written.
    #[error("cannot {what}: {source}")]
    Local {
        /// What was being done ("write the event index").
        what: &'static str,
        /// Why it failed.
        #[source]
        source: std::io::Error,
    },
    /// A file of this worktree's own could not be written.
    #[error("cannot write {}: {source}", path.display())]
    LocalFile {
        /// The file.
        path: std::path::PathBuf,
        /// Why it failed.
        #[source]
        source: std::io::Error,
    },
    /// What an operation would write is over a size every clone refuses.
    #[error("{what} would be {size} bytes, over the limit of {limit}")]
    TooLarge {
        /// What is too large.
        what: String,
        /// Its size in bytes.
        size: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// A value could not be encoded for storage (a bug).
    #[error("cannot encode {what}: {source}")]
    Encode {
        /// What was being encoded.
        what: &'static str,
        /// Why it failed.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// Signing an operation failed, or the signing settings are not usable.
    #[error(transparent)]
    Signing(crate::sign::SignError),
    /// libgit2 failed.
    #[error("git: {}", .0.message())]
    Git(#[from] git2::Error),
}
