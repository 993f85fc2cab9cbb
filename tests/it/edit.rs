//! `edit`: the milestone's YAML in the user's editor, validated before writing.

use serde_json::Value;

use crate::common::{expect_failure, expect_ok, TestRepo};

fn edit_with(repo: &TestRepo, editor: &str, id: &str) -> std::process::Output {
    repo.run_env(&[("GIT_EDITOR", editor)], ["edit", id])
}

#[test]
fn an_editor_changing_the_title_writes_one_commit() {
    let repo = TestRepo::new();
    repo.milestone_with_tasks("m1", &["a"]);
    repo.ok(["state", "save", "m1", r#"{"kept": true}"#]);
    let count = repo.commit_count();
    let out = expect_ok(
        &edit_with(&repo, "sed -i 's/^title: .*/title: Renamed by sed/'", "m1"),
        "edit with sed",
    );
    assert!(out.contains("Updated milestone m1"), "{out}");
    assert_eq!(repo.commit_count(), count + 1);
    let show = repo.json(["show", "m1"]);
    assert_eq!(show["title"], "Renamed by sed");
    assert_eq!(
        show["tasks"][0]["title"], "Task a",
        "only the top-level title changed"
    );
    assert_eq!(repo.json(["state", "load", "m1"])["kept"], true);
    let record = repo.record("refs/milestones");
    assert_eq!(record["op"]["type"], "put_milestone");
    assert_eq!(record["op"]["reason"], "edit");
    assert_eq!(record["events"][0]["event_type"], "milestone_modified");
    // The temporary file is gone after a successful edit.
    assert!(!repo.path.join(".git/milestone/EDIT_m1.yaml").exists());
}

#[test]
fn the_editor_sees_a_commented_yaml_of_the_milestone() {
    let repo = TestRepo::new();
    repo.milestone_with_tasks("m1", &["a"]);
    let captured = repo.root().join("captured.yaml");
    let editor = repo.script("capture", &format!("cp \"$1\" '{}'", captured.display()));
    let tip = repo.tip();
    let out = expect_ok(&edit_with(&repo, editor.to_str().unwrap(), "m1"), "edit");
    assert!(out.contains("No changes to m1"), "{out}");
    assert_eq!(repo.tip(), tip, "an unchanged file writes nothing");
    let text = std::fs::read_to_string(&captured).unwrap();
    assert!(text.starts_with("# Edit this milestone"), "{text}");
    let yaml: Value = serde_yaml::from_str(&text).unwrap();
    assert_eq!(yaml["id"], "m1");
    assert_eq!(yaml["title"], "Milestone m1");
    assert_eq!(yaml["tasks"][0]["id"], "a");
}

#[test]
fn an_editor_making_no_change_writes_nothing_even_with_unknown_fields() {
    let repo = TestRepo::new();
    let file = repo.write_file(
        "rich.yaml",
        "id: rich\ntitle: 'yes'\ndue: 2026-01-31T09:00:00+02:00\nowner: {name: alice, ids: [1, 2.5, -3]}\nnote: \"# not a comment\"\ntasks:\n  - id: k\n    kiro_workflow: {current_phase: task, phases: {design: {status: approved, deliverables: [a.md]}}}\n    extra: ~\n",
    );
    repo.ok(["import", file.to_str().unwrap()]);
    let tip = repo.tip();
    for editor in ["true", ":"] {
        let out = expect_ok(&edit_with(&repo, editor, "rich"), editor);
        assert!(out.contains("No changes"), "{editor}: {out}");
        assert_eq!(repo.tip(), tip, "{editor}");
    }
    // Adding a derived field changes nothing either: it is computed, not stored.
    let out = expect_ok(
        &edit_with(
            &repo,
            "sh -c 'echo \"status: completed\" >> \"$1\"' -",
            "rich",
        ),
        "edit adding status",
    );
    assert!(out.contains("No changes"), "{out}");
    assert_eq!(repo.tip(), tip);
}

#[test]
fn invalid_yaml_from_the_editor_writes_nothing() {
    let repo = TestRepo::new();
    repo.milestone_with_tasks("m1", &["a"]);
    let tip = repo.tip();
    let editor = repo.script("break", "printf 'id: m1\\ntasks: [\\n' > \"$1\"");
    let err = expect_failure(
        &edit_with(&repo, editor.to_str().unwrap(), "m1"),
        1,
        "a broken edit",
    );
    assert!(err.contains("not valid"), "{err}");
    assert!(err.contains("nothing was written"), "{err}");
    assert!(
        err.contains("EDIT_m1.yaml"),
        "the hint says where the text is kept: {err}"
    );
    assert_eq!(repo.tip(), tip);
    assert_eq!(repo.json(["show", "m1"])["title"], "Milestone m1");
}

#[test]
fn invalid_values_and_a_changed_id_are_refused() {
    let repo = TestRepo::new();
    repo.milestone_with_tasks("m1", &["a"]);
    let tip = repo.tip();
    let cases = [
        (
            "sed -i 's/status: pending/status: done/'",
            "unknown variant",
        ),
        ("sed -i 's/^id: m1/id: m2/'", "cannot be changed"),
        ("sed -i 's/^id: m1/id: ..\\/evil/'", "invalid milestone id"),
        ("sh -c 'echo \"due: someday\" >> \"$1\"' -", "invalid date"),
    ];
    for (editor, expected) in cases {
        let err = expect_failure(&edit_with(&repo, editor, "m1"), 1, editor);
        assert!(err.contains(expected), "{editor}: {err}");
        assert_eq!(repo.tip(), tip, "{editor}");
    }
}

#[test]
fn a_failing_editor_writes_nothing() {
    let repo = TestRepo::new();
    repo.milestone_with_tasks("m1", &["a"]);
    let tip = repo.tip();
    let err = expect_failure(
        &edit_with(
            &repo,
            "sed -i 's/^title: .*/title: X/' \"$1\"; exit 3; :",
            "m1",
        ),
        1,
        "a failing editor",
    );
    assert!(err.contains("failed"), "{err}");
    assert_eq!(repo.tip(), tip);
    let err = expect_failure(
        &edit_with(&repo, "/no/such/editor", "m1"),
        1,
        "a missing editor",
    );
    assert!(!err.is_empty());
    assert_eq!(repo.tip(), tip);
}

#[test]
fn an_edit_that_completes_the_tasks_records_the_status_events() {
    let repo = TestRepo::new();
    repo.milestone_with_tasks("m1", &["a", "b"]);
    expect_ok(
        &edit_with(&repo, "sed -i 's/status: pending/status: completed/'", "m1"),
        "edit",
    );
    let show = repo.json(["show", "m1"]);
    assert_eq!(show["status"], "completed");
    let record = repo.record("refs/milestones");
    let types: Vec<_> = record["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event_type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "milestone_modified",
            "status_updated",
            "milestone_completed"
        ]
    );
    assert_eq!(
        record["events"][1]["data"]["trigger_event"],
        "milestone_modified"
    );
}

#[test]
fn a_change_made_while_the_editor_was_open_is_not_overwritten() {
    let repo = TestRepo::new();
    repo.milestone_with_tasks("m1", &["a"]);
    // The "editor" adds a task through another command, then edits the title.
    let editor = repo.script(
        "racing-editor",
        &format!(
            "'{}' -q task add m1 sneaky\nsed -i 's/^title: .*/title: Mine/' \"$1\"",
            crate::common::BIN
        ),
    );
    let before = repo.commit_count();
    let err = expect_failure(&edit_with(&repo, editor.to_str().unwrap(), "m1"), 1, "edit");
    assert!(err.contains("changed by someone else"), "{err}");
    assert_eq!(
        repo.commit_count(),
        before + 1,
        "only the other command's commit"
    );
    let show = repo.json(["show", "m1"]);
    assert_eq!(show["title"], "Milestone m1");
    assert_eq!(show["tasks"].as_array().unwrap().len(), 2);
}

#[test]
fn the_editor_is_chosen_like_git_does() {
    let repo = TestRepo::new();
    repo.ok(["new", "m1"]);
    let setter = |name: &str| {
        repo.script(
            name,
            &format!("sed -i '/^title: /d' \"$1\"\necho 'title: {name}' >> \"$1\""),
        )
    };
    let git_editor = setter("git_editor");
    let core_editor = setter("core_editor");
    let visual = setter("visual");
    let editor = setter("editor");
    repo.git(["config", "core.editor", core_editor.to_str().unwrap()]);
    let run = |env: &[(&str, &str)]| {
        let mut cmd = repo.cmd();
        cmd.args(["edit", "m1"]);
        for (k, v) in env {
            cmd.env(k, v);
        }
        expect_ok(&crate::common::output_of(&mut cmd, None), "edit");
        repo.json(["show", "m1"])["title"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let all = [
        ("GIT_EDITOR", git_editor.to_str().unwrap()),
        ("VISUAL", visual.to_str().unwrap()),
        ("EDITOR", editor.to_str().unwrap()),
    ];
    assert_eq!(run(&all), "git_editor");
    assert_eq!(run(&all[1..]), "core_editor");
    repo.git(["config", "--unset", "core.editor"]);
    assert_eq!(run(&all[1..]), "visual");
    assert_eq!(run(&all[2..]), "editor");
}
