//! The design → spec → task → execute workflow end to end: gates from the milestone's
//! YAML, approval requests and decisions, monitor, timestamps, weighted progress and
//! the events of each step.

use serde_json::Value;

use crate::common::{event_types, TestRepo, COMMITTER_EMAIL, COMMITTER_NAME};

const GATED: &str = "\
id: rel
title: Release
kiro_configuration:
  approval_gates:
    design_to_spec:
      approvers: [lead, qa]
      criteria: [Design reviewed, Risks listed]
tasks: []
";

fn me() -> String {
    format!("{COMMITTER_NAME} <{COMMITTER_EMAIL}>")
}

fn task(repo: &TestRepo, milestone: &str, id: &str) -> Value {
    let show = repo.json(["show", milestone]);
    show["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id)
        .unwrap_or_else(|| panic!("no task {id}: {show:#}"))
        .clone()
}

fn phase(repo: &TestRepo, milestone: &str, id: &str, phase: &str) -> Value {
    task(repo, milestone, id)["kiro_workflow"]["phases"][phase].clone()
}

fn current_phase(repo: &TestRepo, milestone: &str, id: &str) -> String {
    task(repo, milestone, id)["kiro_workflow"]["current_phase"]
        .as_str()
        .unwrap()
        .to_string()
}

fn approvals(repo: &TestRepo, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["approval", "list"];
    all.extend_from_slice(args);
    repo.json(all).as_array().unwrap().clone()
}

/// The event types of the newest operation on the ref.
fn last_op_events(repo: &TestRepo) -> Vec<String> {
    repo.record("refs/milestones")["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event_type"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_gated_task_goes_through_every_phase_to_a_completed_milestone() {
    let repo = TestRepo::new();
    let yaml = repo.write_file("rel.yaml", GATED);
    repo.ok(["import", yaml.to_str().unwrap()]);
    repo.ok(["task", "add", "rel", "api", "--kiro", "--title", "The API"]);
    assert_eq!(current_phase(&repo, "rel", "api"), "design");
    assert_eq!(task(&repo, "rel", "api")["status"], "pending");

    // design: in progress, then completed, with their timestamps.
    repo.ok_at(
        "2026-01-05T09:00:00Z",
        ["phase", "set", "rel", "api", "design", "in_progress"],
    );
    assert_eq!(
        last_op_events(&repo)[..2],
        ["kiro_phase_updated", "task_status_changed"]
    );
    assert_eq!(task(&repo, "rel", "api")["status"], "in_progress");
    repo.ok_at(
        "2026-01-06T09:00:00Z",
        ["phase", "set", "rel", "api", "design", "completed"],
    );
    let design = phase(&repo, "rel", "api", "design");
    assert_eq!(design["started_at"], "2026-01-05T09:00:00.000Z");
    assert_eq!(design["completed_at"], "2026-01-06T09:00:00.000Z");

    // advance: the gate of the YAML asks lead and qa.
    repo.ok_at("2026-01-07T09:00:00Z", ["phase", "advance", "rel", "api"]);
    assert_eq!(
        last_op_events(&repo),
        [
            "kiro_approval_requested",
            "kiro_phase_updated",
            "status_updated"
        ]
    );
    let design = phase(&repo, "rel", "api", "design");
    assert_eq!(design["status"], "waiting_approval");
    assert_eq!(design["blocked_at"], "2026-01-07T09:00:00.000Z");
    assert_eq!(current_phase(&repo, "rel", "api"), "design");
    // Weighted progress: design waiting_approval is 90 % of its weight 15 of 100.
    assert_eq!(task(&repo, "rel", "api")["progress"], 13);
    let show = repo.json(["show", "rel"]);
    assert_eq!(show["progress"]["percentage"], 13);
    assert!((show["progress"]["exact"].as_f64().unwrap() - 13.5).abs() < 1e-9);

    let list = approvals(&repo, &[]);
    assert_eq!(list.len(), 1);
    let first = &list[0];
    for field in [
        "id",
        "milestone_id",
        "task_id",
        "from_phase",
        "to_phase",
        "status",
        "approvers",
        "criteria",
        "deliverables",
    ] {
        assert!(first.get(field).is_some(), "{field}: {first:#}");
    }
    let first_id = first["id"].as_str().unwrap().to_string();
    assert_eq!(first["milestone_id"], "rel");
    assert_eq!(first["task_id"], "api");
    assert_eq!(first["from_phase"], "design");
    assert_eq!(first["to_phase"], "spec");
    assert_eq!(first["status"], "pending");
    assert_eq!(
        first["criteria"],
        serde_json::json!(["Design reviewed", "Risks listed"])
    );
    assert_eq!(first["deliverables"], serde_json::json!([]));
    let pending_approver = |role: &str| {
        serde_json::json!({"role": role, "status": "pending", "decided_by": null,
                           "decided_at": null, "comments": null})
    };
    assert_eq!(
        first["approvers"],
        serde_json::json!([pending_approver("lead"), pending_approver("qa")])
    );
    let requested = repo.json(["events", "rel", "--type", "kiro_approval_requested"]);
    assert_eq!(requested[0]["data"]["approval_id"], first_id.as_str());
    assert_eq!(
        requested[0]["data"]["approvers"],
        serde_json::json!(["lead", "qa"])
    );

    // show lists the pending request and who is still to decide.
    let text = repo.ok(["show", "rel"]);
    let line = text
        .lines()
        .find(|l| l.contains(&first_id))
        .unwrap_or_else(|| panic!("show lists the pending approval:\n{text}"));
    assert!(line.contains("lead, qa"), "{line}");
    assert!(text.contains("Pending approvals"), "{text}");
    assert_eq!(
        repo.json(["show", "rel"])["pending_approvals"][0]["id"],
        first_id.as_str()
    );

    // Refusals: an unlisted role, advancing while waiting.
    let err = repo.fails(["approval", "approve", &first_id, "--role", "dev"], 1);
    assert!(err.contains("dev") && err.contains("lead, qa"), "{err}");
    let err = repo.fails(["phase", "advance", "rel", "api"], 1);
    assert!(
        err.contains(&first_id),
        "names the request to decide: {err}"
    );
    repo.fails(
        ["approval", "approve", "approval-none", "--role", "lead"],
        1,
    );

    // lead approves; qa is still to decide; lead cannot decide twice.
    repo.ok_at(
        "2026-01-08T09:00:00Z",
        [
            "approval",
            "approve",
            &first_id,
            "--role",
            "lead",
            "--comment",
            "fine",
        ],
    );
    assert_eq!(last_op_events(&repo), ["kiro_approval_decided"]);
    let text = repo.ok(["show", "rel"]);
    let line = text.lines().find(|l| l.contains(&first_id)).unwrap();
    assert!(line.contains("qa") && !line.contains("lead"), "{line}");
    let err = repo.fails(["approval", "reject", &first_id, "--role", "lead"], 1);
    assert!(err.contains("already"), "{err}");
    assert_eq!(
        approvals(&repo, &[])[0]["approvers"][0],
        serde_json::json!({"role": "lead", "status": "approved", "decided_by": me(),
                           "decided_at": "2026-01-08T09:00:00.000Z", "comments": "fine",
                           "verification": "unsigned", "key": null,
                           "binding": null, "freshness": "unbound", "changed": []})
    );

    // qa rejects: the request is rejected and design blocked.
    repo.ok_at(
        "2026-01-09T09:00:00Z",
        [
            "approval",
            "reject",
            &first_id,
            "--role",
            "qa",
            "--comment",
            "no risks listed",
        ],
    );
    let events = last_op_events(&repo);
    assert!(
        events.starts_with(&[
            "kiro_approval_decided".to_string(),
            "kiro_approval_rejected".to_string(),
            "kiro_phase_updated".to_string()
        ]),
        "{events:?}"
    );
    let rejected = &approvals(&repo, &[])[0];
    assert_eq!(rejected["status"], "rejected");
    assert_eq!(rejected["approvers"][1]["status"], "rejected");
    assert_eq!(rejected["approvers"][1]["comments"], "no risks listed");
    let design = phase(&repo, "rel", "api", "design");
    assert_eq!(design["status"], "blocked");
    assert_eq!(design["blocked_at"], "2026-01-09T09:00:00.000Z");
    assert_eq!(current_phase(&repo, "rel", "api"), "design");
    let err = repo.fails(["approval", "approve", &first_id, "--role", "qa"], 1);
    assert!(err.contains("already rejected"), "{err}");
    assert!(approvals(&repo, &["--pending"]).is_empty());

    // Asking again, once the phase is completed again, makes a new request; the
    // rejected one stays on record.
    let err = repo.fails(["phase", "advance", "rel", "api"], 1);
    assert!(err.contains("phase set rel api design completed"), "{err}");
    repo.ok(["phase", "set", "rel", "api", "design", "completed"]);
    repo.ok(["phase", "advance", "rel", "api"]);
    let list = approvals(&repo, &[]);
    assert_eq!(list.len(), 2);
    let second_id = list[1]["id"].as_str().unwrap().to_string();
    assert_ne!(second_id, first_id);
    assert_eq!(list[0]["id"], first_id.as_str());
    assert_eq!(list[0]["status"], "rejected");
    assert_eq!(list[1]["status"], "pending");
    let pending = approvals(&repo, &["rel", "--pending"]);
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0]["id"], second_id.as_str());
    assert_eq!(
        phase(&repo, "rel", "api", "design")["status"],
        "waiting_approval"
    );

    // Both approve: granted, design approved, spec in progress.
    repo.ok(["approval", "approve", &second_id, "--role", "qa"]);
    assert_eq!(current_phase(&repo, "rel", "api"), "design");
    repo.ok_at(
        "2026-01-10T09:00:00Z",
        ["approval", "approve", &second_id, "--role", "lead"],
    );
    let events = last_op_events(&repo);
    for expected in [
        "kiro_approval_decided",
        "kiro_approval_granted",
        "kiro_phase_updated",
        "kiro_phase_transition",
    ] {
        assert!(events.contains(&expected.to_string()), "{events:?}");
    }
    assert_eq!(approvals(&repo, &[])[1]["status"], "approved");
    let design = phase(&repo, "rel", "api", "design");
    assert_eq!(design["status"], "approved");
    assert_eq!(design["approved_at"], "2026-01-10T09:00:00.000Z");
    assert_eq!(current_phase(&repo, "rel", "api"), "spec");
    let spec = phase(&repo, "rel", "api", "spec");
    assert_eq!(spec["status"], "in_progress");
    assert_eq!(spec["started_at"], "2026-01-10T09:00:00.000Z");
    let transition = &repo.json(["events", "rel", "--type", "kiro_phase_transition"])[0];
    assert_eq!(transition["data"]["from_phase"], "design");
    assert_eq!(transition["data"]["to_phase"], "spec");

    // spec → task: gated by default, no approvers listed: anyone, once.
    repo.ok(["phase", "set", "rel", "api", "spec", "completed"]);
    repo.ok(["phase", "advance", "rel", "api"]);
    let list = approvals(&repo, &[]);
    assert_eq!(list.len(), 3);
    let third = &list[2];
    let third_id = third["id"].as_str().unwrap().to_string();
    assert_eq!(third["from_phase"], "spec");
    assert_eq!(third["to_phase"], "task");
    assert_eq!(third["approvers"], serde_json::json!([]));
    assert!(repo
        .ok(["approval", "list", "--pending"])
        .contains("anyone"));
    repo.ok(["approval", "approve", &third_id, "--role", "whoever"]);
    let third = &approvals(&repo, &[])[2];
    assert_eq!(third["status"], "approved");
    assert_eq!(third["approvers"][0]["role"], "whoever");
    assert_eq!(third["approvers"][0]["decided_by"], me().as_str());
    repo.fails(["approval", "approve", &third_id, "--role", "another"], 1);
    assert_eq!(current_phase(&repo, "rel", "api"), "task");

    // task → execute: not gated.
    repo.ok(["phase", "set", "rel", "api", "task", "completed"]);
    repo.ok(["phase", "advance", "rel", "api"]);
    assert_eq!(current_phase(&repo, "rel", "api"), "execute");
    assert_eq!(
        approvals(&repo, &[]).len(),
        3,
        "no request for task → execute"
    );
    assert_eq!(
        last_op_events(&repo)[..2],
        ["kiro_phase_transition", "kiro_phase_updated"]
    );

    // execute completed, then advanced: the task, then the milestone, is completed.
    repo.ok_at(
        "2026-01-20T09:00:00Z",
        ["phase", "set", "rel", "api", "execute", "completed"],
    );
    repo.ok_at("2026-01-20T09:00:00Z", ["phase", "advance", "rel", "api"]);
    assert_eq!(
        last_op_events(&repo),
        [
            "task_status_changed",
            "status_updated",
            "milestone_completed"
        ]
    );
    let execute = phase(&repo, "rel", "api", "execute");
    assert_eq!(execute["status"], "completed");
    assert_eq!(execute["completed_at"], "2026-01-20T09:00:00.000Z");
    let api = task(&repo, "rel", "api");
    assert_eq!(api["status"], "completed");
    assert_eq!(api["progress"], 100);
    let show = repo.json(["show", "rel"]);
    assert_eq!(show["status"], "completed");
    assert_eq!(show["progress"]["percentage"], 100);
    assert_eq!(show["pending_approvals"], serde_json::json!([]));

    let all = event_types(&repo.json(["timeline", "rel"]));
    for expected in [
        "milestone_imported",
        "task_added",
        "kiro_phase_updated",
        "kiro_phase_transition",
        "kiro_approval_requested",
        "kiro_approval_granted",
        "kiro_approval_rejected",
        "milestone_completed",
    ] {
        assert!(all.contains(&expected.to_string()), "{expected}: {all:?}");
    }
    assert_eq!(
        all.iter()
            .filter(|t| *t == "kiro_approval_requested")
            .count(),
        3
    );
}

#[test]
fn monitor_performs_every_ready_transition_at_once() {
    let repo = TestRepo::new();
    let yaml = repo.write_file(
        "mon.yaml",
        "\
id: mon
tasks:
  - id: gated
    kiro_workflow:
      enabled: true
      current_phase: design
      phases:
        design: {status: completed, deliverables: [design.md, risks.md]}
  - id: free
    status: in_progress
    kiro_workflow:
      enabled: true
      current_phase: task
      phases:
        design: {status: approved}
        spec: {status: approved}
        task: {status: completed}
  - id: busy
    kiro_workflow:
      enabled: true
      current_phase: design
      phases:
        design: {status: in_progress}
  - id: plain
",
    );
    repo.ok(["import", yaml.to_str().unwrap()]);
    let count = repo.commit_count();

    let moved = repo.json(["monitor"]);
    assert_eq!(
        repo.commit_count(),
        count + 1,
        "one operation for the milestone"
    );
    assert_eq!(moved.as_array().unwrap().len(), 1, "{moved:#}");
    assert_eq!(moved[0]["milestone_id"], "mon");
    let events = last_op_events(&repo);
    assert!(events.contains(&"kiro_approval_requested".to_string()));
    assert!(events.contains(&"kiro_phase_transition".to_string()));

    assert_eq!(
        phase(&repo, "mon", "gated", "design")["status"],
        "waiting_approval"
    );
    let request = &approvals(&repo, &["mon"])[0];
    assert_eq!(request["task_id"], "gated");
    assert_eq!(
        request["deliverables"],
        serde_json::json!(["design.md", "risks.md"])
    );
    assert_eq!(current_phase(&repo, "mon", "free"), "execute");
    assert_eq!(
        phase(&repo, "mon", "free", "execute")["status"],
        "in_progress"
    );
    let transition = &repo.json(["events", "mon", "--type", "kiro_phase_transition"])[0];
    assert_eq!(transition["data"]["task_id"], "free");
    assert_eq!(transition["data"]["transition_type"], "automatic");
    assert_eq!(
        phase(&repo, "mon", "busy", "design")["status"],
        "in_progress"
    );
    assert_eq!(current_phase(&repo, "mon", "busy"), "design");

    // Nothing ready: nothing written.
    let tip = repo.tip();
    let out = repo.ok(["monitor", "mon"]);
    assert!(out.contains("No transition"), "{out}");
    assert_eq!(repo.tip(), tip);

    // Two tasks finishing execute at once, and the rest: the milestone completes.
    let id = request["id"].as_str().unwrap().to_string();
    // A decision binds the deliverables as committed.
    std::fs::write(repo.path.join("design.md"), "# Design\n").unwrap();
    std::fs::write(repo.path.join("risks.md"), "# Risks\n").unwrap();
    repo.git(["add", "design.md", "risks.md"]);
    repo.git(["commit", "-qm", "design"]);
    repo.ok(["approval", "approve", &id, "--role", "me"]);
    for t in ["gated", "busy"] {
        for p in ["design", "spec", "task", "execute"] {
            repo.ok(["phase", "set", "mon", t, p, "approved"]);
        }
    }
    repo.ok(["phase", "set", "mon", "free", "execute", "completed"]);
    repo.ok(["task", "complete", "mon", "plain"]);
    // gated is in spec and busy in design, both approved: monitor moves both on.
    repo.ok(["monitor", "mon"]);
    assert_eq!(current_phase(&repo, "mon", "gated"), "task");
    assert_eq!(current_phase(&repo, "mon", "busy"), "spec");
    assert_eq!(task(&repo, "mon", "free")["status"], "completed");
    assert_eq!(repo.json(["show", "mon"])["status"], "in_progress");
}

#[test]
fn monitor_completes_two_tasks_and_the_milestone_in_one_operation() {
    let repo = TestRepo::new();
    let yaml = repo.write_file(
        "done.yaml",
        "\
id: done
tasks:
  - id: a
    status: in_progress
    kiro_workflow:
      enabled: true
      current_phase: execute
      phases: {design: {status: approved}, spec: {status: approved}, task: {status: completed}, execute: {status: completed}}
  - id: b
    status: in_progress
    kiro_workflow:
      enabled: true
      current_phase: execute
      phases: {design: {status: approved}, spec: {status: approved}, task: {status: completed}, execute: {status: completed}}
",
    );
    repo.ok(["import", yaml.to_str().unwrap()]);
    repo.ok(["monitor"]);
    let events = last_op_events(&repo);
    assert_eq!(
        events
            .iter()
            .filter(|e| *e == "task_status_changed")
            .count(),
        2,
        "{events:?}"
    );
    assert!(
        events.contains(&"milestone_completed".to_string()),
        "{events:?}"
    );
    assert_eq!(repo.json(["show", "done"])["status"], "completed");
}

#[test]
fn gates_follow_the_task_then_the_milestone_then_the_defaults() {
    let repo = TestRepo::new();
    let yaml = repo.write_file(
        "g.yaml",
        "\
id: g
kiro_configuration:
  approval_gates:
    design_to_spec: {required: false}
    task_to_execute: {required: true, approvers: [ops]}
tasks:
  - id: own
    kiro_workflow:
      enabled: true
      phases:
        design: {status: completed, approval_required: true}
",
    );
    repo.ok(["import", yaml.to_str().unwrap()]);
    repo.ok(["task", "add", "g", "free", "--kiro"]);
    // The milestone says design → spec is free; the task `own` says otherwise.
    repo.ok(["phase", "set", "g", "free", "design", "completed"]);
    repo.ok(["phase", "advance", "g", "free"]);
    assert_eq!(current_phase(&repo, "g", "free"), "spec");
    repo.ok(["phase", "advance", "g", "own"]);
    assert_eq!(current_phase(&repo, "g", "own"), "design");
    assert_eq!(approvals(&repo, &["g"]).len(), 1);
    // Default: spec → task gated; the milestone gates task → execute with ops.
    repo.ok(["phase", "set", "g", "free", "spec", "completed"]);
    repo.ok(["phase", "advance", "g", "free"]);
    let requests = approvals(&repo, &["g", "--pending"]);
    assert_eq!(requests.len(), 2);
    let spec = requests
        .iter()
        .find(|r| r["task_id"] == "free")
        .unwrap()
        .clone();
    assert_eq!(spec["from_phase"], "spec");
    repo.ok([
        "approval",
        "approve",
        spec["id"].as_str().unwrap(),
        "--role",
        "x",
    ]);
    assert_eq!(current_phase(&repo, "g", "free"), "task");
    repo.ok(["phase", "set", "g", "free", "task", "completed"]);
    repo.ok(["phase", "advance", "g", "free"]);
    assert_eq!(current_phase(&repo, "g", "free"), "task");
    let gate = approvals(&repo, &["g", "--pending"])
        .into_iter()
        .find(|r| r["task_id"] == "free")
        .unwrap();
    assert_eq!(gate["to_phase"], "execute");
    assert_eq!(gate["approvers"][0]["role"], "ops");
}

#[test]
fn workflow_commands_refuse_plain_tasks_and_bad_values() {
    let repo = TestRepo::new();
    repo.milestone_with_tasks("m1", &["plain"]);
    repo.ok(["task", "add", "m1", "k", "--kiro"]);
    let err = repo.fails(["phase", "advance", "m1", "plain"], 1);
    assert!(err.contains("--kiro"), "{err}");
    repo.fails(["phase", "set", "m1", "plain", "design", "completed"], 1);
    let err = repo.fails(["phase", "set", "m1", "k", "review", "completed"], 1);
    assert!(err.contains("design, spec, task or execute"), "{err}");
    let err = repo.fails(["phase", "set", "m1", "k", "design", "done"], 1);
    assert!(err.contains("waiting_approval"), "{err}");
    repo.fails(["phase", "advance", "m1", "nope"], 1);
}
