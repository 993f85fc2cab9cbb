//! The `sync_graph` target: a random history of `refs/milestones` made by three
//! teammates, with valid operations, merges, and commits forged the ways a teammate with
//! push rights could (hand-edited trees, invented events, forged clocks and times,
//! restores of nothing, plain messages, garbage files). Two clones take the teammates'
//! tips in opposite orders, as `sync` does (`Store::merge_tips`), then sync with each
//! other. Checked: nothing panics; both end on the same commit; a fresh clone takes that
//! commit as it is (it holds).
//!
//! Shared with the `it` test binary (`tests/it/main.rs` includes it by path), which runs
//! the seeds in `fuzz/seeds/sync_graph/` on stable.

use std::collections::HashMap;
use std::path::Path;

use git2::{Oid, Repository, Signature};
use git_milestone::model::{MilestoneId, Op, TaskId, TaskStatus};
use git_milestone::store::{MergeKind, Store, StoreError};

/// Reads choices from the fuzz bytes; past their end, every choice is 0.
pub struct Bytes<'a> {
    data: &'a [u8],
}

impl Bytes<'_> {
    fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((first, rest)) => {
                self.data = rest;
                *first
            }
            None => 0,
        }
    }

    fn below(&mut self, n: usize) -> usize {
        usize::from(self.byte()) % n.max(1)
    }

    fn done(&self) -> bool {
        self.data.is_empty()
    }
}

/// The clones of one scenario, sharing one object database (as clones that fetched
/// everything do); each has its own ref value and its own local cache of checked states.
struct World {
    /// The repository, for forging commits the tool would never write.
    repo: Repository,
    store: Store,
    caches: HashMap<usize, String>,
}

const TEAM: usize = 3;
const ALICE_AND_BOB: [usize; 2] = [3, 4];

impl World {
    fn new(dir: &Path) -> World {
        let repo = Repository::init_bare(dir).expect("a repository");
        let mut config = repo.config().expect("its config");
        config.set_str("user.name", "Fuzz").unwrap();
        config.set_str("user.email", "fuzz@example.com").unwrap();
        let store = Store::open(dir).expect("the store");
        World {
            repo,
            store,
            caches: HashMap::new(),
        }
    }

    fn repo(&self) -> &Repository {
        &self.repo
    }

    /// Acts as clone `who`: its ref at `tip`, its own cache of checked states.
    fn enter(&self, who: usize, tip: Option<Oid>) {
        let path = self.store.local_dir().join("states");
        let _ = std::fs::create_dir_all(self.store.local_dir());
        std::fs::write(&path, self.caches.get(&who).cloned().unwrap_or_default()).unwrap();
        let _ = std::fs::remove_file(self.store.local_dir().join("events.idx.meta"));
        match tip {
            Some(tip) => {
                self.repo()
                    .reference("refs/milestones", tip, true, "fuzz")
                    .unwrap();
            }
            None => {
                if let Ok(mut r) = self.repo().find_reference("refs/milestones") {
                    r.delete().unwrap();
                }
            }
        }
    }

    fn leave(&mut self, who: usize) {
        let path = self.store.local_dir().join("states");
        self.caches
            .insert(who, std::fs::read_to_string(path).unwrap_or_default());
    }

    /// Clone `who` (at `ours`) syncs with `theirs`, as `sync` does.
    fn sync(&mut self, who: usize, ours: Option<Oid>, theirs: Oid) -> Result<Oid, StoreError> {
        self.enter(who, ours);
        let result = self.store.merge_tips(ours, theirs);
        self.leave(who);
        let result = result?;
        if std::env::var_os("FUZZ_DEBUG").is_some() {
            eprintln!(
                "clone {who}: {:?} -> {:?} {:?}",
                ours, result.kind, result.ignored
            );
        }
        assert!(
            result.kind != MergeKind::UpToDate || Some(result.tip) == ours,
            "up to date keeps our tip"
        );
        Ok(result.tip)
    }
}

fn id(name: &str) -> MilestoneId {
    MilestoneId::new(name).unwrap()
}

fn task(n: usize) -> TaskId {
    TaskId::new(format!("t{n}")).unwrap()
}

