//! Items 6–8: what a fresh clone, a bare repository, a wrong remote and a mistyped id
//! are told.

use super::{fails_now, ok_now};
use crate::common::TestRepo;

#[test]
fn a_fresh_clone_is_told_to_sync_and_a_bare_repository_to_stay_a_remote() {
    let remote = TestRepo::bare();
    let err = fails_now(&remote, ["init"], 1);
    insta::assert_snapshot!(err, @r"
    error: this is a bare repository, usually a remote: milestones reach it with `git milestone sync` from a clone
    hint: in a clone of it: `git milestone init`, then `git milestone sync` pushes them here
    hint: to keep milestones in this bare repository itself: `git milestone init --bare`
    ");
    let team = super::repo();
    ok_now(&team, ["new", "v1"]);
    team.git(["remote", "add", "origin", remote.path.to_str().unwrap()]);
    team.ok(["sync"]);
    let clone = TestRepo::clone_of(remote.path.to_str().unwrap());
    let err = fails_now(&clone, ["list"], 1);
    insta::assert_snapshot!(err, @r"
    error: this repository has no milestones yet (refs/milestones does not exist)
    hint: run `git milestone sync` to fetch the team's milestones (`git milestone init` starts new ones here)
    ");
    clone.ok(["sync"]);
    assert!(clone.ok(["list"]).contains("v1"));
    // Without a remote, init is what to do.
    let alone = TestRepo::uninitialized();
    let err = fails_now(&alone, ["list"], 1);
    assert!(
        err.ends_with("hint: run `git milestone init` first\n"),
        "{err}"
    );
}

#[test]
fn sync_to_a_remote_that_does_not_exist_says_so_in_one_line() {
    let repo = super::repo();
    ok_now(&repo, ["new", "v1"]);
    let err = fails_now(&repo, ["sync", "upstream"], 1);
    insta::assert_snapshot!(err, @r"
    error: no remote named upstream
    hint: this repository has no remotes; add one with `git remote add origin <url>`
    ");
    let remote = TestRepo::bare();
    repo.git(["remote", "add", "origin", remote.path.to_str().unwrap()]);
    repo.git(["remote", "add", "backup", remote.path.to_str().unwrap()]);
    repo.git(["config", "milestone.remote", "upstrem"]);
    let err = fails_now(&repo, ["sync"], 1);
    insta::assert_snapshot!(err, @r"
    error: no remote named upstrem (the name comes from git config milestone.remote)
    hint: the remotes are: backup, origin
    ");
    // A path that is no repository: git's own words, without its command line.
    let missing = repo.root().join("nowhere");
    let err = fails_now(&repo, ["sync", missing.to_str().unwrap()], 1);
    assert_eq!(err.lines().count(), 2, "{err}");
    let first = err.lines().next().unwrap();
    assert!(first.starts_with("error: cannot sync with "), "{err}");
    assert!(
        first.ends_with("does not appear to be a git repository"),
        "{err}"
    );
    assert!(
        !first.contains("`git") && !first.contains("refs/meta/milestones"),
        "{err}"
    );
}

#[test]
fn mistyped_ids_get_a_did_you_mean() {
    let repo = super::repo();
    ok_now(&repo, ["new", "v1.0"]);
    ok_now(&repo, ["task", "add", "v1.0", "backend"]);
    insta::assert_snapshot!(fails_now(&repo, ["show", "v1.O"], 1), @r"
    error: no milestone v1.O
    hint: did you mean v1.0?
    hint: `git milestone list` shows the milestones; `git milestone new <id>` creates one
    ");
    insta::assert_snapshot!(fails_now(&repo, ["task", "start", "v1.0", "bakend"], 1), @r"
    error: milestone v1.0 has no task bakend
    hint: did you mean backend?
    hint: `git milestone show v1.0` lists its tasks; `git milestone task add v1.0 <id>` adds one
    ");
    // Nothing near: no suggestion.
    let err = fails_now(&repo, ["show", "frontend"], 1);
    assert!(!err.contains("did you mean"), "{err}");
    // A removed milestone says so.
    ok_now(&repo, ["new", "old"]);
    ok_now(&repo, ["rm", "old"]);
    let err = fails_now(&repo, ["show", "old"], 1);
    assert!(err.contains("it was removed in commit"), "{err}");
}
