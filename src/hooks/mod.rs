//! Living inside git: the hook shims, installing them into the hooks folder git uses
//! (chaining the hooks already there), and what the hooks record. The shims only hand
//! over to `git milestone hook <name>`; everything else is here, versioned and tested.
//!
//! Like the store, this module never prints; like the CLI, it does not know the layout
//! of `refs/milestones`: what a hook records goes through [`crate::store::Store`] as
//! [`crate::model::Op`]s.

pub mod background;
pub mod chain;
pub mod install;
pub mod record;
pub mod retry;
pub mod server;
pub mod shim;

use std::fmt;

/// The hooks git-milestone installs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HookName {
    /// After `git commit` (and each commit of a cherry-pick or revert).
    PostCommit,
    /// After `git merge` and `git pull` (not when the merge failed).
    PostMerge,
    /// After `git checkout` / `git switch` (and `git clone`, `git worktree add`).
    PostCheckout,
    /// After `git commit --amend` and `git rebase`.
    PostRewrite,
}

impl HookName {
    /// All of them, in the order they are listed.
    pub const ALL: [HookName; 4] = [
        HookName::PostCommit,
        HookName::PostMerge,
        HookName::PostCheckout,
        HookName::PostRewrite,
    ];

    /// git's name for it, which is its file name.
    pub fn as_str(self) -> &'static str {
        match self {
            HookName::PostCommit => "post-commit",
            HookName::PostMerge => "post-merge",
            HookName::PostCheckout => "post-checkout",
            HookName::PostRewrite => "post-rewrite",
        }
    }

    /// The hook named `name`, if it is one of ours.
    pub fn from_name(name: &str) -> Option<HookName> {
        HookName::ALL.into_iter().find(|h| h.as_str() == name)
    }

    /// Whether git feeds the hook input on stdin (the rewritten commits).
    pub fn reads_stdin(self) -> bool {
        self == HookName::PostRewrite
    }
}

impl fmt::Display for HookName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The file name of the hook that was in place before ours, kept beside it and run
/// first by ours.
pub fn legacy_name(hook: HookName) -> String {
    format!("{}{}", hook.as_str(), LEGACY_SUFFIX)
}

/// What [`legacy_name`] appends to a hook's name.
pub const LEGACY_SUFFIX: &str = ".milestone-legacy";

/// Set in the environment of a chained hook while it runs; a shim that sees it does
/// nothing, so a chained hook that runs the hook again cannot loop.
pub const RUNNING_LEGACY_ENV: &str = "GIT_MILESTONE_RUNNING_LEGACY";
