//! What users read, pinned: the text of the main commands on a repository with a fixed
//! clock, so that any change to it shows in review as a snapshot diff
//! (`tests/it/snapshots/`; `INSTA_UPDATE=always cargo test` rewrites them).

use crate::common::{stderr, TestRepo};

/// A milestone in the middle of its work: tasks in every status, a workflow task
/// waiting for approval, saved state, a custom event and a checkpoint.
fn project() -> TestRepo {
    let repo = TestRepo::with_fixed_clock();
    let gates = "id: v1\ntitle: First release\ndue: 2026-02-01\nkiro_configuration:\n  \
                 approval_gates:\n    design_to_spec: {approvers: [lead, qa]}\n";
    repo.ok([
        "import",
        repo.write_file("v1.yaml", gates).to_str().unwrap(),
    ]);
    repo.ok(["new", "v2", "--title", "Later"]);
    repo.ok(["task", "add", "v1", "api", "--title", "Build the API"]);
    repo.ok(["task", "add", "v1", "docs", "--title", "Write the docs"]);
    repo.ok(["task", "add", "v1", "ops", "--title", "Deploy"]);
    repo.ok(["task", "add", "v1", "search", "--kiro", "--title", "Search"]);
    repo.ok(["task", "add", "v1", "index", "--kiro", "--title", "Index"]);
    repo.ok(["task", "complete", "v1", "api"]);
    repo.ok(["task", "start", "v1", "docs"]);
    repo.ok(["task", "set", "v1", "ops", "blocked"]);
    repo.ok(["phase", "set", "v1", "search", "design", "completed"]);
    repo.ok(["phase", "advance", "v1", "search"]);
    repo.ok(["state", "save", "v1", r#"{"sprint": 2}"#]);
    repo.ok([
        "event",
        "add",
        "v1",
        "review_held",
        "--data",
        r#"{"attendees": 4}"#,
    ]);
    repo.ok(["approval", "approve", REQUEST, "--role", "qa"]);
    repo.ok(["checkpoint", "create", "v1", "before-search"]);
    repo
}

/// The approval request [`project`] opens.
const REQUEST: &str = "approval-v1-search-design-spec-1";

#[test]
fn status_dashboard() {
    insta::assert_snapshot!(project().ok(["status"]));
}

#[test]
fn status_of_one_milestone() {
    insta::assert_snapshot!(project().ok(["status", "v1"]));
}

#[test]
fn show() {
    insta::assert_snapshot!(project().ok(["show", "v1"]));
}

#[test]
fn list() {
    insta::assert_snapshot!(project().ok(["list"]));
}

#[test]
fn events() {
    insta::assert_snapshot!(project().ok(["events", "v1", "--limit", "12"]));
}

#[test]
fn approval_list() {
    insta::assert_snapshot!(project().ok(["approval", "list"]));
}

#[test]
fn checkpoint_list() {
    insta::assert_snapshot!(project().ok(["checkpoint", "list", "v1"]));
}

/// Refusals: what is wrong and what to do, one snapshot per case.
#[test]
fn errors() {
    let repo = project();
    let cases: &[(&str, &[&str])] = &[
        ("no_such_task", &["task", "set", "v1", "nope", "completed"]),
        ("no_such_milestone", &["show", "v9"]),
        ("task_exists", &["task", "add", "v1", "api"]),
        ("not_a_workflow_task", &["phase", "advance", "v1", "api"]),
        (
            "waiting_for_approval",
            &["phase", "advance", "v1", "search"],
        ),
        (
            "not_an_approver",
            &["approval", "approve", REQUEST, "--role", "dev"],
        ),
        (
            "already_decided",
            &["approval", "reject", REQUEST, "--role", "qa"],
        ),
        (
            "no_such_approval",
            &["approval", "approve", "approval-x", "--role", "lead"],
        ),
        (
            "built_in_event_type",
            &["event", "add", "v1", "state_saved"],
        ),
        ("no_saved_state", &["state", "load", "v2"]),
    ];
    for (name, args) in cases {
        let err = repo.fails(*args, 1);
        insta::assert_snapshot!(*name, err, &format!("git milestone {}", args.join(" ")));
    }
}

#[test]
fn a_usage_error() {
    let repo = TestRepo::with_fixed_clock();
    let output = repo.run(["task", "set", "v1", "a", "--finished"]);
    assert_eq!(output.status.code(), Some(2));
    insta::assert_snapshot!(stderr(&output));
}

#[test]
fn the_fixed_clock_dates_operations_as_git_dates_commits() {
    let repo = TestRepo::with_fixed_clock();
    repo.ok(["new", "m1"]);
    let at = repo.record("refs/milestones")["at"].clone();
    let dates = repo.git(["log", "-1", "--format=%at %ct", "refs/milestones"]);
    // init was the first tick, git log the third: new was the second.
    let second = crate::common::CLOCK_START + 1;
    assert_eq!(at, "2026-01-01T00:00:01.000Z");
    assert_eq!(dates.trim(), format!("{second} {second}"));
    // As `git commit` does, the author's time is GIT_AUTHOR_DATE when given.
    let author_date = [("GIT_AUTHOR_DATE", "@1700000000 +0000")];
    let output = repo.run_env(&author_date, ["task", "add", "m1", "a"]);
    crate::common::expect_ok(&output, "task add");
    let dates = repo.git(["log", "-1", "--format=%at %ct", "refs/milestones"]);
    let (author, committer) = dates.trim().split_once(' ').unwrap();
    assert_eq!(author, "1700000000");
    assert_ne!(committer, author);
}
