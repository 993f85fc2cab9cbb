//! Work sessions: one current session per worktree, the events made meanwhile carry its
//! id, and ending it records HEAD and the commits made.

use std::path::Path;

use serde_json::Value;

use crate::common::{expect_failure, TestRepo, COMMITTER_NAME};

/// A repository with a first commit on `main` and milestones m1, m2.
fn repo_with_history() -> TestRepo {
    let repo = TestRepo::new();
    repo.git(["commit", "-q", "--allow-empty", "-m", "base"]);
    repo.ok(["new", "m1"]);
    repo.ok(["new", "m2"]);
    repo
}

fn head(repo: &TestRepo, dir: &Path) -> String {
    let mut cmd = repo.git_cmd();
    cmd.current_dir(dir).args(["rev-parse", "HEAD"]);
    crate::common::expect_ok(&crate::common::output_of(&mut cmd, None), "rev-parse")
        .trim()
        .to_string()
}

fn commit_in(repo: &TestRepo, dir: &Path, subject: &str) -> String {
    let mut cmd = repo.git_cmd();
    cmd.current_dir(dir)
        .args(["commit", "-q", "--allow-empty", "-m", subject]);
    crate::common::expect_ok(&crate::common::output_of(&mut cmd, None), "git commit");
    head(repo, dir)
}

fn is_rfc3339(value: &Value) -> bool {
    value
        .as_str()
        .is_some_and(|s| chrono::DateTime::parse_from_rfc3339(s).is_ok())
}

#[test]
fn session_start_prints_the_id_alone_and_a_second_start_is_refused() {
    let repo = repo_with_history();
    let out = repo.ok(["session", "start", "m1"]);
    assert_eq!(out.lines().count(), 1, "one line: {out:?}");
    let id = out.trim();
    assert!(id.starts_with("session-"), "{id}");
    assert!(
        id.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
        "{id}"
    );
    assert_eq!(repo.ok(["session", "current"]).trim(), id);
    assert_eq!(repo.json(["session", "current"])["session_id"], id);
    assert_eq!(
        repo.ok(["-q", "session", "current"]).trim(),
        id,
        "-q keeps the id"
    );

    for milestone in ["m1", "m2"] {
        let err = repo.fails(["session", "start", milestone], 1);
        assert!(err.contains(id), "names the current session: {err}");
        assert!(err.contains("session end"), "hints at session end: {err}");
    }
    assert_eq!(repo.json(["session", "list"]).as_array().unwrap().len(), 1);

    repo.ok(["session", "end"]);
    let err = expect_failure(&repo.run(["session", "current"]), 1, "no session");
    assert!(err.contains("session start"), "{err}");
    let err = repo.fails(["session", "end"], 1);
    assert!(err.contains("no session"), "{err}");
    // After the end, a new one may start, with another id.
    let second = repo.ok(["session", "start", "m2"]).trim().to_string();
    assert_ne!(second, id);
    let err = repo.fails(["session", "end", id], 1);
    assert!(err.contains("already ended"), "{err}");
}

#[test]
fn events_made_during_a_session_carry_its_id() {
    let repo = repo_with_history();
    repo.ok(["event", "add", "m1", "before"]);
    let id = repo.ok(["session", "start", "m1"]).trim().to_string();
    repo.ok(["task", "add", "m1", "t"]);
    repo.ok(["event", "add", "m2", "elsewhere"]);
    repo.ok(["session", "end"]);
    repo.ok(["event", "add", "m1", "after"]);

    let events = repo.json(["timeline"]);
    let session_of = |event_type: &str| -> Value {
        events
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["event_type"] == event_type)
            .unwrap_or_else(|| panic!("no {event_type} in {events:#}"))["session_id"]
            .clone()
    };
    assert_eq!(session_of("before"), Value::Null);
    for during in ["task_added", "elsewhere", "session_ended"] {
        assert_eq!(session_of(during), id.as_str(), "{during}");
    }
    assert_eq!(session_of("after"), Value::Null);
    let created = events
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["event_type"] == "session_created")
        .unwrap();
    assert_eq!(created["data"]["session_id"], id.as_str());
    assert_eq!(created["data"]["git_branch"], "main");
}

