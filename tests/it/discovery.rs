//! Finding the repository the way git does: subdirectories, `GIT_DIR`, `git -C`,
//! linked worktrees, bare repositories.

use std::path::Path;

use crate::common::{expect_ok, hermetic, output_of, TestRepo, BIN};

/// Runs the binary in `dir` with extra environment variables.
fn run_in(repo: &TestRepo, dir: &Path, env: &[(&str, &Path)], args: &[&str]) -> String {
    let mut cmd = hermetic(BIN, &repo.home);
    cmd.current_dir(dir).args(args);
    for (key, value) in env {
        cmd.env(key, value);
    }
    expect_ok(
        &output_of(&mut cmd, None),
        &format!("{args:?} in {}", dir.display()),
    )
}

#[test]
fn from_a_subdirectory() {
    let repo = TestRepo::new();
    let sub = repo.path.join("src/deep/er");
    std::fs::create_dir_all(&sub).unwrap();
    run_in(&repo, &sub, &[], &["new", "m1", "--title", "From below"]);
    assert_eq!(repo.json(["show", "m1"])["title"], "From below");
    let list = run_in(&repo, &sub, &[], &["list"]);
    assert!(list.contains("m1"), "{list}");
    // Nothing was created in the subdirectory.
    assert_eq!(std::fs::read_dir(&sub).unwrap().count(), 0);
}

#[test]
fn with_git_dir_set_from_elsewhere() {
    let repo = TestRepo::new();
    let elsewhere = repo.sibling_dir("elsewhere");
    let git_dir = repo.path.join(".git");
    run_in(&repo, &elsewhere, &[("GIT_DIR", &git_dir)], &["new", "m1"]);
    run_in(
        &repo,
        &elsewhere,
        &[("GIT_DIR", &git_dir)],
        &["task", "add", "m1", "t"],
    );
    assert_eq!(repo.json(["show", "m1"])["tasks"][0]["id"], "t");
    let shown = run_in(
        &repo,
        &elsewhere,
        &[("GIT_DIR", &git_dir), ("GIT_WORK_TREE", &repo.path)],
        &["show", "m1", "--json"],
    );
    assert!(shown.contains("\"id\": \"m1\""), "{shown}");
    assert!(!elsewhere.join(".git").exists());
    // GIT_DIR wins over the repository of the current directory.
    let other = TestRepo::new();
    run_in(&repo, &other.path, &[("GIT_DIR", &git_dir)], &["new", "m2"]);
    assert_eq!(repo.json(["list"]).as_array().unwrap().len(), 2);
    assert_eq!(other.json(["list"]).as_array().unwrap().len(), 0);
}

