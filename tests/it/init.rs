//! `init`: creates refs/milestones once.

use crate::common::TestRepo;

#[test]
fn init_creates_the_ref_with_one_commit_holding_the_format_file() {
    let repo = TestRepo::uninitialized();
    assert_eq!(repo.tip(), None);
    let out = repo.ok(["init"]);
    assert!(out.contains("Initialized"), "{out}");
    assert!(repo.tip().is_some());
    assert_eq!(repo.commit_count(), 1);
    assert_eq!(repo.show_file("format"), "1\n");
    assert_eq!(
        repo.git(["ls-tree", "-r", "--name-only", "refs/milestones"]),
        "format\n"
    );
    let record = repo.record("refs/milestones");
    assert_eq!(record["v"], 1);
    assert_eq!(record["lamport"], 1);
    assert_eq!(record["op"]["type"], "init");
    assert_eq!(record["events"], serde_json::json!([]));
    // The root commit has no parent.
    assert_eq!(
        repo.git(["rev-list", "--parents", "-n", "1", "refs/milestones"])
            .split_whitespace()
            .count(),
        1
    );
}

#[test]
fn init_again_succeeds_says_so_and_writes_nothing() {
    let repo = TestRepo::new();
    let tip = repo.tip();
    let output = repo.run(["init"]);
    let out = crate::common::expect_ok(&output, "a second init");
    assert!(
        out.to_lowercase().contains("already initialized"),
        "stdout: {out:?}"
    );
    assert_eq!(repo.tip(), tip);
    assert_eq!(repo.commit_count(), 1);

    // Also after other operations: init never rewrites or adds.
    repo.ok(["new", "m1"]);
    let tip = repo.tip();
    let json = repo.json(["init"]);
    assert_eq!(json["changed"], false);
    assert_eq!(json["commit"], serde_json::Value::Null);
    assert_eq!(repo.tip(), tip);
    assert_eq!(repo.commit_count(), 2);
}

#[test]
fn init_with_json_reports_the_commit() {
    let repo = TestRepo::uninitialized();
    let json = repo.json(["init"]);
    assert_eq!(json["changed"], true);
    assert_eq!(json["commit"].as_str(), repo.tip().as_deref());
}

#[test]
fn init_quiet_prints_nothing() {
    let repo = TestRepo::uninitialized();
    assert_eq!(repo.ok(["-q", "init"]), "");
    assert!(repo.tip().is_some());
    assert_eq!(repo.ok(["init", "--quiet"]), "");
}

#[test]
fn help_and_version_exit_zero() {
    let repo = TestRepo::uninitialized();
    let help = repo.ok(["--help"]);
    for command in ["init", "new", "task", "events", "timeline", "demo"] {
        assert!(help.contains(command), "--help lists {command}: {help}");
    }
    assert!(repo.ok(["--version"]).contains(env!("CARGO_PKG_VERSION")));
}
