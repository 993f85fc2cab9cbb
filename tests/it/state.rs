//! `state save` (argument and stdin) and `state load`.

use serde_json::{json, Value};

use crate::common::{expect_failure, expect_ok, TestRepo};

#[test]
fn state_saved_from_an_argument_loads_back_and_is_stored() {
    let repo = TestRepo::new();
    repo.ok(["new", "m1"]);
    let count = repo.commit_count();
    let state = r#"{"sprint": 2, "notes": "quote \" and\nnewline", "list": [1, 2.5, null, true]}"#;
    let out = repo.ok(["state", "save", "m1", state]);
    assert!(out.contains("m1"), "{out}");
    assert_eq!(repo.commit_count(), count + 1);

    let expected: Value = serde_json::from_str(state).unwrap();
    let loaded: Value = serde_json::from_str(&repo.ok(["state", "load", "m1"])).unwrap();
    assert_eq!(loaded, expected);
    assert_eq!(repo.json(["state", "load", "m1"]), expected);
    let quiet: Value = serde_json::from_str(&repo.ok(["-q", "state", "load", "m1"])).unwrap();
    assert_eq!(quiet, expected, "--quiet still prints what was asked for");

    let stored: Value = serde_json::from_str(&repo.show_file("milestones/m1/state.json")).unwrap();
    assert_eq!(stored, expected);

    let record = repo.record("refs/milestones");
    assert_eq!(record["op"]["type"], "save_state");
    assert_eq!(record["op"]["state"], expected);
    assert_eq!(record["events"][0]["event_type"], "state_saved");
    assert_eq!(repo.json(["show", "m1"])["has_state"], true);
    assert!(repo.ok(["show", "m1"]).contains("State:    saved"));
}

#[test]
fn state_saved_from_stdin() {
    let repo = TestRepo::new();
    repo.ok(["new", "m1"]);
    let output = repo.run_stdin(
        ["state", "save", "m1"],
        "{\"from\": \"stdin\", \"n\": [1,2,3]}\n",
    );
    expect_ok(&output, "state save from stdin");
    assert_eq!(
        repo.json(["state", "load", "m1"]),
        json!({"from": "stdin", "n": [1, 2, 3]})
    );
    // Any JSON value, not only objects.
    expect_ok(
        &repo.run_stdin(["state", "save", "m1"], "[\"a\", 1]"),
        "an array",
    );
    assert_eq!(repo.json(["state", "load", "m1"]), json!(["a", 1]));
}

#[test]
fn saving_replaces_the_state_and_keeps_the_definition_blob() {
    let repo = TestRepo::new();
    repo.milestone_with_tasks("m1", &["t"]);
    let definition = repo.rev_parse("refs/milestones:milestones/m1/milestone.yaml");
    repo.ok(["state", "save", "m1", r#"{"v": 1}"#]);
    repo.ok(["state", "save", "m1", r#"{"v": 2}"#]);
    assert_eq!(repo.json(["state", "load", "m1"]), json!({"v": 2}));
    assert_eq!(
        repo.rev_parse("refs/milestones:milestones/m1/milestone.yaml"),
        definition,
        "saving the state must not rewrite milestone.yaml"
    );
    // The state survives task changes.
    repo.ok(["task", "complete", "m1", "t"]);
    assert_eq!(repo.json(["state", "load", "m1"]), json!({"v": 2}));
}

#[test]
fn state_load_without_a_saved_state_fails_clearly() {
    let repo = TestRepo::new();
    repo.ok(["new", "m1"]);
    let err = repo.fails(["state", "load", "m1"], 1);
    assert!(err.contains("no saved state"), "{err}");
    assert!(err.contains("state save"), "the hint says how: {err}");
}

#[test]
fn state_save_with_empty_or_invalid_stdin_writes_nothing() {
    let repo = TestRepo::new();
    repo.ok(["new", "m1"]);
    let tip = repo.tip();
    for input in ["", "{not json", "{\"a\": 1} trailing"] {
        let err = expect_failure(
            &repo.run_stdin(["state", "save", "m1"], input),
            1,
            &format!("state save with stdin {input:?}"),
        );
        assert!(err.contains("not valid JSON"), "{input:?}: {err}");
        assert_eq!(repo.tip(), tip, "{input:?}");
    }
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    let repo = TestRepo::new();
    repo.ok(["new", "m1"]);
    // Far more than a pipe buffer holds, so the reader closes the pipe mid-write.
    let big: Vec<String> = (0..40_000).map(|n| format!("item number {n}")).collect();
    let state = serde_json::to_string(&big).unwrap();
    expect_ok(
        &repo.run_stdin(["state", "save", "m1"], &state),
        "a big state",
    );
    let script = format!(
        "set -o pipefail; '{}' state load m1 | head -c 100 > /dev/null",
        crate::common::BIN
    );
    let mut cmd = crate::common::hermetic("bash", &repo.home);
    cmd.current_dir(&repo.path).args(["-c", &script]);
    let output = crate::common::output_of(&mut cmd, None);
    assert!(
        output.status.success(),
        "`state load | head` exits 0\n{}",
        crate::common::describe(&output)
    );
    assert_eq!(crate::common::stderr(&output), "", "and prints no error");
}

#[test]
fn any_json_value_is_a_state() {
    let repo = TestRepo::new();
    repo.ok(["new", "m1"]);
    for value in [
        "null",
        "0",
        "\"text\"",
        "[]",
        "{\"nested\": {\"deep\": [1, {\"x\": null}]}}",
    ] {
        repo.ok(["state", "save", "m1", value]);
        let expected: Value = serde_json::from_str(value).unwrap();
        assert_eq!(repo.json(["state", "load", "m1"]), expected, "{value}");
    }
}
