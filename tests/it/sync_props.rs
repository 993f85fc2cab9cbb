//! Property: three clones make random operations and sync in random orders through a
//! bare remote, each sync merging or in rebase mode (which re-applies a clone's
//! unpublished operations under new commit ids); afterwards every clone has the same
//! tree, and every operation any clone made (known by its record's time and
//! operation) is in every clone's history and event log.

use std::path::{Path, PathBuf};

use git_milestone::model::{MilestoneId, Op, TaskId, TaskStatus};
use git_milestone::store::{Outcome, Store, StoreError};
use git_milestone::sync;
use proptest::prelude::*;

use crate::common::clones_of_a_bare_remote;

const REPLICAS: usize = 3;

#[derive(Debug, Clone)]
enum Action {
    New(usize, u8),
    AddTask(usize, u8, u8, bool),
    SetTask(usize, u8, u8, u8),
    Event(usize, u8),
    SaveState(usize, u8, u32),
    Advance(usize, u8, u8),
    Sync(usize, bool),
}

fn action() -> impl Strategy<Value = Action> {
    let r = 0..REPLICAS;
    prop_oneof![
        (r.clone(), 0..2u8).prop_map(|(r, m)| Action::New(r, m)),
        (r.clone(), 0..2u8, 0..3u8, any::<bool>())
            .prop_map(|(r, m, t, k)| Action::AddTask(r, m, t, k)),
        (r.clone(), 0..2u8, 0..3u8, 0..4u8).prop_map(|(r, m, t, s)| Action::SetTask(r, m, t, s)),
        (r.clone(), 0..2u8).prop_map(|(r, m)| Action::Event(r, m)),
        (r.clone(), 0..2u8, any::<u32>()).prop_map(|(r, m, n)| Action::SaveState(r, m, n)),
        (r.clone(), 0..2u8, 0..3u8).prop_map(|(r, m, t)| Action::Advance(r, m, t)),
        (r, any::<bool>()).prop_map(|(r, rebase)| Action::Sync(r, rebase)),
    ]
}

struct Network {
    _dir: tempfile::TempDir,
    clones: Vec<PathBuf>,
}

impl Network {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let clones = clones_of_a_bare_remote(dir.path(), REPLICAS);
        let first = Store::open(&clones[0]).unwrap();
        first.init().unwrap();
        sync_clone(&clones[0], false);
        for clone in &clones[1..] {
            sync_clone(clone, false);
        }
        Network { _dir: dir, clones }
    }
}

fn sync_clone(path: &Path, rebase: bool) {
    let store = Store::open(path).unwrap();
    let mode = if rebase {
        sync::Mode::Rebase
    } else {
        sync::Mode::Merge
    };
    sync::sync(&store, "origin", true, mode, &mut |_| {}).expect("sync succeeds");
}

/// What an operation is, whatever commit carries it: its record's time and operation.
fn identity(repo: &git2::Repository, commit: git2::Oid) -> Option<String> {
    let commit = repo.find_commit(commit).ok()?;
    let (_, body) = commit.message()?.split_once("\n\n")?;
    let record: serde_json::Value = serde_json::from_str(body.trim()).ok()?;
    Some(format!("{}|{}", record["at"], record["op"]))
}

fn op_for(action: &Action, by: &str) -> Option<(usize, Op)> {
    let m = |i: &u8| MilestoneId::new(format!("m{i}")).unwrap();
    let t = |i: &u8| TaskId::new(format!("t{i}")).unwrap();
    Some(match action {
        Action::New(r, i) => (
            *r,
            Op::NewMilestone {
                milestone: m(i),
                title: Some(format!("by {r}")),
                description: None,
                due: None,
            },
        ),
        Action::AddTask(r, i, j, kiro) => (
            *r,
            Op::AddTask {
                milestone: m(i),
                task: t(j),
                title: String::new(),
                kiro: *kiro,
                points: None,
            },
        ),
        Action::SetTask(r, i, j, s) => (
            *r,
            Op::SetTaskStatus {
                milestone: m(i),
                task: t(j),
                status: TaskStatus::ALL[*s as usize],
                reason: None,
            },
        ),
        Action::Event(r, i) => (
            *r,
            Op::AddEvent {
                milestone: m(i),
                event_type: "note".into(),
                data: serde_json::json!({"by": r}),
            },
        ),
        Action::SaveState(r, i, n) => (
            *r,
            Op::SaveState {
                milestone: m(i),
                state: serde_json::json!({"n": n}),
            },
        ),
        Action::Advance(r, i, j) => (
            *r,
            Op::AdvancePhase {
                milestone: m(i),
                task: t(j),
                by: by.to_string(),
                nonce: None,
                from: None,
                request: None,
            },
        ),
        Action::Sync(..) => return None,
    })
}

