//! `git milestone import <folder>`: migrating the reference's `.milestones/` folder
//! (tests/fixtures/reference-milestones, written after the bash scripts).

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::{copy_dir, describe, TestRepo};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/reference-milestones")
}

/// A repository with the fixture copied in as `.milestones`, as a user of the scripts
/// has it.
fn with_folder() -> TestRepo {
    let repo = TestRepo::uninitialized();
    copy_dir(&fixture(), &repo.path.join(".milestones"));
    repo
}

fn tip(repo: &TestRepo) -> String {
    repo.tip().expect("refs/milestones exists")
}

fn strs(value: &Value, key: &str) -> Vec<String> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v[key].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn the_fixture_imports_with_everything_it_holds() {
    let repo = with_folder();
    let out = repo.run(["import", ".milestones", "--json"]);
    assert!(out.status.success(), "{}", describe(&out));
    // No terminal: no progress on stderr.
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    for (kind, expected) in [
        ("milestones", 4),
        ("tasks", 5),
        ("events", 25),
        ("states", 5),
        ("sessions", 2),
        ("checkpoints", 3),
        ("approvals", 2),
    ] {
        assert_eq!(report[kind], expected, "{kind}: {report:#}");
    }
    assert_eq!(report["skipped"], serde_json::json!([]));
    assert_eq!(
        report["ignored"],
        serde_json::json!(["state/active/launch.json.corrupted.20260107-120000"])
    );
    assert_eq!(report["tip"].as_str(), Some(tip(&repo).as_str()));

    // Milestones, with their tasks and workflow; derived fields are computed, not
    // carried over.
    let launch = repo.json(["show", "launch"]);
    assert_eq!(launch["title"], "Public launch");
    assert_eq!(strs(&launch["tasks"], "id"), ["design", "api", "site"]);
    assert_eq!(launch["tasks"][1]["kiro_workflow"]["current_phase"], "spec");
    assert_eq!(
        launch["tasks"][1]["kiro_workflow"]["phases"]["spec"]["status"],
        "waiting_approval"
    );
    assert_eq!(launch["status"], "in_progress");
    assert_eq!(launch["progress"]["completed_tasks"], 1);
    let list = repo.json(["list"]);
    assert_eq!(strs(&list, "id"), ["docs", "launch", "ops", "orphan"]);
    // ops.yaml has no id; its file name gives it. orphan is known from a checkpoint.
    assert_eq!(repo.json(["show", "ops"])["title"], "Operations");
    assert_eq!(
        repo.json(["show", "orphan"])["tasks"],
        serde_json::json!([])
    );

    // Events: the reference's, with their own times, users and sessions, in order.
    let events = repo.json(["events", "launch", "--limit", "100"]);
    let events = events.as_array().unwrap();
    assert_eq!(events.len(), 18);
    let newest = &events[0];
    assert_eq!(newest["event_type"], "state_saved");
    assert_eq!(newest["timestamp"], "2026-01-08T16:00:00.000Z");
    assert_eq!(newest["user"], "alice");
    assert_eq!(newest["session_id"], "session-20260105-091500-4242");
    for field in ["milestone_id", "data", "commit"] {
        assert!(newest.get(field).is_some(), "{field} in {newest}");
    }
    let oldest = &events[17];
    assert_eq!(oldest["event_type"], "state_initialized");
    assert_eq!(oldest["timestamp"], "2026-01-02T08:00:00.000Z");
    assert_eq!(oldest["session_id"], Value::Null);
    let note = events
        .iter()
        .find(|e| e["event_type"] == "review_note")
        .unwrap();
    assert_eq!(note["data"]["text"], "Carol said \"ship it\" → go");
    assert_eq!(events[16]["session_id"], "no-session");
    let timeline = repo.json(["timeline"]);
    let times = strs(&timeline, "timestamp");
    assert_eq!(times.len(), 25);
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted, "the timeline is in the original order");
    let same_second: Vec<String> = timeline
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["timestamp"] == "2026-01-06T15:00:01.000Z")
        .map(|e| e["event_type"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        same_second,
        [
            "kiro_phase_updated",
            "kiro_phase_transition",
            "kiro_approval_granted"
        ]
    );
    assert!(repo.json(["events", "ops"]).as_array().unwrap().is_empty());
    let since = repo.json(["events", "--since", "2026-01-08"]);
    assert_eq!(
        strs(&since, "event_type").len(),
        3,
        "--since uses the events' own times"
    );

    // States: current, and earlier ones through their checkpoints.
    let state: Value = serde_json::from_str(&repo.ok(["state", "load", "launch"])).unwrap();
    assert_eq!(state["sprint"], 3);
    let before: Value =
        serde_json::from_str(&repo.ok(["state", "load", "launch", "--at", "before-spec"])).unwrap();
    assert_eq!(before["decision"], "use \"REST\", not gRPC");
    let err = repo.fails(["state", "load", "orphan"], 1);
    assert!(err.contains("no saved state"), "{err}");
    let v0: Value =
        serde_json::from_str(&repo.ok(["state", "load", "orphan", "--at", "v0"])).unwrap();
    assert_eq!(v0["draft"], true);

    // Checkpoints, made when the log says.
    let checkpoints = repo.json(["checkpoint", "list"]);
    let names: Vec<String> = checkpoints
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{}/{} {}",
                c["milestone_id"].as_str().unwrap(),
                c["name"].as_str().unwrap(),
                c["created_at"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            "docs/published 2026-01-03T17:25:00.000Z",
            "launch/before-spec 2026-01-06T15:06:00.000Z",
            "orphan/v0 2026-01-02T12:00:00.000Z",
        ]
    );
    assert_eq!(
        repo.git(["cat-file", "-t", "refs/tags/milestone/launch/before-spec"])
            .trim()
            .to_string(),
        "tag"
    );

    // Sessions, and the folder's current one becomes this worktree's.
    let sessions = repo.json(["session", "list"]);
    assert_eq!(strs(&sessions, "user"), ["bob", "alice"]);
    assert_eq!(strs(&sessions, "status"), ["completed", "active"]);
    assert_eq!(strs(&sessions, "ended_at")[0], "2026-01-03T17:30:00.000Z");
    assert_eq!(
        repo.ok(["session", "current"]).trim(),
        "session-20260105-091500-4242"
    );

    // Approval requests in the reference's layout.
    let approvals = repo.json(["approval", "list"]);
    assert_eq!(
        strs(&approvals, "id"),
        [
            "approval-launch-design-design-spec",
            "approval-launch-api-spec-task"
        ]
    );
    assert_eq!(strs(&approvals, "status"), ["approved", "pending"]);
    assert_eq!(
        strs(&approvals[0]["approvers"], "role"),
        ["tech_lead", "architect"]
    );
    assert_eq!(approvals[1]["approvers"], serde_json::json!([]));
    assert_eq!(approvals[1]["criteria"], serde_json::json!([]));
    assert_eq!(approvals[0]["from_phase"], "design");
}

