//! The git hooks, driven by the real `git`: install, uninstall and status (with a user's
//! own hook, core.hooksPath, managers' hooks), and what commits, merges, checkouts,
//! amends and rebases record.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use crate::common::*;

/// A repository with milestone v1 (tasks api, db, ui), a first commit, and the hooks.
fn hooked() -> TestRepo {
    let repo = TestRepo::new();
    repo.milestone_with_tasks("v1", &["api", "db", "ui"]);
    repo.git(["commit", "-q", "--allow-empty", "-m", "first"]);
    repo.ok(["hooks", "install"]);
    repo
}

/// `git` with `args` in `dir`, asserted to succeed; the whole output.
fn git_in(repo: &TestRepo, dir: &Path, args: &[&str]) -> Output {
    let mut cmd = repo.git_cmd();
    cmd.current_dir(dir).args(args);
    let output = output_of(&mut cmd, None);
    expect_ok(&output, &format!("git {args:?}"));
    output
}

/// `git commit --allow-empty` with `message`, once what its hook records is in place
/// (see [`settle`]); git's whole output.
fn commit(repo: &TestRepo, message: &str) -> Output {
    let output = commit_raw(repo, message, &[]);
    settle(repo);
    output
}

/// `git commit --allow-empty` with `message` and `env`, asserted to succeed, without
/// waiting for a recording in the background.
fn commit_raw(repo: &TestRepo, message: &str, env: &[(&str, &str)]) -> Output {
    let mut cmd = repo.git_cmd();
    cmd.args(["commit", "-q", "--allow-empty", "-m", message]);
    for (key, value) in env {
        cmd.env(key, value);
    }
    let output = output_of(&mut cmd, None);
    expect_ok(&output, "git commit");
    output
}

/// Runs a git-milestone command, which waits for the hooks recording in the background
/// and reports their problems on stderr; its whole output.
fn settle(repo: &TestRepo) -> Output {
    repo.run(["hooks", "status"])
}

/// A commit of all changes, made with no hooks at all (as if made in another clone).
fn commit_unhooked(repo: &TestRepo, message: &str) {
    let empty = repo.root().join("no-hooks");
    std::fs::create_dir_all(&empty).unwrap();
    let hooks_path = format!("core.hooksPath={}", empty.display());
    repo.git([
        "-c",
        &hooks_path,
        "commit",
        "-q",
        "-a",
        "--allow-empty",
        "-m",
        message,
    ]);
}

fn head(repo: &TestRepo) -> String {
    repo.git(["rev-parse", "HEAD"]).trim().to_string()
}

/// The events of milestone `m` of type `t`, newest first.
fn events(repo: &TestRepo, m: &str, t: &str) -> Vec<Value> {
    repo.json(["events", m, "--type", t])
        .as_array()
        .unwrap()
        .clone()
}

fn task_status(repo: &TestRepo, m: &str, t: &str) -> String {
    let show = repo.json(["show", m]);
    show["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|task| task["id"] == t)
        .unwrap_or_else(|| panic!("no task {t} in {show}"))["status"]
        .as_str()
        .unwrap()
        .to_string()
}

fn session_json(repo: &TestRepo, id: &str) -> Value {
    repo.json(["session", "show", id])
}

/// Writes an executable script at `path`.
fn script(path: &Path, text: &str, mode: u32) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .unwrap()
        .permissions()
        .mode()
        & 0o7777
}

fn hooks_dir(repo: &TestRepo) -> PathBuf {
    repo.path.join(".git/hooks")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

#[test]
fn a_users_hook_keeps_running_and_uninstall_restores_it_exactly() {
    let repo = TestRepo::new();
    repo.milestone_with_tasks("v1", &["api"]);
    let log = repo.root().join("user-hook.log");
    let hook = hooks_dir(&repo).join("post-commit");
    let text = format!(
        "#!/bin/sh\n# my own hook\necho \"$(basename \"$0\") $(git log -1 --format=%s)\" >> '{}'\necho from-my-hook\n",
        log.display()
    );
    script(&hook, &text, 0o750);

    let installed = repo.json(["hooks", "install"]);
    assert_eq!(installed["hooks"][0]["name"], "post-commit");
    assert_eq!(installed["hooks"][0]["action"], "chained");
    assert_eq!(installed["hooks"][1]["action"], "created");
    let status = repo.json(["hooks", "status"]);
    assert_eq!(status["hooks_dir"], hooks_dir(&repo).display().to_string());
    for h in status["hooks"].as_array().unwrap() {
        assert_eq!(h["state"], "installed", "{h}");
        assert_eq!(h["binary"], BIN, "{h}");
    }
    assert!(status["hooks"][0]["chained"]
        .as_str()
        .unwrap()
        .ends_with("post-commit.milestone-legacy"));
    assert_eq!(status["hooks"][1]["chained"], Value::Null);
    // Installing again changes nothing.
    let again = repo.json(["hooks", "install"]);
    assert!(again["hooks"]
        .as_array()
        .unwrap()
        .iter()
        .all(|h| h["action"] == "unchanged"));

    let session = repo.ok(["session", "start", "v1"]).trim().to_string();
    let out = commit(&repo, "with hooks");
    // The user's hook ran, saw its own name as $0, and its output reached the user.
    assert_eq!(read(&log), "post-commit with hooks\n");
    assert!(stderr(&out).contains("from-my-hook"), "{}", describe(&out));
    let recorded = events(&repo, "v1", "commit");
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0]["data"]["commit"], head(&repo));
    assert_eq!(recorded[0]["session_id"], session);

    let removed = repo.json(["hooks", "uninstall"]);
    assert_eq!(removed["hooks"][0]["action"], "restored");
    assert_eq!(removed["hooks"][2]["action"], "removed");
    assert_eq!(read(&hook), text, "the user's hook is back byte for byte");
    assert_eq!(mode(&hook), 0o750, "with its mode");
    let mut left: Vec<String> = std::fs::read_dir(hooks_dir(&repo))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| !n.ends_with(".sample"))
        .collect();
    left.sort();
    assert_eq!(left, ["post-commit"]);

    let tip = repo.tip();
    commit(&repo, "after uninstall");
    assert_eq!(
        read(&log),
        "post-commit with hooks\npost-commit after uninstall\n"
    );
    assert_eq!(repo.tip(), tip, "nothing is recorded without the hooks");
    let status = repo.json(["hooks", "status"]);
    assert_eq!(status["hooks"][0]["state"], "foreign");
    assert_eq!(status["hooks"][1]["state"], "absent");
}

