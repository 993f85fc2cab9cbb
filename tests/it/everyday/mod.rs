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

/// The time these tests start at.
pub const NOW: &str = "2026-12-05T12:00:00Z";

/// [`NOW`] in seconds since the epoch.
const NOW_SECONDS: i64 = 1_796_472_000;

/// A repository whose clock starts at [`NOW`] and moves one second per command, so
/// that what users read, times and commit ids included, is the same on every run.
pub fn repo() -> TestRepo {
    TestRepo::with_clock_at(NOW_SECONDS)
}

/// Runs the binary in UTC: on the repository's own clock, or at [`NOW`] in one that
/// has none (a clone, a bare remote).
pub fn run_now<I, S>(repo: &TestRepo, args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut cmd = repo.cmd();
    cmd.args(args).env("TZ", "UTC");
    if !repo.has_fixed_clock() {
        cmd.env("GIT_COMMITTER_DATE", NOW);
    }
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
