//! The temporary-repository helper: a repository made with the `git` CLI, and the built
//! `git-milestone` binary run in a hermetic environment (its own HOME, no system or
//! global git config, a fixed identity and clock, no inherited `GIT_*` variables).

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;
use tempfile::TempDir;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_git-milestone");

/// A command with nothing inherited but `PATH`: HOME is `home`, git reads no system or
/// global config, and identity and time are fixed.
pub fn hermetic(program: impl AsRef<OsStr>, home: &Path) -> Command {
    let mut cmd = Command::new(program);
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", home.join(".gitconfig"))
        .env("GIT_AUTHOR_NAME", "Test Author")
        .env("GIT_AUTHOR_EMAIL", "author@example.com")
        .env("GIT_AUTHOR_DATE", "2026-11-01T00:00:00Z")
        .env("GIT_COMMITTER_NAME", "Test Committer")
        .env("GIT_COMMITTER_EMAIL", "committer@example.com")
        .env("GIT_COMMITTER_DATE", "2026-11-01T00:00:00Z")
        .env("LC_ALL", "C")
        .stdin(Stdio::null());
    cmd
}

/// stdout and stderr, for assertion messages.
pub fn describe(output: &Output) -> String {
    format!(
        "status: {}\n--- stdout\n{}--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A temporary HOME and a repository (`repo/`) in it.
pub struct TestRepo {
    _tmp: TempDir,
    /// The HOME of every command.
    pub home: PathBuf,
    /// The repository's work tree.
    pub path: PathBuf,
}

impl TestRepo {
    /// A fresh repository, without `refs/milestones`.
    pub fn new() -> Self {
        let tmp = tempfile::tempdir().expect("a temporary folder");
        let home = tmp.path().join("home");
        let path = tmp.path().join("repo");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::write(home.join(".gitconfig"), "").unwrap();
        let repo = TestRepo {
            _tmp: tmp,
            home,
            path,
        };
        let out = hermetic("git", &repo.home)
            .args(["init", "-q"])
            .arg(&repo.path)
            .output()
            .expect("git runs");
        assert!(out.status.success(), "git init\n{}", describe(&out));
        repo
    }

    /// Runs `git` in the repository.
    pub fn git<I, S>(&self, args: I) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        hermetic("git", &self.home)
            .current_dir(&self.path)
            .args(args)
            .output()
            .expect("git runs")
    }

    /// The trimmed stdout of a `git` command that must succeed.
    pub fn git_ok<I, S>(&self, args: I) -> String
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let out = self.git(args);
        assert!(out.status.success(), "git\n{}", describe(&out));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Runs the binary in the repository; it must never panic.
    pub fn run<I, S>(&self, args: I) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = hermetic(BIN, &self.home);
        cmd.current_dir(&self.path).args(args);
        let out = cmd.output().expect("the binary runs");
        assert_ne!(
            out.status.code(),
            Some(101),
            "panicked: {cmd:?}\n{}",
            describe(&out)
        );
        out
    }

    /// The stdout of a command that must succeed.
    pub fn ok<I, S>(&self, args: I) -> String
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let out = self.run(args);
        assert!(out.status.success(), "should succeed\n{}", describe(&out));
        String::from_utf8(out.stdout).expect("stdout is UTF-8")
    }

    /// The JSON printed by a command that must succeed (`--json` is added).
    pub fn json<I, S>(&self, args: I) -> Value
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut all: Vec<std::ffi::OsString> =
            args.into_iter().map(|a| a.as_ref().to_owned()).collect();
        all.push("--json".into());
        let text = self.ok(&all);
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
    }

    /// The stderr of a command that must fail with `code`.
    pub fn fails<I, S>(&self, code: i32, args: I) -> String
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let out = self.run(args);
        assert_eq!(
            out.status.code(),
            Some(code),
            "exit code\n{}",
            describe(&out)
        );
        let err = String::from_utf8(out.stderr).expect("stderr is UTF-8");
        assert!(!err.trim().is_empty(), "a failure explains itself");
        err
    }
}

/// Copies the folder `from` to `to`, recursively.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
