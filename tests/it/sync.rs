//! `sync` against real remotes: a bare repository by relative and absolute path, and a
//! `git daemon` serving `git://` on 127.0.0.1. Every remote refuses non-fast-forward
//! updates, so a forced push would fail the test.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{expect_failure, expect_ok, hermetic, output_of, TestRepo};

/// Clone A (a worktree with a commit on main and refs/milestones initialized) and the
/// bare remote `origin` next to it, added to A by relative path.
struct Net {
    a: TestRepo,
    remote: PathBuf,
}

impl Net {
    fn new() -> Self {
        let a = TestRepo::uninitialized();
        a.git(["commit", "-q", "--allow-empty", "-m", "base"]);
        let remote = a.root().join("remote.git");
        let net = Net { a, remote };
        let mut init = hermetic("git", &net.a.home);
        init.args(["init", "-q", "--bare", "-b", "main"])
            .arg(&net.remote);
        expect_ok(&output_of(&mut init, None), "git init --bare");
        net.remote_git(["config", "receive.denyNonFastForwards", "true"]);
        net.remote_git(["config", "receive.denyDeletes", "true"]);
        net.a.git(["remote", "add", "origin", "../remote.git"]);
        net.a.git(["push", "-q", "origin", "main"]);
        net.a.ok(["init"]);
        net
    }

    /// `git` in the bare remote.
    fn remote_git<I, S>(&self, args: I) -> String
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let mut cmd = hermetic("git", &self.a.home);
        cmd.current_dir(&self.remote).args(args);
        expect_ok(&output_of(&mut cmd, None), &format!("{cmd:?}"))
    }

    /// What the remote shares: its `refs/meta/milestones`.
    fn wire(&self) -> Option<String> {
        let mut cmd = hermetic("git", &self.a.home);
        cmd.current_dir(&self.remote)
            .args(["rev-parse", "--verify", "-q", "refs/meta/milestones"]);
        let output = output_of(&mut cmd, None);
        output
            .status
            .success()
            .then(|| String::from_utf8(output.stdout).unwrap().trim().to_string())
    }

    /// A fresh `git clone` of the remote, by absolute path.
    fn clone(&self) -> TestRepo {
        TestRepo::clone_of(self.remote.to_str().unwrap())
    }

    /// Runs `sync` in `repo` with extra arguments, checking that the remote only moved
    /// forward; returns the `--json` report.
    fn sync(&self, repo: &TestRepo, extra: &[&str]) -> Value {
        let before = self.wire();
        let mut args = vec!["sync"];
        args.extend_from_slice(extra);
        let report = repo.json(&args);
        self.assert_moved_forward(before.as_deref());
        report
    }

    fn assert_moved_forward(&self, before: Option<&str>) {
        if let (Some(before), Some(after)) = (before, self.wire()) {
            let mut cmd = hermetic("git", &self.a.home);
            cmd.current_dir(&self.remote)
                .args(["merge-base", "--is-ancestor", before, &after]);
            assert!(
                output_of(&mut cmd, None).status.success(),
                "the remote's old tip {before} is not an ancestor of its new tip {after}"
            );
        }
    }
}

fn tree(repo: &TestRepo) -> String {
    repo.rev_parse("refs/milestones^{tree}").unwrap()
}

fn parents(repo: &TestRepo, rev: &str) -> Vec<String> {
    repo.git(["rev-list", "--parents", "-n", "1", rev])
        .split_whitespace()
        .skip(1)
        .map(str::to_string)
        .collect()
}

