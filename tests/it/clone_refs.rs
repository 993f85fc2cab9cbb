//! Each clone's own ref on the remote (`refs/meta/milestones-by/<clone-id>`): older
//! clones that know only the shared ref keep working, the server guard holds clone
//! refs to the shared ref's rules, and a bad id in git config is refused. The race
//! itself is in `sync.rs` (two clones syncing at one moment) and `team.rs`.

use serde_json::Value;

use crate::common::{expect_failure, expect_ok, TestRepo};

const SHARED: &str = "refs/meta/milestones";

fn remote_refs(remote: &TestRepo) -> Vec<String> {
    remote
        .git(["for-each-ref", "--format=%(refname)", "refs/meta/"])
        .lines()
        .map(String::from)
        .collect()
}

fn own_ref(repo: &TestRepo) -> String {
    let id = repo.git(["config", "milestone.cloneId"]);
    format!("refs/meta/milestones-by/{}", id.trim())
}

fn is_ancestor(repo: &TestRepo, older: &str, newer: &str) -> bool {
    repo.git_output(["merge-base", "--is-ancestor", older, newer])
        .status
        .success()
}

#[test]
fn an_old_style_remote_with_only_the_shared_ref_still_syncs() {
    let remote = TestRepo::bare();
    let url = remote.path.to_str().unwrap();
    // A clone of an older version pushes the shared ref and nothing else.
    let old = TestRepo::clone_of(url);
    old.ok(["init"]);
    old.milestone_with_tasks("m1", &["t1", "t2"]);
    old.git(["push", "-q", "origin", &format!("refs/milestones:{SHARED}")]);

    // A new clone reads it; reading makes no ref of its own on the remote.
    let new = TestRepo::clone_of(url);
    let report = new.json(["sync"]);
    assert_eq!(report["fetched"], true, "{report:#}");
    assert_eq!(report["pushed"], false, "{report:#}");
    assert_eq!(remote_refs(&remote), [SHARED]);

    // Its work goes to its own ref and, as a fast-forward, to the shared ref.
    new.ok(["task", "start", "m1", "t1"]);
    let before = remote.rev_parse(SHARED).unwrap();
    let report = new.json(["sync"]);
    assert_eq!(report["pushed"], true, "{report:#}");
    let tip = new.tip().unwrap();
    assert_eq!(remote.rev_parse(SHARED).as_deref(), Some(tip.as_str()));
    assert_eq!(
        remote.rev_parse(&own_ref(&new)).as_deref(),
        Some(tip.as_str())
    );
    assert!(is_ancestor(&remote, &before, &tip));

    // The old clone, which reads only the shared ref, gets it as a fast-forward and
    // pushes on top of it as it always did.
    old.git(["fetch", "-q", "origin", SHARED]);
    let fetched = old.rev_parse("FETCH_HEAD").unwrap();
    assert_eq!(fetched, tip);
    old.git(["update-ref", "refs/milestones", &fetched]);
    assert_eq!(
        old.json(["show", "m1"])["tasks"][0]["status"],
        "in_progress"
    );
    old.ok(["task", "start", "m1", "t2"]);
    old.git(["push", "-q", "origin", &format!("refs/milestones:{SHARED}")]);

    let report = new.json(["sync"]);
    assert_eq!(report["fast_forward"], true, "{report:#}");
    assert_eq!(new.tip(), old.tip());
    assert_eq!(
        new.json(["show", "m1"])["tasks"][1]["status"],
        "in_progress"
    );
}

#[test]
fn the_server_guard_holds_clone_refs_to_the_shared_refs_rules() {
    let remote = TestRepo::bare();
    expect_ok(
        &remote.run(["hooks", "install", "--server"]),
        "hooks install --server",
    );
    let url = remote.path.to_str().unwrap();
    let alice = TestRepo::clone_of(url);
    alice.ok(["init"]);
    alice.milestone_with_tasks("m1", &["t1"]);
    alice.ok(["sync"]);
    let own = own_ref(&alice);
    assert_eq!(remote.rev_parse(&own), alice.tip());

    // A commit the tool would never write, pushed to a clone ref, is refused.
    let good = alice.tip().unwrap();
    let forged = alice.commit_with_plumbing(&[("format", "1\n")], "made with plain git");
    let pushed = alice.git_output([
        "push",
        "origin",
        "refs/milestones:refs/meta/milestones-by/forged",
    ]);
    let said = expect_failure(&pushed, 1, "a forged clone ref");
    assert!(
        said.contains("refs/meta/milestones-by/forged")
            && said.contains(&forged[..12])
            && said.contains("not an operation of git-milestone"),
        "{said}"
    );
    assert_eq!(remote_refs(&remote), [SHARED.to_string(), own.clone()]);
    // So is a clone ref that does not move forward.
    alice.git(["update-ref", "refs/milestones", &good]);
    let rewound = alice.git_output(["push", "origin", &format!("+{good}~1:{own}")]);
    let said = expect_failure(&rewound, 1, "a clone ref moved back");
    assert!(said.contains("not a fast-forward"), "{said}");

    // A clone ref the shared ref does not contain may not be deleted; once it does,
    // the clone ref is redundant and may go.
    let bob = TestRepo::clone_of(url);
    bob.ok(["sync"]);
    bob.ok(["task", "complete", "m1", "t1"]);
    bob.git([
        "push",
        "-q",
        "origin",
        "refs/milestones:refs/meta/milestones-by/bob",
    ]);
    let refused = bob.git_output(["push", "origin", "--delete", "refs/meta/milestones-by/bob"]);
    let said = expect_failure(&refused, 1, "deleting a clone ref not yet shared");
    assert!(said.contains("does not contain it yet"), "{said}");
    alice.ok(["sync"]);
    assert!(is_ancestor(&remote, &bob.tip().unwrap(), SHARED));
    expect_ok(
        &bob.git_output(["push", "origin", "--delete", "refs/meta/milestones-by/bob"]),
        "pruning a clone ref the shared ref contains",
    );
    let refused = bob.git_output(["push", "origin", "--delete", SHARED]);
    expect_failure(&refused, 1, "deleting the shared ref");
    assert_eq!(remote_refs(&remote), [SHARED.to_string(), own]);
}