#[test]
fn a_commit_in_a_session_records_a_commit_event_quietly() {
    let repo = hooked();
    let session = repo.ok(["session", "start", "v1"]).trim().to_string();
    let count = repo.commit_count();
    let out = commit(&repo, "Add the parser\n\nSome body text.");
    assert_eq!(stderr(&out), "", "a commit without trailers prints nothing");
    assert_eq!(repo.commit_count(), count + 1, "one operation per commit");
    let recorded = events(&repo, "v1", "commit");
    assert_eq!(recorded.len(), 1);
    let data = &recorded[0]["data"];
    assert_eq!(data["commit"], head(&repo));
    assert_eq!(data["branch"], "main");
    assert_eq!(data["subject"], "Add the parser");
    assert_eq!(recorded[0]["session_id"], session);

    // Without a session (and without trailers) nothing is written at all.
    repo.ok(["session", "end"]);
    let tip = repo.tip();
    let out = commit(&repo, "outside a session");
    assert_eq!(stderr(&out), "");
    assert_eq!(repo.tip(), tip);
}

#[test]
fn trailers_move_tasks_with_or_without_a_session_and_only_forward() {
    let repo = hooked();
    repo.milestone_with_tasks("v2", &["x"]);
    let count = repo.commit_count();

    // No session: only trailers naming their milestone count. Recorded before git goes
    // on, the hook says what moved.
    let out = commit_raw(
        &repo,
        "Start things\n\nTask: v1/api\nTask: db\nTask: v1/nope\nTask: v9/api\ntask: v2/x",
        &[("GIT_MILESTONE_HOOKS", "sync")],
    );
    assert_eq!(task_status(&repo, "v1", "api"), "in_progress");
    assert_eq!(task_status(&repo, "v1", "db"), "pending");
    assert_eq!(task_status(&repo, "v2", "x"), "in_progress");
    assert_eq!(
        repo.commit_count(),
        count + 2,
        "one operation per milestone touched"
    );
    let err = stderr(&out);
    let lines: Vec<&str> = err.lines().collect();
    assert!(
        lines[0].contains("v1/api → in_progress") && lines[0].contains("v2/x → in_progress"),
        "{err}"
    );
    // What moved nothing says so, one line each, at commit time.
    assert_eq!(lines.len(), 4, "{err}");
    assert!(
        err.contains("Task: db ignored: no session is current"),
        "{err}"
    );
    assert!(
        err.contains("Task: v1/nope ignored: milestone v1 has no task nope"),
        "{err}"
    );
    assert!(
        err.contains("Task: v9/api ignored: there is no milestone v9"),
        "{err}"
    );

    // The same trailer again changes nothing and writes nothing.
    let tip = repo.tip();
    commit(&repo, "Again\n\nTask: v1/api");
    assert_eq!(repo.tip(), tip);

    // In a session, `<t>` alone means the session's milestone; completed stays completed.
    repo.ok(["session", "start", "v1"]);
    commit(&repo, "Finish\n\nCompletes: api\nCompletes: db");
    assert_eq!(task_status(&repo, "v1", "api"), "completed");
    assert_eq!(task_status(&repo, "v1", "db"), "completed");
    commit(&repo, "Reopen?\n\nTask: api");
    assert_eq!(task_status(&repo, "v1", "api"), "completed");
    let moved = events(&repo, "v1", "task_status_changed");
    assert_eq!(moved[0]["data"]["trailer"], "Completes");
    assert_eq!(moved[0]["data"]["task_id"], "db");

    // A `Task:` line that is not in the trailer block moves nothing.
    commit(
        &repo,
        "Body mentions\n\nTask: ui\n\nbut this paragraph is last",
    );
    assert_eq!(task_status(&repo, "v1", "ui"), "pending");
}