#[test]
fn as_a_git_subcommand_with_git_c() {
    let repo = TestRepo::new();
    let elsewhere = repo.sibling_dir("elsewhere");
    let bin_dir = Path::new(BIN).parent().unwrap();
    let path = std::env::join_paths(std::iter::once(bin_dir.to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    let git = |args: &[&str]| {
        let mut cmd = hermetic("git", &repo.home);
        cmd.current_dir(&elsewhere)
            .env("PATH", &path)
            .arg("-C")
            .arg(&repo.path)
            .args(args);
        expect_ok(&output_of(&mut cmd, None), &format!("git -C repo {args:?}"))
    };
    git(&["milestone", "new", "m1", "--title", "Via git"]);
    git(&["milestone", "task", "add", "m1", "t"]);
    let shown = git(&["milestone", "show", "m1"]);
    assert!(shown.contains("Via git"), "{shown}");
    assert_eq!(repo.json(["show", "m1"])["title"], "Via git");
}

#[test]
fn in_a_linked_worktree_the_same_ref_is_seen() {
    let repo = TestRepo::new();
    repo.git(["commit", "-q", "--allow-empty", "-m", "base"]);
    let worktree = repo.root().join("wt");
    repo.git([
        "worktree",
        "add",
        "-q",
        "-b",
        "side",
        worktree.to_str().unwrap(),
    ]);
    repo.ok(["new", "m1", "--title", "From main"]);

    let list = run_in(&repo, &worktree, &[], &["list", "--json"]);
    assert!(list.contains("From main"), "{list}");
    run_in(&repo, &worktree, &[], &["task", "add", "m1", "from-wt"]);
    assert_eq!(repo.json(["show", "m1"])["tasks"][0]["id"], "from-wt");
    assert_eq!(
        repo.git([
            "-C",
            worktree.to_str().unwrap(),
            "rev-parse",
            "refs/milestones"
        ]),
        repo.git(["rev-parse", "refs/milestones"]),
    );
    // Editing from the worktree works too; its scratch file lives in the worktree's
    // own git dir.
    let mut cmd = hermetic(BIN, &repo.home);
    cmd.current_dir(&worktree)
        .env("GIT_EDITOR", "sed -i 's/^title: .*/title: Edited in wt/'")
        .args(["edit", "m1"]);
    expect_ok(&output_of(&mut cmd, None), "edit in the worktree");
    assert_eq!(repo.json(["show", "m1"])["title"], "Edited in wt");
    // The worktree's files are untouched.
    assert_eq!(
        repo.git(["-C", worktree.to_str().unwrap(), "status", "--porcelain"]),
        ""
    );
}

#[test]
fn in_a_bare_repository() {
    let repo = TestRepo::bare();
    repo.ok(["init", "--bare"]);
    repo.ok(["new", "m1", "--title", "Bare"]);
    repo.ok(["task", "add", "m1", "t"]);
    repo.ok(["task", "complete", "m1", "t"]);
    repo.ok(["state", "save", "m1", "[1]"]);
    assert_eq!(repo.json(["show", "m1"])["status"], "completed");
    assert_eq!(repo.commit_count(), 5);
    assert_eq!(
        repo.git(["rev-parse", "--is-bare-repository"]).trim(),
        "true"
    );
    assert_eq!(
        crate::common::event_types(&repo.json(["events", "m1", "--type", "milestone_completed"])),
        ["milestone_completed"]
    );
    let edit = repo.run_env(
        &[("GIT_EDITOR", "sed -i 's/^title: .*/title: Bare edit/'")],
        ["edit", "m1"],
    );
    expect_ok(&edit, "edit in a bare repository");
    assert_eq!(repo.json(["show", "m1"])["title"], "Bare edit");

    // And from elsewhere with GIT_DIR pointing at it.
    let elsewhere = repo.sibling_dir("elsewhere");
    let list = run_in(
        &repo,
        &elsewhere,
        &[("GIT_DIR", &repo.path)],
        &["list", "--json"],
    );
    assert!(list.contains("Bare edit"), "{list}");
    let fsck = repo
        .git_cmd()
        .args(["fsck", "--no-dangling"])
        .output()
        .unwrap();
    assert!(fsck.status.success(), "{}", crate::common::describe(&fsck));
}

#[test]
fn in_a_path_with_spaces_and_unicode() {
    let repo = TestRepo::uninitialized();
    let odd = repo.root().join("my projects/déjà vu");
    std::fs::create_dir_all(&odd).unwrap();
    let mut init = hermetic("git", &repo.home);
    init.args(["init", "-q"]).current_dir(&odd);
    expect_ok(&output_of(&mut init, None), "git init");
    run_in(&repo, &odd, &[], &["init"]);
    run_in(&repo, &odd, &[], &["new", "m1"]);
    let mut edit = hermetic(BIN, &repo.home);
    edit.current_dir(&odd)
        .env(
            "GIT_EDITOR",
            "sed -i 's/^id: m1$/id: m1\\ntitle: Odd path/'",
        )
        .args(["edit", "m1"]);
    expect_ok(&output_of(&mut edit, None), "edit in an odd path");
    let shown = run_in(&repo, &odd, &[], &["show", "m1"]);
    assert!(shown.contains("Odd path"), "{shown}");
}
