//! `export` and `import` of one milestone YAML file in the reference's format.

use serde_json::{json, Value};

use crate::common::TestRepo;

const REFERENCE_FILE: &str = r#"id: launch
title: "Launch: the big day"
description: |
  Multi-line
  description.
due: 2026-06-30
status: completed
progress:
  percentage: 100
  last_update: "2026-01-01T00:00:00Z"
owner: alice
labels: [beta, "needs: review"]
kiro_configuration:
  phase_weights: {design: 10, spec: 20, task: 30, execute: 40}
  approval_gates:
    design_to_spec: {required: true, approvers: [architect], criteria: [reviewed]}
  review_board: core
tasks:
  - id: t1
    title: First
    status: completed
    estimate: 3
  - id: t2
    title: Second
    status: in_progress
    assignee: {name: bob, team: api}
  - id: t3
    kiro_workflow:
      enabled: true
      current_phase: spec
      custom_flag: true
      phases:
        design: {status: approved, deliverables: [design.md], reviewer: carol}
        spec: {status: in_progress}
"#;

fn export_file(repo: &TestRepo, id: &str, name: &str) -> std::path::PathBuf {
    let text = repo.ok(["export", id]);
    repo.write_file(name, &text)
}

#[test]
fn import_keeps_unknown_fields_and_ignores_derived_ones() {
    let repo = TestRepo::new();
    let file = repo.write_file("launch.yaml", REFERENCE_FILE);
    let count = repo.commit_count();
    let out = repo.ok(["import", file.to_str().unwrap()]);
    assert!(out.contains("launch") && out.contains("3 tasks"), "{out}");
    assert_eq!(repo.commit_count(), count + 1);
    let record = repo.record("refs/milestones");
    assert_eq!(record["op"]["type"], "put_milestone");
    assert_eq!(record["op"]["reason"], "import");
    assert_eq!(record["events"][0]["event_type"], "milestone_imported");

    // The file's status (completed) and progress (100) are not believed: t2 and t3
    // are not done. Weights 10/20/30/40: t3 = 10 + 0.6 × 20 = 22; (100 + 50 + 22) / 3.
    let show = repo.json(["show", "launch"]);
    assert_eq!(show["status"], "in_progress");
    assert_eq!(show["progress"]["percentage"], 57, "{show}");
    assert_eq!(show["progress"]["completed_tasks"], 1);
    assert_eq!(show["tasks"][2]["progress"], 22);
    assert_eq!(show["title"], "Launch: the big day");
    assert_eq!(show["due"], "2026-06-30");

    // Stored without derived fields, with every unknown field.
    let stored: Value =
        serde_yaml::from_str(&repo.show_file("milestones/launch/milestone.yaml")).unwrap();
    assert!(stored.get("status").is_none(), "{stored}");
    assert!(stored.get("progress").is_none(), "{stored}");
    assert_eq!(stored["owner"], "alice");
    assert_eq!(stored["labels"], json!(["beta", "needs: review"]));
    assert_eq!(stored["kiro_configuration"]["review_board"], "core");
    assert_eq!(
        stored["kiro_configuration"]["approval_gates"]["design_to_spec"]["approvers"],
        json!(["architect"])
    );
    assert_eq!(stored["tasks"][0]["estimate"], 3);
    assert_eq!(
        stored["tasks"][1]["assignee"],
        json!({"name": "bob", "team": "api"})
    );
    assert_eq!(stored["tasks"][2]["kiro_workflow"]["custom_flag"], true);
    assert_eq!(
        stored["tasks"][2]["kiro_workflow"]["phases"]["design"]["reviewer"],
        "carol"
    );
    assert_eq!(
        stored["tasks"][2]["kiro_workflow"]["phases"]["design"]["deliverables"],
        json!(["design.md"])
    );

    // The export has them too, plus the derived values, computed.
    let exported: Value = serde_yaml::from_str(&repo.ok(["export", "launch"])).unwrap();
    assert_eq!(exported["owner"], "alice");
    assert_eq!(exported["tasks"][1]["assignee"]["team"], "api");
    assert_eq!(exported["status"], "in_progress");
    assert_eq!(exported["progress"]["percentage"], 57);
    assert_eq!(exported["progress"]["total_tasks"], 3);
    assert_eq!(repo.json(["export", "launch"]), exported);
}

#[test]
fn export_then_import_into_a_fresh_repository_round_trips() {
    let source = TestRepo::new();
    source.ok([
        "new",
        "v1.0",
        "--title",
        "First release",
        "--due",
        "2026-12-31",
        "--description",
        "Two\nlines",
    ]);
    source.ok(["task", "add", "v1.0", "api", "--title", "Build the API"]);
    source.ok(["task", "add", "v1.0", "k", "--kiro"]);
    source.ok(["task", "complete", "v1.0", "api"]);
    let file = export_file(&source, "v1.0", "v1.0.yaml");

    let target = TestRepo::new();
    target.ok(["import", file.to_str().unwrap()]);
    assert_eq!(target.ok(["export", "v1.0"]), source.ok(["export", "v1.0"]));
    assert_eq!(target.json(["show", "v1.0"]), source.json(["show", "v1.0"]));
    assert_eq!(
        target.rev_parse("refs/milestones:milestones/v1.0"),
        source.rev_parse("refs/milestones:milestones/v1.0"),
        "the stored definition is byte for byte the same"
    );
}