fn check(actions: Vec<Action>) {
    let network = Network::new();
    let mut made: Vec<String> = Vec::new();
    for action in &actions {
        match op_for(action, "someone <s@example.com>") {
            Some((r, op)) => {
                let store = Store::open(&network.clones[r]).unwrap();
                match store.transact(op) {
                    Ok(Outcome::Committed { commit, .. }) => {
                        let repo = git2::Repository::open(store.git_dir()).unwrap();
                        made.push(identity(&repo, commit).expect("a record"));
                    }
                    Ok(_) | Err(StoreError::Rejected(_)) => {}
                    Err(e) => panic!("{action:?}: {e}"),
                }
            }
            None => {
                let Action::Sync(r, rebase) = action else {
                    unreachable!()
                };
                sync_clone(&network.clones[*r], *rebase);
            }
        }
    }
    // Two rounds: the first brings everything to the remote, the second everywhere.
    // Modes mixed: every other clone rebases.
    for _ in 0..2 {
        for (i, clone) in network.clones.iter().enumerate() {
            sync_clone(clone, i % 2 == 0);
        }
    }
    let stores: Vec<Store> = network
        .clones
        .iter()
        .map(|c| Store::open(c).unwrap())
        .collect();
    let trees: Vec<_> = stores
        .iter()
        .map(|s| {
            let repo = git2::Repository::open(s.git_dir()).unwrap();
            let tree = repo.find_commit(s.tip().unwrap()).unwrap().tree_id();
            tree
        })
        .collect();
    assert!(
        trees.windows(2).all(|w| w[0] == w[1]),
        "trees differ: {trees:?} after {actions:?}"
    );
    for store in &stores {
        let tip = store.tip().unwrap();
        let events = store.events(tip, &Default::default(), None).unwrap();
        let repo = git2::Repository::open(store.git_dir()).unwrap();
        let mut walk = repo.revwalk().unwrap();
        walk.push(tip).unwrap();
        let history: Vec<(String, String)> = walk
            .filter_map(|c| {
                let c = c.unwrap();
                Some((identity(&repo, c)?, c.to_string()))
            })
            .collect();
        for operation in &made {
            let carriers: Vec<&String> = history
                .iter()
                .filter(|(identity, _)| identity == operation)
                .map(|(_, commit)| commit)
                .collect();
            // Each made once (two can look the same: made in one millisecond).
            let made_times = made.iter().filter(|m| *m == operation).count();
            assert_eq!(
                carriers.len(),
                made_times,
                "operation {operation} kept once in a clone's history after {actions:?}"
            );
            assert!(
                carriers
                    .iter()
                    .all(|commit| events.iter().any(|e| &e.commit == *commit)),
                "operation {operation} has no events"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(12),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn replicas_converge_and_lose_nothing(actions in proptest::collection::vec(action(), 1..16)) {
        check(actions);
    }
}

#[test]
fn concurrent_edits_of_one_task_converge() {
    use Action::*;
    check(vec![
        New(0, 0),
        AddTask(0, 0, 0, true),
        Sync(0, false),
        Sync(1, true),
        Sync(2, false),
        SetTask(1, 0, 0, 2),
        SetTask(2, 0, 0, 3),
        Advance(1, 0, 0),
        Advance(2, 0, 0),
        Event(0, 0),
    ]);
}
