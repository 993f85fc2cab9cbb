//! Many processes writing at once: no lock, compare-and-swap with retries, nobody's
//! work lost.

use std::collections::BTreeSet;
use std::sync::{Arc, Barrier};
use std::thread;

use crate::common::{describe, event_types, expect_ok, TestRepo};

const WORKERS: usize = 8;
const EVENTS_PER_WORKER: usize = 10;

#[test]
fn concurrent_writers_lose_nothing() {
    let repo = Arc::new(TestRepo::new());
    let tasks: Vec<String> = (0..WORKERS).map(|w| format!("t{w}")).collect();
    let task_refs: Vec<&str> = tasks.iter().map(String::as_str).collect();
    repo.milestone_with_tasks("shared", &task_refs);
    let before = repo.commit_count();

    let barrier = Arc::new(Barrier::new(WORKERS));
    let workers: Vec<_> = (0..WORKERS)
        .map(|w| {
            let repo = Arc::clone(&repo);
            let barrier = Arc::clone(&barrier);
            thread::spawn(move || {
                barrier.wait();
                let task = format!("t{w}");
                for n in 0..EVENTS_PER_WORKER {
                    let data = format!(r#"{{"worker": {w}, "n": {n}}}"#);
                    let output =
                        repo.run(["-q", "event", "add", "shared", "work", "--data", &data]);
                    assert!(
                        output.status.success(),
                        "worker {w} event {n}\n{}",
                        describe(&output)
                    );
                    if n == 3 {
                        let output = repo.run(["task", "start", "shared", &task]);
                        assert!(
                            output.status.success(),
                            "worker {w} start\n{}",
                            describe(&output)
                        );
                    }
                    if n == 7 {
                        let output = repo.run(["task", "set", "shared", &task, "completed"]);
                        assert!(
                            output.status.success(),
                            "worker {w} complete\n{}",
                            describe(&output)
                        );
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().expect("a worker failed");
    }

    let operations = WORKERS * (EVENTS_PER_WORKER + 2);
    assert_eq!(repo.commit_count(), before + operations);
    // A straight line: one commit per operation, lamports 1..=N without gaps.
    assert_eq!(repo.git(["rev-list", "--merges", "refs/milestones"]), "");
    let mut lamports: Vec<u64> = repo
        .git(["rev-list", "refs/milestones"])
        .lines()
        .map(|c| repo.record(c)["lamport"].as_u64().unwrap())
        .collect();
    lamports.reverse();
    let expected: Vec<u64> = (1..=lamports.len() as u64).collect();
    assert_eq!(lamports, expected);

    let limit = (operations * 4).to_string();
    let work = repo.json(["events", "shared", "--type", "work", "--limit", &limit]);
    let seen: BTreeSet<(u64, u64)> = work
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["data"]["worker"].as_u64().unwrap(),
                e["data"]["n"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(work.as_array().unwrap().len(), WORKERS * EVENTS_PER_WORKER);
    let all: BTreeSet<(u64, u64)> = (0..WORKERS as u64)
        .flat_map(|w| (0..EVENTS_PER_WORKER as u64).map(move |n| (w, n)))
        .collect();
    assert_eq!(seen, all);

    let changes = repo.json([
        "events",
        "shared",
        "--type",
        "task_status_changed",
        "--limit",
        &limit,
    ]);
    assert_eq!(changes.as_array().unwrap().len(), WORKERS * 2);
    let timeline = event_types(&repo.json(["timeline", "shared"]));
    assert_eq!(
        timeline.iter().filter(|t| *t == "work").count(),
        WORKERS * EVENTS_PER_WORKER
    );
    assert_eq!(
        timeline
            .iter()
            .filter(|t| *t == "milestone_completed")
            .count(),
        1,
        "the milestone completed exactly once: {timeline:?}"
    );

    let show = repo.json(["show", "shared"]);
    assert_eq!(show["status"], "completed");
    assert_eq!(show["progress"]["completed_tasks"], WORKERS);
    let fsck = repo
        .git_cmd()
        .args(["fsck", "--no-dangling"])
        .output()
        .unwrap();
    assert!(fsck.status.success(), "{}", describe(&fsck));
}

#[test]
fn concurrent_inits_make_one_root_commit() {
    let repo = Arc::new(TestRepo::uninitialized());
    let barrier = Arc::new(Barrier::new(WORKERS));
    let outputs: Vec<_> = (0..WORKERS)
        .map(|_| {
            let repo = Arc::clone(&repo);
            let barrier = Arc::clone(&barrier);
            thread::spawn(move || {
                barrier.wait();
                repo.run(["init"])
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|t| t.join().unwrap())
        .collect();
    for output in &outputs {
        expect_ok(output, "a concurrent init");
    }
    assert_eq!(repo.commit_count(), 1);
    repo.ok(["new", "m1"]);
}

#[test]
fn concurrent_creation_of_one_milestone_has_one_winner() {
    let repo = Arc::new(TestRepo::new());
    let barrier = Arc::new(Barrier::new(WORKERS));
    let outputs: Vec<_> = (0..WORKERS)
        .map(|w| {
            let repo = Arc::clone(&repo);
            let barrier = Arc::clone(&barrier);
            thread::spawn(move || {
                barrier.wait();
                repo.run(["new", "race", "--title", &format!("by {w}")])
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|t| t.join().unwrap())
        .collect();
    let winners = outputs.iter().filter(|o| o.status.success()).count();
    assert_eq!(winners, 1, "exactly one creation succeeds");
    for output in outputs.iter().filter(|o| !o.status.success()) {
        assert_eq!(output.status.code(), Some(1), "{}", describe(output));
        assert!(
            String::from_utf8_lossy(&output.stderr).contains("already exists"),
            "{}",
            describe(output)
        );
    }
    assert_eq!(repo.commit_count(), 2);
}

/// Holds `refs/milestones.lock` the way a writer in the middle of its update does,
/// and releases it after `millis`.
fn hold_ref_lock(repo: &TestRepo, millis: u64) -> thread::JoinHandle<()> {
    let lock = repo.path.join(".git/refs/milestones.lock");
    std::fs::write(&lock, "").unwrap();
    thread::spawn(move || {
        thread::sleep(std::time::Duration::from_millis(millis));
        std::fs::remove_file(lock).unwrap();
    })
}

#[test]
fn a_write_waits_for_a_briefly_held_ref_lock() {
    let repo = TestRepo::new();
    repo.ok(["new", "m1"]);
    let count = repo.commit_count();
    let holder = hold_ref_lock(&repo, 300);
    repo.ok(["event", "add", "m1", "after-the-lock"]);
    holder.join().unwrap();
    assert_eq!(repo.commit_count(), count + 1);
}

#[test]
fn init_waits_for_a_briefly_held_ref_lock() {
    let repo = TestRepo::uninitialized();
    let holder = hold_ref_lock(&repo, 300);
    let output = repo.run(["init"]);
    holder.join().unwrap();
    expect_ok(&output, "init while another init holds the lock");
    assert_eq!(repo.commit_count(), 1);
}
