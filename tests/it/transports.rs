//! `sync` over the transports teams use: ssh (sshd with keys made for the test,
//! `GIT_SSH_COMMAND`) and smart HTTP (lighttpd + `git http-backend`, basic
//! authentication, credentials from git's credential helper). Servers listen on
//! 127.0.0.1 only and stop with the test.

use std::path::Path;

use serde_json::Value;

use crate::common::{expect_failure, expect_ok, hermetic, output_of, TestRepo};
use crate::servers::{self, HttpServer, Sshd, HTTP_PASSWORD};

/// Environment for every git and git-milestone process of a test: how to reach the
/// server, and never a password prompt.
type Env = Vec<(&'static str, String)>;

fn run(repo: &TestRepo, env: &Env, args: &[&str]) -> std::process::Output {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    repo.run_env(&env, args)
}

fn sync(repo: &TestRepo, env: &Env) -> Value {
    let output = run(repo, env, &["sync", "--json"]);
    serde_json::from_str(&expect_ok(&output, "sync")).unwrap()
}

/// A clone of `url` in a new folder, made with `git clone` in `env`; `credentials`
/// copies a credential setup from another HOME.
fn clone(url: &str, env: &Env, credentials_from: Option<&Path>) -> TestRepo {
    let repo = TestRepo::uninitialized();
    if let Some(home) = credentials_from {
        for file in [".gitconfig", "git-credentials"] {
            let text = std::fs::read_to_string(home.join(file)).unwrap();
            let text = text.replace(
                &home.display().to_string(),
                &repo.home.display().to_string(),
            );
            std::fs::write(repo.home.join(file), text).unwrap();
        }
    }
    std::fs::remove_dir_all(&repo.path).unwrap();
    let mut cmd = hermetic("git", &repo.home);
    cmd.args(["clone", "-q", url]).arg(&repo.path);
    for (key, value) in env {
        cmd.env(key, value);
    }
    expect_ok(&output_of(&mut cmd, None), "git clone");
    repo
}

/// Clone A with a commit on main pushed to `url`, and refs/milestones with a
/// milestone of two tasks.
fn first_clone(url: &str, env: &Env, home_setup: impl FnOnce(&Path)) -> TestRepo {
    let a = TestRepo::uninitialized();
    home_setup(&a.home);
    a.git(["commit", "-q", "--allow-empty", "-m", "base"]);
    a.git(["remote", "add", "origin", url]);
    let env_refs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    a.git_env(&env_refs, ["push", "-q", "origin", "main"]);
    a.ok(["init"]);
    a.milestone_with_tasks("m1", &["t1", "t2"]);
    a
}

fn remote_git(home: &Path, remote: &Path, args: &[&str]) -> String {
    let mut cmd = hermetic("git", home);
    cmd.current_dir(remote).args(args);
    expect_ok(&output_of(&mut cmd, None), &format!("{cmd:?}"))
}

fn wire(home: &Path, remote: &Path) -> String {
    remote_git(home, remote, &["rev-parse", "refs/meta/milestones"])
        .trim()
        .to_string()
}

/// Two clones that changed different tasks sync at the same moment: both succeed,
/// neither forces, and after one more round both hold the same state.
fn race(a: &TestRepo, b: &TestRepo, env: &Env) {
    a.ok(["task", "complete", "m1", "t1"]);
    b.ok(["task", "start", "m1", "t2"]);
    let (a_op, b_op) = (a.tip().unwrap(), b.tip().unwrap());
    std::thread::scope(|s| {
        let one = s.spawn(|| sync(a, env));
        let two = s.spawn(|| sync(b, env));
        one.join().unwrap();
        two.join().unwrap();
    });
    sync(a, env);
    sync(b, env);
    assert_eq!(a.tip(), b.tip());
    let tip = a.tip().unwrap();
    for op in [a_op, b_op] {
        assert!(a
            .git_output(["merge-base", "--is-ancestor", &op, &tip])
            .status
            .success());
    }
    let show = b.json(["show", "m1"]);
    assert_eq!(show["tasks"][0]["status"], "completed");
    assert_eq!(show["tasks"][1]["status"], "in_progress");
}

#[test]
fn sync_over_ssh_clone_push_and_race() {
    let root = TestRepo::uninitialized();
    let remote = servers::bare_remote(&root.home, &root.root(), "remote.git");
    let sshd = Sshd::start(&root.home, &root.root().join("ssh"));
    let env: Env = vec![
        ("GIT_SSH_COMMAND", sshd.ssh_command.clone()),
        ("GIT_TERMINAL_PROMPT", "0".into()),
    ];
    let url = sshd.url(&remote);
    let a = first_clone(&url, &env, |_| {});
    a.ok(["checkpoint", "create", "m1", "first"]);
    let report = sync(&a, &env);
    assert_eq!(report["pushed"], true, "{report:#}");
    assert_eq!(wire(&root.home, &remote), a.tip().unwrap());

    let b = clone(&url, &env, None);
    let report = sync(&b, &env);
    assert_eq!(report["fast_forward"], true, "{report:#}");
    assert_eq!(b.tip(), a.tip());
    assert!(b.rev_parse("refs/tags/milestone/m1/first").is_some());

    race(&a, &b, &env);
    assert_eq!(wire(&root.home, &remote), a.tip().unwrap());
    remote_git(&root.home, &remote, &["fsck", "--strict", "--no-dangling"]);
}

/// A and B over HTTP with credentials from `credential.helper=store`.
fn http_pair() -> (TestRepo, HttpServer, std::path::PathBuf, String, Env) {
    let root = TestRepo::uninitialized();
    let remote = servers::bare_remote(&root.home, &root.root(), "remote.git");
    let server = HttpServer::start(&root.root().join("http"), &root.root());
    let url = server.url("remote.git");
    // The server keeps root's folder alive: it is the TestRepo returned.
    (
        root,
        server,
        remote,
        url,
        vec![("GIT_TERMINAL_PROMPT", "0".into())],
    )
}

#[test]
fn sync_over_http_with_credentials_from_the_helper() {
    let (root, _server, remote, url, env) = http_pair();
    let a = first_clone(&url, &env, |home| {
        servers::store_credentials(home, &url, HTTP_PASSWORD)
    });
    assert!(
        !std::fs::read_to_string(a.path.join(".git/config"))
            .unwrap()
            .contains("horse"),
        "the password is not in the remote's URL"
    );
    let report = sync(&a, &env);
    assert_eq!(report["pushed"], true, "{report:#}");
    assert_eq!(wire(&root.home, &remote), a.tip().unwrap());

    let b = clone(&url, &env, Some(&a.home));
    sync(&b, &env);
    assert_eq!(b.tip(), a.tip());
    race(&a, &b, &env);
    remote_git(&root.home, &remote, &["fsck", "--strict", "--no-dangling"]);
}

#[test]
fn a_wrong_password_is_a_clear_error_and_writes_nothing() {
    let (root, _server, remote, url, env) = http_pair();
    let a = first_clone(&url, &env, |home| {
        servers::store_credentials(home, &url, HTTP_PASSWORD)
    });
    sync(&a, &env);
    let pushed = wire(&root.home, &remote);
    a.ok(["task", "complete", "m1", "t1"]);
    let local = a.tip().unwrap();
    let refs_before = a.git(["for-each-ref"]);

    servers::store_credentials(&a.home, &url, "wrong password");
    let output = run(&a, &env, &["sync"]);
    let err = expect_failure(&output, 1, "sync with a wrong password");
    assert!(err.contains("Authentication failed"), "{err}");
    assert!(
        err.contains("credential"),
        "says where the credentials come from: {err}"
    );
    assert!(
        !err.contains("wrong password"),
        "never shows the password: {err}"
    );
    assert_eq!(a.tip().unwrap(), local, "nothing written here");
    assert_eq!(a.git(["for-each-ref"]), refs_before);
    assert_eq!(wire(&root.home, &remote), pushed, "nothing written there");
}