#[test]
fn merges_record_the_merged_commits_and_apply_their_trailers() {
    let repo = hooked();
    let session = repo.ok(["session", "start", "v1"]).trim().to_string();
    repo.git(["branch", "feat"]);
    repo.git(["branch", "feat2"]);
    // Commits made elsewhere (no hooks) carry trailers the merge must apply.
    repo.git(["switch", "-q", "feat"]);
    commit_unhooked(&repo, "feat one\n\nTask: v1/api");
    commit_unhooked(&repo, "feat two\n\nCompletes: v1/db\nCompletes: ui");
    let feat = head(&repo);
    repo.git(["switch", "-q", "main"]);
    commit_unhooked(&repo, "main moves on");
    assert_eq!(task_status(&repo, "v1", "db"), "pending");

    let out = git_in(&repo, &repo.path, &["merge", "-q", "--no-edit", "feat"]);
    let merges = events(&repo, "v1", "merge");
    assert_eq!(merges.len(), 1, "{}", describe(&out));
    let data = &merges[0]["data"];
    assert_eq!(data["squash"], false);
    assert_eq!(data["branch"], "main");
    assert_eq!(data["head"], head(&repo));
    // ORIG_HEAD..HEAD: the two merged commits and the merge commit itself.
    assert_eq!(data["total"], 3);
    assert_eq!(data["commits"][1], feat);
    assert_eq!(data["commits"][2], head(&repo));
    assert_eq!(merges[0]["session_id"], session);
    assert_eq!(task_status(&repo, "v1", "api"), "in_progress");
    assert_eq!(task_status(&repo, "v1", "db"), "completed");
    // A short trailer of a merged commit was its committer's to resolve, at commit
    // time: the merge never reads it against the local session.
    assert_eq!(task_status(&repo, "v1", "ui"), "pending");

    // A squash merge: HEAD does not move, the squashed commits come from SQUASH_MSG.
    repo.git(["switch", "-q", "feat2"]);
    commit_unhooked(&repo, "squashed\n\nCompletes: v1/ui");
    let squashed = head(&repo);
    repo.git(["switch", "-q", "main"]);
    git_in(&repo, &repo.path, &["merge", "-q", "--squash", "feat2"]);
    let merges = events(&repo, "v1", "merge");
    assert_eq!(merges.len(), 2);
    assert_eq!(merges[0]["data"]["squash"], true);
    assert_eq!(merges[0]["data"]["commits"], serde_json::json!([squashed]));
    assert_eq!(task_status(&repo, "v1", "ui"), "completed");
}

#[test]
fn a_conflicted_merge_concluded_by_commit_is_recorded_as_a_merge() {
    let repo = hooked();
    repo.ok(["session", "start", "v1"]);
    std::fs::write(repo.path.join("f"), "base\n").unwrap();
    repo.git(["add", "f"]);
    commit_unhooked(&repo, "base");
    repo.git(["switch", "-q", "-c", "feat"]);
    std::fs::write(repo.path.join("f"), "feat\n").unwrap();
    commit_unhooked(&repo, "feat side\n\nCompletes: v1/api");
    repo.git(["switch", "-q", "main"]);
    std::fs::write(repo.path.join("f"), "main\n").unwrap();
    commit_unhooked(&repo, "main side");
    let mut cmd = repo.git_cmd();
    cmd.args(["merge", "-q", "feat"]);
    assert!(
        !output_of(&mut cmd, None).status.success(),
        "the merge conflicts"
    );
    std::fs::write(repo.path.join("f"), "both\n").unwrap();
    repo.git(["add", "f"]);
    repo.git(["commit", "-q", "--no-edit"]);
    let merges = events(&repo, "v1", "merge");
    assert_eq!(merges.len(), 1);
    assert_eq!(merges[0]["data"]["head"], head(&repo));
    assert_eq!(task_status(&repo, "v1", "api"), "completed");
}

#[test]
fn switching_branches_is_recorded_on_the_session() {
    let repo = hooked();
    let session = repo.ok(["session", "start", "v1"]).trim().to_string();
    std::fs::write(repo.path.join("f"), "one\n").unwrap();
    repo.git(["add", "f"]);
    commit(&repo, "a file");
    let count = repo.commit_count();

    git_in(&repo, &repo.path, &["switch", "-q", "-c", "feat"]);
    let s = session_json(&repo, &session);
    assert_eq!(s["git_branch"], "feat");
    assert_eq!(s["branches"][0]["branch"], "feat");
    assert_eq!(s["branches"][0]["head"], head(&repo));
    let checkouts = events(&repo, "v1", "checkout");
    assert_eq!(checkouts.len(), 1);
    assert_eq!(checkouts[0]["data"]["previous_branch"], "main");
    assert_eq!(repo.commit_count(), count + 1);

    // Checking out files, or a detached HEAD, is not a branch switch.
    std::fs::write(repo.path.join("f"), "changed\n").unwrap();
    git_in(&repo, &repo.path, &["checkout", "--", "f"]);
    git_in(&repo, &repo.path, &["checkout", "-q", "--detach"]);
    assert_eq!(repo.commit_count(), count + 1);

    git_in(&repo, &repo.path, &["checkout", "-q", "main"]);
    let s = session_json(&repo, &session);
    assert_eq!(s["git_branch"], "main");
    assert_eq!(s["branches"].as_array().unwrap().len(), 2);
    let show = repo.ok(["session", "show", &session]);
    assert!(show.contains("Switched:  feat → main"), "{show}");
}

