//! `sync` when what comes from the remote is damaged: a milestone broken by plain git
//! on another clone and pushed, or a remote ref that is not a commit at all. The other
//! clones keep syncing, their other milestones stay usable, the broken one says which
//! file and how to recover, and after `recover` every clone agrees again.

use std::path::PathBuf;

use serde_json::Value;

use crate::common::{expect_failure, hermetic, output_of, stdout, TestRepo};

const BROKEN_YAML: &str = "id: m1\ntasks: [\n";
const FILE: &str = "milestones/m1/milestone.yaml";

/// A bare remote and clone A, which made m1 (task t1, a saved state) and m2 (task x)
/// and pushed them with `sync`.
struct Net {
    a: TestRepo,
    remote: PathBuf,
}

impl Net {
    fn new() -> Self {
        let a = TestRepo::uninitialized();
        let remote = a.root().join("remote.git");
        let mut init = hermetic("git", &a.home);
        init.args(["init", "-q", "--bare", "-b", "main"])
            .arg(&remote);
        assert!(output_of(&mut init, None).status.success());
        let net = Net { a, remote };
        net.remote_git(&["config", "receive.denyNonFastForwards", "true"]);
        net.a.git(["commit", "-q", "--allow-empty", "-m", "base"]);
        net.a
            .git(["remote", "add", "origin", net.remote.to_str().unwrap()]);
        net.a.git(["push", "-q", "origin", "main"]);
        net.a.ok(["init"]);
        net.a.milestone_with_tasks("m1", &["t1"]);
        net.a.ok(["state", "save", "m1", r#"{"step": 1}"#]);
        net.a.milestone_with_tasks("m2", &["x"]);
        net.a.ok(["sync"]);
        net
    }

    fn remote_git(&self, args: &[&str]) -> String {
        let mut cmd = hermetic("git", &self.a.home);
        cmd.current_dir(&self.remote).args(args);
        let output = output_of(&mut cmd, None);
        assert!(output.status.success(), "{cmd:?}");
        stdout(&output)
    }

    /// A new clone that has synced.
    fn clone(&self) -> TestRepo {
        let clone = TestRepo::clone_of(self.remote.to_str().unwrap());
        clone.ok(["sync"]);
        let shared = self.remote_git(&["rev-parse", "refs/meta/milestones"]);
        assert_eq!(clone.tip().as_deref(), Some(shared.trim()));
        clone
    }

    /// A breaks m1's definition with plain git and pushes it with plain git.
    fn break_m1_on_a(&self) -> String {
        let broken = self
            .a
            .commit_with_plumbing(&[(FILE, BROKEN_YAML)], "m1 edited by hand");
        self.a.git([
            "push",
            "-q",
            "origin",
            "refs/milestones:refs/meta/milestones",
        ]);
        assert_eq!(
            self.remote_git(&["rev-parse", "refs/meta/milestones"])
                .trim(),
            broken
        );
        broken
    }
}

/// `sync --json` in `repo`, asserting success.
fn sync(repo: &TestRepo) -> Value {
    repo.json(["sync"])
}

/// Asserts that m1 cannot be read in `repo` and that the error says which file and
/// how to recover; m2 stays usable and listed.
fn m1_broken_m2_usable(repo: &TestRepo) {
    for args in [
        &["show", "m1"][..],
        &["state", "load", "m1"],
        &["export", "m1"],
    ] {
        let err = repo.fails(args, 1);
        assert!(err.contains(FILE), "{args:?} names the file: {err}");
        assert!(
            err.contains("git milestone recover m1"),
            "{args:?} says how to recover: {err}"
        );
    }
    assert_eq!(repo.json(["show", "m2"])["tasks"][0]["id"], "x");
    let output = repo.run(["list", "--json"]);
    let err = expect_failure(&output, 1, "list with a broken milestone");
    assert!(err.contains(FILE), "{err}");
    let listed: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let ids: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["m2"], "the readable milestones are still listed");
    // Writes to the other milestone work.
    repo.ok(["event", "add", "m2", "still-working"]);
}

/// Syncs every clone until none has anything new, then asserts they all hold the same
/// commit, with m1 readable and whole everywhere.
fn assert_converged(clones: &[&TestRepo]) {
    for _ in 0..2 {
        for clone in clones {
            sync(clone);
        }
    }
    let tip = clones[0].tip();
    for clone in clones {
        assert_eq!(clone.tip(), tip, "every clone holds the same tip");
    }
    let m1 = clones[0].json(["show", "m1"]);
    assert_eq!(m1["tasks"][0]["id"], "t1");
    for clone in clones {
        assert_eq!(clone.json(["show", "m1"]), m1);
        assert_eq!(clone.json(["show", "m2"]), clones[0].json(["show", "m2"]));
        let state: Value = serde_json::from_str(&clone.ok(["state", "load", "m1"])).unwrap();
        assert_eq!(state, serde_json::json!({"step": 1}));
    }
}

#[test]
fn a_milestone_broken_by_hand_on_the_remote_is_ignored_and_stays_whole() {
    let net = Net::new();
    let b = net.clone();
    let c = net.clone();
    let broken = net.break_m1_on_a();

    // B takes nothing of the hand edit as state: the commit is reported, kept in
    // history under a merge, and m1 stays as its operations made it.
    let report = sync(&b);
    assert_eq!(report["fetched"], true);
    let ignored = report["ignored"].as_array().unwrap();
    assert_eq!(ignored.len(), 1, "{report:#}");
    assert_eq!(ignored[0]["commit"], broken.as_str());
    assert!(
        ignored[0]["reason"]
            .as_str()
            .unwrap()
            .contains("not a git-milestone operation"),
        "{report:#}"
    );
    assert_eq!(report["pushed"], true, "{report:#}");
    assert_ne!(b.tip().as_deref(), Some(broken.as_str()));
    assert!(b
        .git_output(["merge-base", "--is-ancestor", &broken, "refs/milestones"])
        .status
        .success());
    assert_eq!(b.json(["show", "m1"])["tasks"][0]["id"], "t1");
    // A, whose own ref holds the hand edit, takes B's repair; a new clone agrees.
    m1_broken_m2_usable(&net.a);
    let d = net.clone();
    assert_converged(&[&b, &net.a, &c, &d]);
}

#[test]
fn a_clone_with_work_of_its_own_merges_past_a_broken_milestone() {
    let net = Net::new();
    let c = net.clone();
    // C works on both milestones while A breaks m1 and pushes.
    c.ok(["task", "add", "m2", "y"]);
    c.ok(["task", "start", "m1", "t1"]);
    c.ok(["event", "add", "m2", "c-was-here"]);
    net.break_m1_on_a();

    let report = sync(&c);
    assert_eq!(report["merged"], true, "{report:#}");
    assert_eq!(report["pushed"], true, "{report:#}");
    // C's own work survived the merge.
    let m2 = c.json(["show", "m2"]);
    let tasks: Vec<&str> = m2["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(tasks, ["x", "y"]);
    assert!(crate::common::event_types(&c.json(["events", "m2"]))
        .iter()
        .any(|t| t == "c-was-here"));
    // m1 is either whole (the merge replays operations, and the hand edit is none)
    // or broken with a way out; either way the clones can be brought to agree.
    let output = c.run(["show", "m1"]);
    if !output.status.success() {
        let err = expect_failure(&output, 1, "show m1 after the merge");
        assert!(
            err.contains(FILE) && err.contains("git milestone recover m1"),
            "{err}"
        );
        c.ok(["recover", "m1"]);
    }
    // A, which made the broken commit, and a fresh clone end up with C's result.
    let d = net.clone();
    assert_converged(&[&c, &net.a, &d]);
    assert_eq!(
        net.a.json(["show", "m1"])["tasks"][0]["status"],
        "in_progress"
    );
}

#[test]
fn a_remote_ref_that_is_not_a_commit_is_ignored_and_replaced_by_ours() {
    let net = Net::new();
    let b = net.clone();
    b.ok(["event", "add", "m2", "local"]);
    let tip = b.tip();
    // Someone points the shared ref at a blob (a forced push, allowed for this test).
    net.remote_git(&["config", "receive.denyNonFastForwards", "false"]);
    let blob = net
        .a
        .git_stdin(["hash-object", "-w", "--stdin"], "not a commit\n")
        .trim()
        .to_string();
    net.a.git([
        "push",
        "-q",
        "origin",
        &format!("+{blob}:refs/meta/milestones"),
    ]);

    let report = b.json(["sync"]);
    assert_eq!(report["ignored"][0]["commit"], blob.as_str(), "{report:#}");
    assert_eq!(
        report["ignored"][0]["reason"],
        "it names a blob, not a commit"
    );
    assert_eq!(b.tip(), tip, "nothing of the blob was taken");
    assert_eq!(
        net.remote_git(&["rev-parse", "refs/meta/milestones"])
            .trim(),
        tip.unwrap()
    );
    assert_eq!(b.json(["show", "m2"])["tasks"][0]["id"], "x");
    b.ok(["event", "add", "m2", "after"]);
}
