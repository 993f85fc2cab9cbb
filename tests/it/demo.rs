//! `demo`: works on a machine with no git identity and no configuration at all.

use std::process::Command;

use crate::common::{describe, expect_failure, output_of, BIN};

/// The binary with nothing of the user's environment but PATH and an empty HOME.
fn bare_environment(home: &std::path::Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("TMPDIR", home.parent().unwrap().join("tmp"));
    cmd
}

/// `git` run on the demo repository, with the same bare environment.
fn git(home: &std::path::Path, repo: &std::path::Path, args: &[&str]) -> String {
    let mut cmd = Command::new("git");
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .arg("-C")
        .arg(repo)
        .args(args);
    let output = cmd.output().unwrap();
    assert!(
        output.status.success(),
        "git {args:?}\n{}",
        describe(&output)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn demo_runs_without_any_identity_and_leaves_a_repository() {
    let tmp = tempfile::TempDir::new().unwrap();
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::create_dir_all(tmp.path().join("tmp")).unwrap();
    let dir = tmp.path().join("demo");

    let mut cmd = bare_environment(&home);
    cmd.arg("demo").arg(&dir).current_dir(tmp.path());
    let output = output_of(&mut cmd, None);
    assert!(output.status.success(), "{}", describe(&output));
    let out = String::from_utf8(output.stdout).unwrap();
    assert!(out.contains("$ git milestone init"), "{out}");
    assert!(out.contains("$ git milestone task complete "), "{out}");
    assert!(
        out.matches("$ git milestone ").count() >= 10,
        "the walk-through has its steps: {out}"
    );
    assert!(out.contains(&dir.display().to_string()), "{out}");

    let count: usize = git(&home, &dir, &["rev-list", "--count", "refs/milestones"])
        .trim()
        .parse()
        .unwrap();
    assert!(count >= 10, "the demo's operations are commits: {count}");
    let authors = git(
        &home,
        &dir,
        &["log", "--format=%an <%ae>", "refs/milestones"],
    );
    assert!(
        authors.lines().all(|a| a == "Demo User <demo@example.com>"),
        "{authors}"
    );
    git(&home, &dir, &["fsck", "--no-dangling"]);
    // HOME is left as it was: the demo configured its own repository only.
    assert_eq!(std::fs::read_dir(&home).unwrap().count(), 0);

    // The repository is an ordinary one the tool can keep using.
    let mut show = bare_environment(&home);
    show.args(["show", "v1.0", "--json"]).current_dir(&dir);
    let output = output_of(&mut show, None);
    assert!(output.status.success(), "{}", describe(&output));
    let v: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(v["id"], "v1.0");
    assert!(!v["tasks"].as_array().unwrap().is_empty(), "{v}");
    assert_ne!(v["status"], "planned", "the demo moved its tasks: {v}");
}

#[test]
fn demo_without_a_folder_uses_a_temporary_one_and_removes_it() {
    let tmp = tempfile::TempDir::new().unwrap();
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::create_dir_all(tmp.path().join("tmp")).unwrap();
    let made = |keep: bool| -> (Vec<std::path::PathBuf>, String) {
        let mut cmd = bare_environment(&home);
        cmd.arg("demo").current_dir(tmp.path());
        if keep {
            cmd.arg("--keep");
        }
        let output = output_of(&mut cmd, None);
        assert!(output.status.success(), "{}", describe(&output));
        let made = std::fs::read_dir(tmp.path().join("tmp"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        (made, String::from_utf8_lossy(&output.stdout).into_owned())
    };
    // Without --keep nothing is left behind, and it says so.
    let (left, said) = made(false);
    assert!(left.is_empty(), "{left:?}");
    let last = said.lines().last().unwrap_or("");
    assert!(last.starts_with("The demo repository in "), "{said}");
    assert!(
        last.ends_with(" is removed; `git milestone demo --keep` keeps it to look around."),
        "{said}"
    );
    // With --keep it stays, and the output says where and how to remove it.
    let (made, said) = made(true);
    assert_eq!(made.len(), 1, "{made:?}");
    assert!(made[0]
        .file_name()
        .unwrap()
        .to_string_lossy()
        .starts_with("git-milestone-demo-"));
    assert!(
        said.contains(&format!("Remove it with: rm -rf '{}'", made[0].display())),
        "{said}"
    );
    git(
        &home,
        &made[0],
        &["rev-parse", "--verify", "refs/milestones"],
    );
}

#[test]
fn demo_refuses_a_folder_that_is_not_empty() {
    let tmp = tempfile::TempDir::new().unwrap();
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let dir = tmp.path().join("full");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("precious.txt"), "keep me").unwrap();
    let mut cmd = bare_environment(&home);
    cmd.arg("demo").arg(&dir).current_dir(tmp.path());
    let err = expect_failure(&output_of(&mut cmd, None), 1, "demo into a full folder");
    assert!(err.contains("not empty"), "{err}");
    assert!(!dir.join(".git").exists());
    assert_eq!(
        std::fs::read_to_string(dir.join("precious.txt")).unwrap(),
        "keep me"
    );
}

#[test]
fn demo_ignores_the_callers_repository_and_identity() {
    let user = crate::common::TestRepo::new();
    user.ok(["new", "mine"]);
    let tip = user.tip();
    let tmp = tempfile::TempDir::new().unwrap();
    let dir = tmp.path().join("demo");
    let mut cmd = crate::common::hermetic(BIN, &user.home);
    cmd.current_dir(&user.path)
        .env("GIT_DIR", user.path.join(".git"))
        .env("GIT_WORK_TREE", &user.path)
        .arg("demo")
        .arg(&dir);
    let output = output_of(&mut cmd, None);
    assert!(output.status.success(), "{}", describe(&output));
    assert_eq!(user.tip(), tip, "the caller's repository is untouched");
    assert_eq!(user.json(["list"]).as_array().unwrap().len(), 1);
    let authors = git(
        &user.home,
        &dir,
        &["log", "--format=%an", "refs/milestones"],
    );
    assert!(authors.lines().all(|a| a == "Demo User"), "{authors}");
}
