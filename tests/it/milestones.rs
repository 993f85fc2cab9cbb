//! `new`, `list`, `show`, `status`: what is stored and the JSON fields of CLI.md.

use serde_json::{json, Value};

use crate::common::TestRepo;

#[test]
fn new_stores_title_due_and_description() {
    let repo = TestRepo::new();
    let out = repo.ok([
        "new",
        "v1.0",
        "--title",
        "First release",
        "--due",
        "2026-12-31",
        "--description",
        "Everything for the first release.\nSecond line.",
    ]);
    assert!(out.contains("v1.0"), "{out}");
    assert_eq!(repo.commit_count(), 2);

    let stored: Value =
        serde_yaml::from_str(&repo.show_file("milestones/v1.0/milestone.yaml")).unwrap();
    assert_eq!(stored["id"], "v1.0");
    assert_eq!(stored["title"], "First release");
    assert_eq!(stored["due"], "2026-12-31");
    assert_eq!(
        stored["description"],
        "Everything for the first release.\nSecond line."
    );
    // Derived values are never stored.
    assert!(stored.get("status").is_none(), "{stored}");
    assert!(stored.get("progress").is_none(), "{stored}");
    // No state until one is saved.
    assert_eq!(
        repo.rev_parse("refs/milestones:milestones/v1.0/state.json"),
        None
    );

    let show = repo.json(["show", "v1.0"]);
    assert_eq!(show["id"], "v1.0");
    assert_eq!(show["title"], "First release");
    assert_eq!(show["due"], "2026-12-31");
    assert_eq!(
        show["description"],
        "Everything for the first release.\nSecond line."
    );

    let record = repo.record("refs/milestones");
    assert_eq!(record["op"]["type"], "new_milestone");
    assert_eq!(record["op"]["milestone"], "v1.0");
    assert_eq!(record["op"]["title"], "First release");
    assert_eq!(record["op"]["due"], "2026-12-31");
    assert_eq!(record["events"][0]["event_type"], "milestone_created");
}

#[test]
fn new_accepts_an_rfc3339_due_time_and_no_options() {
    let repo = TestRepo::new();
    repo.ok(["new", "m1", "--due", "2026-01-31T09:00:00+02:00"]);
    assert_eq!(
        repo.json(["show", "m1"])["due"],
        "2026-01-31T09:00:00+02:00"
    );
    repo.ok(["new", "bare_minimum"]);
    let show = repo.json(["show", "bare_minimum"]);
    assert_eq!(show["title"], "");
    assert_eq!(show["due"], Value::Null);
    assert_eq!(show["tasks"], json!([]));
}

