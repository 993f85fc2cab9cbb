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

/// Alice's milestone m1 with tasks b, c and d on the shared ref, and three teammates
/// who each started their task and pushed only their own ref, as when every offer to
/// move the shared ref lost to someone else's.
fn three_waiting_clone_refs() -> (TestRepo, TestRepo, Vec<TestRepo>) {
    let remote = TestRepo::bare();
    let url = remote.path.to_str().unwrap();
    let alice = TestRepo::clone_of(url);
    alice.ok(["init"]);
    alice.milestone_with_tasks("m1", &["b", "c", "d"]);
    alice.ok(["sync"]);
    let mates: Vec<TestRepo> = (0..3).map(|_| TestRepo::clone_of(url)).collect();
    for mate in &mates {
        mate.ok(["sync"]);
    }
    for (mate, task) in mates.iter().zip(["b", "c", "d"]) {
        mate.ok(["task", "start", "m1", task]);
        mate.git([
            "push",
            "-q",
            "origin",
            &format!("refs/milestones:refs/meta/milestones-by/{task}"),
        ]);
    }
    (remote, alice, mates)
}

fn started(repo: &TestRepo) -> usize {
    let show = repo.json(["show", "m1"]);
    show["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["status"] == "in_progress")
        .count()
}

fn parents(repo: &TestRepo, rev: &str) -> Vec<String> {
    let line = repo.git(["show", "-s", "--format=%P", rev]);
    line.split_whitespace().map(String::from).collect()
}

/// Clone refs whose work never reached the shared ref are all gathered by the next
/// sync, in one merge replayed once: one per sync left the clones that kept losing
/// the race replaying their own work in every merge until they won.
#[test]
fn a_sync_gathers_every_waiting_clone_ref_in_one_merge() {
    let (remote, alice, mates) = three_waiting_clone_refs();
    let report = alice.json(["sync"]);
    assert_eq!(report["merged"], true, "{report:#}");
    assert_eq!(report["ops_merged"], 3, "{report:#}");
    assert_eq!(started(&alice), 3, "{report:#}");
    assert_eq!(remote.rev_parse(SHARED), alice.tip(), "{report:#}");
    // Alice's own tip is in each teammate's history: the three refs are the parents.
    let merge = alice.tip().unwrap();
    let mut expected: Vec<String> = mates.iter().map(|m| m.tip().unwrap()).collect();
    let mut found = parents(&alice, &merge);
    expected.sort();
    found.sort();
    assert_eq!(found, expected);
    let record = alice.record(&merge);
    assert_eq!(record["v"], 2, "{record:#}");
    assert_eq!(
        record["op"]["others"].as_array().unwrap().len(),
        2,
        "{record:#}"
    );
    // Each teammate checks the merge by the same rule and takes it as it is.
    for mate in &mates {
        let report = mate.json(["sync"]);
        assert_eq!(report["fast_forward"], true, "{report:#}");
        assert_eq!(report["ignored"], serde_json::json!([]), "{report:#}");
        assert_eq!(mate.tip(), alice.tip());
    }
    let report = alice.json(["sync"]);
    assert_eq!(report["fetched"], false, "all gathered: {report:#}");
}

/// Before merges of many parents had their own record version, such a commit did not
/// hold in any clone; it still does not, so that no history means something else now.
#[test]
fn a_merge_of_many_parents_claiming_the_first_version_does_not_hold() {
    let (remote, alice, mates) = three_waiting_clone_refs();
    alice.ok(["sync", "--no-push"]);
    let merge = alice.tip().unwrap();
    let body = alice.message(&merge);
    let (subject, record) = body.split_once("\n\n").unwrap();
    let mut record: Value = serde_json::from_str(record.trim()).unwrap();
    record["v"] = 1.into();
    let file = alice.write_file("forged", &format!("{subject}\n\n{record}\n"));
    let mut args = vec!["commit-tree".to_string(), format!("{merge}^{{tree}}")];
    for parent in parents(&alice, &merge) {
        args.extend(["-p".to_string(), parent]);
    }
    args.extend(["-F".to_string(), file.to_str().unwrap().to_string()]);
    let forged = alice.git(&args).trim().to_string();
    alice.git(["push", "-q", "origin", &format!("{forged}:{SHARED}")]);
    let report = mates[0].json(["sync"]);
    assert_eq!(
        report["ignored"][0]["commit"],
        forged.as_str(),
        "{report:#}"
    );
    let reason = report["ignored"][0]["reason"].as_str().unwrap();
    assert_eq!(
        reason, "it has 3 parents but record version 1, which merges only two",
        "{report:#}"
    );
    // Its operations are replayed all the same.
    assert_eq!(started(&mates[0]), 3, "{report:#}");
    assert_eq!(remote.rev_parse(SHARED), mates[0].tip());
}