#[test]
fn amend_and_rebase_record_the_rewritten_commits() {
    let repo = hooked();
    let session = repo.ok(["session", "start", "v1"]).trim().to_string();
    commit(&repo, "to amend");
    let before = head(&repo);
    git_in(
        &repo,
        &repo.path,
        &["commit", "-q", "--amend", "--allow-empty", "-m", "amended"],
    );
    let after = head(&repo);
    let rewrites = events(&repo, "v1", "rewrite");
    assert_eq!(rewrites.len(), 1);
    assert_eq!(rewrites[0]["data"]["kind"], "amend");
    assert_eq!(rewrites[0]["data"]["commits"][0]["old"], before);
    assert_eq!(rewrites[0]["data"]["commits"][0]["new"], after);

    // A branch of two commits rebased onto a moved main.
    repo.git(["switch", "-q", "-c", "feat"]);
    std::fs::write(repo.path.join("a"), "a\n").unwrap();
    repo.git(["add", "a"]);
    commit(&repo, "feat 1");
    std::fs::write(repo.path.join("b"), "b\n").unwrap();
    repo.git(["add", "b"]);
    commit(&repo, "feat 2\n\nCompletes: api");
    let old: Vec<String> = repo
        .git(["rev-list", "--reverse", "main..feat"])
        .lines()
        .map(str::to_string)
        .collect();
    repo.git(["switch", "-q", "main"]);
    commit(&repo, "main moves on");
    repo.git(["switch", "-q", "feat"]);
    let commits_before = events(&repo, "v1", "commit").len();
    git_in(&repo, &repo.path, &["rebase", "-q", "main"]);
    let new: Vec<String> = repo
        .git(["rev-list", "--reverse", "main..feat"])
        .lines()
        .map(str::to_string)
        .collect();
    let rewrites = events(&repo, "v1", "rewrite");
    assert_eq!(rewrites.len(), 2);
    let data = &rewrites[0]["data"];
    assert_eq!(data["kind"], "rebase");
    assert_eq!(data["total"], 2);
    for i in 0..2 {
        assert_eq!(data["commits"][i]["old"], old[i]);
        assert_eq!(data["commits"][i]["new"], new[i]);
    }
    assert_eq!(
        events(&repo, "v1", "commit").len(),
        commits_before,
        "the commits a rebase replays are not new work"
    );
    let s = session_json(&repo, &session);
    assert_eq!(
        s["git_branch"], "feat",
        "the rebase's detached HEAD is not a branch"
    );
    let kept = s["rewrites"].as_array().unwrap();
    assert_eq!(kept.len(), 3);
    assert_eq!(kept[0]["kind"], "amend");
    assert_eq!(kept[2]["kind"], "rebase");
}

#[test]
fn core_hooks_path_relative_to_the_worktree_with_husky_style_hooks() {
    let repo = TestRepo::new();
    repo.milestone_with_tasks("v1", &["api"]);
    // husky 9: core.hooksPath is .husky/_, whose stubs find the user's script in .husky
    // from their own name ($0).
    let log = repo.root().join("husky.log");
    let husky = repo.path.join(".husky");
    script(
        &husky.join("_/h"),
        "#!/usr/bin/env sh\nn=$(basename \"$0\")\ns=$(dirname \"$(dirname \"$0\")\")/$n\n[ ! -f \"$s\" ] && exit 0\nsh -e \"$s\" \"$@\"\n",
        0o755,
    );
    let stub = "#!/usr/bin/env sh\n. \"$(dirname \"$0\")/h\"\n";
    script(&husky.join("_/post-commit"), stub, 0o755);
    script(&husky.join("_/post-checkout"), stub, 0o755);
    script(
        &husky.join("post-commit"),
        &format!("echo \"husky post-commit $*\" >> '{}'\n", log.display()),
        0o644,
    );
    script(
        &husky.join("post-checkout"),
        &format!("echo \"husky post-checkout $3\" >> '{}'\n", log.display()),
        0o644,
    );
    repo.git(["config", "core.hooksPath", ".husky/_"]);
    repo.git(["commit", "-q", "--allow-empty", "-m", "first"]);
    assert_eq!(read(&log), "husky post-commit \n");

    let installed = repo.json(["hooks", "install"]);
    let dir = husky.join("_");
    assert_eq!(installed["hooks_dir"], dir.display().to_string());
    assert_eq!(installed["hooks_path"], ".husky/_");
    assert!(!repo.path.join(".git/hooks/post-commit").exists());

    repo.ok(["session", "start", "v1"]);
    commit(&repo, "second\n\nTask: api");
    repo.git(["switch", "-q", "-c", "feat"]);
    assert_eq!(
        read(&log),
        "husky post-commit \nhusky post-commit \nhusky post-checkout 1\n",
        "husky's stubs still find the user's scripts"
    );
    assert_eq!(task_status(&repo, "v1", "api"), "in_progress");
    assert_eq!(events(&repo, "v1", "checkout").len(), 1);

    // From a subfolder, the relative core.hooksPath still means the worktree's root.
    let sub = repo.path.join("sub");
    std::fs::create_dir_all(&sub).unwrap();
    let mut cmd = repo.cmd();
    cmd.current_dir(&sub).args(["hooks", "status", "--json"]);
    let status: Value =
        serde_json::from_str(&expect_ok(&output_of(&mut cmd, None), "status")).unwrap();
    assert_eq!(status["hooks_dir"], dir.display().to_string());

    repo.ok(["hooks", "uninstall"]);
    assert_eq!(read(&dir.join("post-commit")), stub);
    assert_eq!(read(&dir.join("post-checkout")), stub);
    assert!(!dir.join("post-merge").exists());
}