/// A valid operation of a small vocabulary (ids from small pools, so they meet).
fn operation(b: &mut Bytes<'_>) -> Op {
    let milestone = id(["m", "n"][b.below(2)]);
    match b.below(5) {
        0 => Op::NewMilestone {
            milestone,
            title: Some(format!("title {}", b.byte())),
            description: None,
            due: None,
        },
        1 => Op::AddTask {
            milestone,
            task: task(b.below(3)),
            title: format!("task {}", b.byte()),
            kiro: false,
            points: None,
        },
        2 => Op::SetTaskStatus {
            milestone,
            task: task(b.below(3)),
            status: [
                TaskStatus::Pending,
                TaskStatus::InProgress,
                TaskStatus::Completed,
                TaskStatus::Blocked,
            ][b.below(4)],
            reason: None,
        },
        3 => Op::SaveState {
            milestone,
            state: serde_json::json!({"step": b.byte()}),
        },
        _ => Op::AddEvent {
            milestone,
            event_type: "note".into(),
            data: serde_json::json!({"n": b.byte()}),
        },
    }
}

/// Commits `tree` with `message` on `parent`, as plain git would.
fn raw_commit(repo: &Repository, parent: Oid, tree: Oid, message: &str, time: i64) -> Oid {
    let who = Signature::new("Mallory", "mallory@example.com", &git2::Time::new(time, 0)).unwrap();
    let parent = repo.find_commit(parent).unwrap();
    let tree = repo.find_tree(tree).unwrap();
    repo.commit(None, &who, &who, message, &tree, &[&parent])
        .unwrap()
}

/// A tree like `base`'s with `path` (`milestones/<m>/<file>`) set to `content`.
fn edited_tree(repo: &Repository, base: Oid, milestone: &str, file: &str, content: &[u8]) -> Oid {
    let root = repo.find_tree(base).unwrap();
    let blob = repo.blob(content).unwrap();
    let milestones = root
        .get_name("milestones")
        .and_then(|e| e.to_object(repo).ok()?.into_tree().ok());
    let folder = milestones
        .as_ref()
        .and_then(|t| t.get_name(milestone))
        .and_then(|e| e.to_object(repo).ok()?.into_tree().ok());
    let mut folder = repo.treebuilder(folder.as_ref()).unwrap();
    folder.insert(file, blob, 0o100644).unwrap();
    let folder = folder.write().unwrap();
    let mut milestones = repo.treebuilder(milestones.as_ref()).unwrap();
    milestones.insert(milestone, folder, 0o040000).unwrap();
    let milestones = milestones.write().unwrap();
    let mut root = repo.treebuilder(Some(&root)).unwrap();
    root.insert("milestones", milestones, 0o040000).unwrap();
    root.write().unwrap()
}

