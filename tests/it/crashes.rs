//! Writers killed with SIGKILL at random moments: every operation that reported
//! success is in the history, the repository stays consistent (`git fsck --strict`),
//! and the next command works. A ref lock left behind by a killed process is named
//! with the exact fix; one that is released soon is waited for.

use std::collections::BTreeMap;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use serde_json::Value;

use crate::common::{describe, expect_failure, stderr, TestRepo};

/// A small xorshift generator: the storm is reproducible from its seed.
struct XorShift(u64);

impl XorShift {
    fn new(seed: u64) -> Self {
        XorShift(seed.max(1))
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// The seed of this run: `CRASH_SEED` if set (to replay a failure), else the clock.
fn seed() -> u64 {
    let seed = match std::env::var("CRASH_SEED") {
        Ok(text) => text.parse().expect("CRASH_SEED is a number"),
        Err(_) => SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64,
    };
    eprintln!("crash storm seed: {seed} (replay with CRASH_SEED={seed})");
    seed
}

const ROUNDS: usize = 6;
const PER_ROUND: usize = 12;
const TASK_STATUSES: [&str; 3] = ["in_progress", "completed", "blocked"];

#[derive(Debug, Clone, Copy)]
enum Kind {
    /// `event add crash note --data {"op": n}`
    Event,
    /// `task set crash t<n> <TASK_STATUSES[i]>`: each task is set by one operation only.
    Task(usize),
    /// `state save crash {"op": n}`
    State,
    /// `events crash --limit 5`: a reader, to be killed while it updates the event index.
    Reader,
}

#[derive(Debug, Clone, Copy)]
struct Op {
    n: usize,
    kind: Kind,
}

impl Op {
    fn args(&self) -> Vec<String> {
        let n = self.n;
        match self.kind {
            Kind::Event => vec![
                "-q".into(),
                "event".into(),
                "add".into(),
                "crash".into(),
                "note".into(),
                "--data".into(),
                format!(r#"{{"op": {n}}}"#),
            ],
            Kind::Task(status) => vec![
                "-q".into(),
                "task".into(),
                "set".into(),
                "crash".into(),
                format!("t{n}"),
                TASK_STATUSES[status].into(),
            ],
            Kind::State => vec![
                "-q".into(),
                "state".into(),
                "save".into(),
                "crash".into(),
                format!(r#"{{"op": {n}}}"#),
            ],
            Kind::Reader => vec![
                "events".into(),
                "crash".into(),
                "--limit".into(),
                "5".into(),
                "--json".into(),
            ],
        }
    }
}

/// How one process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Succeeded,
    Killed,
    Failed,
}

fn end_of(output: &Output) -> End {
    assert_ne!(
        output.status.code(),
        Some(101),
        "a process panicked\n{}",
        describe(output)
    );
    if output.status.success() {
        End::Succeeded
    } else if output.status.signal() == Some(9) {
        End::Killed
    } else {
        End::Failed
    }
}

/// Sets the modification time of `path` to `age` ago, as a lock left by a process
/// killed that long ago has.
fn backdate(path: &Path, age: Duration) {
    let file = std::fs::File::options().write(true).open(path).unwrap();
    file.set_modified(SystemTime::now() - age).unwrap();
}

fn ref_lock(repo: &TestRepo) -> PathBuf {
    repo.path.join(".git/refs/milestones.lock")
}

/// Asserts that a write refuses the stale lock `lock` naming it and the exact fix,
/// quickly and without writing.
fn assert_stale_lock_reported(repo: &TestRepo, args: &[&str], lock: &Path) {
    let started = Instant::now();
    let err = repo.fails(args, 1);
    let elapsed = started.elapsed();
    let shown = lock.display().to_string();
    assert!(err.contains(&shown), "{args:?} names {shown}: {err}");
    assert!(
        err.contains(&format!("rm '{shown}'")),
        "{args:?} gives the exact fix: {err}"
    );
    assert!(
        err.contains("nothing was written"),
        "{args:?} says nothing was written: {err}"
    );
    assert!(
        elapsed < Duration::from_secs(5),
        "{args:?} took {elapsed:?} to report a stale lock"
    );
}

/// The milestone every storm writes to, with one pending task per task operation.
fn storm_repo(ops: &[Op]) -> TestRepo {
    let repo = TestRepo::new();
    let mut yaml = String::from("id: crash\ntitle: Crash\ntasks:\n");
    for op in ops {
        if let Kind::Task(_) = op.kind {
            yaml.push_str(&format!("  - id: t{}\n", op.n));
        }
    }
    let file = repo.write_file("crash.yaml", &yaml);
    repo.ok([std::ffi::OsStr::new("import"), file.as_os_str()]);
    repo
}

/// Runs one round: spawns `ops` at once, kills some after short random delays, and
/// waits for all of them.
fn run_round(repo: &TestRepo, ops: &[Op], rng: &mut XorShift) -> Vec<Output> {
    let started = Instant::now();
    let mut children: Vec<Child> = ops
        .iter()
        .map(|op| {
            repo.cmd()
                .args(op.args())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("the command starts")
        })
        .collect();
    // About half of them are killed, 0–60 ms after the start.
    let mut kills: Vec<(Duration, usize)> = Vec::new();
    for i in 0..children.len() {
        if rng.below(2) == 0 {
            kills.push((Duration::from_millis(rng.below(60)), i));
        }
    }
    kills.sort();
    for (at, i) in kills {
        if let Some(wait) = at.checked_sub(started.elapsed()) {
            thread::sleep(wait);
        }
        // A process that already exited is a zombie until waited for: the kill
        // succeeds and its exit status tells what really happened.
        children[i].kill().expect("kill sends SIGKILL");
    }
    children
        .into_iter()
        .map(|c| c.wait_with_output().expect("the command finishes"))
        .collect()
}

/// The `data.op` numbers of the `note` events, with how often each appears.
fn note_counts(events: &[Value]) -> BTreeMap<u64, usize> {
    let mut counts = BTreeMap::new();
    for e in events.iter().filter(|e| e["event_type"] == "note") {
        *counts
            .entry(e["data"]["op"].as_u64().expect("a note has data.op"))
            .or_insert(0) += 1;
    }
    counts
}

#[test]
fn writers_killed_at_random_moments_lose_no_acknowledged_operation() {
    let seed = seed();
    let mut rng = XorShift::new(seed);
    let ops: Vec<Op> = (0..ROUNDS * PER_ROUND)
        .map(|n| {
            let kind = match rng.below(7) {
                0 | 1 => Kind::Event,
                2 | 3 => Kind::Task(rng.below(TASK_STATUSES.len() as u64) as usize),
                4 | 5 => Kind::State,
                _ => Kind::Reader,
            };
            Op { n, kind }
        })
        .collect();
    let repo = storm_repo(&ops);
    let base = repo.commit_count();
    let lock = ref_lock(&repo);

    let mut ends: Vec<End> = Vec::with_capacity(ops.len());
    let mut locks_left = 0;
    for round in ops.chunks(PER_ROUND) {
        let outputs = run_round(&repo, round, &mut rng);
        // Every process of the round is gone: a ref lock still there was left by a
        // killed one. Writers that ran into it may have given up; the next write
        // takes it over at once, since the ref guard shows its writer died.
        let lock_left = lock.exists();
        for (op, output) in round.iter().zip(&outputs) {
            let end = end_of(output);
            if end == End::Failed {
                let err = stderr(output);
                assert!(
                    lock_left && (err.contains("kept moving") || err.contains("milestones.lock")),
                    "seed {seed}: {op:?} failed without being killed\n{}",
                    describe(output)
                );
            }
            ends.push(end);
        }
        if lock_left {
            locks_left += 1;
            let started = Instant::now();
            repo.ok(["event", "add", "crash", "probe"]);
            assert!(
                started.elapsed() < Duration::from_secs(2),
                "taken over at once"
            );
            assert!(
                !lock.exists(),
                "seed {seed}: the dead writer's lock is gone"
            );
        }
    }
    let count = |end: End| ends.iter().filter(|e| **e == end).count();
    eprintln!(
        "seed {seed}: {} succeeded, {} killed, {} failed behind {locks_left} left lock(s)",
        count(End::Succeeded),
        count(End::Killed),
        count(End::Failed)
    );

    // A killed reader may have left the event index's lock: make it old, so that the
    // next reader takes the index over (and must repair whatever was half written).
    let index_lock = repo.path.join(".git/milestone/events.idx.lock");
    if index_lock.exists() {
        backdate(&index_lock, Duration::from_secs(600));
    }
    let events = repo.json(["events", "crash", "--limit", "100000"]);
    let events = events.as_array().unwrap().clone();

    // Custom events: every acknowledged one exactly once, killed ones at most once.
    let notes = note_counts(&events);
    for (n, count) in &notes {
        assert_eq!(*count, 1, "seed {seed}: note {n} recorded {count} times");
    }
    // Task changes: each task was set by one operation only.
    let show = repo.json(["show", "crash"]);
    let task_status: BTreeMap<String, String> = show["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["id"].as_str().unwrap().to_string(),
                t["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut changes: BTreeMap<String, usize> = BTreeMap::new();
    for e in events
        .iter()
        .filter(|e| e["event_type"] == "task_status_changed")
    {
        *changes
            .entry(e["data"]["task_id"].as_str().unwrap().to_string())
            .or_insert(0) += 1;
    }
    // States: which operation each `state_saved` commit wrote, read from its tree.
    let mut states: BTreeMap<u64, usize> = BTreeMap::new();
    let mut newest_state: Option<Value> = None;
    for e in events.iter().filter(|e| e["event_type"] == "state_saved") {
        let commit = e["commit"].as_str().unwrap();
        let text = repo.git(["show", &format!("{commit}:milestones/crash/state.json")]);
        let state: Value = serde_json::from_str(&text).unwrap();
        *states.entry(state["op"].as_u64().unwrap()).or_insert(0) += 1;
        // Events are newest first.
        newest_state.get_or_insert(state);
    }
    for (n, count) in &states {
        assert_eq!(*count, 1, "seed {seed}: state {n} saved {count} times");
    }

    let mut present = 0;
    for (op, end) in ops.iter().zip(&ends) {
        let n = op.n as u64;
        let (recorded, what) = match op.kind {
            Kind::Event => (notes.contains_key(&n), "its note event"),
            Kind::State => (states.contains_key(&n), "its state_saved commit"),
            Kind::Task(status) => {
                let task = format!("t{n}");
                let now = task_status[&task].as_str();
                let changed = changes.get(&task).copied().unwrap_or(0);
                // All or nothing: the status and its event come in one commit.
                if now == "pending" {
                    assert_eq!(changed, 0, "seed {seed}: {op:?} left an event only");
                } else {
                    assert_eq!(now, TASK_STATUSES[status], "seed {seed}: {op:?}");
                    assert_eq!(changed, 1, "seed {seed}: {op:?}: one change event");
                }
                (now != "pending", "its task status")
            }
            Kind::Reader => continue,
        };
        match end {
            End::Succeeded => assert!(
                recorded,
                "seed {seed}: {op:?} exited 0 but {what} is missing"
            ),
            // A command that fails writes nothing.
            End::Failed => assert!(!recorded, "seed {seed}: {op:?} failed but {what} is there"),
            End::Killed => {}
        }
        present += usize::from(recorded);
    }
    // One commit per operation that got in, nothing else.
    assert_eq!(
        repo.commit_count(),
        base + present,
        "seed {seed}: commits besides the recorded operations"
    );
    assert_eq!(repo.git(["rev-list", "--merges", "refs/milestones"]), "");
    if let Some(newest) = newest_state {
        let loaded: Value =
            serde_json::from_str(&repo.ok(["state", "load", "crash"])).expect("the state is JSON");
        assert_eq!(loaded, newest, "seed {seed}: the state is the newest saved");
    }

    // The object database and the refs are intact (dangling objects are fine).
    let fsck = repo.git_output(["fsck", "--strict", "--no-dangling", "--no-progress"]);
    assert!(
        fsck.status.success() && !stderr(&fsck).contains("error"),
        "seed {seed}: git fsck --strict\n{}",
        describe(&fsck)
    );

    // The event index, however a killed reader left it, agrees with a rebuilt one.
    let local = repo.path.join(".git/milestone");
    for entry in std::fs::read_dir(&local).into_iter().flatten() {
        let path = entry.unwrap().path();
        if path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("events.idx")
        {
            std::fs::remove_file(path).unwrap();
        }
    }
    let rebuilt = repo.json(["events", "crash", "--limit", "100000"]);
    assert_eq!(
        rebuilt.as_array().unwrap(),
        &events,
        "seed {seed}: the event index kept by the storm differs from a rebuilt one"
    );

    // And the next commands work.
    repo.ok(["event", "add", "crash", "after-the-storm"]);
    repo.ok(["state", "save", "crash", r#"{"after": true}"#]);
    assert_eq!(repo.commit_count(), base + present + 2);
    assert_eq!(
        repo.json(["events", "crash", "--limit", "1"])[0]["event_type"],
        "state_saved"
    );
}

#[test]
fn a_stale_ref_lock_is_named_with_the_exact_fix_and_nothing_is_written() {
    let repo = TestRepo::new();
    repo.milestone_with_tasks("m1", &["t1"]);
    let lock = ref_lock(&repo);
    std::fs::write(&lock, "").unwrap();
    backdate(&lock, Duration::from_secs(60));
    let count = repo.commit_count();
    for args in [
        &["event", "add", "m1", "note"][..],
        &["task", "set", "m1", "t1", "completed"],
        &["state", "save", "m1", r#"{"a": 1}"#],
        &["new", "m2"],
        &["task", "add", "m1", "t2"],
    ] {
        assert_stale_lock_reported(&repo, args, &lock);
    }
    assert_eq!(repo.commit_count(), count);
    assert!(lock.exists(), "the lock is left for the user to remove");
    // Reads do not need the lock.
    assert_eq!(repo.json(["show", "m1"])["tasks"][0]["status"], "pending");
    repo.ok(["events", "m1"]);
    // The fix works.
    std::fs::remove_file(&lock).unwrap();
    repo.ok(["task", "set", "m1", "t1", "completed"]);
    assert_eq!(repo.commit_count(), count + 1);
}

/// What a writer of ours killed in the middle of its ref update leaves: git's
/// `refs/milestones.lock`, and the mark in the ref guard it held.
fn leave_a_killed_writers_lock(repo: &TestRepo) -> PathBuf {
    let lock = ref_lock(repo);
    std::fs::write(&lock, "").unwrap();
    std::fs::write(repo.path.join(".git/milestone-ref.lock"), "updating\n").unwrap();
    lock
}

#[test]
fn a_ref_lock_left_by_a_killed_writer_is_taken_over_at_once() {
    let repo = TestRepo::new();
    repo.milestone_with_tasks("m1", &["t1"]);
    for args in [
        &["event", "add", "m1", "note"][..],
        &["task", "set", "m1", "t1", "completed"],
        &["state", "save", "m1", r#"{"a": 1}"#],
    ] {
        let lock = leave_a_killed_writers_lock(&repo);
        let count = repo.commit_count();
        let started = Instant::now();
        repo.ok(args);
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{args:?} did not wait: {:?}",
            started.elapsed()
        );
        assert_eq!(repo.commit_count(), count + 1, "{args:?}");
        assert!(!lock.exists());
    }
    // init too.
    let fresh = TestRepo::uninitialized();
    leave_a_killed_writers_lock(&fresh);
    fresh.ok(["init"]);
    assert_eq!(fresh.commit_count(), 1);
}

#[test]
fn init_reports_a_stale_ref_lock() {
    let repo = TestRepo::uninitialized();
    let lock = ref_lock(&repo);
    std::fs::write(&lock, "").unwrap();
    backdate(&lock, Duration::from_secs(60));
    assert_stale_lock_reported(&repo, &["init"], &lock);
    assert_eq!(repo.tip(), None);
    std::fs::remove_file(&lock).unwrap();
    repo.ok(["init"]);
    assert_eq!(repo.commit_count(), 1);
}

#[test]
fn a_fresh_ref_lock_is_waited_for_by_every_kind_of_write() {
    let repo = TestRepo::new();
    repo.milestone_with_tasks("m1", &["t1"]);
    let lock = ref_lock(&repo);
    for args in [
        &["event", "add", "m1", "note"][..],
        &["task", "set", "m1", "t1", "in_progress"],
        &["state", "save", "m1", r#"{"a": 1}"#],
        &["new", "m2"],
    ] {
        let count = repo.commit_count();
        std::fs::write(&lock, "").unwrap();
        let held = lock.clone();
        let holder = thread::spawn(move || {
            thread::sleep(Duration::from_millis(300));
            std::fs::remove_file(held).unwrap();
        });
        let started = Instant::now();
        let output = repo.run(args);
        let elapsed = started.elapsed();
        holder.join().unwrap();
        assert!(
            output.status.success(),
            "{args:?} waits for the lock\n{}",
            describe(&output)
        );
        assert!(
            elapsed >= Duration::from_millis(250),
            "{args:?} finished in {elapsed:?}, while the lock was held"
        );
        assert!(elapsed < Duration::from_secs(5), "{args:?}: {elapsed:?}");
        assert_eq!(repo.commit_count(), count + 1, "{args:?}");
    }
}

/// A lock left by a process killed a few seconds ago is younger than the 10 s after
/// which it counts as stale, but a write gives up after its retries (about 3.5 s):
/// it then says the ref "kept moving" and to "run the command again", without naming
/// the lock, although nothing moved and running it again fails the same way.
#[test]
fn a_ref_lock_that_outlasts_the_retries_is_named() {
    let repo = TestRepo::new();
    repo.ok(["new", "m1"]);
    let lock = ref_lock(&repo);
    std::fs::write(&lock, "").unwrap();
    let started = Instant::now();
    let output = repo.run(["event", "add", "m1", "note"]);
    let err = expect_failure(&output, 1, "a write behind a held lock");
    assert!(started.elapsed() < Duration::from_secs(15));
    assert!(
        err.contains(&lock.display().to_string()),
        "the error names the lock file: {err}"
    );
}
