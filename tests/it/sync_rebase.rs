//! `sync --rebase` (`milestone.syncRebase`): this clone's operations that no remote
//! has are re-applied on top of the shared tip, as `git pull --rebase` does with
//! unpushed commits; anything a remote has is merged as without it. A team racing in
//! rebase mode is in `team.rs`.

use std::collections::HashSet;

use serde_json::Value;

use crate::common::TestRepo;

const SHARED: &str = "refs/meta/milestones";

/// Alice's milestone m1 with tasks a and b on the remote, and Bob's clone of it.
fn alice_and_bob() -> (TestRepo, TestRepo, TestRepo) {
    let remote = TestRepo::bare();
    let url = remote.path.to_str().unwrap();
    let alice = TestRepo::clone_of(url);
    alice.ok(["init"]);
    alice.milestone_with_tasks("m1", &["a", "b"]);
    alice.ok(["sync"]);
    let bob = TestRepo::clone_of(url);
    bob.ok(["sync"]);
    (remote, alice, bob)
}

/// What identifies an operation across a rebase: its time and the operation.
fn identity(record: &Value) -> String {
    format!("{}|{}", record["at"], record["op"])
}

fn identities(repo: &TestRepo) -> HashSet<String> {
    repo.git(["rev-list", "refs/milestones"])
        .lines()
        .map(|commit| identity(&repo.record(commit)))
        .collect()
}

fn status(repo: &TestRepo, task: &str) -> String {
    let show = repo.json(["show", "m1"]);
    let tasks = show["tasks"].as_array().unwrap();
    let found = tasks.iter().find(|t| t["id"] == task).unwrap();
    found["status"].as_str().unwrap().to_string()
}

fn merges(repo: &TestRepo) -> usize {
    repo.git(["rev-list", "--merges", "refs/milestones"])
        .lines()
        .count()
}

#[test]
fn unpublished_operations_go_on_top_of_the_shared_tip_without_a_merge() {
    let (remote, alice, bob) = alice_and_bob();
    alice.ok(["task", "start", "m1", "a"]);
    alice.ok(["sync"]);
    let landed = alice.tip().unwrap();
    let mut mine = Vec::new();
    for args in [
        &["event", "add", "m1", "note"][..],
        &["task", "set", "m1", "b", "blocked"],
    ] {
        mine.push(bob.json(args)["commit"].as_str().unwrap().to_string());
    }
    let records: Vec<Value> = mine.iter().map(|c| bob.record(c)).collect();
    let report = bob.json(["sync", "--rebase"]);
    assert_eq!(report["rebased"], 2, "{report:#}");
    assert_eq!(report["merged"], false, "{report:#}");
    assert_eq!(report["pushed"], true, "{report:#}");
    assert_eq!(report["unpublished"], 0, "{report:#}");
    // One line of history: Bob's two operations on Alice's tip, under new ids.
    let tip = bob.tip().unwrap();
    assert_eq!(merges(&bob), 0);
    assert_eq!(
        bob.rev_parse(&format!("{tip}~2")).as_deref(),
        Some(landed.as_str())
    );
    let history = bob.git(["rev-list", "refs/milestones"]);
    let kept = identities(&bob);
    for (old, record) in mine.iter().zip(&records) {
        assert!(!history.contains(old.as_str()), "{old} was re-applied");
        assert!(kept.contains(&identity(record)), "{record:#}");
    }
    assert_eq!(remote.rev_parse(SHARED), Some(tip.clone()));
    // No ref of Bob's own: the work went straight to the shared ref.
    assert!(!bob
        .git_output(["config", "milestone.cloneId"])
        .status
        .success());
    let refs = remote.git(["for-each-ref", "--format=%(refname)", "refs/meta/"]);
    assert_eq!(
        refs.lines().count(),
        2,
        "the shared ref and Alice's own: {refs}"
    );
    assert_eq!(status(&bob, "a"), "in_progress");
    assert_eq!(status(&bob, "b"), "blocked");
    // Alice takes it as it is: every re-applied commit holds.
    let report = alice.json(["sync"]);
    assert_eq!(report["fast_forward"], true, "{report:#}");
    assert_eq!(report["ignored"], serde_json::json!([]), "{report:#}");
    assert_eq!(alice.tip(), Some(tip));
    assert!(alice.ok(["verify"]).contains("hold"));
}

#[test]
fn between_two_edits_of_one_value_the_later_to_reach_the_remote_wins() {
    let (_remote, alice, bob) = alice_and_bob();
    // Bob's edit is made first, but reaches the remote second.
    bob.ok(["task", "set", "m1", "a", "blocked"]);
    alice.ok(["task", "set", "m1", "a", "completed"]);
    alice.ok(["sync"]);
    let report = bob.json(["sync", "--rebase"]);
    assert_eq!(report["rebased"], 1, "{report:#}");
    // Nobody's work is replaced in silence.
    let overridden = &report["overridden"][0];
    assert_eq!(overridden["kept"], "blocked", "{report:#}");
    assert_eq!(overridden["dropped"], "completed", "{report:#}");
    alice.ok(["sync"]);
    assert_eq!(status(&bob, "a"), "blocked");
    assert_eq!(status(&alice, "a"), "blocked");
    assert_eq!(alice.tip(), bob.tip());
}