fn task_status(repo: &TestRepo, milestone: &str, task: &str) -> String {
    let show = repo.json(["show", milestone]);
    show["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == task)
        .unwrap_or_else(|| panic!("no task {task}: {show:#}"))["status"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Both clones start from the same milestone m1 with tasks t1, t2, already synced.
fn two_clones() -> (Net, TestRepo) {
    let net = Net::new();
    net.a.milestone_with_tasks("m1", &["t1", "t2"]);
    net.sync(&net.a, &[]);
    let b = net.clone();
    net.sync(&b, &[]);
    assert_eq!(b.tip(), net.a.tip());
    (net, b)
}

#[test]
fn the_first_push_and_a_fresh_clone_that_syncs() {
    let net = Net::new();
    net.a.milestone_with_tasks("m1", &["t1"]);
    let branches = net.a.git(["branch", "-a"]);

    let report = net.sync(&net.a, &[]);
    for field in ["remote", "fetched", "merged", "pushed", "ops_merged"] {
        assert!(report.get(field).is_some(), "{field}: {report:#}");
    }
    assert_eq!(report["remote"], "origin");
    assert_eq!(report["fetched"], false);
    assert_eq!(report["merged"], false);
    assert_eq!(report["pushed"], true);
    assert_eq!(report["ops_merged"], 0);

    // The remote shares it under refs/meta/milestones, nothing under refs/milestones.
    let tip = net.a.tip().unwrap();
    assert_eq!(net.wire().as_deref(), Some(tip.as_str()));
    // Beside it, A's own ref, which only A pushes (its id is in A's config).
    let remote_refs = net.remote_git(["for-each-ref", "--format=%(refname)"]);
    let own = format!(
        "refs/meta/milestones-by/{}",
        net.a.git(["config", "milestone.cloneId"]).trim()
    );
    assert_eq!(
        remote_refs.lines().collect::<Vec<_>>(),
        ["refs/heads/main", "refs/meta/milestones", own.as_str()]
    );
    assert_eq!(net.remote_git(["rev-parse", &own]).trim(), tip);
    // A keeps what it knows of the remote out of branches and remote-tracking refs.
    assert_eq!(
        net.a
            .rev_parse("refs/milestone-remotes/origin/milestones")
            .as_deref(),
        Some(tip.as_str())
    );
    assert_eq!(net.a.git(["branch", "-a"]), branches);

    // A clone does not fetch refs/meta/milestones by itself.
    let b = net.clone();
    assert!(b.git(["remote", "get-url", "origin"]).starts_with('/'));
    assert_eq!(b.tip(), None);
    expect_failure(&b.run(["show", "m1"]), 1, "show before sync");
    let branches = b.git(["branch", "-a"]);
    let report = net.sync(&b, &[]);
    assert_eq!(report["fetched"], true);
    assert_eq!(report["merged"], false);
    assert_eq!(report["pushed"], false, "nothing new to push");
    assert_eq!(b.tip().as_deref(), Some(tip.as_str()));
    assert_eq!(b.json(["show", "m1"])["tasks"][0]["id"], "t1");
    assert_eq!(b.git(["branch", "-a"]), branches, "no new branches");
    let tracking = b.git([
        "for-each-ref",
        "--format=%(refname)",
        "refs/milestone-remotes/",
    ]);
    assert_eq!(
        tracking.lines().collect::<Vec<_>>(),
        [
            "refs/milestone-remotes/origin/milestones".to_string(),
            own.replace("refs/meta/", "refs/milestone-remotes/origin/")
        ]
    );
    // B only read: it has no id and no ref of its own on the remote yet.
    assert!(b.git_output(["config", "milestone.cloneId"]).status.code() == Some(1));
    assert_eq!(
        b.git(["for-each-ref", "--format=%(refname)", "refs/remotes/"])
            .lines()
            .filter(|r| r.contains("milestone"))
            .count(),
        0
    );

    // Syncing again changes nothing anywhere.
    let count = b.commit_count();
    let report = net.sync(&b, &[]);
    assert_eq!(report["fetched"], false);
    assert_eq!(report["pushed"], false);
    assert_eq!(b.commit_count(), count);
    let text = b.ok(["sync"]);
    assert!(text.contains("origin"), "{text}");
}

#[test]
fn divergent_edits_of_different_tasks_both_survive() {
    let (net, b) = two_clones();
    let base = net.a.tip().unwrap();
    net.a.ok(["task", "complete", "m1", "t1"]);
    let a_op = net.a.tip().unwrap();
    b.ok(["task", "start", "m1", "t2"]);
    b.ok(["state", "save", "m1", r#"{"from": "b"}"#]);
    let b_op = b.tip().unwrap();

    let report = net.sync(&net.a, &[]);
    assert_eq!(report["merged"], false);
    assert_eq!(report["pushed"], true);
    let report = net.sync(&b, &[]);
    assert_eq!(report["fetched"], true);
    assert_eq!(report["merged"], true);
    assert_eq!(report["pushed"], true);
    assert_eq!(report["ops_merged"], 3, "one operation from A, two from B");

    let merge = b.tip().unwrap();
    assert_eq!(parents(&b, &merge), [b_op.clone(), a_op.clone()]);
    assert_eq!(net.wire().as_deref(), Some(merge.as_str()));
    let record = b.record(&merge);
    assert_eq!(record["op"]["type"], "merge");
    assert_eq!(record["op"]["base"], base.as_str());
    let resolved: Vec<_> = record["op"]["resolved"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["commit"].as_str().unwrap().to_string())
        .collect();
    assert!(
        resolved.contains(&a_op) && resolved.contains(&b_op),
        "{record:#}"
    );

    let report = net.sync(&net.a, &[]);
    assert_eq!(report["merged"], false, "A fast-forwards");
    assert_eq!(net.a.tip().as_deref(), Some(merge.as_str()));
    for repo in [&net.a, &b] {
        assert_eq!(task_status(repo, "m1", "t1"), "completed");
        assert_eq!(task_status(repo, "m1", "t2"), "in_progress");
        assert_eq!(
            repo.json(["state", "load", "m1"]),
            serde_json::json!({"from": "b"})
        );
    }
}

/// Objects of `repo` that no ref (nor reflog) reaches.
fn unreachable_objects(repo: &TestRepo) -> Vec<String> {
    repo.git(["fsck", "--unreachable", "--no-reflogs", "--no-progress"])
        .lines()
        .filter(|l| l.starts_with("unreachable"))
        .map(str::to_string)
        .collect()
}

#[test]
fn a_merge_writes_no_state_but_those_that_stay() {
    let (net, b) = two_clones();
    // Interleaved by their clocks, the two sides' operations replay through states
    // neither clone ever had.
    for round in 0..6 {
        net.a
            .ok(["state", "save", "m1", &format!(r#"{{"a": {round}}}"#)]);
        b.ok(["task", "add", "m1", &format!("b{round}")]);
    }
    net.sync(&net.a, &[]);
    assert!(unreachable_objects(&b).is_empty());
    let report = net.sync(&b, &[]);
    assert_eq!(report["merged"], true, "{report:#}");
    assert_eq!(report["ops_merged"], 12, "{report:#}");
    assert_eq!(
        unreachable_objects(&b),
        Vec::<String>::new(),
        "the replay's intermediate states stay in memory"
    );
    assert_eq!(task_status(&b, "m1", "b5"), "pending");
    assert_eq!(b.json(["state", "load", "m1"]), serde_json::json!({"a": 5}));
    b.git(["fsck", "--strict", "--no-progress"]);
}

#[test]
fn a_merge_reads_and_writes_the_object_folder_gits_environment_names() {
    let (net, b) = two_clones();
    net.a.ok(["task", "complete", "m1", "t1"]);
    net.sync(&net.a, &[]);
    b.ok(["task", "start", "m1", "t2"]);
    // B's objects move to a folder only GIT_OBJECT_DIRECTORY names.
    let moved = b.root().join("moved-objects");
    let objects = b.path.join(".git/objects");
    std::fs::rename(&objects, &moved).unwrap();
    std::fs::create_dir_all(objects.join("pack")).unwrap();
    let moved = moved.to_str().unwrap();
    let env = [("GIT_OBJECT_DIRECTORY", moved)];
    let output = b.run_env(&env, ["sync", "--json"]);
    let report: Value = serde_json::from_str(&expect_ok(&output, "sync")).unwrap();
    assert_eq!(report["merged"], true, "{report:#}");
    b.git_env(&env, ["fsck", "--strict", "--no-progress"]);
    let show = b.run_env(&env, ["show", "m1", "--json"]);
    let show: Value = serde_json::from_str(&expect_ok(&show, "show")).unwrap();
    let status = |id: &str| {
        show["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == id)
            .unwrap()["status"]
            .clone()
    };
    assert_eq!(status("t1"), "completed");
    assert_eq!(status("t2"), "in_progress");
}

#[test]
fn conflicting_edits_of_one_task_end_the_same_on_both_clones() {
    let (net, b) = two_clones();
    net.a.ok(["task", "set", "m1", "t1", "completed"]);
    let a_op = net.a.tip().unwrap();
    b.ok(["task", "set", "m1", "t1", "blocked"]);
    let b_op = b.tip().unwrap();

    for _ in 0..2 {
        net.sync(&net.a, &[]);
        net.sync(&b, &[]);
    }
    assert_eq!(tree(&net.a), tree(&b));
    assert_eq!(net.a.tip(), b.tip());
    assert_eq!(net.wire(), b.tip());
    let status = task_status(&net.a, "m1", "t1");
    assert!(
        ["completed", "blocked"].contains(&status.as_str()),
        "{status}"
    );
    assert_eq!(task_status(&b, "m1", "t1"), status);

    // One merge commit with both operations as parents, listing what it resolved.
    let merges = b.git(["rev-list", "--merges", "refs/milestones"]);
    let merges: Vec<_> = merges.lines().collect();
    assert_eq!(merges.len(), 1, "{merges:?}");
    assert_eq!(parents(&b, merges[0]), [b_op.clone(), a_op.clone()]);
    let record = b.record(merges[0]);
    let resolved = record["op"]["resolved"].as_array().unwrap();
    assert_eq!(resolved.len(), 2, "{record:#}");
    for r in resolved {
        assert_eq!(r["op"], "set_task_status", "{record:#}");
        assert!(r["outcome"].is_string(), "{record:#}");
    }
    let commits: Vec<_> = resolved
        .iter()
        .map(|r| r["commit"].as_str().unwrap())
        .collect();
    assert!(commits.contains(&a_op.as_str()) && commits.contains(&b_op.as_str()));
    let summary = b.git(["log", "-1", "--format=%s", merges[0]]);
    assert!(summary.contains("merge 2 operations"), "{summary}");
    // Both changes are in the event log of both clones.
    for repo in [&net.a, &b] {
        let changes = repo.json(["events", "m1", "--type", "task_status_changed"]);
        let news: Vec<_> = changes
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["data"]["new_status"].as_str().unwrap().to_string())
            .collect();
        assert!(news.contains(&"completed".to_string()), "{news:?}");
        assert!(news.contains(&"blocked".to_string()), "{news:?}");
    }
}

/// The `git` the tests would run.
fn real_git() -> PathBuf {
    std::env::var_os("PATH")
        .map(|path| {
            std::env::split_paths(&path)
                .map(|dir| dir.join("git"))
                .find(|candidate| candidate.is_file())
                .expect("git on PATH")
        })
        .expect("PATH is set")
}

/// Runs `sync --json` in A with a `git` that lets clone `other` sync just before A's
/// first push: the remote moves between A's fetch and A's push.
fn sync_racing(net: &Net, other: &TestRepo) -> Value {
    let bin = net.a.sibling_dir("racing-bin");
    let marker = net.a.root().join("raced");
    let script = net.a.script(
        "racing-git",
        "if [ \"$3\" = push ] && [ ! -e \"$RACE_MARKER\" ]; then\n\
         : > \"$RACE_MARKER\"\n\
         (cd \"$RACE_OTHER\" && \"$RACE_BIN\" -q sync) >/dev/null 2>&1 || exit 97\n\
         fi\n\
         exec \"$REAL_GIT\" \"$@\"",
    );
    std::fs::rename(&script, bin.join("git")).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let real = real_git();
    let before = net.wire();
    let output = net.a.run_env(
        &[
            ("PATH", path.as_str()),
            ("REAL_GIT", real.to_str().unwrap()),
            ("RACE_MARKER", marker.to_str().unwrap()),
            ("RACE_OTHER", other.path.to_str().unwrap()),
            ("RACE_BIN", crate::common::BIN),
        ],
        ["sync", "--json"],
    );
    let report: Value = serde_json::from_str(&expect_ok(&output, "sync during a race")).unwrap();
    assert!(marker.exists(), "the race happened");
    net.assert_moved_forward(before.as_deref());
    report
}

/// The remote's `ref`, if it has it.
fn remote_tip(net: &Net, name: &str) -> Option<String> {
    let mut cmd = hermetic("git", &net.a.home);
    cmd.current_dir(&net.remote)
        .args(["rev-parse", "--verify", "-q", name]);
    let output = output_of(&mut cmd, None);
    output
        .status
        .success()
        .then(|| String::from_utf8(output.stdout).unwrap().trim().to_string())
}

fn own_ref(repo: &TestRepo) -> String {
    let id = repo.git(["config", "milestone.cloneId"]);
    format!("refs/meta/milestones-by/{}", id.trim())
}

#[test]
fn two_clones_syncing_at_the_same_moment_both_succeed_without_retrying() {
    let (net, b) = two_clones();
    net.a.ok(["task", "complete", "m1", "t1"]);
    b.ok(["task", "complete", "m1", "t2"]);
    let b_op = b.tip().unwrap();

    // B's sync lands between A's fetch and A's push. A's own ref goes in all the
    // same; the shared ref, which B moved, is left for the next sync: nobody waits.
    let report = sync_racing(&net, &b);
    assert_eq!(report["retries"], 0, "{report:#}");
    assert_eq!(report["pushed"], true, "{report:#}");
    assert_eq!(report["shared_behind"], true, "{report:#}");
    assert_eq!(report["merged"], false, "{report:#}");
    let a_op = net.a.tip().unwrap();
    assert_eq!(remote_tip(&net, &own_ref(&net.a)), Some(a_op.clone()));
    assert_eq!(remote_tip(&net, &own_ref(&b)), Some(b_op.clone()));
    assert_ne!(own_ref(&net.a), own_ref(&b));

    // The next syncs carry both forward, and both clones converge.
    let report = net.sync(&b, &[]);
    assert_eq!(report["merged"], true, "B takes A's own ref: {report:#}");
    net.sync(&net.a, &[]);
    let tip = net.a.tip().unwrap();
    assert_eq!(b.tip().as_deref(), Some(tip.as_str()));
    assert_eq!(net.wire().as_deref(), Some(tip.as_str()));
    for op in [&a_op, &b_op] {
        assert!(net
            .a
            .git_output(["merge-base", "--is-ancestor", op, &tip])
            .status
            .success());
    }
    for repo in [&net.a, &b] {
        assert_eq!(task_status(repo, "m1", "t1"), "completed");
        assert_eq!(task_status(repo, "m1", "t2"), "completed");
        assert_eq!(repo.json(["show", "m1"])["status"], "completed");
    }
}

#[test]
fn a_copied_clone_sharing_an_id_falls_back_to_merging_again_without_force() {
    let (net, b) = two_clones();
    // B was copied from A, config and all: both push the same own ref.
    b.git([
        "config",
        "milestone.cloneId",
        net.a.git(["config", "milestone.cloneId"]).trim(),
    ]);
    net.a.ok(["task", "complete", "m1", "t1"]);
    b.ok(["task", "complete", "m1", "t2"]);
    let b_op = b.tip().unwrap();
    let report = sync_racing(&net, &b);
    assert!(report["retries"].as_u64().unwrap() >= 1, "{report:#}");
    assert_eq!(report["merged"], true, "{report:#}");
    assert_eq!(report["pushed"], true, "{report:#}");
    let tip = net.a.tip().unwrap();
    assert_eq!(net.wire().as_deref(), Some(tip.as_str()));
    assert_eq!(
        remote_tip(&net, &own_ref(&net.a)).as_deref(),
        Some(tip.as_str())
    );
    assert!(net
        .a
        .git_output(["merge-base", "--is-ancestor", &b_op, &tip])
        .status
        .success());
    assert_eq!(task_status(&net.a, "m1", "t1"), "completed");
    assert_eq!(task_status(&net.a, "m1", "t2"), "completed");
}

#[test]
fn a_shared_ref_moved_during_the_push_is_left_for_the_next_sync() {
    let (net, b) = two_clones();
    b.ok(["task", "start", "m1", "t2"]);
    let b_op = b.tip().unwrap();
    // B's operation reaches the remote's objects, not its shared ref…
    b.git(["push", "-q", "origin", "refs/milestones:refs/heads/parked"]);
    // …until A's push is being received: then the remote moves, as when another
    // push is accepted in the meantime.
    let marker = net.a.root().join("moved");
    let hook = net.remote.join("hooks").join("pre-receive");
    std::fs::write(
        &hook,
        format!(
            "#!/bin/sh
             if [ ! -e '{marker}' ]; then
             : > '{marker}'
             env -u GIT_QUARANTINE_PATH -u GIT_OBJECT_DIRECTORY \
                 -u GIT_ALTERNATE_OBJECT_DIRECTORIES \
                 git update-ref refs/meta/milestones {b_op} >&2
             fi
",
            marker = marker.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();

    net.a.ok(["task", "start", "m1", "t1"]);
    let a_op = net.a.tip().unwrap();
    let said = net.a.ok(["sync", "--verbose"]);
    assert!(marker.exists(), "the remote moved during the push");
    assert!(said.contains("pushed refs/milestones"), "{said}");
    assert!(
        said.contains("refs/meta/milestones moved on meanwhile"),
        "--verbose says so: {said}"
    );
    assert_eq!(remote_tip(&net, &own_ref(&net.a)), Some(a_op));
    assert_eq!(net.wire(), Some(b_op));
    // The next sync takes B's operation and moves the shared ref on.
    let report = net.sync(&net.a, &[]);
    assert_eq!(report["merged"], true, "{report:#}");
    assert_eq!(report["shared_behind"], false, "{report:#}");
    assert_eq!(net.wire(), net.a.tip());
    assert_eq!(task_status(&net.a, "m1", "t2"), "in_progress");
}

#[test]
fn a_checkpoint_removed_by_cleanup_stays_removed_after_sync() {
    let (net, _b) = two_clones();
    net.remote_git(["config", "receive.denyDeletes", "false"]);
    net.a.ok(["checkpoint", "create", "m1", "keep"]);
    net.a.ok_at(
        "2020-01-01T00:00:00Z",
        ["checkpoint", "restore", "m1", "keep"],
    );
    net.sync(&net.a, &[]);
    let old = "refs/tags/milestone/m1/pre-restore-20200101-000000";
    assert!(net.a.rev_parse(old).is_some());
    net.a.ok(["cleanup"]);
    assert!(net.a.rev_parse(old).is_none());
    net.sync(&net.a, &[]);
    assert!(
        net.a.rev_parse(old).is_none(),
        "the cleaned checkpoint came back from the remote"
    );
}

#[test]
fn a_remote_that_moved_is_merged_before_pushing() {
    let (net, b) = two_clones();
    b.ok(["task", "start", "m1", "t2"]);
    net.sync(&b, &[]);
    let remote_before = net.wire().unwrap();
    net.a.ok(["task", "start", "m1", "t1"]);
    let report = net.sync(&net.a, &[]);
    assert_eq!(report["merged"], true);
    assert_eq!(report["pushed"], true);
    let tip = net.a.tip().unwrap();
    assert_eq!(net.wire().as_deref(), Some(tip.as_str()));
    assert!(parents(&net.a, &tip).contains(&remote_before));
}

#[test]
fn no_push_leaves_the_remote_unchanged() {
    let (net, b) = two_clones();
    let remote_before = net.wire();
    net.a.ok(["task", "complete", "m1", "t1"]);
    let report = net.sync(&net.a, &["--no-push"]);
    assert_eq!(report["pushed"], false);
    assert_eq!(net.wire(), remote_before);

    // Incoming work is merged locally, still without pushing.
    b.ok(["task", "complete", "m1", "t2"]);
    net.sync(&b, &[]);
    let remote_now = net.wire();
    let report = net.sync(&net.a, &["--no-push"]);
    assert_eq!(report["merged"], true);
    assert_eq!(report["pushed"], false);
    assert_eq!(net.wire(), remote_now);
    assert_eq!(task_status(&net.a, "m1", "t2"), "completed");
    let text = net.a.ok(["sync", "--no-push"]);
    assert!(text.contains("--no-push"), "{text}");

    let report = net.sync(&net.a, &[]);
    assert_eq!(report["pushed"], true);
    assert_eq!(net.wire(), net.a.tip());
}

#[test]
fn checkpoints_travel_with_sync() {
    let (net, b) = two_clones();
    net.a.ok(["checkpoint", "create", "m1", "reviewed"]);
    let tag = "refs/tags/milestone/m1/reviewed";
    let tag_object = net.a.rev_parse(tag).unwrap();
    let report = net.sync(&net.a, &[]);
    assert_eq!(report["tags_pushed"], 1, "{report:#}");
    assert_eq!(
        net.remote_git(["rev-parse", tag]).trim(),
        tag_object.as_str()
    );

    assert!(b.rev_parse(tag).is_none());
    let report = net.sync(&b, &[]);
    assert_eq!(report["tags_fetched"], 1, "{report:#}");
    assert_eq!(b.rev_parse(tag).as_deref(), Some(tag_object.as_str()));
    assert_eq!(b.git(["cat-file", "-t", tag]).trim(), "tag");
    let list = b.json(["checkpoint", "list", "m1"]);
    assert_eq!(list[0]["name"], "reviewed");
    assert_eq!(list[0], net.a.json(["checkpoint", "list", "m1"])[0]);
    b.ok(["task", "complete", "m1", "t1"]);
    b.ok(["checkpoint", "restore", "m1", "reviewed"]);
    assert_eq!(task_status(&b, "m1", "t1"), "pending");
    // B's automatic checkpoint stays in B, unless B shares them.
    let report = net.sync(&b, &[]);
    assert_eq!(report["tags_pushed"], 0, "{report:#}");
    assert_eq!(
        b.json(["checkpoint", "list", "m1"])
            .as_array()
            .unwrap()
            .len(),
        2
    );
    b.git(["config", "milestone.pushAutoCheckpoints", "true"]);
    let report = net.sync(&b, &[]);
    assert_eq!(report["tags_pushed"], 1, "{report:#}");
    net.sync(&net.a, &[]);
    assert_eq!(
        net.a.json(["checkpoint", "list", "m1"]),
        b.json(["checkpoint", "list", "m1"])
    );
}

#[test]
fn a_bad_remote_is_a_clear_error() {
    let net = Net::new();
    net.a.ok(["new", "m1"]);
    let err = net.a.fails(["sync", "nosuchremote"], 1);
    assert!(err.contains("no remote named nosuchremote"), "{err}");
    assert!(err.contains("the remotes are: "), "{err}");
    assert!(!err.contains("bug"), "{err}");
    let missing = net.a.root().join("missing.git");
    let err = net.a.fails(["sync", missing.to_str().unwrap()], 1);
    assert!(err.contains("missing.git"), "{err}");
    assert_eq!(net.wire(), None, "nothing reached origin");
    assert!(net
        .a
        .git(["for-each-ref", "refs/milestone-remotes/"])
        .is_empty());
}

#[test]
fn nothing_on_either_side_is_a_clear_error() {
    let repo = TestRepo::uninitialized();
    let remote = repo.root().join("empty.git");
    let mut init = hermetic("git", &repo.home);
    init.args(["init", "-q", "--bare"]).arg(&remote);
    expect_ok(&output_of(&mut init, None), "git init --bare");
    repo.git(["remote", "add", "origin", remote.to_str().unwrap()]);
    let output = repo.run(["sync"]);
    let err = expect_failure(&output, 1, "sync with nothing anywhere");
    assert!(err.contains("git milestone init"), "{err}");
    assert_eq!(repo.tip(), None);
}

/// A `git daemon` serving a folder on 127.0.0.1, killed when dropped.
struct Daemon {
    child: Child,
    port: u16,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where git keeps its own programs (`git --exec-path`).
fn git_exec_path() -> PathBuf {
    let output = std::process::Command::new("git")
        .arg("--exec-path")
        .output()
        .expect("git runs");
    PathBuf::from(String::from_utf8(output.stdout).unwrap().trim())
}

impl Daemon {
    fn serve(home: &Path, base: &Path) -> Daemon {
        for _ in 0..5 {
            let port = TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            // git-daemon itself, not `git daemon`: killing the `git` wrapper would
            // leave the daemon it started running after the test.
            let child = hermetic(git_exec_path().join("git-daemon"), home)
                .arg("--reuseaddr")
                .arg(format!("--base-path={}", base.display()))
                .arg("--export-all")
                .arg("--enable=receive-pack")
                .arg("--informative-errors")
                .arg("--listen=127.0.0.1")
                .arg(format!("--port={port}"))
                .arg(base)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("git daemon starts");
            let mut daemon = Daemon { child, port };
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return daemon;
                }
                if daemon.child.try_wait().unwrap().is_some() || Instant::now() > deadline {
                    break; // the port was taken meanwhile: another one
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        panic!("git daemon did not start");
    }

    fn url(&self, repo: &str) -> String {
        format!("git://127.0.0.1:{}/{repo}", self.port)
    }
}

#[test]
fn sync_over_the_git_protocol() {
    let net = Net::new();
    let daemon = Daemon::serve(&net.a.home, &net.a.root());
    let url = daemon.url("remote.git");
    net.a.git(["remote", "add", "daemon", &url]);
    net.a.milestone_with_tasks("m1", &["t1", "t2"]);
    net.a.ok(["checkpoint", "create", "m1", "first"]);

    let report = net.sync(&net.a, &["daemon"]);
    assert_eq!(report["remote"], "daemon");
    assert_eq!(report["pushed"], true, "{report:#}");
    assert_eq!(net.wire(), net.a.tip());

    let b = TestRepo::clone_of(&url);
    assert_eq!(b.tip(), None);
    net.sync(&b, &[]);
    assert_eq!(b.tip(), net.a.tip());
    assert!(b.rev_parse("refs/tags/milestone/m1/first").is_some());

    b.ok(["task", "complete", "m1", "t2"]);
    net.a.ok(["task", "complete", "m1", "t1"]);
    net.sync(&b, &[]);
    let report = net.sync(&net.a, &["daemon"]);
    assert_eq!(report["merged"], true);
    assert_eq!(report["pushed"], true);
    net.sync(&b, &[]);
    assert_eq!(tree(&net.a), tree(&b));
    assert_eq!(b.json(["show", "m1"])["status"], "completed");
    // A's tracking refs are per remote.
    assert!(net
        .a
        .rev_parse("refs/milestone-remotes/daemon/milestones")
        .is_some());
    drop(daemon);
}