#[test]
fn the_session_created_event_carries_the_new_session_id() {
    let repo = repo_with_history();
    let id = repo.ok(["session", "start", "m1"]).trim().to_string();
    let created = repo.json(["events", "m1", "--type", "session_created"]);
    assert_eq!(created[0]["session_id"], id.as_str());
}

#[test]
fn session_end_records_head_and_the_commits_made() {
    let repo = repo_with_history();
    let start_head = head(&repo, &repo.path);
    let id = repo
        .ok_at("2026-04-01T09:00:00Z", ["session", "start", "m1"])
        .trim()
        .to_string();
    let first = commit_in(&repo, &repo.path, "Write the parser");
    let second = commit_in(&repo, &repo.path, "Test the parser\n\nWith a body.");

    let active = repo.json(["session", "show", &id]);
    assert_eq!(active["status"], "active");
    assert_eq!(active["ended_at"], Value::Null);
    assert_eq!(active["commits"], serde_json::json!([]));

    repo.ok_at("2026-04-01T11:30:00Z", ["session", "end"]);
    let session = repo.json(["session", "show", &id]);
    assert_eq!(session["session_id"], id.as_str());
    assert_eq!(session["milestone_id"], "m1");
    assert_eq!(session["status"], "completed");
    assert_eq!(session["created_at"], "2026-04-01T09:00:00.000Z");
    assert_eq!(session["ended_at"], "2026-04-01T11:30:00.000Z");
    assert_eq!(session["head"], start_head.as_str());
    assert_eq!(session["end_head"], second.as_str());
    assert_eq!(session["git_branch"], "main");
    assert_eq!(
        session["commits"],
        serde_json::json!([
            {"id": second, "subject": "Test the parser"},
            {"id": first, "subject": "Write the parser"},
        ])
    );
    let text = repo.ok(["session", "show", &id]);
    assert!(text.contains(&second[..12]) && text.contains("Write the parser"));
    let ended = repo.json(["events", "m1", "--type", "session_ended"]);
    assert_eq!(ended[0]["data"]["session_id"], id.as_str());
    assert_eq!(ended[0]["data"]["commits"], 2);
    // The file on the ref is the record.
    let stored: Value =
        serde_json::from_str(&repo.show_file(&format!("milestones/m1/sessions/{id}.json")))
            .unwrap();
    assert_eq!(stored["commits"], session["commits"]);
}