#[test]
fn work_already_on_a_remote_ref_is_merged_not_applied_twice() {
    let (remote, alice, bob) = alice_and_bob();
    bob.ok(["event", "add", "m1", "once"]);
    alice.ok(["task", "start", "m1", "a"]);
    alice.ok(["sync"]);
    // Bob's work went to a ref of his own on the remote (as a sync that merges does).
    bob.git([
        "push",
        "-q",
        "origin",
        "refs/milestones:refs/meta/milestones-by/bob",
    ]);
    let report = bob.json(["sync", "--rebase"]);
    assert_eq!(report["rebased"], 0, "{report:#}");
    assert_eq!(report["merged"], true, "{report:#}");
    let events = bob.json(["events", "m1", "--type", "once"]);
    assert_eq!(events.as_array().unwrap().len(), 1, "{events:#}");
    assert_eq!(remote.rev_parse(SHARED), bob.tip());
}

#[test]
fn a_checkpoint_on_unpublished_work_keeps_it_where_it_is() {
    let (_remote, alice, bob) = alice_and_bob();
    bob.ok(["event", "add", "m1", "mine"]);
    bob.ok(["checkpoint", "create", "m1", "before-review"]);
    let checkpointed = bob.tip().unwrap();
    alice.ok(["task", "start", "m1", "a"]);
    alice.ok(["sync"]);
    let report = bob.json(["sync", "--rebase"]);
    assert_eq!(report["rebased"], 0, "{report:#}");
    assert_eq!(report["merged"], true, "{report:#}");
    let history = bob.git(["rev-list", "refs/milestones"]);
    assert!(
        history.contains(&checkpointed),
        "the checkpoint's commit stays in history"
    );
}

#[test]
fn git_config_turns_it_on_and_no_rebase_turns_it_off() {
    let (_remote, alice, bob) = alice_and_bob();
    bob.git(["config", "milestone.syncRebase", "true"]);
    bob.ok(["event", "add", "m1", "first"]);
    alice.ok(["event", "add", "m1", "theirs"]);
    alice.ok(["sync"]);
    let report = bob.json(["sync"]);
    assert_eq!(report["rebased"], 1, "{report:#}");
    bob.ok(["event", "add", "m1", "second"]);
    alice.ok(["sync"]);
    alice.ok(["event", "add", "m1", "theirs_again"]);
    alice.ok(["sync"]);
    let report = bob.json(["sync", "--no-rebase"]);
    assert_eq!(report["rebased"], 0, "{report:#}");
    assert_eq!(report["merged"], true, "{report:#}");
    assert_eq!(merges(&bob), 1);
}

#[test]
fn work_whose_push_lost_stays_here_and_the_next_sync_lands_it() {
    let (remote, alice, bob) = alice_and_bob();
    // Alice's next operation, on the remote but not yet on its shared ref.
    alice.ok(["event", "add", "m1", "theirs"]);
    let hers = alice.tip().unwrap();
    alice.git([
        "push",
        "-q",
        "origin",
        "refs/milestones:refs/heads/alice-next",
    ]);
    // The remote's shared ref moves to it while Bob's push is under way, once.
    let hook = remote.path.join("hooks").join("pre-receive");
    std::fs::write(
        &hook,
        format!(
            "#!/bin/sh\nif [ -f \"$GIT_DIR/race\" ]; then rm \"$GIT_DIR/race\"; \
             env -u GIT_QUARANTINE_PATH git update-ref {SHARED} {hers}; fi\nexit 0\n"
        ),
    )
    .unwrap();
    let executable = std::os::unix::fs::PermissionsExt::from_mode(0o755);
    std::fs::set_permissions(&hook, executable).unwrap();
    std::fs::write(remote.path.join("race"), "").unwrap();
    let mine = bob.json(["event", "add", "m1", "mine"])["commit"]
        .as_str()
        .unwrap()
        .to_string();
    let record = bob.record(&mine);
    let report = bob.json(["sync", "--rebase"]);
    assert_eq!(report["shared_behind"], true, "{report:#}");
    assert_eq!(report["pushed"], false, "{report:#}");
    assert_eq!(report["unpublished"], 1, "{report:#}");
    assert_eq!(remote.rev_parse(SHARED).as_deref(), Some(hers.as_str()));
    let text = bob.ok(["sync", "--rebase", "--no-push"]);
    assert!(text.contains("re-applied 1 operation"), "{text}");
    // The next sync puts Bob's operation on top of Alice's and lands it.
    let report = bob.json(["sync", "--rebase"]);
    assert_eq!(report["unpublished"], 0, "{report:#}");
    assert_eq!(remote.rev_parse(SHARED), bob.tip());
    assert!(identities(&bob).contains(&identity(&record)));
    assert_eq!(
        bob.rev_parse("refs/milestones~1").as_deref(),
        Some(hers.as_str())
    );
}