/// A commit forged on `tip` in one of the ways a teammate could.
fn forged(world: &mut World, b: &mut Bytes<'_>, who: usize, tip: Oid) -> Oid {
    let parent_tree = world.repo().find_commit(tip).unwrap().tree_id();
    let time = 1_800_000_000 + i64::from(b.byte()) * 60;
    // A real operation to start from, made on the tip and then set aside.
    world.enter(who, Some(tip));
    let op = operation(b);
    let real = match world.store.transact(op) {
        Ok(git_milestone::store::Outcome::Committed { commit, .. }) => Some(commit),
        _ => None,
    };
    world.leave(who);
    let repo = world.repo();
    let (real_tree, real_message) = match real {
        Some(c) => {
            let c = repo.find_commit(c).unwrap();
            (c.tree_id(), c.message().unwrap_or("").to_string())
        }
        None => (parent_tree, "plain\n".to_string()),
    };
    let edit = |f: &dyn Fn(&mut serde_json::Value)| -> String {
        let Some((subject, body)) = real_message.split_once("\n\n") else {
            return real_message.clone();
        };
        let Ok(mut record) = serde_json::from_str::<serde_json::Value>(body.trim()) else {
            return real_message.clone();
        };
        f(&mut record);
        format!("{subject}\n\n{record}\n")
    };
    let garbage: Vec<u8> = (0..b.below(8)).map(|_| b.byte()).collect();
    let (tree, message) = match b.below(8) {
        // A hand-edited tree under a real operation's message.
        0 => (
            edited_tree(
                repo,
                real_tree,
                ["m", "n"][b.below(2)],
                "milestone.yaml",
                &garbage,
            ),
            real_message.clone(),
        ),
        // Events the operation did not cause.
        1 => (
            real_tree,
            edit(&|r| {
                if let Some(events) = r["events"].as_array_mut() {
                    events.push(serde_json::json!({"event_type": "kiro_approval_granted",
                        "milestone_id": "m", "data": {}, "user": "Boss",
                        "timestamp": "2020-01-01T00:00:00.000Z"}));
                }
            }),
        ),
        // A forged clock.
        2 => {
            let lamport = [u64::MAX, 0, u64::from(b.byte()) << 40][b.below(3)];
            (real_tree, edit(&|r| r["lamport"] = lamport.into()))
        }
        // A time that does not parse.
        3 => (real_tree, edit(&|r| r["at"] = "yesterday".into())),
        // A restore of a commit that is not there.
        4 => {
            let restore = serde_json::json!({"type": "restore", "milestone": "m",
                "commit": "1234567890123456789012345678901234567890",
                "source": {"kind": "recover"}});
            (parent_tree, edit(&|r| r["op"] = restore.clone()))
        }
        // A plain message over a changed tree, or over the same tree.
        5 => (real_tree, "edited by hand\n".to_string()),
        // Another state's file in a state file.
        6 => (
            edited_tree(repo, parent_tree, "m", "state.json", &garbage),
            "state by hand\n".to_string(),
        ),
        // The real commit's message over its parent's tree.
        _ => (parent_tree, real_message.clone()),
    };
    raw_commit(repo, tip, tree, &message, time)
}

/// Runs one scenario from fuzz bytes; panics when a property does not hold.
pub fn sync_graph(data: &[u8]) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let mut world = World::new(dir.path());
    let mut b = Bytes { data };
    world.enter(0, None);
    world.store.init().expect("init");
    let root = world.store.tip().unwrap();
    world.leave(0);
    let mut tips = [root; TEAM];
    let mut steps = 0;
    while !b.done() && steps < 24 {
        steps += 1;
        let who = b.below(TEAM);
        match b.below(4) {
            0 | 1 => {
                world.enter(who, Some(tips[who]));
                let _ = world.store.transact(operation(&mut b));
                tips[who] = world.store.tip().unwrap();
                world.leave(who);
            }
            2 => tips[who] = forged(&mut world, &mut b, who, tips[who]),
            _ => {
                let other = b.below(TEAM);
                match world.sync(who, Some(tips[who]), tips[other]) {
                    Ok(tip) => tips[who] = tip,
                    // A newer format stops a sync: nothing moves.
                    Err(StoreError::NewerFormat { .. }) => {}
                    Err(e) => panic!("sync failed: {e}"),
                }
            }
        }
    }
    let [alice, bob] = ALICE_AND_BOB;
    let mut a = None;
    for tip in tips {
        a = Some(world.sync(alice, a, tip).expect("alice syncs"));
    }
    let mut b_tip = None;
    for tip in tips.iter().rev() {
        b_tip = Some(world.sync(bob, b_tip, *tip).expect("bob syncs"));
    }
    let (a, b_tip) = (a.unwrap(), b_tip.unwrap());
    let a = world
        .sync(alice, Some(a), b_tip)
        .expect("alice syncs with bob");
    let b_tip = world
        .sync(bob, Some(b_tip), a)
        .expect("bob syncs with alice");
    assert_eq!(a, b_tip, "alice and bob end on the same commit");
    // A fresh clone takes it as it is.
    let fresh = world.sync(9, None, a).expect("a fresh clone syncs");
    assert_eq!(fresh, a, "a fresh clone takes the result as it is");
    world.enter(9, Some(a));
    let snapshot = world.store.snapshot().expect("the result reads");
    for m in ["m", "n"] {
        let _ = snapshot.milestone(&id(m));
    }
    let _ = world
        .store
        .events(a, &git_milestone::store::EventFilter::default(), None)
        .expect("its events read");
}