#[test]
fn the_import_is_packed_and_sound() {
    let repo = with_folder();
    repo.ok(["import", ".milestones"]);
    let counts = repo.git(["count-objects", "-v"]).trim().to_string();
    assert!(
        counts.lines().any(|l| l == "count: 0"),
        "no loose objects:\n{counts}"
    );
    assert!(counts.lines().any(|l| l == "packs: 1"), "{counts}");
    let fsck = repo.git_output(["fsck", "--strict"]);
    assert!(fsck.status.success(), "{}", describe(&fsck));
    // Only git's notice that the repository has no commit on its branch yet.
    let complaints: Vec<String> = String::from_utf8_lossy(&fsck.stderr)
        .lines()
        .filter(|l| !l.starts_with("notice:"))
        .map(str::to_string)
        .collect();
    assert!(complaints.is_empty(), "{complaints:?}");
    // One move of the ref for the whole import, after its creation.
    let reflog = repo
        .git(["reflog", "show", "--format=%gs", "refs/milestones"])
        .trim()
        .to_string();
    assert_eq!(reflog.lines().count(), 1, "{reflog}");
    assert!(reflog.contains("import .milestones"), "{reflog}");
}

#[test]
fn importing_the_same_folder_twice_adds_nothing() {
    let repo = with_folder();
    repo.ok(["import", ".milestones"]);
    let first = tip(&repo);
    let commits = repo
        .git(["rev-list", "--count", "refs/milestones"])
        .trim()
        .to_string();
    let again = repo.ok(["import", ".milestones"]);
    assert!(again.contains("Nothing to import"), "{again}");
    let report = repo.json(["import", ".milestones"]);
    assert_eq!(
        (report["commits"].as_u64(), report["events"].as_u64()),
        (Some(0), Some(0))
    );
    assert_eq!(tip(&repo), first);
    assert_eq!(
        repo.git(["rev-list", "--count", "refs/milestones"])
            .trim()
            .to_string(),
        commits
    );
    assert_eq!(
        repo.json(["checkpoint", "list"]).as_array().unwrap().len(),
        3
    );
}

