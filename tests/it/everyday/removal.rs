//! Item 1: `rm`, `list --all`, `task rm`, `task mv`.

use super::{fails_now, ok_now, without_ids};
use crate::common::TestRepo;

fn team_repo() -> TestRepo {
    let repo = super::repo();
    ok_now(&repo, ["new", "v1", "--title", "First"]);
    ok_now(&repo, ["new", "typo"]);
    ok_now(&repo, ["task", "add", "typo", "a"]);
    repo
}

#[test]
fn rm_hides_a_milestone_that_history_and_checkpoints_keep() {
    let repo = team_repo();
    ok_now(&repo, ["checkpoint", "create", "typo", "before"]);
    let said = ok_now(&repo, ["rm", "typo"]);
    insta::assert_snapshot!(without_ids(&repo, &said), @"Removed milestone typo; `git milestone show typo --at <commit>^` still shows it, and `git milestone list --all` lists it.");
    let ids: Vec<_> = repo
        .json(["list"])
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].clone())
        .collect();
    assert_eq!(ids, ["v1"]);
    assert!(!ok_now(&repo, ["status"]).contains("typo"));
    assert!(!repo
        .git(["ls-tree", "-r", "--name-only", "refs/milestones"])
        .contains("typo"));
    // Still readable at the commit before, and listed with --all.
    assert_eq!(
        repo.json(["show", "typo", "--at", "refs/milestones^"])["tasks"][0]["id"],
        "a"
    );
    let all = ok_now(&repo, ["list", "--all"]);
    insta::assert_snapshot!(without_ids(&repo, &all), @r"
    v1               [--------------------]   0%  planned     0/0 tasks  First
    typo             removed 6 seconds ago by Test Author; `git milestone show typo --at <commit>^`
    ");
    let json = repo.json(["list", "--all"]);
    assert_eq!(json[1]["status"], "removed");
    assert_eq!(json[1]["removed"]["commit"], repo.tip().unwrap());
    assert_eq!(json[1]["progress"]["total_tasks"], 1);
    // The history keeps the removal as an event; a checkpoint brings it back.
    assert_eq!(
        repo.json(["events", "typo", "--type", "milestone_removed"])
            .as_array()
            .unwrap()
            .len(),
        1
    );
    ok_now(&repo, ["checkpoint", "restore", "typo", "before"]);
    assert_eq!(repo.json(["show", "typo"])["tasks"][0]["id"], "a");
    assert!(!ok_now(&repo, ["list", "--all"]).contains("removed"));
    // Removing what is not there writes nothing.
    let err = fails_now(&repo, ["rm", "nope"], 1);
    assert!(err.contains("no milestone nope"), "{err}");
}

#[test]
fn task_rm_and_mv_keep_history_and_old_names() {
    let repo = team_repo();
    ok_now(&repo, ["task", "add", "v1", "api"]);
    ok_now(&repo, ["task", "add", "v1", "spike"]);
    ok_now(&repo, ["task", "rm", "v1", "spike"]);
    ok_now(&repo, ["task", "mv", "v1", "api", "rest-api"]);
    let tasks: Vec<_> = repo.json(["show", "v1"])["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].clone())
        .collect();
    assert_eq!(tasks, ["rest-api"]);
    let types = crate::common::event_types(&repo.json(["events", "v1", "--reverse"]));
    assert!(
        types.ends_with(&["task_removed".to_string(), "task_renamed".into()]),
        "{types:?}"
    );
    // A trailer naming the old id moves the renamed task.
    repo.ok(["hooks", "install"]);
    repo.git([
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "start\n\nTask: v1/api",
    ]);
    repo.ok(["list"]);
    assert_eq!(
        repo.json(["show", "v1"])["tasks"][0]["status"],
        "in_progress"
    );
    // So does a command.
    ok_now(&repo, ["task", "complete", "v1", "api"]);
    assert_eq!(repo.json(["show", "v1"])["tasks"][0]["status"], "completed");
    // Taken and missing ids are refused with a hint.
    ok_now(&repo, ["task", "add", "v1", "ui"]);
    let taken = fails_now(&repo, ["task", "mv", "v1", "ui", "rest-api"], 1);
    insta::assert_snapshot!(taken, @r"
    error: milestone v1 already has a task rest-api
    hint: choose another task id
    ");
    let missing = fails_now(&repo, ["task", "rm", "v1", "spike"], 1);
    assert!(
        missing.contains("milestone v1 has no task spike"),
        "{missing}"
    );
}

#[test]
fn removals_and_renames_merge_like_other_operations() {
    let remote = TestRepo::bare();
    let a = team_repo();
    ok_now(&a, ["task", "add", "v1", "api"]);
    a.git(["remote", "add", "origin", remote.path.to_str().unwrap()]);
    a.ok(["sync"]);
    let b = TestRepo::uninitialized();
    b.git(["remote", "add", "origin", remote.path.to_str().unwrap()]);
    b.ok(["sync"]);
    // One clone renames the task and removes a milestone; the other works on both.
    a.ok(["task", "mv", "v1", "api", "rest"]);
    a.ok(["rm", "typo"]);
    b.ok(["task", "start", "v1", "api"]);
    b.ok(["task", "start", "typo", "a"]);
    b.ok(["sync"]);
    a.ok(["sync"]);
    b.ok(["sync"]);
    for clone in [&a, &b] {
        assert_eq!(clone.json(["show", "v1"])["tasks"][0]["id"], "rest");
        assert!(!clone.ok(["list"]).contains("typo"));
    }
    assert_eq!(a.json(["show", "v1"]), b.json(["show", "v1"]));
}
