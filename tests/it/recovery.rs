//! Files broken by hand or by another tool, committed onto refs/milestones with plain
//! git plumbing: every reader says which file, where it was last readable and how to
//! recover; `recover` puts a readable version back without rewriting history.

use serde_json::Value;

use crate::common::{event_types, expect_failure, stdout, TestRepo};

/// Whether `ancestor` is an ancestor of (or equal to) `descendant`.
fn is_ancestor(repo: &TestRepo, ancestor: &str, descendant: &str) -> bool {
    repo.git_output(["merge-base", "--is-ancestor", ancestor, descendant])
        .status
        .success()
}

/// `m1` (tasks t1, t2, a saved state) and `m2`; returns the last commit where m1 is
/// whole.
fn two_milestones() -> (TestRepo, String) {
    let repo = TestRepo::new();
    repo.milestone_with_tasks("m1", &["t1", "t2"]);
    repo.ok(["state", "save", "m1", r#"{"step": 1}"#]);
    repo.milestone_with_tasks("m2", &["other"]);
    repo.ok(["task", "start", "m1", "t1"]);
    let good = repo.tip().unwrap();
    (repo, good)
}

/// Asserts that `args` fails naming `file`, the last readable commit and the way out.
fn fails_naming(repo: &TestRepo, args: &[&str], file: &str, last_readable: &str) {
    let err = repo.fails(args, 1);
    assert!(err.contains(file), "{args:?} names {file}: {err}");
    assert!(
        err.contains(last_readable),
        "{args:?} names the last readable commit {last_readable}: {err}"
    );
    assert!(
        err.contains("git milestone recover m1"),
        "{args:?} says how to recover: {err}"
    );
    assert!(
        !err.contains("bug"),
        "{args:?}: not an internal error: {err}"
    );
}

/// Every command that reads m1's files.
const READERS: [&[&str]; 11] = [
    &["show", "m1"],
    &["show", "m1", "--json"],
    &["status", "m1"],
    &["export", "m1"],
    &["state", "load", "m1"],
    &["task", "set", "m1", "t1", "completed"],
    &["task", "add", "m1", "t3"],
    &["state", "save", "m1", "{}"],
    &["event", "add", "m1", "note"],
    &["checkpoint", "create", "m1", "cp"],
    &["session", "start", "m1"],
];

fn others_keep_working(repo: &TestRepo, file: &str) {
    let broken_blob = repo.rev_parse(&format!("refs/milestones:{file}")).unwrap();
    for listing in ["list", "status"] {
        for json in [false, true] {
            let mut args = vec![listing];
            if json {
                args.push("--json");
            }
            let before = repo.tip();
            let output = repo.run(&args);
            let err = expect_failure(&output, 1, &format!("{args:?}"));
            assert!(err.contains(file), "{args:?}: {err}");
            assert!(err.contains("git milestone recover m1"), "{args:?}: {err}");
            let out = stdout(&output);
            if json {
                let listed: Value = serde_json::from_str(&out).unwrap();
                let ids: Vec<_> = listed
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|m| m["id"].as_str().unwrap().to_string())
                    .collect();
                assert_eq!(ids, ["m2"], "{args:?}");
            } else {
                assert!(out.contains("m2"), "{args:?} lists m2:\n{out}");
                assert!(!out.contains("m1"), "{args:?}:\n{out}");
            }
            assert_eq!(repo.tip(), before);
        }
    }
    repo.ok(["task", "complete", "m2", "other"]);
    assert_eq!(repo.json(["show", "m2"])["status"], "completed");
    // The other milestone's write leaves the broken file as it was.
    assert_eq!(
        repo.rev_parse(&format!("refs/milestones:{file}")).unwrap(),
        broken_blob
    );
}

#[test]
fn a_broken_milestone_yaml_is_named_by_every_reader_and_others_keep_working() {
    let (repo, good) = two_milestones();
    let broken = repo.commit_with_plumbing(
        &[("milestones/m1/milestone.yaml", "id: m1\ntasks: [\n")],
        "edited by hand",
    );
    assert_eq!(repo.tip().as_deref(), Some(broken.as_str()));
    assert_eq!(
        repo.show_file("milestones/m1/milestone.yaml"),
        "id: m1\ntasks: [\n"
    );
    let file = "milestones/m1/milestone.yaml";
    for args in READERS {
        fails_naming(&repo, args, file, &good);
    }
    let err = repo.fails(["show", "m1"], 1);
    assert!(
        err.contains(&format!("git show {broken}:{file}")),
        "says how to look at the file: {err}"
    );
    others_keep_working(&repo, file);
}

#[test]
fn a_broken_state_json_is_named_by_every_reader() {
    let (repo, good) = two_milestones();
    repo.commit_with_plumbing(
        &[("milestones/m1/state.json", "{\"step\": BROKEN\n")],
        "edited by hand",
    );
    let file = "milestones/m1/state.json";
    for args in READERS {
        fails_naming(&repo, args, file, &good);
    }
    others_keep_working(&repo, file);
}

#[test]
fn recover_restores_the_newest_readable_version_and_keeps_the_broken_one() {
    let (repo, _) = two_milestones();
    repo.ok(["state", "save", "m1", r#"{"step": 2}"#]);
    let newest_good = repo.tip().unwrap();
    let m2_before = repo.rev_parse("refs/milestones:milestones/m2").unwrap();
    let first_break = repo.commit_with_plumbing(
        &[("milestones/m1/state.json", "not json")],
        "one tool broke it",
    );
    // A second broken version on top: recover must go past it too.
    let second_break = repo.commit_with_plumbing(
        &[("milestones/m1/milestone.yaml", "id: m1\ntasks: {{{\n")],
        "another tool broke it more",
    );
    let count = repo.commit_count();

    let out = repo.ok(["recover", "m1"]);
    assert!(out.contains(&newest_good[..12]), "{out}");

    assert_eq!(repo.commit_count(), count + 1, "one more commit");
    let tip = repo.tip().unwrap();
    assert!(is_ancestor(&repo, &second_break, &tip));
    assert!(is_ancestor(&repo, &first_break, &tip));
    assert_eq!(
        repo.rev_parse("refs/milestones:milestones/m1"),
        repo.rev_parse(&format!("{newest_good}:milestones/m1")),
        "m1 is as it was at the newest readable commit"
    );
    assert_eq!(
        repo.rev_parse("refs/milestones:milestones/m2").unwrap(),
        m2_before,
        "m2 is untouched"
    );
    assert_eq!(
        repo.json(["state", "load", "m1"]),
        serde_json::json!({"step": 2})
    );
    assert_eq!(
        repo.json(["show", "m1"])["tasks"][0]["status"],
        "in_progress"
    );
    let events = repo.json(["events", "m1", "--type", "state_recovered"]);
    assert_eq!(events.as_array().unwrap().len(), 1);
    assert_eq!(events[0]["data"]["commit"], newest_good.as_str());
    assert_eq!(events[0]["commit"], tip.as_str());
    // The broken versions can still be looked at.
    assert_eq!(
        repo.git(["show", &format!("{first_break}:milestones/m1/state.json")]),
        "not json"
    );

    // Now readable: a second recover has nothing to do.
    let out = repo.ok(["recover", "m1"]);
    assert!(out.contains("nothing to recover"), "{out}");
    assert_eq!(repo.tip().unwrap(), tip);
    repo.ok(["task", "complete", "m1", "t2"]);
}

#[test]
fn recover_to_restores_any_version() {
    let (repo, _) = two_milestones();
    let early = repo.rev_parse("refs/milestones~4").unwrap();
    assert!(repo
        .rev_parse(&format!("{early}:milestones/m1/state.json"))
        .is_none());
    repo.ok(["checkpoint", "create", "m1", "mid"]);
    let mid = repo
        .rev_parse("refs/tags/milestone/m1/mid^{commit}")
        .unwrap();
    repo.ok(["task", "complete", "m1", "t2"]);

    // Readable milestones can be taken back too.
    repo.ok(["recover", "m1", "--to", &early]);
    assert_eq!(
        repo.rev_parse("refs/milestones:milestones/m1"),
        repo.rev_parse(&format!("{early}:milestones/m1"))
    );
    let show = repo.json(["show", "m1"]);
    assert!(show["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["status"] == "pending"));
    expect_failure(&repo.run(["state", "load", "m1"]), 1, "no state back then");
    let recovered = repo.json(["events", "m1", "--type", "state_recovered"]);
    assert_eq!(recovered[0]["data"]["commit"], early.as_str());

    // By checkpoint name, and out of a broken state.
    repo.commit_with_plumbing(&[("milestones/m1/milestone.yaml", ":\n- [")], "broken");
    repo.ok(["recover", "m1", "--to", "mid"]);
    assert_eq!(
        repo.rev_parse("refs/milestones:milestones/m1"),
        repo.rev_parse(&format!("{mid}:milestones/m1"))
    );
    assert_eq!(
        event_types(&repo.json(["events", "m1", "-n", "1"])),
        ["state_recovered"]
    );

    // Not a commit of the ref, or one where m1 did not exist: refused.
    repo.git(["commit", "-q", "--allow-empty", "-m", "code"]);
    let err = repo.fails(["recover", "m1", "--to", "HEAD"], 1);
    assert!(err.contains("refs/milestones"), "{err}");
    let root = repo
        .git(["rev-list", "--max-parents=0", "refs/milestones"])
        .trim()
        .to_string();
    let err = repo.fails(["recover", "m1", "--to", &root], 1);
    assert!(err.contains("m1"), "{err}");
    repo.fails(["recover", "nope"], 1);
}

#[test]
fn a_milestone_broken_from_its_first_version_points_to_recover_to() {
    let repo = TestRepo::new();
    repo.ok(["new", "m2"]);
    let before = repo.tip().unwrap();
    repo.commit_with_plumbing(
        &[("milestones/m1/milestone.yaml", "id: m1\ntitle: [\n")],
        "added by another tool",
    );
    let err = repo.fails(["show", "m1"], 1);
    assert!(err.contains("milestones/m1/milestone.yaml"), "{err}");
    assert!(err.contains("recover m1 --to"), "{err}");
    let err = repo.fails(["recover", "m1"], 1);
    assert!(err.contains("milestones/m1/milestone.yaml"), "{err}");
    assert!(err.contains("--to"), "{err}");
    // Going back to a commit where it did not exist is refused, not a deletion.
    repo.fails(["recover", "m1", "--to", &before], 1);
    repo.ok(["show", "m2"]);
}

/// `m1` broken by hand; `m2` readable with an ended session and a pending approval of
/// its workflow task `k`. Returns the id of that approval.
fn broken_m1_and_busy_m2(repo: &TestRepo) -> String {
    repo.ok(["new", "m1"]);
    repo.ok(["new", "m2"]);
    repo.ok(["task", "add", "m2", "k", "--kiro"]);
    repo.ok(["session", "start", "m2"]);
    repo.ok(["session", "end"]);
    repo.ok(["phase", "set", "m2", "k", "design", "completed"]);
    repo.ok(["phase", "advance", "m2", "k"]);
    let approval = repo.json(["approval", "list", "m2"])[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    repo.commit_with_plumbing(&[("milestones/m1/milestone.yaml", "id: [\n")], "broken");
    approval
}

#[test]
fn deciding_another_milestones_approval_works_while_one_is_broken() {
    let repo = TestRepo::new();
    let approval = broken_m1_and_busy_m2(&repo);
    repo.ok(["approval", "approve", &approval, "--role", "lead"]);
    assert_eq!(
        repo.json(["show", "m2"])["tasks"][0]["kiro_workflow"]["current_phase"],
        "spec"
    );
}

#[test]
fn session_and_approval_listings_still_show_the_readable_milestones() {
    let repo = TestRepo::new();
    let approval = broken_m1_and_busy_m2(&repo);
    for (args, expected) in [
        (["session", "list", "--json"], "m2"),
        (["approval", "list", "--json"], approval.as_str()),
    ] {
        let output = repo.run(args);
        let err = expect_failure(&output, 1, &format!("{args:?}"));
        assert!(
            err.contains("milestones/m1/milestone.yaml"),
            "{args:?}: {err}"
        );
        let listed: Value = serde_json::from_str(&stdout(&output))
            .unwrap_or_else(|e| panic!("{args:?} prints the readable ones ({e})"));
        assert!(listed.to_string().contains(expected), "{args:?}: {listed}");
    }
}

#[test]
fn monitor_and_cleanup_of_every_milestone_still_handle_the_readable_ones() {
    let repo = TestRepo::new();
    repo.ok(["new", "m1"]);
    repo.ok(["new", "m2"]);
    repo.ok(["task", "add", "m2", "k", "--kiro"]);
    repo.ok(["phase", "set", "m2", "k", "design", "completed"]);
    repo.ok_at("2020-01-01T00:00:00Z", ["session", "start", "m2"]);
    repo.ok_at("2020-01-01T01:00:00Z", ["session", "end"]);
    repo.commit_with_plumbing(&[("milestones/m1/milestone.yaml", "id: [\n")], "broken");
    let monitor = repo.run(["monitor"]);
    expect_failure(&monitor, 1, "monitor names the broken milestone");
    assert_eq!(
        repo.json(["show", "m2"])["tasks"][0]["kiro_workflow"]["phases"]["design"]["status"],
        "waiting_approval",
        "m2 was monitored"
    );
    let cleanup = repo.run(["cleanup"]);
    expect_failure(&cleanup, 1, "cleanup names the broken milestone");
    assert_eq!(
        repo.json(["session", "list", "m2"])
            .as_array()
            .unwrap()
            .len(),
        0,
        "m2's old session was cleaned"
    );
}
