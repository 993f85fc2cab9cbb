//! The temporary-repository helper: real repositories made with the `git` CLI, and the
//! built `git-milestone` binary run in a hermetic environment (its own HOME, no system
//! or global git config, a fixed identity, no inherited `GIT_*` variables).

use std::ffi::OsStr;
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

/// A command with a hermetic environment: everything inherited is dropped except
/// `PATH`; HOME is `home`, git reads no system or global config, and the identity is
/// fixed. Tests that need no identity remove it again with [`without_identity`].
pub fn hermetic(program: impl AsRef<OsStr>, home: &Path) -> Command {
    let mut cmd = Command::new(program);
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", home.join(".gitconfig"))
        .env("GIT_AUTHOR_NAME", AUTHOR_NAME)
        .env("GIT_AUTHOR_EMAIL", AUTHOR_EMAIL)
        .env("GIT_COMMITTER_NAME", COMMITTER_NAME)
        .env("GIT_COMMITTER_EMAIL", COMMITTER_EMAIL)
        .env("LC_ALL", "C")
        // Text output shows local times, as git does; pin the zone.
        .env("TZ", "UTC")
        .stdin(Stdio::null());
    cmd
}

/// Removes the identity variables [`hermetic`] sets, and turns off guessing one from
/// the system (`user.useConfigOnly`), which would depend on the machine's host name.
pub fn without_identity(cmd: &mut Command) -> &mut Command {
    cmd.env("GIT_CONFIG_PARAMETERS", "'user.useConfigOnly'='true'");
    for var in [
        "GIT_AUTHOR_NAME",
        "GIT_AUTHOR_EMAIL",
        "GIT_COMMITTER_NAME",
        "GIT_COMMITTER_EMAIL",
    ] {
        cmd.env_remove(var);
    }
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

/// A temporary folder holding a HOME and a repository (`repo/`, or a bare one).
pub struct TestRepo {
    tmp: TempDir,
    /// The (empty) HOME of every command.
    pub home: PathBuf,
    /// The repository: its work tree, or the git dir of a bare repository.
    pub path: PathBuf,
    /// The fixed clock of [`TestRepo::with_fixed_clock`]: seconds since the epoch of the
    /// next command, `git` and `git milestone` alike; none: the real clock.
    clock: Option<std::sync::atomic::AtomicI64>,
}

/// When a repository's fixed clock starts: 2026-01-01T00:00:00Z.
pub const CLOCK_START: i64 = 1_767_225_600;

impl TestRepo {
    /// A repository with `refs/milestones` initialized.
    pub fn new() -> Self {
        let repo = Self::uninitialized();
        repo.ok(["init"]);
        repo
    }

    /// A fresh repository without `refs/milestones`.
    pub fn uninitialized() -> Self {
        Self::create(false)
    }

    /// A fresh bare repository without `refs/milestones`.
    pub fn bare() -> Self {
        Self::create(true)
    }

    fn create(bare: bool) -> Self {
        let tmp = TempDir::new().expect("a temporary folder");
        let root = tmp.path().canonicalize().unwrap();
        let home = root.join("home");
        std::fs::create_dir_all(home.join(".config")).unwrap();
        std::fs::write(home.join(".gitconfig"), "").unwrap();
        let path = root.join(if bare { "repo.git" } else { "repo" });
        let mut cmd = hermetic("git", &home);
        cmd.arg("init").arg("-q").arg("-b").arg("main");
        if bare {
            cmd.arg("--bare");
        }
        cmd.arg(&path).current_dir(&root);
        expect_ok(&output_of(&mut cmd, None), "git init");
        TestRepo {
            tmp,
            home,
            path,
            clock: None,
        }
    }

    /// A repository with `refs/milestones` initialized whose commands all run on a
    /// fixed clock: it starts at [`CLOCK_START`] and moves one second per command, so
    /// that times and commit ids in the output are the same on every run.
    pub fn with_fixed_clock() -> Self {
        Self::with_clock_at(CLOCK_START)
    }

    /// [`TestRepo::with_fixed_clock`], the clock starting at `start` (seconds since
    /// the epoch) instead.
    pub fn with_clock_at(start: i64) -> Self {
        let mut repo = Self::uninitialized();
        repo.clock = Some(std::sync::atomic::AtomicI64::new(start));
        repo.ok(["init"]);
        repo
    }

    /// Whether this repository's commands run on a fixed clock.
    pub fn has_fixed_clock(&self) -> bool {
        self.clock.is_some()
    }

    /// Sets the next tick of the fixed clock on `cmd` (as git reads it).
    fn tick(&self, cmd: &mut Command) {
        if let Some(clock) = &self.clock {
            let now = clock.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let date = format!("@{now} +0000");
            cmd.env("GIT_COMMITTER_DATE", &date)
                .env("GIT_AUTHOR_DATE", &date);
        }
    }

    /// The temporary folder everything lives in (for sibling folders).
    pub fn root(&self) -> PathBuf {
        self.tmp.path().canonicalize().unwrap()
    }

    /// A new, empty folder next to the repository.
    pub fn sibling_dir(&self, name: &str) -> PathBuf {
        let dir = self.root().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// The binary, hermetic, run in the repository.
    pub fn cmd(&self) -> Command {
        let mut cmd = hermetic(BIN, &self.home);
        cmd.current_dir(&self.path);
        self.tick(&mut cmd);
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

    /// The binary with `args` and `stdin`.
    pub fn run_stdin<I, S>(&self, args: I, stdin: &str) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        output_of(self.cmd().args(args), Some(stdin))
    }

    /// The binary with `args` and extra environment variables.
    pub fn run_env<I, S>(&self, env: &[(&str, &str)], args: I) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = self.cmd();
        cmd.args(args);
        for (key, value) in env {
            cmd.env(key, value);
        }
        output_of(&mut cmd, None)
    }

    /// Runs the binary as if at `date` (`GIT_COMMITTER_DATE`), asserts success.
    pub fn ok_at<I, S>(&self, date: &str, args: I) -> String
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let args: Vec<_> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
        let output = self.run_env(&[("GIT_COMMITTER_DATE", date)], &args);
        expect_ok(&output, &format!("git milestone {args:?} at {date}"))
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

    /// Runs the binary, asserts it fails with `code`, a message and an unmoved ref;
    /// returns stderr.
    pub fn fails<I, S>(&self, args: I, code: i32) -> String
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let args: Vec<_> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
        let before = self.tip();
        let err = expect_failure(&self.run(&args), code, &format!("git milestone {args:?}"));
        assert_eq!(
            self.tip(),
            before,
            "git milestone {args:?} failed but moved refs/milestones"
        );
        err
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
        self.tick(&mut cmd);
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

    /// Runs `git` with `args` and `stdin`, asserts success, returns stdout.
    pub fn git_stdin<I, S>(&self, args: I, stdin: &str) -> String
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = self.git_cmd();
        cmd.args(args);
        let output = output_of(&mut cmd, Some(stdin));
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

    /// The id of `rev` (a commit, or `rev:path`), if it exists.
    pub fn rev_parse(&self, rev: &str) -> Option<String> {
        let output = output_of(
            self.git_cmd().args(["rev-parse", "--verify", "-q", rev]),
            None,
        );
        output
            .status
            .success()
            .then(|| stdout(&output).trim().to_string())
    }

    /// The raw message of commit `rev`.
    pub fn message(&self, rev: &str) -> String {
        self.git(["log", "-1", "--format=%B", rev])
    }

    /// The JSON document of the commit message of `rev`, checked for the layout:
    /// a summary line, a blank line, then the document.
    pub fn record(&self, rev: &str) -> Value {
        let message = self.message(rev);
        let (subject, body) = message
            .split_once("\n\n")
            .unwrap_or_else(|| panic!("{rev}: no blank line after the summary: {message:?}"));
        assert!(!subject.trim().is_empty(), "{rev}: empty summary line");
        assert!(!subject.contains('\n'), "{rev}: summary spans lines");
        serde_json::from_str(body.trim())
            .unwrap_or_else(|e| panic!("{rev}: the message body is not JSON ({e}): {body:?}"))
    }

    /// The text of `path` at the tip of `refs/milestones`.
    pub fn show_file(&self, path: &str) -> String {
        self.git(["show", &format!("refs/milestones:{path}")])
    }

    /// A milestone with `tasks` (plain tasks, pending).
    pub fn milestone_with_tasks(&self, id: &str, tasks: &[&str]) {
        self.ok(["new", id, "--title", &format!("Milestone {id}")]);
        for task in tasks {
            self.ok(["task", "add", id, task, "--title", &format!("Task {task}")]);
        }
    }

    /// Writes `text` to `name` in the temporary folder and returns its path.
    pub fn write_file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.root().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    /// Runs `git` with `args` and extra environment variables, asserts success,
    /// returns stdout.
    pub fn git_env<I, S>(&self, env: &[(&str, &str)], args: I) -> String
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = self.git_cmd();
        cmd.args(args);
        for (key, value) in env {
            cmd.env(key, value);
        }
        let output = output_of(&mut cmd, None);
        expect_ok(&output, &format!("{cmd:?}"))
    }

    /// Runs `git` with `args` in the repository without asserting anything.
    pub fn git_output<I, S>(&self, args: I) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        output_of(self.git_cmd().args(args), None)
    }

    /// Commits `files` (path in the tree, content) over the tree of `refs/milestones`
    /// with plain git plumbing, as another tool would: `hash-object`, a temporary index
    /// (`GIT_INDEX_FILE`, `read-tree`, `update-index`), `write-tree`, `commit-tree`,
    /// `update-ref`. Returns the new commit.
    pub fn commit_with_plumbing(&self, files: &[(&str, &str)], message: &str) -> String {
        let parent = self.tip().expect("refs/milestones exists");
        let index = self.root().join("plumbing.index");
        let _ = std::fs::remove_file(&index);
        let index = index.to_str().unwrap().to_string();
        let env = [("GIT_INDEX_FILE", index.as_str())];
        self.git_env(&env, ["read-tree", "refs/milestones"]);
        for (path, content) in files {
            let blob = self
                .git_stdin(["hash-object", "-w", "--stdin"], content)
                .trim()
                .to_string();
            self.git_env(
                &env,
                [
                    "update-index",
                    "--add",
                    "--cacheinfo",
                    &format!("100644,{blob},{path}"),
                ],
            );
        }
        let tree = self.git_env(&env, ["write-tree"]).trim().to_string();
        let commit = self
            .git(["commit-tree", &tree, "-p", &parent, "-m", message])
            .trim()
            .to_string();
        self.git(["update-ref", "refs/milestones", &commit, &parent]);
        commit
    }

    /// The binary with `args`, run in `dir` (another worktree, a subfolder).
    pub fn run_in<I, S>(&self, dir: &Path, args: I) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        output_of(self.cmd().current_dir(dir).args(args), None)
    }

    /// Like [`TestRepo::run_in`], asserts success and returns stdout.
    pub fn ok_in<I, S>(&self, dir: &Path, args: I) -> String
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let args: Vec<_> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
        expect_ok(
            &self.run_in(dir, &args),
            &format!("git milestone {args:?} in {}", dir.display()),
        )
    }

    /// A clone of `url` made with plain `git clone`, in a new temporary folder (its
    /// own HOME; the repository is `repo/` as for [`TestRepo::new`]).
    pub fn clone_of(url: &str) -> Self {
        let tmp = TempDir::new().expect("a temporary folder");
        let root = tmp.path().canonicalize().unwrap();
        let home = root.join("home");
        std::fs::create_dir_all(home.join(".config")).unwrap();
        std::fs::write(home.join(".gitconfig"), "").unwrap();
        let path = root.join("repo");
        let mut cmd = hermetic("git", &home);
        cmd.args(["clone", "-q", url]).arg(&path).current_dir(&root);
        expect_ok(&output_of(&mut cmd, None), "git clone");
        TestRepo {
            tmp,
            home,
            path,
            clock: None,
        }
    }

    /// Writes an executable shell script `name` with `body` and returns its path.
    pub fn script(&self, name: &str, body: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let path = self.write_file(name, &format!("#!/bin/sh\nset -e\n{body}\n"));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
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

/// Runs git in `dir` for a test that drives the library directly (no hermetic
/// environment: only the system config is left out), asserting it succeeds.
pub fn run_git(dir: &Path, args: &[&str]) {
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A bare `remote.git` in `root` and `count` clones of it (`clone0`, `clone1`, …),
/// each with its own identity (`user<i>`) and `origin` pointing at the remote.
pub fn clones_of_a_bare_remote(root: &Path, count: usize) -> Vec<PathBuf> {
    run_git(root, &["init", "-q", "--bare", "remote.git"]);
    (0..count)
        .map(|i| {
            let name = format!("clone{i}");
            run_git(root, &["init", "-q", &name]);
            let path = root.join(&name);
            run_git(&path, &["config", "user.name", &format!("user{i}")]);
            run_git(
                &path,
                &["config", "user.email", &format!("user{i}@example.com")],
            );
            run_git(&path, &["remote", "add", "origin", "../remote.git"]);
            path
        })
        .collect()
}
