//! `cleanup`: ended sessions and automatic (pre-restore) checkpoints older than the
//! retention go; history keeps them. Time is fixed with `GIT_COMMITTER_DATE`.

use serde_json::Value;

use crate::common::TestRepo;

fn session_ids(repo: &TestRepo, milestone: &str) -> Vec<String> {
    repo.json(["session", "list", milestone])
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["session_id"].as_str().unwrap().to_string())
        .collect()
}

fn checkpoint_names(repo: &TestRepo, milestone: &str) -> Vec<String> {
    repo.json(["checkpoint", "list", milestone])
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect()
}

/// Starts and ends a session on `milestone` at the two dates; returns its id.
fn session_between(repo: &TestRepo, milestone: &str, start: &str, end: &str) -> String {
    let id = repo
        .ok_at(start, ["session", "start", milestone])
        .trim()
        .to_string();
    repo.ok_at(end, ["session", "end"]);
    id
}

#[test]
fn cleanup_removes_old_ended_sessions_and_pre_restore_checkpoints_only() {
    let repo = TestRepo::new();
    repo.ok_at("2025-01-01T10:00:00Z", ["new", "m1"]);
    repo.ok_at("2025-01-01T10:00:00Z", ["task", "add", "m1", "t"]);
    let old_session = session_between(&repo, "m1", "2025-01-02T09:00:00Z", "2025-01-02T17:00:00Z");
    repo.ok_at(
        "2025-01-03T10:00:00Z",
        ["checkpoint", "create", "m1", "manual-keep"],
    );
    repo.ok_at("2025-01-04T10:00:00Z", ["task", "complete", "m1", "t"]);
    repo.ok_at(
        "2025-01-05T10:00:00Z",
        ["checkpoint", "restore", "m1", "manual-keep"],
    );
    let pre_restore = "pre-restore-20250105-100000".to_string();
    assert!(checkpoint_names(&repo, "m1").contains(&pre_restore));
    let recent_session =
        session_between(&repo, "m1", "2025-03-01T09:00:00Z", "2025-03-01T17:00:00Z");
    // Old but still going: never removed.
    let active = repo
        .ok_at("2025-01-06T09:00:00Z", ["session", "start", "m1"])
        .trim()
        .to_string();
    let before = repo.tip().unwrap();

    let report = repo.run_env(
        &[("GIT_COMMITTER_DATE", "2025-03-10T00:00:00Z")],
        ["cleanup", "--retention-days", "30", "--json"],
    );
    let report: Value =
        serde_json::from_str(&crate::common::expect_ok(&report, "cleanup --json")).unwrap();
    assert_eq!(
        report,
        serde_json::json!([{
            "milestone_id": "m1",
            "removed_sessions": [old_session],
            "removed_checkpoints": [pre_restore],
        }])
    );

    let mut left = session_ids(&repo, "m1");
    left.sort();
    let mut expected = vec![recent_session.clone(), active.clone()];
    expected.sort();
    assert_eq!(left, expected);
    assert_eq!(checkpoint_names(&repo, "m1"), ["manual-keep"]);
    assert!(repo
        .rev_parse(&format!("refs/tags/milestone/m1/{pre_restore}"))
        .is_none());

    // The removed session is gone from the current state…
    let err = repo.fails(["session", "show", &old_session], 1);
    assert!(err.contains(&old_session), "{err}");
    let path = format!("milestones/m1/sessions/{old_session}.json");
    assert!(repo.rev_parse(&format!("refs/milestones:{path}")).is_none());
    // …and still in history.
    let kept: Value = serde_json::from_str(&repo.git(["show", &format!("{before}:{path}")]))
        .expect("the session file at the commit before the cleanup");
    assert_eq!(kept["session_id"], old_session.as_str());
    assert_eq!(kept["ended_at"], "2025-01-02T17:00:00.000Z");
    let tip = repo.tip().unwrap();
    assert!(repo
        .git_output(["merge-base", "--is-ancestor", &before, &tip])
        .status
        .success());
    assert_eq!(repo.json(["show", "m1", "--at", &before])["id"], "m1");

    let cleaned = repo.json(["events", "m1", "--type", "state_cleaned"]);
    assert_eq!(cleaned.as_array().unwrap().len(), 1);
    assert_eq!(cleaned[0]["commit"], tip.as_str());
    assert_eq!(cleaned[0]["data"]["retention_days"], 30);
    assert_eq!(
        cleaned[0]["data"]["removed_sessions"],
        serde_json::json!([old_session])
    );
    assert_eq!(
        cleaned[0]["data"]["removed_checkpoints"],
        serde_json::json!([pre_restore])
    );

    // Nothing left to clean: nothing written.
    let out = repo.ok_at(
        "2025-03-10T00:00:00Z",
        ["cleanup", "--retention-days", "30"],
    );
    assert!(out.contains("Nothing"), "{out}");
    assert_eq!(repo.tip().unwrap(), tip);
}

#[test]
fn cleanup_text_reports_what_it_removed() {
    let repo = TestRepo::new();
    repo.ok(["new", "m1"]);
    let old = session_between(&repo, "m1", "2025-01-01T00:00:00Z", "2025-01-01T01:00:00Z");
    let out = repo.ok_at("2025-06-01T00:00:00Z", ["cleanup"]);
    assert!(out.contains("m1") && out.contains(&old), "{out}");
    assert!(
        out.contains("--at"),
        "says where the removed data went: {out}"
    );
}

#[test]
fn cleanup_default_retention_is_seven_days() {
    let repo = TestRepo::new();
    repo.ok(["new", "m1"]);
    let id = session_between(&repo, "m1", "2025-05-01T08:00:00Z", "2025-05-01T12:00:00Z");
    let tip = repo.tip().unwrap();
    repo.ok_at("2025-05-07T12:00:00Z", ["cleanup"]);
    assert_eq!(repo.tip().unwrap(), tip, "six days old: kept");
    assert_eq!(session_ids(&repo, "m1"), [id]);
    repo.ok_at("2025-05-09T12:00:00Z", ["cleanup"]);
    assert_eq!(session_ids(&repo, "m1"), Vec::<String>::new());
}

#[test]
fn cleanup_of_one_milestone_leaves_the_others() {
    let repo = TestRepo::new();
    repo.ok(["new", "m1"]);
    repo.ok(["new", "m2"]);
    let s1 = session_between(&repo, "m1", "2025-01-01T00:00:00Z", "2025-01-01T01:00:00Z");
    let s2 = session_between(&repo, "m2", "2025-01-01T02:00:00Z", "2025-01-01T03:00:00Z");
    repo.ok_at("2025-06-01T00:00:00Z", ["cleanup", "m1"]);
    assert_eq!(session_ids(&repo, "m1"), Vec::<String>::new());
    assert_eq!(session_ids(&repo, "m2"), [s2]);
    let cleaned = repo.json(["events", "--type", "state_cleaned"]);
    assert_eq!(cleaned.as_array().unwrap().len(), 1);
    assert_eq!(cleaned[0]["milestone_id"], "m1");
    assert_eq!(
        cleaned[0]["data"]["removed_sessions"],
        serde_json::json!([s1])
    );
    repo.fails(["cleanup", "nope"], 1);
}
