//! Bad input: exit 1 (2 for a wrong command line), a message on stderr, nothing
//! written, and never a panic.

use crate::common::{expect_failure, hermetic, output_of, TestRepo, BIN};

/// A repository with milestone m1 holding task t1, and some files to import.
fn setup() -> TestRepo {
    let repo = TestRepo::new();
    repo.milestone_with_tasks("m1", &["t1"]);
    repo.write_file("bad.yaml", "id: m9\ntasks: [\n  - {id: x\n");
    repo.write_file("m1.yaml", "id: m1\ntitle: Other\n");
    repo
}

/// (arguments, exit status, text the message must contain)
fn cases(repo: &TestRepo) -> Vec<(Vec<String>, i32, &'static str)> {
    let long = "x".repeat(65);
    let bad_yaml = repo.root().join("bad.yaml").display().to_string();
    let m1_yaml = repo.root().join("m1.yaml").display().to_string();
    let missing = repo.root().join("missing.yaml").display().to_string();
    let table: Vec<(Vec<&str>, i32, &'static str)> = vec![
        // invalid milestone ids, before anything is written
        (vec!["new", "../x"], 1, "invalid milestone id"),
        (vec!["new", "a/b"], 1, "invalid milestone id"),
        (vec!["new", "--", "-x"], 1, "must not start with"),
        (vec!["new", ".x"], 1, "must not start with"),
        (vec!["new", "a..b"], 1, "'..'"),
        (vec!["new", &long], 1, "longer than 64"),
        (vec!["new", ""], 1, "empty"),
        (vec!["new", "a b"], 1, "invalid milestone id"),
        (vec!["new", "x.lock"], 1, ".lock"),
        (vec!["show", "../m1"], 1, "invalid milestone id"),
        (vec!["task", "add", "a/b", "t"], 1, "invalid milestone id"),
        (vec!["state", "save", "..", "{}"], 1, "invalid milestone id"),
        (
            vec!["event", "add", "m1/../m1", "note"],
            1,
            "invalid milestone id",
        ),
        (vec!["events", "a/b"], 1, "invalid milestone id"),
        // invalid task ids
        (vec!["task", "add", "m1", "../t"], 1, "invalid task id"),
        (vec!["task", "add", "m1", ""], 1, "invalid task id"),
        (vec!["task", "add", "m1", &long], 1, "invalid task id"),
        (vec!["task", "start", "m1", "t/1"], 1, "invalid task id"),
        // unknown milestone
        (vec!["show", "nope"], 1, "no milestone"),
        (vec!["status", "nope"], 1, "no milestone"),
        (vec!["export", "nope"], 1, "no milestone"),
        (vec!["edit", "nope"], 1, "no milestone"),
        (vec!["task", "add", "nope", "t"], 1, "no milestone"),
        (
            vec!["task", "set", "nope", "t1", "completed"],
            1,
            "no milestone",
        ),
        (vec!["state", "save", "nope", "{}"], 1, "no milestone"),
        (vec!["state", "load", "nope"], 1, "no milestone"),
        (vec!["event", "add", "nope", "note"], 1, "no milestone"),
        (vec!["events", "nope"], 1, "no milestone"),
        (vec!["timeline", "nope"], 1, "no milestone"),
        // unknown task
        (
            vec!["task", "set", "m1", "nope", "completed"],
            1,
            "has no task",
        ),
        (vec!["task", "start", "m1", "nope"], 1, "has no task"),
        (vec!["task", "complete", "m1", "nope"], 1, "has no task"),
        // duplicates
        (vec!["task", "add", "m1", "t1"], 1, "already has a task"),
        (
            vec!["task", "add", "m1", "t1", "--kiro"],
            1,
            "already has a task",
        ),
        (vec!["new", "m1"], 1, "already exists"),
        (vec!["new", "m1", "--title", "again"], 1, "already exists"),
        (vec!["import", &m1_yaml], 1, "already exists"),
        // bad values
        (
            vec!["task", "set", "m1", "t1", "done"],
            1,
            "unknown task status",
        ),
        (
            vec!["task", "set", "m1", "t1", "COMPLETED"],
            1,
            "unknown task status",
        ),
        (
            vec!["task", "set", "m1", "t1", ""],
            1,
            "unknown task status",
        ),
        (vec!["state", "save", "m1", "{bad"], 1, "not valid JSON"),
        (vec!["state", "save", "m1", ""], 1, "not valid JSON"),
        (vec!["state", "save", "m1", "{} {}"], 1, "not valid JSON"),
        (
            vec!["event", "add", "m1", "note", "--data", "{bad"],
            1,
            "--data is not valid JSON",
        ),
        (
            vec!["event", "add", "m1", "note", "--data", ""],
            1,
            "not valid JSON",
        ),
        (vec!["events", "--since", "soon"], 1, "invalid date"),
        (
            vec!["events", "m1", "--since", "2026-02-30"],
            1,
            "invalid date",
        ),
        (
            vec!["events", "--since", "2026-01-01 25:00"],
            1,
            "invalid date",
        ),
        (vec!["new", "m2", "--due", "2026-13-01"], 1, "invalid date"),
        (vec!["new", "m2", "--due", "next week"], 1, "invalid date"),
        (vec!["new", "m2", "--due", ""], 1, "invalid date"),
        // event types
        (
            vec!["event", "add", "m1", "task_status_changed"],
            1,
            "recorded by git-milestone itself",
        ),
        (
            vec!["event", "add", "m1", "milestone_completed"],
            1,
            "recorded by git-milestone itself",
        ),
        (vec!["event", "add", "m1", "status_updated"], 1, "itself"),
        (
            vec!["event", "add", "m1", "has space"],
            1,
            "invalid event type",
        ),
        (vec!["event", "add", "m1", ""], 1, "invalid event type"),
        // import
        (vec!["import", &missing], 1, "cannot read"),
        (vec!["import", &bad_yaml], 1, "bad.yaml"),
        // usage errors (clap): exit 2
        (vec![], 2, "Usage"),
        (vec!["frobnicate"], 2, "unrecognized subcommand"),
        (vec!["new"], 2, "required"),
        (vec!["new", "-x"], 2, "unexpected argument"),
        (vec!["task"], 2, "Usage"),
        (vec!["task", "add", "m1"], 2, "required"),
        (vec!["task", "set", "m1", "t1"], 2, "required"),
        (vec!["events", "--limit", "many"], 2, "invalid value"),
        (vec!["events", "--limit", "-1"], 2, ""),
        (vec!["show", "m1", "extra"], 2, "unexpected argument"),
        (vec!["import"], 2, "required"),
        (vec!["--bogus-flag", "list"], 2, "unexpected argument"),
    ];
    table
        .into_iter()
        .map(|(args, code, text)| (args.into_iter().map(String::from).collect(), code, text))
        .collect()
}