#[test]
fn a_linked_worktree_shares_the_hooks_and_keeps_its_own_session() {
    let repo = hooked();
    let wt = repo.root().join("wt");
    repo.git(["worktree", "add", "-q", "-b", "side", wt.to_str().unwrap()]);
    // Installing from the linked worktree finds the same (common) hooks folder.
    let mut cmd = repo.cmd();
    cmd.current_dir(&wt).args(["hooks", "status", "--json"]);
    let status: Value =
        serde_json::from_str(&expect_ok(&output_of(&mut cmd, None), "status")).unwrap();
    assert_eq!(status["hooks_dir"], hooks_dir(&repo).display().to_string());
    assert_eq!(status["hooks"][0]["state"], "installed");

    let mut cmd = repo.cmd();
    cmd.current_dir(&wt).args(["session", "start", "v1"]);
    let session = expect_ok(&output_of(&mut cmd, None), "session start")
        .trim()
        .to_string();
    git_in(
        &repo,
        &wt,
        &[
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "in the worktree\n\nTask: db",
        ],
    );
    commit(&repo, "in the main worktree");
    let recorded = events(&repo, "v1", "commit");
    assert_eq!(
        recorded.len(),
        1,
        "only the worktree with the session records commits"
    );
    assert_eq!(recorded[0]["data"]["branch"], "side");
    assert_eq!(recorded[0]["session_id"], session);
    assert_eq!(task_status(&repo, "v1", "db"), "in_progress");
}

#[test]
fn without_refs_milestones_the_hooks_do_nothing_at_all() {
    let repo = TestRepo::uninitialized();
    repo.ok(["hooks", "install"]);
    let out = commit(&repo, "one\n\nTask: v1/api");
    assert_eq!(stderr(&out), "");
    repo.git(["switch", "-q", "-c", "feat"]);
    git_in(
        &repo,
        &repo.path,
        &["commit", "-q", "--amend", "--allow-empty", "-m", "two"],
    );
    assert_eq!(repo.tip(), None, "no refs/milestones is created");
}

#[test]
fn a_failing_hook_says_one_line_and_never_fails_git() {
    let repo = hooked();
    repo.ok(["session", "start", "v1"]);
    // refs/milestones now points at a commit this version cannot read.
    let tree = repo.git(["mktree"]).trim().to_string();
    let bad = repo
        .git(["commit-tree", &tree, "-m", "not a milestone commit"])
        .trim()
        .to_string();
    repo.git(["update-ref", "refs/milestones", &bad]);

    // Recorded in the background: git shows nothing, the next command reports it once.
    let out = commit_raw(&repo, "still works\n\nTask: v1/api", &[]);
    assert_eq!(stderr(&out), "");
    let report = stderr(&settle(&repo));
    assert_eq!(report.lines().count(), 1, "{report}");
    assert!(
        report.starts_with("warning: in the background, post-commit hook: "),
        "{report}"
    );
    assert!(report.contains("format"), "{report}");
    assert_eq!(stderr(&settle(&repo)), "", "reported once");

    // Recorded before git goes on: the one line is on git's stderr.
    let out = commit_raw(&repo, "again", &[("GIT_MILESTONE_HOOKS", "sync")]);
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("git-milestone: post-commit hook: "),
        "{err}"
    );
    assert!(err.contains("format"), "{err}");
    assert_eq!(stderr(&settle(&repo)), "");
}

