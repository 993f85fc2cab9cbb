//! The everyday commands a team expects (rm, task rm|mv, overdue, approval show,
//! filters like git log, import from stdin) and the help and errors around them.
//! Text that users read is pinned by insta snapshots of the real binary's output, at
//! a fixed time (`GIT_COMMITTER_DATE`) in UTC, so it changes only as a reviewed diff.

mod approvals;
mod due;
mod filters;
mod guidance;
mod help;
mod hints;
mod identity;
mod layout;
mod privacy;
mod removal;

use std::ffi::OsStr;
use std::process::Output;

use crate::common::{expect_failure, expect_ok, output_of, TestRepo};

/// The time every command of these tests runs at.
pub const NOW: &str = "2026-12-05T12:00:00Z";

/// Runs the binary at [`NOW`], in UTC.
pub fn run_now<I, S>(repo: &TestRepo, args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut cmd = repo.cmd();
    cmd.args(args)
        .env("GIT_COMMITTER_DATE", NOW)
        .env("TZ", "UTC");
    output_of(&mut cmd, None)
}

/// [`run_now`], asserting success; stdout.
pub fn ok_now<I, S>(repo: &TestRepo, args: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    expect_ok(&run_now(repo, args), "git milestone at NOW")
}

/// [`run_now`], asserting failure with `code` and an unmoved ref; stderr.
pub fn fails_now<I, S>(repo: &TestRepo, args: I, code: i32) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let before = repo.tip();
    let err = expect_failure(&run_now(repo, args), code, "git milestone at NOW");
    assert_eq!(repo.tip(), before, "a failed command moved refs/milestones");
    err
}

/// `text` with each full or abbreviated commit id of `repo`'s history replaced by
/// `<commit>`, so snapshots do not depend on ids.
pub fn without_ids(repo: &TestRepo, text: &str) -> String {
    let mut text = text.to_string();
    let ids = repo.git(["rev-list", "--all"]);
    for id in ids.lines() {
        text = text.replace(id, "<commit>").replace(&id[..12], "<commit>");
    }
    text
}
