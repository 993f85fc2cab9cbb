//! `watch`: new events as they land, from commands and hooks, with `--exec`.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::*;

/// A `watch` running in the background, its stdout read line by line.
struct Watcher {
    child: Child,
    lines: Receiver<String>,
}

impl Watcher {
    /// Starts `git milestone watch <args>` and waits until it is watching.
    fn start(repo: &TestRepo, args: &[&str]) -> Watcher {
        let mut child = repo
            .cmd()
            .arg("watch")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("watch starts");
        let (ready_tx, ready) = channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let line = line.unwrap_or_default();
                let _ = ready_tx.send(line);
            }
        });
        let first = ready
            .recv_timeout(Duration::from_secs(10))
            .expect("watch says it is watching");
        assert!(first.starts_with("Watching"), "{first}");
        let (tx, lines) = channel();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                if tx.send(line.unwrap_or_default()).is_err() {
                    break;
                }
            }
        });
        Watcher { child, lines }
    }

    /// The next line, waiting up to 10 s.
    fn next(&self) -> String {
        self.lines
            .recv_timeout(Duration::from_secs(10))
            .expect("an event line within 10 s")
    }

    /// The next line parsed as JSON.
    fn next_json(&self) -> Value {
        let line = self.next();
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
    }

    /// Sends Ctrl-C (SIGINT) and returns the exit code.
    fn interrupt(mut self) -> Option<i32> {
        let pid = self.child.id().to_string();
        let status = std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .expect("kill runs");
        assert!(status.success());
        self.child.wait().expect("watch ends").code()
    }
}

