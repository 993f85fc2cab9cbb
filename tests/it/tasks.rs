//! `task add|set|start|complete` and the derived progress and status they drive.

use serde_json::{json, Value};

use crate::common::TestRepo;

fn task<'a>(show: &'a Value, id: &str) -> &'a Value {
    show["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id)
        .unwrap_or_else(|| panic!("no task {id} in {show}"))
}

#[test]
fn task_add_stores_a_pending_task_with_its_title() {
    let repo = TestRepo::new();
    repo.ok(["new", "m1"]);
    let before = repo.commit_count();
    let out = repo.ok(["task", "add", "m1", "api", "--title", "Build the API"]);
    assert!(out.contains("api"), "{out}");
    assert_eq!(repo.commit_count(), before + 1);
    repo.ok(["task", "add", "m1", "untitled"]);

    let show = repo.json(["show", "m1"]);
    assert_eq!(task(&show, "api")["title"], "Build the API");
    assert_eq!(task(&show, "api")["status"], "pending");
    assert_eq!(task(&show, "api")["kiro_workflow"], Value::Null);
    assert_eq!(task(&show, "untitled")["title"], "");

    let stored: Value =
        serde_yaml::from_str(&repo.show_file("milestones/m1/milestone.yaml")).unwrap();
    assert_eq!(stored["tasks"][0]["id"], "api");
    assert_eq!(stored["tasks"][0]["status"], "pending");

    let record = repo.record("refs/milestones~1");
    assert_eq!(record["op"]["type"], "add_task");
    assert_eq!(record["events"][0]["event_type"], "task_added");
    assert_eq!(record["events"][0]["data"]["task_id"], "api");
}

#[test]
fn task_add_kiro_gives_the_four_phase_workflow() {
    let repo = TestRepo::new();
    repo.ok(["new", "m1"]);
    repo.ok(["task", "add", "m1", "k", "--kiro", "--title", "Workflow"]);
    let show = repo.json(["show", "m1"]);
    let k = task(&show, "k");
    assert_eq!(k["status"], "pending");
    assert_eq!(k["progress"], 0);
    let workflow = &k["kiro_workflow"];
    assert_eq!(workflow["enabled"], true);
    assert_eq!(workflow["current_phase"], "design");
    let phases = workflow["phases"].as_object().unwrap();
    let names: Vec<_> = phases.keys().map(String::as_str).collect();
    assert_eq!(names, ["design", "spec", "task", "execute"]);
    for (name, phase) in phases {
        assert_eq!(phase["status"], "not_started", "{name}");
    }
    // Stored in the reference's field names.
    let stored: Value =
        serde_yaml::from_str(&repo.show_file("milestones/m1/milestone.yaml")).unwrap();
    assert_eq!(
        stored["tasks"][0]["kiro_workflow"]["current_phase"],
        "design"
    );
    assert_eq!(
        repo.record("refs/milestones")["events"][0]["data"]["kiro_workflow"],
        true
    );
    // The text view lists the phases.
    let text = repo.ok(["show", "m1"]);
    assert!(text.contains("*design:not_started"), "{text}");
}

#[test]
fn task_set_start_complete_move_the_status_one_commit_each() {
    let repo = TestRepo::new();
    repo.milestone_with_tasks("m1", &["t"]);
    let steps: [(&[&str], &str); 6] = [
        (&["task", "start", "m1", "t"], "in_progress"),
        (&["task", "set", "m1", "t", "blocked"], "blocked"),
        (&["task", "set", "m1", "t", "pending"], "pending"),
        (&["task", "set", "m1", "t", "in_progress"], "in_progress"),
        (&["task", "complete", "m1", "t"], "completed"),
        (&["task", "set", "m1", "t", "pending"], "pending"),
    ];
    let mut previous = "pending";
    for (args, expected) in steps {
        let count = repo.commit_count();
        repo.ok(args);
        assert_eq!(repo.commit_count(), count + 1, "{args:?}");
        assert_eq!(
            task(&repo.json(["show", "m1"]), "t")["status"],
            expected,
            "{args:?}"
        );
        let record = repo.record("refs/milestones");
        assert_eq!(record["op"]["type"], "set_task_status");
        assert_eq!(record["op"]["status"], expected);
        let changed = &record["events"][0];
        assert_eq!(changed["event_type"], "task_status_changed");
        assert_eq!(changed["data"]["task_id"], "t");
        assert_eq!(changed["data"]["previous_status"], previous, "{args:?}");
        assert_eq!(changed["data"]["new_status"], expected, "{args:?}");
        let subject = repo.git(["log", "-1", "--format=%s", "refs/milestones"]);
        assert!(
            subject.contains(previous) && subject.contains(expected),
            "{subject}"
        );
        previous = expected;
    }
}

#[test]
fn setting_the_same_status_again_writes_nothing() {
    let repo = TestRepo::new();
    repo.milestone_with_tasks("m1", &["t"]);
    repo.ok(["task", "start", "m1", "t"]);
    let tip = repo.tip();
    let out = repo.ok(["task", "start", "m1", "t"]);
    assert!(out.contains("Nothing to change"), "{out}");
    assert_eq!(repo.tip(), tip);
    let json = repo.json(["task", "set", "m1", "t", "in_progress"]);
    assert_eq!(json["changed"], false);
    assert_eq!(repo.tip(), tip);
}