#[test]
fn a_clone_id_that_cannot_name_a_ref_is_refused_with_the_fix() {
    let remote = TestRepo::bare();
    let repo = TestRepo::clone_of(remote.path.to_str().unwrap());
    repo.ok(["init"]);
    repo.milestone_with_tasks("m1", &["t1"]);
    repo.git(["config", "milestone.cloneId", "a/../b"]);
    let said = repo.fails(["sync"], 1);
    assert!(
        said.contains("milestone.cloneId") && said.contains("git config --unset"),
        "{said}"
    );
    assert!(remote_refs(&remote).is_empty(), "nothing pushed");
    repo.git(["config", "--unset", "milestone.cloneId"]);
    repo.ok(["sync"]);
    assert_eq!(remote.rev_parse(&own_ref(&repo)), repo.tip());
}

#[test]
fn a_clone_ref_that_brings_no_new_operation_costs_no_merge() {
    let remote = TestRepo::bare();
    let url = remote.path.to_str().unwrap();
    let alice = TestRepo::clone_of(url);
    alice.ok(["init"]);
    alice.milestone_with_tasks("m1", &["t1", "t2"]);
    alice.ok(["sync"]);
    let (bob, carol) = (TestRepo::clone_of(url), TestRepo::clone_of(url));
    bob.ok(["sync"]);
    carol.ok(["sync"]);

    // Alice and Bob each merge the other's operation before seeing the other's merge:
    // two merge commits of the same operations (a criss-cross).
    alice.ok(["task", "start", "m1", "t1"]);
    bob.ok(["task", "start", "m1", "t2"]);
    let push = |repo: &TestRepo, to: &str| {
        repo.git(["push", "-q", "origin", &format!("refs/milestones:{to}")])
    };
    push(&alice, "refs/meta/milestones-by/alice");
    push(&bob, "refs/meta/milestones-by/bob");
    alice.ok(["sync", "--no-push"]);
    bob.ok(["sync", "--no-push"]);
    push(&alice, "refs/meta/milestones-by/alice");
    push(&alice, SHARED);
    let report = carol.json(["sync"]);
    assert_eq!(report["fast_forward"], true, "{report:#}");
    push(&bob, "refs/meta/milestones-by/bob");
    let (alices, bobs) = (alice.tip().unwrap(), bob.tip().unwrap());
    assert_ne!(alices, bobs);
    assert!(!is_ancestor(&remote, &bobs, &alices));

    // The shared ref stood still since Carol's last sync, so she looks at the clone
    // refs: Bob's merge brings nothing she lacks and is not merged.
    let report = carol.json(["sync"]);
    assert_eq!(report["merged"], false, "{report:#}");
    assert_eq!(carol.tip(), Some(alices.clone()));
    let show = carol.json(["show", "m1"]);
    let statuses: Vec<&Value> = show["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| &t["status"])
        .collect();
    assert_eq!(statuses, ["in_progress", "in_progress"], "both operations");

    // Bob always takes the shared ref, so everyone converges on one commit.
    bob.ok(["sync"]);
    alice.ok(["sync"]);
    carol.ok(["sync"]);
    let tip = remote.rev_parse(SHARED);
    for repo in [&alice, &bob, &carol] {
        assert_eq!(repo.tip(), tip);
    }
    assert!(is_ancestor(&remote, &bobs, tip.as_deref().unwrap()));
}

/// Clone refs whose work never reached the shared ref are gathered one per sync:
/// gathering many in one sync replayed each merge's growing side again (k² work).
#[test]
fn a_sync_gathers_one_clone_ref_and_the_next_syncs_the_rest() {
    let remote = TestRepo::bare();
    let url = remote.path.to_str().unwrap();
    let alice = TestRepo::clone_of(url);
    alice.ok(["init"]);
    alice.milestone_with_tasks("m1", &["b", "c", "d"]);
    alice.ok(["sync"]);
    // Three teammates each start their task and push only their own ref, as when
    // every offer to move the shared ref lost to someone else's.
    for task in ["b", "c", "d"] {
        let mate = TestRepo::clone_of(url);
        mate.ok(["sync"]);
        mate.ok(["task", "start", "m1", task]);
        mate.git([
            "push",
            "-q",
            "origin",
            &format!("refs/milestones:refs/meta/milestones-by/{task}"),
        ]);
    }
    let started = |repo: &TestRepo| {
        let show = repo.json(["show", "m1"]);
        show["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["status"] == "in_progress")
            .count()
    };
    // The first is a fast-forward (it was made on Alice's tip), the others merges.
    for (gathered, how) in [(1, "fast_forward"), (2, "merged"), (3, "merged")] {
        let report = alice.json(["sync"]);
        assert_eq!(report[how], true, "{report:#}");
        assert_eq!(started(&alice), gathered, "{report:#}");
        assert_eq!(remote.rev_parse(SHARED), alice.tip(), "{report:#}");
    }
    let report = alice.json(["sync"]);
    assert_eq!(report["fetched"], false, "all gathered: {report:#}");
}