#[test]
fn a_log_that_grew_adds_only_its_new_lines() {
    let repo = with_folder();
    repo.ok(["import", ".milestones"]);
    let log = repo
        .path
        .join(".milestones/state/events/milestone-docs.jsonl");
    let mut text = std::fs::read_to_string(&log).unwrap();
    text.push_str(r#"{"timestamp":"2026-01-09T10:00:00Z","milestone_id":"docs","session_id":"no-session","event_type":"note","data":{"n": 1},"pid":9,"user":"dan"}"#);
    text.push('\n');
    std::fs::write(&log, text).unwrap();
    let report = repo.json(["import", ".milestones"]);
    assert_eq!(report["events"], 1);
    assert_eq!(report["commits"], 1);
    let newest = &repo.json(["events", "docs", "--limit", "1"])[0];
    assert_eq!(
        (newest["event_type"].as_str(), newest["user"].as_str()),
        (Some("note"), Some("dan"))
    );
    assert_eq!(repo.json(["timeline", "docs"]).as_array().unwrap().len(), 8);
}

/// The fixture with three things the scripts can write but not read back: an event
/// line with empty data, a milestone file broken by hand, an approval with no request.
fn break_folder(repo: &TestRepo) {
    let root = repo.path.join(".milestones");
    let log = root.join("state/events/milestone-launch.jsonl");
    let mut text = std::fs::read_to_string(&log).unwrap();
    text.push_str(r#"{"timestamp":"2026-01-09T10:00:00Z","milestone_id":"launch","session_id":"no-session","event_type":"note","data":,"pid":9,"user":"dan"}"#);
    text.push('\n');
    std::fs::write(&log, text).unwrap();
    std::fs::write(
        root.join("active/docs.yaml"),
        "title: Documentation\ntasks: [\n",
    )
    .unwrap();
    std::fs::write(root.join("approvals/approval-x.yaml"), "approvers: []\n").unwrap();
}

#[test]
fn a_broken_folder_is_refused_with_every_problem_and_nothing_written() {
    let repo = with_folder();
    repo.ok(["init"]);
    let before = tip(&repo);
    break_folder(&repo);
    let err = repo.fails(["import", ".milestones"], 1);
    assert!(err.contains("3 problem(s); nothing was imported"), "{err}");
    assert!(
        err.contains(".milestones/state/events/milestone-launch.jsonl:19: not valid JSON"),
        "{err}"
    );
    assert!(err.contains(".milestones/active/docs.yaml:3:"), "{err}");
    assert!(
        err.contains(".milestones/approvals/approval-x.yaml: not an approval request"),
        "{err}"
    );
    assert!(err.contains("--skip-invalid"), "{err}");
    assert_eq!(tip(&repo), before, "the ref did not move");
    assert_eq!(repo.git(["tag", "--list"]).trim().to_string(), "");
    assert_eq!(repo.json(["list"]), serde_json::json!([]));
}

#[test]
fn skip_invalid_imports_the_rest_and_lists_what_it_skipped() {
    let repo = with_folder();
    break_folder(&repo);
    let out = repo.run(["import", ".milestones", "--skip-invalid", "--json"]);
    assert!(out.status.success(), "{}", describe(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("warning: skipped 3 invalid item(s)"), "{err}");
    assert!(err.contains("milestone-launch.jsonl:19"), "{err}");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["events"], 25);
    assert_eq!(report["skipped"].as_array().unwrap().len(), 3);
    assert_eq!(report["skipped"][0]["file"], ".milestones/active/docs.yaml");
    assert_eq!(report["skipped"][0]["line"], 3);
    // docs is still known from its other files, with an empty definition for now.
    assert_eq!(repo.json(["show", "docs"])["tasks"], serde_json::json!([]));
    assert_eq!(
        repo.json(["session", "list", "docs"])
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Once its file is fixed, a new import fills it in.
    std::fs::copy(
        fixture().join("active/docs.yaml"),
        repo.path.join(".milestones/active/docs.yaml"),
    )
    .unwrap();
    let report = repo.json(["import", ".milestones", "--skip-invalid"]);
    assert_eq!(
        (report["milestones"].as_u64(), report["tasks"].as_u64()),
        (Some(1), Some(2))
    );
    assert_eq!(report["events"], 0);
    assert_eq!(
        strs(&repo.json(["show", "docs"])["tasks"], "id"),
        ["guide", "reference"]
    );
}

#[test]
fn a_different_milestone_of_the_same_id_needs_replace() {
    let repo = with_folder();
    repo.ok(["init"]);
    repo.ok(["new", "docs", "--title", "Mine"]);
    let before = tip(&repo);
    let err = repo.fails(["import", ".milestones"], 1);
    assert!(
        err.contains("active/docs.yaml: milestone docs already exists"),
        "{err}"
    );
    assert!(err.contains("--replace"), "{err}");
    assert_eq!(tip(&repo), before);
    repo.ok(["import", ".milestones", "--replace"]);
    assert_eq!(repo.json(["show", "docs"])["title"], "Documentation");
}

#[test]
fn a_folder_that_is_not_the_reference_layout_is_refused() {
    let repo = TestRepo::uninitialized();
    std::fs::create_dir_all(repo.path.join("notes")).unwrap();
    let err = repo.fails(["import", "notes"], 1);
    assert!(err.contains("not a reference .milestones folder"), "{err}");
    copy_dir(&fixture(), &repo.path.join("project/.milestones"));
    let err = repo.fails(["import", "project"], 1);
    assert!(err.contains("did you mean project/.milestones?"), "{err}");
}
