//! Property (issue 13): three clones run random workflow changes, advances, approvals
//! and rejections, trailer moves applied by hooks (the same commit's trailer in two
//! clones, as the committer's hook and a teammate's post-merge hook do), checkpoints
//! with clashing names and restores, with random syncs through a bare remote, each
//! merging or in rebase mode (`milestone.syncRebase`). Then in
//! every clone: the same tree, timeline, approvals and checkpoints; every request any
//! clone opened (by `phase advance` or `monitor`) still there; every request decided
//! at most once per role; no operation moves a task's phase backwards; no
//! trailer move shown twice; no workflow task completed without its execute phase.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use git_milestone::model::{
    Decision, MilestoneFiles, MilestoneId, Op, Phase, PhaseStatus, RestoreSource, TaskId, TaskMove,
    TaskStatus, TrailerAction,
};
use git_milestone::store::{Parts, Store, StoreError};
use git_milestone::sync;
use proptest::prelude::*;

use crate::common::clones_of_a_bare_remote;

const REPLICAS: usize = 3;
const STATUSES: [PhaseStatus; 4] = [
    PhaseStatus::InProgress,
    PhaseStatus::Completed,
    PhaseStatus::Completed,
    PhaseStatus::Blocked,
];

#[derive(Debug, Clone)]
enum Action {
    /// `phase set m k <phase> <status>` in a clone.
    SetPhase(usize, u8, u8),
    /// `phase advance m k`.
    Advance(usize),
    /// `monitor m`: every ready transition, requests opened like `phase advance`.
    Monitor(usize),
    /// A decision on the clone's n-th request: role, approve or reject.
    Decide(usize, u8, u8, bool),
    /// One commit's trailer, applied in one clone (its committer) and maybe another
    /// (a teammate's post-merge hook): task k or p, start or complete.
    Trailer(usize, Option<usize>, u8, bool),
    /// `task complete m p`, or the refused `task complete m k`.
    Complete(usize, bool),
    /// `checkpoint create m cp<n>`.
    Checkpoint(usize, u8),
    /// `checkpoint restore m cp<n>`, when the clone has it.
    Restore(usize, u8),
    /// A sync, merging or (true) in rebase mode.
    Sync(usize, bool),
}

fn action() -> impl Strategy<Value = Action> {
    let r = 0..REPLICAS;
    prop_oneof![
        3 => (r.clone(), 0..4u8, 0..4u8).prop_map(|(r, p, s)| Action::SetPhase(r, p, s)),
        3 => r.clone().prop_map(Action::Advance),
        1 => r.clone().prop_map(Action::Monitor),
        3 => (r.clone(), 0..3u8, 0..2u8, any::<bool>()).prop_map(|(r, n, role, ok)| Action::Decide(r, n, role, ok)),
        2 => (r.clone(), proptest::option::of(r.clone()), 0..2u8, any::<bool>())
            .prop_map(|(r, o, t, c)| Action::Trailer(r, o, t, c)),
        1 => (r.clone(), any::<bool>()).prop_map(|(r, k)| Action::Complete(r, k)),
        1 => (r.clone(), 0..2u8).prop_map(|(r, n)| Action::Checkpoint(r, n)),
        1 => (r.clone(), 0..2u8).prop_map(|(r, n)| Action::Restore(r, n)),
        3 => (r, any::<bool>()).prop_map(|(r, rebase)| Action::Sync(r, rebase)),
    ]
}

fn m() -> MilestoneId {
    MilestoneId::new("m").unwrap()
}

fn task(name: &str) -> TaskId {
    TaskId::new(name).unwrap()
}

struct Team {
    _dir: tempfile::TempDir,
    clones: Vec<PathBuf>,
}

