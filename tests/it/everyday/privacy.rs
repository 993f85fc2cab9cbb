//! Item 13: a session's host name and working directory stay in the clone that
//! started it unless `milestone.shareSessionHost=true`.

use crate::common::TestRepo;

/// The session records on the remote's ref, as JSON.
fn shared_sessions(remote: &TestRepo) -> Vec<serde_json::Value> {
    let files = remote.git(["ls-tree", "-r", "--name-only", "refs/meta/milestones"]);
    files
        .lines()
        .filter(|f| f.contains("/sessions/"))
        .map(|f| {
            serde_json::from_str(&remote.git(["show", &format!("refs/meta/milestones:{f}")]))
                .unwrap()
        })
        .collect()
}

#[test]
fn session_host_and_folder_stay_local_unless_shared() {
    let remote = TestRepo::bare();
    let a = super::repo();
    a.ok(["new", "v1"]);
    a.git(["remote", "add", "origin", remote.path.to_str().unwrap()]);
    let id = a.ok(["session", "start", "v1"]).trim().to_string();
    a.ok(["session", "end"]);
    a.ok(["sync"]);
    let shared = shared_sessions(&remote);
    assert_eq!(shared.len(), 1);
    assert_eq!(
        (
            shared[0]["host"].as_str(),
            shared[0]["working_directory"].as_str()
        ),
        (Some(""), Some(""))
    );
    // Who, branch, milestone and times are shared.
    assert_eq!(shared[0]["user"], crate::common::COMMITTER_NAME);
    assert_eq!(shared[0]["milestone_id"], "v1");
    assert!(shared[0]["created_at"]
        .as_str()
        .is_some_and(|t| !t.is_empty()));
    // This clone still knows where it ran; another clone does not.
    let here = a.json(["session", "show", &id]);
    assert_eq!(here["working_directory"], a.path.to_str().unwrap());
    assert!(here["host"].as_str().is_some_and(|h| !h.is_empty()));
    let b = TestRepo::uninitialized();
    b.git(["remote", "add", "origin", remote.path.to_str().unwrap()]);
    b.ok(["sync"]);
    assert_eq!(b.json(["session", "show", &id])["working_directory"], "");
    assert!(b
        .ok(["session", "show", &id])
        .contains("Directory: (not shared)"));
    // Shared on request.
    a.git(["config", "milestone.shareSessionHost", "true"]);
    a.ok(["session", "start", "v1"]);
    a.ok(["sync"]);
    let shared = shared_sessions(&remote);
    let dirs: Vec<_> = shared
        .iter()
        .filter_map(|s| s["working_directory"].as_str())
        .filter(|d| !d.is_empty())
        .collect();
    assert_eq!(dirs, [a.path.to_str().unwrap()]);
}
