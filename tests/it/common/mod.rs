//! The temporary-repository helper: real repositories made with the `git` CLI, and the
//! built `git-milestone` binary run in a hermetic environment (its own HOME, no system
//! or global git config, a fixed identity, no inherited `GIT_*` variables, and the
//! binary's folder first on PATH so that `git milestone` resolves to it).

#![allow(dead_code)]

use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;
use tempfile::TempDir;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_git-milestone");

/// The identity every repository of the suite uses.
pub const AUTHOR_NAME: &str = "Test Author";
pub const AUTHOR_EMAIL: &str = "author@example.com";
pub const COMMITTER_NAME: &str = "Test Committer";
pub const COMMITTER_EMAIL: &str = "committer@example.com";

/// PATH with the binary's folder first.
pub fn path_with_binary() -> OsString {
    let dir = Path::new(BIN).parent().expect("the binary has a folder");
    let mut paths = vec![dir.to_path_buf()];
    if let Some(path) = std::env::var_os("PATH") {
        paths.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(paths).expect("PATH joins")
}

/// A command with a hermetic environment: everything inherited is dropped except
/// `PATH`; HOME is `home`, git reads no system or global config, and the identity is
/// fixed.
pub fn hermetic(program: impl AsRef<OsStr>, home: &Path) -> Command {
    let mut cmd = Command::new(program);
    cmd.env_clear()
        .env("PATH", path_with_binary())
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", home.join(".gitconfig"))
        .env("GIT_AUTHOR_NAME", AUTHOR_NAME)
        .env("GIT_AUTHOR_EMAIL", AUTHOR_EMAIL)
        .env("GIT_COMMITTER_NAME", COMMITTER_NAME)
        .env("GIT_COMMITTER_EMAIL", COMMITTER_EMAIL)
        .env("LC_ALL", "C")
        .stdin(Stdio::null());
    cmd
}

/// Runs `cmd`, feeding `stdin` if given, and checks that it did not panic.
pub fn output_of(cmd: &mut Command, stdin: Option<&str>) -> Output {
    let output = match stdin {
        None => cmd.output().expect("the command starts"),
        Some(input) => {
            let mut child = cmd
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("the command starts");
            child
                .stdin
                .take()
                .unwrap()
                .write_all(input.as_bytes())
                .expect("stdin is written");
            child.wait_with_output().expect("the command finishes")
        }
    };
    assert_ne!(
        output.status.code(),
        Some(101),
        "the command panicked: {cmd:?}\n{}",
        describe(&output)
    );
    output
}

/// stdout and stderr of `output`, for assertion messages.
pub fn describe(output: &Output) -> String {
    format!(
        "status: {}\n--- stdout\n{}--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("stderr is UTF-8")
}

/// Asserts that `output` succeeded and returns its stdout.
pub fn expect_ok(output: &Output, what: &str) -> String {
    assert!(
        output.status.success(),
        "{what} should succeed\n{}",
        describe(output)
    );
    stdout(output)
}

/// Asserts that `output` failed with `code` and a non-empty message, and returns stderr.
pub fn expect_failure(output: &Output, code: i32, what: &str) -> String {
    assert_eq!(
        output.status.code(),
        Some(code),
        "{what} should exit with {code}\n{}",
        describe(output)
    );
    let err = stderr(output);
    assert!(
        !err.trim().is_empty(),
        "{what} should explain the failure on stderr\n{}",
        describe(output)
    );
    err
}

/// A temporary folder holding a HOME and a repository (`repo/`).
pub struct TestRepo {
    tmp: TempDir,
    /// The (empty) HOME of every command.
    pub home: PathBuf,
    /// The repository's work tree.
    pub path: PathBuf,
}

impl TestRepo {
    /// A repository with `refs/milestones` initialized.
    pub fn new() -> Self {
        let repo = Self::uninitialized();
        repo.ok(["init"]);
        repo
    }

    /// A fresh repository without `refs/milestones`.
    pub fn uninitialized() -> Self {
        let tmp = TempDir::new().expect("a temporary folder");
        let root = tmp.path().canonicalize().unwrap();
        let home = root.join("home");
        std::fs::create_dir_all(home.join(".config")).unwrap();
        std::fs::write(home.join(".gitconfig"), "").unwrap();
        let path = root.join("repo");
        let mut cmd = hermetic("git", &home);
        cmd.args(["init", "-q", "-b", "main"])
            .arg(&path)
            .current_dir(&root);
        expect_ok(&output_of(&mut cmd, None), "git init");
        TestRepo { tmp, home, path }
    }

    /// The temporary folder everything lives in (for sibling folders).
    pub fn root(&self) -> PathBuf {
        self.tmp.path().canonicalize().unwrap()
    }

    /// The binary, hermetic, run in the repository.
    pub fn cmd(&self) -> Command {
        let mut cmd = hermetic(BIN, &self.home);
        cmd.current_dir(&self.path);
        cmd
    }

    /// The binary with `args`, run in the repository.
    pub fn run<I, S>(&self, args: I) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        output_of(self.cmd().args(args), None)
    }

    /// Runs the binary, asserts success, returns stdout.
    pub fn ok<I, S>(&self, args: I) -> String
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let args: Vec<_> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
        expect_ok(&self.run(&args), &format!("git milestone {args:?}"))
    }

    /// Runs the binary with `--json` added, asserts success, parses stdout.
    pub fn json<I, S>(&self, args: I) -> Value
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut args: Vec<_> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
        args.push("--json".into());
        let text = expect_ok(&self.run(&args), &format!("git milestone {args:?}"));
        serde_json::from_str(&text).unwrap_or_else(|e| {
            panic!("git milestone {args:?} printed invalid JSON ({e}):\n{text}")
        })
    }

    /// The `git` CLI, hermetic, run in the repository.
    pub fn git_cmd(&self) -> Command {
        let mut cmd = hermetic("git", &self.home);
        cmd.current_dir(&self.path);
        cmd
    }

    /// Runs `git` with `args`, asserts success, returns stdout.
    pub fn git<I, S>(&self, args: I) -> String
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = self.git_cmd();
        cmd.args(args);
        let output = output_of(&mut cmd, None);
        expect_ok(&output, &format!("{cmd:?}"))
    }

    /// The commit `refs/milestones` points at.
    pub fn tip(&self) -> Option<String> {
        let output = output_of(
            self.git_cmd()
                .args(["rev-parse", "--verify", "-q", "refs/milestones"]),
            None,
        );
        output
            .status
            .success()
            .then(|| stdout(&output).trim().to_string())
    }

    /// How many commits `refs/milestones` has.
    pub fn commit_count(&self) -> usize {
        self.git(["rev-list", "--count", "refs/milestones"])
            .trim()
            .parse()
            .unwrap()
    }

    /// A milestone with `tasks` (plain tasks, pending).
    pub fn milestone_with_tasks(&self, id: &str, tasks: &[&str]) {
        self.ok(["new", id, "--title", &format!("Milestone {id}")]);
        for task in tasks {
            self.ok(["task", "add", id, task, "--title", &format!("Task {task}")]);
        }
    }
}

/// The event types of an `events`/`timeline` JSON array, in order.
pub fn event_types(events: &Value) -> Vec<String> {
    events
        .as_array()
        .expect("an array of events")
        .iter()
        .map(|e| e["event_type"].as_str().unwrap().to_string())
        .collect()
}