#[test]
fn session_list_json_has_the_fields_of_cli_md() {
    let repo = repo_with_history();
    let one = repo.ok(["session", "start", "m1"]).trim().to_string();
    repo.ok(["session", "end"]);
    let two = repo.ok(["session", "start", "m2"]).trim().to_string();

    let list = repo.json(["session", "list"]);
    let sessions = list.as_array().unwrap();
    assert_eq!(sessions.len(), 2, "{list:#}");
    for session in sessions {
        for field in [
            "session_id",
            "milestone_id",
            "status",
            "created_at",
            "ended_at",
            "user",
            "working_directory",
            "git_branch",
            "head",
            "commits",
        ] {
            assert!(session.get(field).is_some(), "{field}: {session:#}");
        }
        assert!(is_rfc3339(&session["created_at"]), "{session:#}");
        assert_eq!(session["user"], COMMITTER_NAME);
        assert_eq!(
            session["working_directory"],
            repo.path.display().to_string()
        );
        assert_eq!(session["git_branch"], "main");
        assert!(session["commits"].is_array());
    }
    let by_id = |id: &str| {
        sessions
            .iter()
            .find(|s| s["session_id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(by_id(&one)["status"], "completed");
    assert!(is_rfc3339(&by_id(&one)["ended_at"]));
    assert_eq!(by_id(&two)["status"], "active");
    assert_eq!(by_id(&two)["ended_at"], Value::Null);
    assert_eq!(by_id(&two)["milestone_id"], "m2");

    let only_m1 = repo.json(["session", "list", "m1"]);
    assert_eq!(only_m1.as_array().unwrap().len(), 1);
    assert_eq!(only_m1[0]["session_id"], one.as_str());
    let text = repo.ok(["session", "list"]);
    let current_line = text.lines().find(|l| l.contains(&two)).unwrap();
    assert!(
        current_line.starts_with('*'),
        "marks the current one: {text}"
    );
    let err = repo.fails(["session", "show", "session-none"], 1);
    assert!(err.contains("session-none"), "{err}");
}

#[test]
fn the_current_session_belongs_to_its_worktree() {
    let repo = repo_with_history();
    let linked = repo.root().join("linked");
    repo.git([
        "worktree",
        "add",
        "-q",
        "-b",
        "feature",
        linked.to_str().unwrap(),
    ]);

    let there = repo
        .ok_in(&linked, ["session", "start", "m2"])
        .trim()
        .to_string();
    assert_eq!(repo.ok_in(&linked, ["session", "current"]).trim(), there);
    let err = expect_failure(
        &repo.run(["session", "current"]),
        1,
        "not current in the main worktree",
    );
    assert!(err.contains("no session"), "{err}");

    // The main worktree starts its own.
    let here = repo.ok(["session", "start", "m1"]).trim().to_string();
    assert_ne!(here, there);
    assert_eq!(repo.ok(["session", "current"]).trim(), here);
    assert_eq!(repo.ok_in(&linked, ["session", "current"]).trim(), there);

    // Each worktree's operations carry its own session.
    repo.ok_in(&linked, ["event", "add", "m2", "in-linked"]);
    repo.ok(["event", "add", "m1", "in-main"]);
    assert_eq!(
        repo.json(["events", "--type", "in-linked"])[0]["session_id"],
        there.as_str()
    );
    assert_eq!(
        repo.json(["events", "--type", "in-main"])[0]["session_id"],
        here.as_str()
    );

    // The linked worktree's session records its own folder, branch and commits.
    let base = head(&repo, &repo.path);
    let work = commit_in(&repo, &linked, "Feature work");
    commit_in(&repo, &repo.path, "Main work");
    repo.ok_in(&linked, ["session", "end"]);
    let session = repo.json(["session", "show", &there]);
    assert_eq!(session["working_directory"], linked.display().to_string());
    assert_eq!(session["git_branch"], "feature");
    assert_eq!(session["head"], base.as_str());
    assert_eq!(session["end_head"], work.as_str());
    assert_eq!(
        session["commits"],
        serde_json::json!([{"id": work, "subject": "Feature work"}])
    );

    // Ending it there leaves the main worktree's session current.
    assert_eq!(repo.ok(["session", "current"]).trim(), here);
    expect_failure(
        &repo.run_in(&linked, ["session", "current"]),
        1,
        "ended in the linked worktree",
    );
    let main_session = repo.json(["session", "show", &here]);
    assert_eq!(main_session["status"], "active");
    assert_eq!(main_session["git_branch"], "main");
}

#[test]
fn a_session_ended_from_another_worktree_is_no_longer_current_anywhere() {
    let repo = repo_with_history();
    let linked = repo.root().join("linked");
    repo.git([
        "worktree",
        "add",
        "-q",
        "-b",
        "other",
        linked.to_str().unwrap(),
    ]);
    let id = repo.ok(["session", "start", "m1"]).trim().to_string();
    repo.ok_in(&linked, ["session", "end", &id]);
    expect_failure(&repo.run(["session", "current"]), 1, "ended elsewhere");
    repo.ok(["event", "add", "m1", "later"]);
    assert_eq!(
        repo.json(["events", "--type", "later"])[0]["session_id"],
        Value::Null
    );
    repo.ok(["session", "start", "m1"]);
}