impl Team {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let clones = clones_of_a_bare_remote(dir.path(), REPLICAS);
        let first = Store::open(&clones[0]).unwrap();
        first.init().unwrap();
        for op in [
            Op::NewMilestone {
                milestone: m(),
                title: None,
                description: None,
                due: None,
            },
            Op::AddTask {
                milestone: m(),
                task: task("k"),
                title: String::new(),
                kiro: true,
                points: None,
            },
            Op::AddTask {
                milestone: m(),
                task: task("p"),
                title: String::new(),
                kiro: false,
                points: None,
            },
        ] {
            first.transact(op).unwrap();
        }
        for clone in &clones {
            sync_clone(clone, false);
        }
        Team { _dir: dir, clones }
    }

    fn store(&self, r: usize) -> Store {
        Store::open(&self.clones[r]).unwrap()
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

fn files(store: &Store) -> MilestoneFiles {
    store
        .snapshot()
        .unwrap()
        .milestone_with(&m(), Parts::ALL)
        .unwrap()
        .unwrap()
}

/// Writes `op`; a refusal writes nothing and is fine (the command would say why).
fn write(store: &Store, op: Op) {
    match store.transact(op) {
        Ok(_) | Err(StoreError::Rejected(_)) => {}
        Err(e) => panic!("{e}"),
    }
}

fn run(team: &Team, step: usize, action: &Action) {
    let by = |r: usize| format!("user{r} <user{r}@example.com>");
    match *action {
        Action::SetPhase(r, p, s) => write(
            &team.store(r),
            Op::SetPhase {
                milestone: m(),
                task: task("k"),
                phase: Phase::ALL[p as usize],
                status: STATUSES[s as usize],
            },
        ),
        Action::Advance(r) => write(
            &team.store(r),
            Op::AdvancePhase {
                milestone: m(),
                task: task("k"),
                by: by(r),
                nonce: Some(format!("{r}{step:05x}")),
                from: None,
                request: None,
            },
        ),
        Action::Monitor(r) => write(
            &team.store(r),
            Op::Monitor {
                milestone: m(),
                by: by(r),
                nonce: Some(format!("{r}{step:05x}")),
                advanced: Vec::new(),
            },
        ),
        Action::Decide(r, n, role, approve) => {
            let store = team.store(r);
            let approvals = files(&store).approvals.unwrap_or_default();
            let Some(request) = approvals.values().nth(n as usize % approvals.len().max(1)) else {
                return;
            };
            write(
                &store,
                Op::DecideApproval {
                    milestone: m(),
                    approval: request.id.clone(),
                    role: ["lead", "qa"][role as usize].to_string(),
                    decision: if approve {
                        Decision::Approved
                    } else {
                        Decision::Rejected
                    },
                    comment: None,
                    by: by(r),
                    binding: None,
                    renew: false,
                },
            );
        }
        Action::Trailer(r, teammate, t, complete) => {
            let moves = vec![TaskMove {
                task: task(["k", "p"][t as usize]),
                action: if complete {
                    TrailerAction::Complete
                } else {
                    TrailerAction::Start
                },
                commit: format!("{step:040x}"),
            }];
            for clone in std::iter::once(r).chain(teammate) {
                write(
                    &team.store(clone),
                    Op::RecordCommit {
                        milestone: m(),
                        session: None,
                        commit: format!("{step:040x}"),
                        branch: "main".into(),
                        subject: "work".into(),
                        moves: moves.clone(),
                    },
                );
            }
        }
        Action::Complete(r, workflow_task) => write(
            &team.store(r),
            Op::SetTaskStatus {
                milestone: m(),
                task: task(if workflow_task { "k" } else { "p" }),
                status: TaskStatus::Completed,
                reason: None,
            },
        ),
        Action::Checkpoint(r, n) => {
            match team
                .store(r)
                .create_checkpoint(&m(), &format!("cp{n}"), "test")
            {
                Ok(_) | Err(StoreError::Rejected(_)) => {}
                Err(e) => panic!("{e}"),
            }
        }
        Action::Restore(r, n) => {
            let store = team.store(r);
            let name = format!("cp{n}");
            let Some(checkpoint) = store
                .checkpoints(Some(&m()))
                .unwrap()
                .into_iter()
                .find(|c| c.name == name)
            else {
                return;
            };
            write(
                &store,
                Op::Restore {
                    milestone: m(),
                    commit: checkpoint.commit,
                    source: RestoreSource::Checkpoint { name },
                },
            );
        }
        Action::Sync(r, rebase) => sync_clone(&team.clones[r], rebase),
    }
}

/// The workflow task's current phase and status in the tree of `commit`.
fn task_k_at(store: &Store, commit: git2::Oid) -> Option<(usize, TaskStatus, PhaseStatus)> {
    let files = store.snapshot_at(commit).ok()?.milestone(&m()).ok()??;
    let k = files.definition.task(&task("k"))?.clone();
    let w = k.workflow()?;
    let current = Phase::ALL.iter().position(|p| *p == w.current_phase)?;
    Some((current, k.status, w.phases.get(Phase::Execute).status))
}

fn check(actions: Vec<Action>) {
    let team = Team::new();
    // Every request any clone opened, to be found in every clone at the end.
    let mut opened = HashSet::new();
    for (step, action) in actions.iter().enumerate() {
        run(&team, step, action);
        if let Action::Advance(r) | Action::Monitor(r) = *action {
            let approvals = files(&team.store(r)).approvals.unwrap_or_default();
            opened.extend(approvals.into_keys());
        }
    }
    // Three rounds: everything reaches the remote, then every clone, and a checkpoint
    // name that clashed is settled everywhere.
    // Modes mixed: every other clone rebases.
    for _ in 0..3 {
        for (i, clone) in team.clones.iter().enumerate() {
            sync_clone(clone, i % 2 == 0);
        }
    }
    let stores: Vec<Store> = (0..REPLICAS).map(|r| team.store(r)).collect();
    let tree = |s: &Store| {
        let repo = git2::Repository::open(s.git_dir()).unwrap();
        let tree = repo.find_commit(s.tip().unwrap()).unwrap().tree_id();
        tree
    };
    let timeline = |s: &Store| {
        s.events(s.tip().unwrap(), &Default::default(), None)
            .unwrap()
    };
    let checkpoints = |s: &Store| s.checkpoints(None).unwrap();
    for other in &stores[1..] {
        assert_eq!(
            tree(&stores[0]),
            tree(other),
            "trees differ after {actions:?}"
        );
        assert_eq!(timeline(&stores[0]), timeline(other), "timelines differ");
        assert_eq!(files(&stores[0]).approvals, files(other).approvals);
        assert_eq!(
            checkpoints(&stores[0]),
            checkpoints(other),
            "checkpoints differ"
        );
    }
    let store = &stores[0];
    let kept = files(store).approvals.unwrap_or_default();
    for id in &opened {
        assert!(kept.contains_key(id), "request {id} lost after {actions:?}");
    }
    for request in kept.values() {
        let decided: Vec<&str> = request
            .approvers
            .iter()
            .filter(|a| a.status != Decision::Pending)
            .map(|a| a.role.as_str())
            .collect();
        let unique: HashSet<&&str> = decided.iter().collect();
        assert_eq!(
            unique.len(),
            decided.len(),
            "a role decided twice: {request:?}"
        );
        assert!(!request.open_to_anyone || decided.len() <= 1, "{request:?}");
    }
    let mut moves = HashSet::new();
    for event in timeline(store) {
        if let (Some(commit), Some(trailer)) = (
            event.data["commit"].as_str(),
            event.data["trailer"].as_str(),
        ) {
            let key = (
                commit.to_string(),
                event.data["task_id"].to_string(),
                trailer.to_string(),
            );
            assert!(moves.insert(key), "a trailer's move shown twice: {event:?}");
        }
    }
    // Every operation, in whichever clone it was made: no phase goes back (but a
    // restore, which puts the milestone back on purpose), and the workflow task is
    // completed only with its execute phase done (no action here forces it).
    let repo = git2::Repository::open(store.git_dir()).unwrap();
    let mut walk = repo.revwalk().unwrap();
    walk.push(store.tip().unwrap()).unwrap();
    for oid in walk {
        let commit = repo.find_commit(oid.unwrap()).unwrap();
        let Some(now) = task_k_at(store, commit.id()) else {
            continue;
        };
        let done = matches!(now.2, PhaseStatus::Completed | PhaseStatus::Approved);
        assert!(
            now.1 != TaskStatus::Completed || done,
            "completed past its gates at {}",
            commit.id()
        );
        if commit.parent_count() != 1 || commit.message().unwrap_or("").contains("restore") {
            continue;
        }
        if let Some(before) = task_k_at(store, commit.parent_id(0).unwrap()) {
            assert!(
                now.0 >= before.0,
                "phase went back at {}: {}",
                commit.id(),
                commit.message().unwrap_or("")
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(10),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn three_clones_agree_on_workflow_trailers_and_checkpoints(
        actions in proptest::collection::vec(action(), 1..24)
    ) {
        check(actions);
    }
}

#[test]
fn a_late_decision_on_a_superseded_request_changes_nothing_anywhere() {
    use Action::*;
    check(vec![
        SetPhase(0, 0, 1),
        Advance(0),
        Sync(0, false),
        Sync(1, false),
        SetPhase(0, 0, 1),
        Advance(0),
        Decide(0, 1, 0, true),
        Decide(1, 0, 0, true),
        Trailer(2, Some(1), 1, true),
        Checkpoint(1, 0),
        Checkpoint(2, 0),
        Sync(2, false),
        Restore(1, 0),
    ]);
}

#[test]
fn a_late_advance_or_monitor_keeps_its_request_everywhere() {
    use Action::*;
    check(vec![
        SetPhase(0, 0, 1),
        Advance(0),
        Decide(0, 0, 0, true),
        SetPhase(0, 1, 1),
        // Clones 1 and 2 worked offline: their requests come after all of clone 0's
        // work in merge order, when the task is past design.
        SetPhase(1, 0, 0),
        SetPhase(1, 0, 1),
        SetPhase(1, 0, 0),
        SetPhase(1, 0, 1),
        Advance(1),
        Decide(1, 0, 1, true),
        SetPhase(2, 0, 0),
        SetPhase(2, 0, 1),
        SetPhase(2, 0, 0),
        SetPhase(2, 0, 1),
        Monitor(2),
        Sync(1, false),
        Sync(0, false),
    ]);
}