#[test]
fn new_events_arrive_as_json_lines_and_ctrl_c_ends_with_exit_0() {
    let repo = TestRepo::new();
    repo.milestone_with_tasks("v1", &["api"]);
    repo.milestone_with_tasks("v2", &[]);
    let watcher = Watcher::start(&repo, &["v1", "--timeout", "30", "--json"]);
    repo.ok(["task", "start", "v1", "api"]);
    repo.ok(["event", "add", "v2", "elsewhere"]);
    repo.ok(["event", "add", "v1", "review_held", "--data", r#"{"n": 1}"#]);
    let first = watcher.next_json();
    assert_eq!(first["event_type"], "task_status_changed");
    assert_eq!(first["milestone_id"], "v1");
    assert_eq!(first["data"]["new_status"], "in_progress");
    let tip_after_task = repo.git(["rev-parse", "refs/milestones~2"]);
    assert_eq!(first["commit"], tip_after_task.trim());
    // The status update of the same operation, then the next operation; v2 is filtered.
    assert_eq!(watcher.next_json()["event_type"], "status_updated");
    let third = watcher.next_json();
    assert_eq!(third["event_type"], "review_held");
    assert_eq!(third["data"]["n"], 1);
    assert_eq!(watcher.interrupt(), Some(0));
}

#[test]
fn events_from_before_the_start_are_not_printed_and_the_timeout_ends_it() {
    let repo = TestRepo::new();
    repo.milestone_with_tasks("v1", &["api"]);
    let start = Instant::now();
    let out = repo.run(["watch", "--timeout", "0.5"]);
    assert!(start.elapsed() >= Duration::from_millis(500));
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert_eq!(stdout(&out), "");

    // Text lines, in the format of `events`.
    let watcher = Watcher::start(&repo, &["--timeout", "30"]);
    repo.ok(["event", "add", "v1", "deployed"]);
    let line = watcher.next();
    let events = repo.ok(["events", "v1", "--limit", "1"]);
    assert_eq!(line, events.trim_end());
    assert!(line.contains(" v1 ") && line.contains("deployed"), "{line}");
    assert_eq!(watcher.interrupt(), Some(0));
}

#[test]
fn exec_runs_a_command_per_event_with_the_event_on_stdin() {
    let repo = TestRepo::new();
    repo.milestone_with_tasks("v1", &[]);
    let env_file = repo.root().join("env.txt");
    let json_file = repo.root().join("events.jsonl");
    let command = format!(
        "printf '%s %s\\n' \"$MILESTONE_ID\" \"$EVENT_TYPE\" >> '{}'; cat >> '{}'",
        env_file.display(),
        json_file.display()
    );
    let watcher = Watcher::start(&repo, &["--timeout", "30", "--exec", &command]);
    repo.ok(["event", "add", "v1", "first", "--data", r#"{"a": 1}"#]);
    repo.ok(["task", "add", "v1", "t"]);
    watcher.next();
    watcher.next();
    // The command runs after the line is printed; give the last one a moment.
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::fs::read_to_string(&env_file)
        .unwrap_or_default()
        .lines()
        .count()
        < 2
    {
        assert!(
            Instant::now() < deadline,
            "the --exec command did not run twice"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(watcher.interrupt(), Some(0));
    assert_eq!(
        std::fs::read_to_string(&env_file).unwrap(),
        "v1 first\nv1 task_added\n"
    );
    let events: Vec<Value> = std::fs::read_to_string(&json_file)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["data"]["a"], 1);
    assert_eq!(events[1]["data"]["task_id"], "t");
}

#[test]
fn watch_sees_what_the_hooks_record() {
    let repo = TestRepo::new();
    repo.milestone_with_tasks("v1", &["api"]);
    repo.git(["commit", "-q", "--allow-empty", "-m", "first"]);
    repo.ok(["hooks", "install"]);
    repo.ok(["session", "start", "v1"]);
    let watcher = Watcher::start(&repo, &["v1", "--json", "--timeout", "30"]);
    repo.git([
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "work\n\nCompletes: api",
    ]);
    let head = repo.git(["rev-parse", "HEAD"]);
    let commit = watcher.next_json();
    assert_eq!(commit["event_type"], "commit");
    assert_eq!(commit["data"]["commit"], head.trim());
    assert_eq!(watcher.next_json()["event_type"], "task_status_changed");
    assert_eq!(watcher.interrupt(), Some(0));
}

#[test]
fn refusals() {
    let repo = TestRepo::new();
    let err = expect_failure(
        &repo.run(["watch", "nope", "--timeout", "1"]),
        1,
        "watch nope",
    );
    assert!(err.contains("no milestone nope"), "{err}");
    for bad in ["-1", "soon"] {
        expect_failure(&repo.run(["watch", "--timeout", bad]), 2, "watch --timeout");
    }
    expect_failure(&repo.run(["watch", "bad id!"]), 1, "watch with a bad id");
}

#[test]
fn watch_sees_what_a_sync_brings_in_from_another_clones_hooks() {
    // Clone A shares refs/milestones through a bare remote; clone B records with hooks.
    let a = TestRepo::uninitialized();
    a.git(["commit", "-q", "--allow-empty", "-m", "base"]);
    let remote = a.root().join("remote.git");
    let mut init = hermetic("git", &a.home);
    init.args(["init", "-q", "--bare", "-b", "main"])
        .arg(&remote);
    expect_ok(&output_of(&mut init, None), "git init --bare");
    a.git(["remote", "add", "origin", remote.to_str().unwrap()]);
    a.git(["push", "-q", "origin", "main"]);
    a.ok(["init"]);
    a.milestone_with_tasks("v1", &["api", "db"]);
    a.ok(["sync"]);

    let b = TestRepo::clone_of(remote.to_str().unwrap());
    b.ok(["sync"]);
    b.ok(["hooks", "install"]);
    b.ok(["session", "start", "v1"]);
    b.git([
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "api done\n\nCompletes: api",
    ]);
    let commit = b.git(["rev-parse", "HEAD"]);
    b.ok(["sync"]);

    a.ok(["task", "start", "v1", "db"]);
    let watcher = Watcher::start(&a, &["v1", "--json", "--timeout", "30"]);
    a.ok(["sync"]);
    let mut types = Vec::new();
    let mut seen_commit = None;
    while types.len() < 4 {
        let event = watcher.next_json();
        if event["event_type"] == "commit" {
            seen_commit = Some(event["data"]["commit"].clone());
        }
        types.push(event["event_type"].as_str().unwrap().to_string());
    }
    assert_eq!(watcher.interrupt(), Some(0));
    assert_eq!(seen_commit, Some(Value::from(commit.trim())), "{types:?}");
    assert!(types.contains(&"session_created".to_string()), "{types:?}");
    assert!(
        types.contains(&"task_status_changed".to_string()),
        "{types:?}"
    );
    let show = a.json(["show", "v1"]);
    assert_eq!(show["tasks"][0]["status"], "completed");
    assert_eq!(show["tasks"][1]["status"], "in_progress");
}