#[test]
fn bad_input_is_refused_with_a_message_and_writes_nothing() {
    let repo = setup();
    let tip = repo.tip();
    let count = repo.commit_count();
    for (args, code, expected) in cases(&repo) {
        let err = repo.fails(&args, code);
        assert!(
            err.contains(expected),
            "{args:?}: expected {expected:?} in the message: {err}"
        );
        if code == 1 {
            assert!(err.starts_with("error: "), "{args:?}: {err}");
        }
    }
    assert_eq!(repo.tip(), tip);
    assert_eq!(repo.commit_count(), count);
    // Failing commands do not leave the listing changed either.
    let show = repo.json(["show", "m1"]);
    assert_eq!(show["title"], "Milestone m1");
    assert_eq!(show["tasks"].as_array().unwrap().len(), 1);
    assert_eq!(show["tasks"][0]["status"], "pending");
    assert_eq!(repo.json(["list"]).as_array().unwrap().len(), 1);
}

#[test]
fn errors_carry_hints() {
    let repo = setup();
    let hints = [
        (vec!["show", "nope"], "git milestone list"),
        (vec!["task", "start", "m1", "nope"], "git milestone show m1"),
        (vec!["new", "m1"], "git milestone edit m1"),
        (vec!["state", "save", "m1", "{"], "quote it"),
        (vec!["event", "add", "m1", "x", "--data", "{"], "quote it"),
    ];
    for (args, hint) in hints {
        let err = repo.fails(&args, 1);
        assert!(
            err.contains("hint: ") && err.contains(hint),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn commands_before_init_say_to_run_init() {
    let repo = TestRepo::uninitialized();
    let file = repo.write_file("m.yaml", "id: m\n");
    let file = file.to_str().unwrap();
    let commands: Vec<Vec<&str>> = vec![
        vec!["list"],
        vec!["status"],
        vec!["status", "m1"],
        vec!["show", "m1"],
        vec!["new", "m1"],
        vec!["task", "add", "m1", "t"],
        vec!["task", "start", "m1", "t"],
        vec!["state", "save", "m1", "{}"],
        vec!["state", "load", "m1"],
        vec!["event", "add", "m1", "note"],
        vec!["events"],
        vec!["events", "m1"],
        vec!["timeline"],
        vec!["export", "m1"],
        vec!["edit", "m1"],
        vec!["import", file],
    ];
    for args in commands {
        let err = repo.fails(&args, 1);
        assert!(
            err.contains("refs/milestones does not exist"),
            "{args:?}: {err}"
        );
        assert!(err.contains("git milestone init"), "{args:?}: {err}");
        assert_eq!(repo.tip(), None, "{args:?}");
    }
}

#[test]
fn outside_a_repository_every_command_says_so() {
    let repo = TestRepo::uninitialized();
    let elsewhere = repo.sibling_dir("not-a-repo");
    for args in [
        vec!["init"],
        vec!["list"],
        vec!["new", "m1"],
        vec!["events"],
    ] {
        let mut cmd = hermetic(BIN, &repo.home);
        cmd.args(&args)
            .current_dir(&elsewhere)
            .env("GIT_CEILING_DIRECTORIES", repo.root());
        let err = expect_failure(&output_of(&mut cmd, None), 1, &format!("{args:?}"));
        assert!(err.contains("not a git repository"), "{args:?}: {err}");
        assert!(err.contains("git -C"), "{args:?}: the hint: {err}");
    }
    assert!(!elsewhere.join(".git").exists());
}