#[test]
fn importing_the_identical_file_again_changes_nothing() {
    let repo = TestRepo::new();
    let file = repo.write_file("launch.yaml", REFERENCE_FILE);
    repo.ok(["import", file.to_str().unwrap()]);
    let tip = repo.tip();
    let out = repo.ok(["import", file.to_str().unwrap()]);
    assert!(out.contains("Nothing to change"), "{out}");
    assert_eq!(repo.tip(), tip);
    // Nor does importing its own export, derived values and all.
    let exported = export_file(&repo, "launch", "exported.yaml");
    repo.ok(["import", exported.to_str().unwrap()]);
    assert_eq!(
        repo.json(["import", exported.to_str().unwrap()])["changed"],
        false
    );
    assert_eq!(repo.tip(), tip);
}

#[test]
fn import_refuses_a_different_milestone_of_the_same_id_unless_replace() {
    let repo = TestRepo::new();
    repo.milestone_with_tasks("m1", &["a"]);
    repo.ok(["state", "save", "m1", r#"{"keep": "me"}"#]);
    let file = repo.write_file(
        "m1.yaml",
        "id: m1\ntitle: Replaced\ntasks: [{id: z, status: completed}]\n",
    );

    let err = repo.fails(["import", file.to_str().unwrap()], 1);
    assert!(err.contains("already exists"), "{err}");
    assert!(err.contains("--replace"), "the hint names --replace: {err}");
    assert_eq!(repo.json(["show", "m1"])["title"], "Milestone m1");

    let count = repo.commit_count();
    repo.ok(["import", "--replace", file.to_str().unwrap()]);
    assert_eq!(repo.commit_count(), count + 1);
    let show = repo.json(["show", "m1"]);
    assert_eq!(show["title"], "Replaced");
    assert_eq!(show["tasks"].as_array().unwrap().len(), 1);
    assert_eq!(show["status"], "completed");
    let record = repo.record("refs/milestones");
    assert_eq!(record["op"]["reason"], "replace");
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
        repo.json(["state", "load", "m1"]),
        json!({"keep": "me"}),
        "replacing the definition keeps the saved state"
    );

    // --replace of a milestone that does not exist creates it.
    let other = repo.write_file("new-one.yaml", "id: new-one\ntitle: From the stem\n");
    repo.ok(["import", "--replace", other.to_str().unwrap()]);
    assert_eq!(repo.json(["show", "new-one"])["title"], "From the stem");
}

#[test]
fn a_file_without_id_is_refused_not_named_after_the_file() {
    let repo = TestRepo::new();
    let file = repo.write_file(
        "from-name.yaml",
        "title: Named by its file\ntasks:\n  - id: t\n",
    );
    let err = repo.fails(["import", file.to_str().unwrap()], 1);
    assert!(
        err.contains("from-name.yaml:1: missing field `id`"),
        "{err}"
    );
    repo.fails(["show", "from-name"], 1);
}

#[test]
fn bad_files_are_refused_with_what_is_wrong() {
    let repo = TestRepo::new();
    let cases = [
        ("list.yaml", "- a\n- b\n", "mapping"),
        ("broken.yaml", "id: m\ntasks: [\n", ""),
        ("badid.yaml", "id: ../x\n", "invalid milestone id"),
        (
            "badstatus.yaml",
            "id: m\ntasks: [{id: t, status: done}]\n",
            "unknown variant",
        ),
        ("baddue.yaml", "id: m\ndue: someday\n", "invalid date"),
        (
            "dup.yaml",
            "id: m\ntasks: [{id: t}, {id: t}]\n",
            "more than once",
        ),
        (
            "badtask.yaml",
            "id: m\ntasks: [{id: a/b}]\n",
            "invalid task id",
        ),
        (
            "weights.yaml",
            "id: m\nkiro_configuration: {phase_weights: {design: -1}}\n",
            "non-negative",
        ),
        (
            "gate.yaml",
            "id: m\nkiro_configuration: {approval_gates: {design_to_execute: {}}}\n",
            "not a transition",
        ),
    ];
    for (name, text, expected) in cases {
        let file = repo.write_file(name, text);
        let err = repo.fails(["import", file.to_str().unwrap()], 1);
        assert!(
            err.contains(name),
            "{name}: the message names the file: {err}"
        );
        assert!(err.contains(expected), "{name}: {err}");
    }
    assert_eq!(repo.json(["list"]), json!([]));
}

#[test]
fn missing_files_and_folders_are_refused() {
    let repo = TestRepo::new();
    let missing = repo.root().join("nope.yaml");
    let err = repo.fails(["import", missing.to_str().unwrap()], 1);
    assert!(err.contains("nope.yaml"), "{err}");
    let folder = repo.sibling_dir(".milestones");
    let err = repo.fails(["import", folder.to_str().unwrap()], 1);
    assert!(err.contains("folder"), "{err}");
}

#[test]
fn export_json_is_the_same_document() {
    let repo = TestRepo::new();
    repo.milestone_with_tasks("m1", &["a"]);
    let yaml: Value = serde_yaml::from_str(&repo.ok(["export", "m1"])).unwrap();
    let json = repo.json(["export", "m1"]);
    assert_eq!(yaml, json);
    assert_eq!(json["id"], "m1");
    assert_eq!(json["status"], "planned");
    assert_eq!(
        json["progress"],
        json!({"percentage": 0, "completed_tasks": 0, "total_tasks": 1})
    );
}