#[test]
fn show_json_has_the_fields_of_cli_md() {
    let repo = TestRepo::new();
    repo.milestone_with_tasks("m1", &["a", "b"]);
    repo.ok([
        "task",
        "add",
        "m1",
        "k",
        "--title",
        "Workflow task",
        "--kiro",
    ]);
    repo.ok(["task", "complete", "m1", "a"]);

    for command in ["show", "status"] {
        let v = repo.json([command, "m1"]);
        assert_eq!(v["id"], "m1", "{command}");
        assert_eq!(v["title"], "Milestone m1", "{command}");
        assert_eq!(v["status"], "in_progress", "{command}");
        let progress = &v["progress"];
        assert_eq!(progress["percentage"], 33, "{command}: {progress}");
        assert_eq!(progress["completed_tasks"], 1, "{command}");
        assert_eq!(progress["total_tasks"], 3, "{command}");
        let tasks = v["tasks"].as_array().unwrap();
        let ids: Vec<_> = tasks.iter().map(|t| t["id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["a", "b", "k"], "{command}: tasks keep their order");
        for task in tasks {
            for field in ["id", "title", "status", "progress", "kiro_workflow"] {
                assert!(
                    task.get(field).is_some(),
                    "{command}: task lacks {field}: {task}"
                );
            }
        }
        assert_eq!(tasks[0]["title"], "Task a");
        assert_eq!(tasks[0]["status"], "completed");
        assert_eq!(tasks[0]["progress"], 100);
        assert_eq!(tasks[0]["kiro_workflow"], Value::Null);
        assert_eq!(tasks[1]["status"], "pending");
        assert_eq!(tasks[1]["progress"], 0);
        let workflow = &tasks[2]["kiro_workflow"];
        assert_eq!(workflow["enabled"], true, "{workflow}");
        assert_eq!(workflow["current_phase"], "design");
        for phase in ["design", "spec", "task", "execute"] {
            assert_eq!(
                workflow["phases"][phase]["status"], "not_started",
                "{phase}"
            );
        }
    }
}

#[test]
fn list_and_dashboard_json_have_the_fields_of_cli_md() {
    let repo = TestRepo::new();
    assert_eq!(repo.json(["list"]), json!([]));
    assert_eq!(repo.json(["status"]), json!([]));

    repo.milestone_with_tasks("b-done", &["x"]);
    repo.ok(["task", "complete", "b-done", "x"]);
    repo.milestone_with_tasks("a-started", &["x", "y"]);
    repo.ok(["task", "start", "a-started", "x"]);
    repo.ok(["new", "c-planned", "--title", "Later"]);

    for command in ["list", "status"] {
        let v = repo.json([command]);
        let items = v.as_array().unwrap();
        let ids: Vec<_> = items.iter().map(|m| m["id"].as_str().unwrap()).collect();
        assert_eq!(
            ids,
            ["a-started", "b-done", "c-planned"],
            "{command}: sorted by id"
        );
        let expected = [
            ("in_progress", 25, "Milestone a-started"),
            ("completed", 100, "Milestone b-done"),
            ("planned", 0, "Later"),
        ];
        for (item, (status, percentage, title)) in items.iter().zip(expected) {
            assert_eq!(item["status"], status, "{command}: {item}");
            assert_eq!(
                item["progress"]["percentage"], percentage,
                "{command}: {item}"
            );
            assert_eq!(item["title"], title, "{command}: {item}");
        }
    }
}

#[test]
fn text_outputs_show_status_and_progress() {
    let repo = TestRepo::new();
    let empty = repo.ok(["list"]);
    assert!(empty.contains("No milestones"), "{empty}");

    repo.milestone_with_tasks("m1", &["a", "b"]);
    repo.ok(["task", "complete", "m1", "a"]);
    repo.ok(["new", "m2", "--due", "2027-01-01"]);

    let list = repo.ok(["list"]);
    let line = list.lines().find(|l| l.starts_with("m1")).expect(&list);
    assert!(
        line.contains("in_progress") && line.contains("50%"),
        "{line}"
    );
    assert!(line.contains("Milestone m1"), "{line}");
    assert!(
        list.lines()
            .any(|l| l.starts_with("m2") && l.contains("planned")),
        "{list}"
    );

    let dashboard = repo.ok(["status"]);
    let headline = dashboard.lines().next().unwrap();
    for count in ["2", "0 completed", "1 in progress", "1 planned"] {
        assert!(headline.contains(count), "{count}: {dashboard}");
    }
    assert!(
        dashboard
            .lines()
            .any(|l| l.starts_with("m1") && l.contains("1/2 tasks")),
        "{dashboard}"
    );
    assert!(dashboard.contains("due 2027-01-01"), "{dashboard}");

    let status = repo.ok(["status", "m1"]);
    assert!(status.contains("1/2 tasks"), "{status}");

    let show = repo.ok(["show", "m1"]);
    assert!(show.contains("milestone m1: Milestone m1"), "{show}");
    assert!(show.contains("Status:   in_progress"), "{show}");
    assert!(show.contains("(1 of 2 tasks completed)"), "{show}");
    assert!(show.contains("State:    none saved"), "{show}");
    assert!(
        show.lines().any(|l| l.trim_start().starts_with('a')
            && l.contains("completed")
            && l.contains("100%")),
        "{show}"
    );
}

#[test]
fn reads_write_nothing() {
    let repo = TestRepo::new();
    repo.milestone_with_tasks("m1", &["a"]);
    repo.ok(["state", "save", "m1", "{}"]);
    let tip = repo.tip();
    for args in [
        vec!["list"],
        vec!["show", "m1"],
        vec!["status"],
        vec!["status", "m1"],
        vec!["state", "load", "m1"],
        vec!["events"],
        vec!["events", "m1"],
        vec!["timeline"],
        vec!["timeline", "m1"],
        vec!["export", "m1"],
    ] {
        repo.ok(&args);
        assert_eq!(repo.tip(), tip, "{args:?} moved the ref");
    }
    // Nor does a read leave a reflog entry.
    assert_eq!(
        repo.git(["reflog", "show", "refs/milestones"])
            .lines()
            .count(),
        repo.commit_count()
    );
}

#[test]
fn ids_and_titles_that_look_like_other_yaml_values_stay_strings() {
    let repo = TestRepo::new();
    let target = TestRepo::new();
    let ids = [
        "1.0",
        "true",
        "null",
        "0x10",
        "1e3",
        "yes",
        "NaN",
        "007",
        "2026-01-01",
    ];
    for id in ids {
        repo.ok(["new", id, "--title", id, "--description", id]);
        repo.ok(["task", "add", id, id, "--title", id]);
        let show = repo.json(["show", id]);
        assert_eq!(show["id"], id);
        assert_eq!(show["title"], id);
        assert_eq!(show["description"], id);
        assert_eq!(show["tasks"][0]["id"], id);
        assert_eq!(show["tasks"][0]["title"], id);
        // Through export and import, and through an edit that changes nothing.
        let file = repo.write_file(&format!("{id}.yaml"), &repo.ok(["export", id]));
        target.ok(["import", file.to_str().unwrap()]);
        assert_eq!(target.json(["show", id]), show, "{id}");
        let tip = repo.tip();
        let edit = repo.run_env(&[("GIT_EDITOR", "true")], ["edit", id]);
        crate::common::expect_ok(&edit, &format!("edit {id}"));
        assert_eq!(repo.tip(), tip, "{id}: an unchanged edit writes nothing");
    }
    let listed: Vec<Value> = repo
        .json(["list"])
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].clone())
        .collect();
    assert_eq!(listed.len(), ids.len());
    assert!(listed.iter().all(Value::is_string), "{listed:?}");
}

#[test]
fn unicode_text_round_trips() {
    let repo = TestRepo::new();
    let title = "Café ☕ — «release» 日本語";
    repo.ok([
        "new",
        "m1",
        "--title",
        title,
        "--description",
        "naïve\n\ttabbed",
    ]);
    repo.ok(["task", "add", "m1", "t", "--title", "Ünïcödé"]);
    let show = repo.json(["show", "m1"]);
    assert_eq!(show["title"], title);
    assert_eq!(show["description"], "naïve\n\ttabbed");
    assert_eq!(show["tasks"][0]["title"], "Ünïcödé");
    assert!(repo.ok(["show", "m1"]).contains(title));
    let exported: Value = serde_yaml::from_str(&repo.ok(["export", "m1"])).unwrap();
    assert_eq!(exported["title"], title);
}