#[test]
fn plain_task_progress_and_milestone_status() {
    let repo = TestRepo::new();
    repo.milestone_with_tasks("m1", &["a", "b"]);
    let check = |status: &str, percentage: u64, completed: u64, a: u64, b: u64| {
        let show = repo.json(["show", "m1"]);
        assert_eq!(show["status"], status, "{show}");
        assert_eq!(show["progress"]["percentage"], percentage, "{show}");
        assert_eq!(show["progress"]["completed_tasks"], completed, "{show}");
        assert_eq!(show["progress"]["total_tasks"], 2, "{show}");
        assert_eq!(task(&show, "a")["progress"], a, "{show}");
        assert_eq!(task(&show, "b")["progress"], b, "{show}");
    };
    check("planned", 0, 0, 0, 0);
    repo.ok(["task", "set", "m1", "a", "blocked"]);
    check("planned", 0, 0, 0, 0);
    repo.ok(["task", "start", "m1", "a"]);
    check("in_progress", 25, 0, 50, 0);
    repo.ok(["task", "start", "m1", "b"]);
    check("in_progress", 50, 0, 50, 50);
    repo.ok(["task", "complete", "m1", "a"]);
    check("in_progress", 75, 1, 100, 50);
    repo.ok(["task", "complete", "m1", "b"]);
    check("completed", 100, 2, 100, 100);
}

#[test]
fn completing_a_workflow_task_counts_fully() {
    let repo = TestRepo::new();
    repo.ok(["new", "m1"]);
    repo.ok(["task", "add", "m1", "k", "--kiro"]);
    repo.ok(["task", "add", "m1", "p"]);
    repo.ok([
        "task",
        "complete",
        "m1",
        "k",
        "--force",
        "--reason",
        "done elsewhere",
    ]);
    let show = repo.json(["show", "m1"]);
    assert_eq!(task(&show, "k")["progress"], 100);
    assert_eq!(show["progress"]["percentage"], 50);
    assert_eq!(show["status"], "in_progress");
}

#[test]
fn workflow_progress_uses_default_and_configured_phase_weights() {
    let repo = TestRepo::new();
    // design approved (100) and spec in progress (60) with the default weights
    // 15/25/20/40: 15 + 15 = 30.
    let file = repo.write_file(
        "weights.yaml",
        "id: w\ntasks:\n  - id: k\n    kiro_workflow:\n      enabled: true\n      current_phase: spec\n      phases:\n        design: {status: approved}\n        spec: {status: in_progress}\n",
    );
    repo.ok(["import", file.to_str().unwrap()]);
    let show = repo.json(["show", "w"]);
    assert_eq!(task(&show, "k")["progress"], 30, "{show}");
    assert_eq!(show["progress"]["percentage"], 30);
    assert_eq!(show["status"], "in_progress");

    // Equal custom weights of any sum are shares: design completed alone is 25 %, and
    // waiting_approval (90) in spec adds 22.5: 47.5 shown as 47.
    let file = repo.write_file(
        "custom.yaml",
        "id: c\nkiro_configuration:\n  phase_weights: {design: 2, spec: 2, task: 2, execute: 2}\ntasks:\n  - id: k\n    kiro_workflow:\n      current_phase: spec\n      phases:\n        design: {status: completed}\n        spec: {status: waiting_approval}\n  - id: plain\n    status: blocked\n",
    );
    repo.ok(["import", file.to_str().unwrap()]);
    let show = repo.json(["show", "c"]);
    assert_eq!(task(&show, "k")["progress"], 47, "{show}");
    assert_eq!(task(&show, "plain")["progress"], 0, "{show}");
    assert_eq!(show["progress"]["percentage"], 23, "{show}");

    // A disabled workflow counts as a plain task.
    let file = repo.write_file(
        "disabled.yaml",
        "id: d\ntasks:\n  - id: k\n    status: in_progress\n    kiro_workflow:\n      enabled: false\n      phases:\n        design: {status: completed}\n",
    );
    repo.ok(["import", file.to_str().unwrap()]);
    assert_eq!(task(&repo.json(["show", "d"]), "k")["progress"], 50);
}

#[test]
fn task_writes_report_commit_and_events_with_json() {
    let repo = TestRepo::new();
    repo.milestone_with_tasks("m1", &["t"]);
    let out = repo.json(["task", "complete", "m1", "t"]);
    assert_eq!(out["changed"], true);
    assert_eq!(out["commit"].as_str(), repo.tip().as_deref());
    let types: Vec<_> = out["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event_type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "task_status_changed",
            "status_updated",
            "milestone_completed"
        ]
    );
    assert_eq!(out["events"], repo.record("refs/milestones")["events"]);
    assert_eq!(
        out["events"][1]["data"],
        json!({"old_status": "planned", "new_status": "completed", "progress_percentage": 100, "trigger_event": "task_status_changed"})
    );
}

#[test]
fn quiet_drops_confirmations_and_text_announces_completion() {
    let repo = TestRepo::new();
    assert_eq!(repo.ok(["-q", "new", "m1"]), "");
    assert_eq!(repo.ok(["task", "add", "-q", "m1", "t"]), "");
    let out = repo.ok(["task", "complete", "m1", "t"]);
    assert!(out.contains("Milestone m1 is completed."), "{out}");
}