#[test]
fn commits_recorded_in_the_background_land_in_order_before_the_next_command() {
    let repo = hooked();
    repo.ok(["session", "start", "v1"]);
    let count = repo.commit_count();
    let local = repo.path.join(".git/milestone");
    let markers = || {
        std::fs::read_dir(&local)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|name| name.starts_with("recording."))
            .count()
    };
    // A recording running (its marker locked) holds up the ones after it: every
    // commit returns while its recording waits, and HEAD moves on meanwhile.
    let first = local.join("recording.0");
    let running = std::fs::File::create(&first).unwrap();
    running.lock().unwrap();
    let mut made = Vec::new();
    for i in 0..6 {
        commit_raw(&repo, &format!("c{i}"), &[]);
        made.push(head(&repo));
    }
    assert_eq!(markers(), 7, "six recordings wait behind the first");
    assert_eq!(repo.commit_count(), count, "none has written yet");
    std::fs::remove_file(&first).unwrap();
    drop(running);

    // Each recording names its own commit (HEAD as the shim read it), in commit order.
    let recorded: Vec<_> = events(&repo, "v1", "commit")
        .iter()
        .rev()
        .map(|e| e["data"]["commit"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(recorded, made);
    assert_eq!(repo.commit_count(), count + 6);
    assert_eq!(markers(), 0);

    // A task trailer moves the task in the background, silently.
    let out = commit_raw(&repo, "Finish\n\nCompletes: api", &[]);
    assert_eq!(stderr(&out), "");
    assert_eq!(task_status(&repo, "v1", "api"), "completed");
    // Recording before git goes on says what moved.
    let out = commit_raw(
        &repo,
        "Start\n\nTask: db",
        &[("GIT_MILESTONE_HOOKS", "sync")],
    );
    assert!(
        stderr(&out).contains("v1/db → in_progress"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn commands_wait_for_a_recording_marker_until_it_goes_or_is_stale() {
    let repo = hooked();
    repo.ok(["session", "start", "v1"]);
    let marker = repo.path.join(".git/milestone/recording.999999");
    std::fs::write(&marker, "").unwrap();
    let mut waiting = repo.cmd().args(["list"]).spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(
        waiting.try_wait().unwrap().is_none(),
        "a command does not start while a recording is marked"
    );
    std::fs::remove_file(&marker).unwrap();
    assert!(waiting.wait().unwrap().success());

    // A marker nobody holds after its recording had five seconds to start was left by
    // a recording that died: removed, not waited for.
    let file = std::fs::File::create(&marker).unwrap();
    file.set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(6))
        .unwrap();
    repo.ok(["list"]);
    assert!(!marker.exists());
}

/// A commit in a linked worktree records in the background there; what it records
/// is on the shared ref, so a command in the main worktree waits for it too.
#[test]
fn commands_wait_for_a_recording_marked_in_another_worktree() {
    let repo = hooked();
    let wt = repo.root().join("wt");
    repo.git(["worktree", "add", "-q", "-b", "side", wt.to_str().unwrap()]);
    let linked_local = repo.path.join(".git/worktrees/wt/milestone");
    std::fs::create_dir_all(&linked_local).unwrap();
    let marker = linked_local.join("recording.999999");
    std::fs::write(&marker, "").unwrap();
    let mut waiting = repo.cmd().args(["list"]).spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(
        waiting.try_wait().unwrap().is_none(),
        "a command in the main worktree waits for the linked worktree's recording"
    );
    std::fs::remove_file(&marker).unwrap();
    assert!(waiting.wait().unwrap().success());
}

#[test]
fn the_chained_hooks_status_input_and_arguments_reach_git_unchanged() {
    let repo = TestRepo::new();
    repo.milestone_with_tasks("v1", &["api"]);
    repo.git(["commit", "-q", "--allow-empty", "-m", "first"]);
    let input_copy = repo.root().join("rewrite-input");
    script(
        &hooks_dir(&repo).join("post-rewrite"),
        &format!("#!/usr/bin/env python3\nimport sys\nopen('{}', 'w').write(sys.argv[1] + '\\n' + sys.stdin.read())\n", input_copy.display()),
        0o755,
    );
    script(
        &hooks_dir(&repo).join("post-checkout"),
        "#!/bin/sh\necho \"checkout hook says no\"\nexit 3\n",
        0o755,
    );
    repo.ok(["hooks", "install"]);
    repo.ok(["session", "start", "v1"]);

    let old = head(&repo);
    git_in(
        &repo,
        &repo.path,
        &["commit", "-q", "--amend", "--allow-empty", "-m", "amended"],
    );
    assert_eq!(read(&input_copy), format!("amend\n{old} {}\n", head(&repo)));
    assert_eq!(events(&repo, "v1", "rewrite").len(), 1);

    // git fails a checkout whose post-checkout hook fails; the chained hook's status
    // is kept for it, and ours still records.
    let mut cmd = repo.git_cmd();
    cmd.args(["switch", "-q", "-c", "feat"]);
    let out = output_of(&mut cmd, None);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(stderr(&out).contains("checkout hook says no"));
    assert_eq!(events(&repo, "v1", "checkout").len(), 1);
    let dir = hooks_dir(&repo);
    let out = repo.run([
        "hook",
        "--hooks-dir",
        dir.to_str().unwrap(),
        "post-checkout",
        "x",
        "y",
        "0",
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", describe(&out));
    assert_eq!(stdout(&out), "checkout hook says no\n");
}

#[test]
fn the_shim_finds_the_binary_on_path_and_runs_the_chained_hook_without_it() {
    let repo = TestRepo::new();
    repo.milestone_with_tasks("v1", &["api", "db"]);
    let log = repo.root().join("log");
    let hook = hooks_dir(&repo).join("post-commit");
    script(
        &hook,
        &format!("#!/bin/sh\necho ran >> '{}'\n", log.display()),
        0o755,
    );
    repo.ok(["hooks", "install"]);
    // The recorded binary is gone: the one on PATH is used.
    let shim = read(&hook);
    let moved = shim.replace(&format!("bin='{BIN}'"), "bin='/nonexistent/git-milestone'");
    assert_ne!(shim, moved, "the shim records the binary's absolute path");
    std::fs::write(&hook, &moved).unwrap();
    let bin_dir = Path::new(BIN).parent().unwrap();
    let mut cmd = repo.git_cmd();
    cmd.env(
        "PATH",
        format!("{}:/usr/local/bin:/usr/bin:/bin", bin_dir.display()),
    )
    .args([
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "found on PATH\n\nTask: v1/api",
    ]);
    expect_ok(
        &output_of(&mut cmd, None),
        "git commit with git-milestone on PATH",
    );
    assert_eq!(task_status(&repo, "v1", "api"), "in_progress");
    assert_eq!(read(&log), "ran\n");
    assert_eq!(
        repo.json(["hooks", "status"])["hooks"][0]["state"],
        "outdated"
    );

    // No git-milestone anywhere: the user's hook still runs, and git is fine.
    let mut cmd = repo.git_cmd();
    cmd.env("PATH", "/usr/local/bin:/usr/bin:/bin").args([
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "no binary\n\nTask: v1/db",
    ]);
    let out = output_of(&mut cmd, None);
    expect_ok(&out, "git commit without git-milestone");
    assert_eq!(stderr(&out), "");
    assert_eq!(read(&log), "ran\nran\n");
    assert_eq!(task_status(&repo, "v1", "db"), "pending");
}

/// The shim starts the recording under `nice` where there is one; where PATH has no
/// `nice`, it still records, at git's own priority.
#[test]
fn a_commit_is_recorded_in_the_background_with_or_without_nice_on_path() {
    let repo = hooked();
    repo.ok(["session", "start", "v1"]);
    // A PATH of git and a `nice` that says it ran (git-milestone is called by its path).
    let path = repo.root().join("path");
    std::fs::create_dir(&path).unwrap();
    let which = |name: &str| {
        let out = output_of(
            std::process::Command::new("sh").args(["-c", &format!("command -v {name}")]),
            None,
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    std::os::unix::fs::symlink(which("git"), path.join("git")).unwrap();
    let log = repo.root().join("nice.log");
    let nice = path.join("nice");
    script(
        &nice,
        &format!(
            "#!/bin/sh\necho \"$1 $2\" >> '{}'\nexec '{}' \"$@\"\n",
            log.display(),
            which("nice")
        ),
        0o755,
    );
    let commit_with_path = |message: &str| {
        let mut cmd = repo.git_cmd();
        cmd.env("PATH", &path)
            .args(["commit", "-q", "--allow-empty", "-m", message]);
        let out = output_of(&mut cmd, None);
        expect_ok(&out, "git commit");
        assert_eq!(stderr(&out), "");
        settle(&repo);
    };
    commit_with_path("with nice\n\nTask: v1/api");
    assert_eq!(task_status(&repo, "v1", "api"), "in_progress");
    assert_eq!(read(&log), "-n 5\n");

    std::fs::remove_file(&nice).unwrap();
    commit_with_path("without nice\n\nTask: v1/db");
    assert_eq!(task_status(&repo, "v1", "db"), "in_progress");
    assert_eq!(
        events(&repo, "v1", "commit").len(),
        2,
        "both commits recorded"
    );
}

#[test]
fn a_chained_hook_that_runs_the_hook_again_does_not_loop() {
    let repo = hooked();
    repo.ok(["hooks", "uninstall"]);
    let log = repo.root().join("log");
    // A wrapper that calls "the" post-commit hook by path, as some managers do.
    script(
        &hooks_dir(&repo).join("post-commit"),
        &format!(
            "#!/bin/sh\necho wrapper >> '{}'\n\"$(dirname \"$0\")/post-commit\" \"$@\"\n",
            log.display()
        ),
        0o755,
    );
    repo.ok(["hooks", "install"]);
    repo.ok(["session", "start", "v1"]);
    commit(&repo, "once");
    assert_eq!(read(&log), "wrapper\n");
    assert_eq!(events(&repo, "v1", "commit").len(), 1);
}

#[test]
fn install_refuses_to_overwrite_a_chained_hook_and_writes_nothing() {
    let repo = TestRepo::new();
    let dir = hooks_dir(&repo);
    script(&dir.join("post-merge"), "#!/bin/sh\necho new\n", 0o755);
    script(
        &dir.join("post-merge.milestone-legacy"),
        "#!/bin/sh\necho old\n",
        0o755,
    );
    let err = expect_failure(&repo.run(["hooks", "install"]), 1, "install");
    assert!(err.contains("post-merge.milestone-legacy"), "{err}");
    assert!(err.contains("hint:"), "{err}");
    assert!(!dir.join("post-commit").exists(), "nothing was written");
    assert_eq!(read(&dir.join("post-merge")), "#!/bin/sh\necho new\n");
}

#[test]
fn status_in_text_says_what_is_where() {
    let repo = TestRepo::new();
    script(&hooks_dir(&repo).join("post-rewrite"), "#!/bin/sh\n", 0o755);
    let before = repo.ok(["hooks", "status"]);
    assert!(
        before.contains("post-commit    not installed\n"),
        "{before}"
    );
    assert!(
        before.contains("post-rewrite   not installed: another hook is there"),
        "{before}"
    );
    repo.ok(["hooks", "install", "-q"]);
    let after = repo.ok(["hooks", "status"]);
    assert!(
        after.starts_with(&format!("Hooks folder: {}\n", hooks_dir(&repo).display())),
        "{after}"
    );
    assert!(
        after.contains("post-rewrite   installed; chains post-rewrite.milestone-legacy"),
        "{after}"
    );
}

#[test]
fn the_hook_command_by_hand_is_harmless() {
    let repo = TestRepo::new();
    let out = repo.run(["hook", "post-nothing"]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(stderr(&out).contains("unknown hook"));
    let out = repo.run(["hook", "post-checkout", "a", "b", "0"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stderr(&out), "");
    let help = repo.ok(["--help"]);
    assert!(
        help.contains("hooks") && !help.contains("  hook "),
        "{help}"
    );
}

#[test]
fn git_pull_records_a_merge_and_applies_the_pulled_trailers() {
    let upstream = TestRepo::new();
    upstream.git(["commit", "-q", "--allow-empty", "-m", "first"]);
    let clone = upstream.root().join("clone");
    upstream.git([
        "clone",
        "-q",
        upstream.path.to_str().unwrap(),
        clone.to_str().unwrap(),
    ]);
    upstream.git([
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "upstream\n\nCompletes: v1/api",
    ]);
    let pulled = head(&upstream);

    // The clone has its own refs/milestones (git clone does not copy it).
    let run = |args: &[&str]| {
        let mut cmd = upstream.cmd();
        cmd.current_dir(&clone).args(args);
        expect_ok(&output_of(&mut cmd, None), &format!("{args:?}"))
    };
    run(&["init"]);
    run(&["new", "v1"]);
    run(&["task", "add", "v1", "api"]);
    run(&["hooks", "install"]);
    run(&["session", "start", "v1"]);
    git_in(&upstream, &clone, &["pull", "-q", "--ff-only"]);
    let events: Value = serde_json::from_str(&run(&["events", "v1", "--json"])).unwrap();
    // One operation, newest event first: the merge, its trailer's move, and the
    // milestone's only task completing it.
    let types = event_types(&events);
    assert_eq!(
        types[..4],
        [
            "milestone_completed",
            "status_updated",
            "task_status_changed",
            "merge"
        ],
        "{events}"
    );
    assert_eq!(events[3]["data"]["commits"], serde_json::json!([pulled]));
    assert_eq!(events[3]["data"]["squash"], false);
    assert_eq!(events[2]["data"]["commit"], pulled);
}

#[test]
fn a_hook_run_with_git_dir_and_work_tree_set_finds_the_repository() {
    let repo = hooked();
    repo.ok(["session", "start", "v1"]);
    let git_dir = repo.path.join(".git");
    git_in(
        &repo,
        &repo.root(),
        &[
            "--git-dir",
            git_dir.to_str().unwrap(),
            "--work-tree",
            repo.path.to_str().unwrap(),
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "from outside\n\nTask: api",
        ],
    );
    assert_eq!(events(&repo, "v1", "commit").len(), 1);
    assert_eq!(task_status(&repo, "v1", "api"), "in_progress");
}

#[test]
fn a_session_ended_elsewhere_records_nothing_more() {
    let repo = hooked();
    let session = repo.ok(["session", "start", "v1"]).trim().to_string();
    let wt = repo.root().join("wt");
    repo.git(["worktree", "add", "-q", "-b", "side", wt.to_str().unwrap()]);
    let mut cmd = repo.cmd();
    cmd.current_dir(&wt).args(["session", "end", &session]);
    expect_ok(
        &output_of(&mut cmd, None),
        "session end from the other worktree",
    );
    let tip = repo.tip();
    // The main worktree still names the session, which has ended: no commit event, and
    // `Task: api` has no session milestone to mean.
    let out = commit(&repo, "after the end\n\nTask: api");
    assert_eq!(stderr(&out), "");
    assert_eq!(repo.tip(), tip);
}
