//! Property: any sequence of operations written through the real store leaves a state
//! that reads back equal. After every operation, each milestone's files as the store
//! returns them equal the files obtained by applying the same accepted operations in
//! memory with `workflow::apply`; each definition reads back equal from YAML, and
//! `export` → import gives it back.

use chrono::{DateTime, Utc};
use git_milestone::model::{
    ApprovalGate, Decision, KiroConfiguration, MilestoneId, Op, Phase, PhaseStatus, PutReason,
    TaskId, TaskStatus,
};
use git_milestone::store::{message, Outcome, Parts, Store, StoreError};
use proptest::prelude::*;

use crate::common::run_git;

use crate::fuzz_checks::{check_definition, Memory, Rule};

const ROLES: [&str; 3] = ["lead", "qa", "dev"];
const PHASE_STATUSES: [PhaseStatus; 6] = [
    PhaseStatus::NotStarted,
    PhaseStatus::InProgress,
    PhaseStatus::Completed,
    PhaseStatus::WaitingApproval,
    PhaseStatus::Approved,
    PhaseStatus::Blocked,
];

#[derive(Debug, Clone)]
enum Action {
    New(u8, bool),
    AddTask(u8, u8, bool),
    SetTask(u8, u8, usize),
    SetPhase(u8, u8, usize, usize),
    Advance(u8, u8),
    Monitor(u8),
    /// Gates every transition, with the approvers `lead` and `qa` on design → spec.
    Gate(u8),
    /// Decides the n-th approval request of the milestone.
    Decide(u8, usize, usize, bool),
    SaveState(u8, i64),
}

fn action() -> impl Strategy<Value = Action> {
    let m = 0..2u8;
    let t = 0..3u8;
    prop_oneof![
        1 => (m.clone(), any::<bool>()).prop_map(|(m, titled)| Action::New(m, titled)),
        2 => (m.clone(), t.clone(), any::<bool>()).prop_map(|(m, t, k)| Action::AddTask(m, t, k)),
        2 => (m.clone(), t.clone(), 0..4usize).prop_map(|(m, t, s)| Action::SetTask(m, t, s)),
        2 => (m.clone(), t.clone(), 0..4usize, 0..6usize)
            .prop_map(|(m, t, p, s)| Action::SetPhase(m, t, p, s)),
        3 => (m.clone(), t.clone()).prop_map(|(m, t)| Action::Advance(m, t)),
        1 => m.clone().prop_map(Action::Monitor),
        1 => m.clone().prop_map(Action::Gate),
        3 => (m.clone(), 0..3usize, 0..3usize, any::<bool>())
            .prop_map(|(m, n, r, ok)| Action::Decide(m, n, r, ok)),
        1 => (m, any::<i64>()).prop_map(|(m, n)| Action::SaveState(m, n)),
    ]
}

fn milestone(i: u8) -> MilestoneId {
    MilestoneId::new(format!("m{i}")).unwrap()
}

fn task(i: u8) -> TaskId {
    TaskId::new(format!("t{i}")).unwrap()
}

const BY: &str = "Prop Tester <prop@example.com>";

/// The operation an action stands for, given what the store holds (`memory`, checked
/// equal to it after every step).
fn op_for(action: &Action, memory: &Memory) -> Op {
    match *action {
        Action::New(m, titled) => Op::NewMilestone {
            milestone: milestone(m),
            title: titled.then(|| format!("Milestone {m}: \"quoted\"\nsecond line")),
            description: None,
            due: titled.then(|| "2026-12-31".to_string()),
        },
        Action::AddTask(m, t, kiro) => Op::AddTask {
            milestone: milestone(m),
            task: task(t),
            title: format!("task {t}"),
            kiro,
            points: None,
        },
        Action::SetTask(m, t, s) => Op::SetTaskStatus {
            milestone: milestone(m),
            task: task(t),
            status: TaskStatus::ALL[s],
            reason: None,
        },
        Action::SetPhase(m, t, p, s) => Op::SetPhase {
            milestone: milestone(m),
            task: task(t),
            phase: Phase::ALL[p],
            status: PHASE_STATUSES[s],
        },
        Action::Advance(m, t) => Op::AdvancePhase {
            milestone: milestone(m),
            task: task(t),
            by: BY.into(),
            nonce: None,
            from: None,
            request: None,
        },
        Action::Monitor(m) => Op::Monitor {
            milestone: milestone(m),
            by: BY.into(),
            nonce: None,
            advanced: Vec::new(),
        },
        Action::Gate(m) => {
            let id = milestone(m);
            let mut definition = memory
                .milestones
                .get(&id)
                .map(|f| f.definition.clone())
                .unwrap_or_else(|| git_milestone::model::Milestone::new(id));
            let mut config = KiroConfiguration::default();
            for (gate, approvers) in [
                ("design_to_spec", vec!["lead", "qa"]),
                ("spec_to_task", vec![]),
                ("task_to_execute", vec!["dev"]),
            ] {
                config.approval_gates.insert(
                    gate.to_string(),
                    ApprovalGate {
                        required: Some(true),
                        approvers: approvers.into_iter().map(String::from).collect(),
                        criteria: vec!["reviewed: yes".into()],
                        ..Default::default()
                    },
                );
            }
            definition.kiro_configuration = Some(config);
            Op::PutMilestone {
                definition: Box::new(definition),
                reason: PutReason::Edit,
            }
        }
        Action::Decide(m, n, r, approve) => {
            let id = milestone(m);
            let approvals: Vec<String> = memory
                .milestones
                .get(&id)
                .and_then(|f| f.approvals.as_ref())
                .map(|a| a.keys().cloned().collect())
                .unwrap_or_default();
            let approval = if approvals.is_empty() {
                format!("approval-{id}-t0-design-spec-1")
            } else {
                approvals[n % approvals.len()].clone()
            };
            Op::DecideApproval {
                milestone: id,
                approval,
                role: ROLES[r].into(),
                decision: if approve {
                    Decision::Approved
                } else {
                    Decision::Rejected
                },
                comment: approve.then(|| "ok: looks good".to_string()),
                by: BY.into(),
                binding: None,
                renew: false,
            }
        }
        Action::SaveState(m, n) => Op::SaveState {
            milestone: milestone(m),
            state: serde_json::json!({ "n": n, "half": n as f64 / 2.0, "list": [m] }),
        },
    }
}

/// The store's milestones, every part read, equal the ones in memory.
fn assert_reads_back(store: &Store, memory: &Memory, after: &str) {
    let snapshot = store.snapshot().unwrap();
    let ids = snapshot.milestone_ids().unwrap();
    let expected: Vec<_> = memory.milestones.keys().cloned().collect();
    assert_eq!(ids, expected, "milestones after {after}");
    for (id, files) in &memory.milestones {
        let stored = snapshot.milestone_with(id, Parts::ALL).unwrap().unwrap();
        assert_eq!(&stored, files, "milestone {id} after {after}");
        check_definition(&stored.definition);
    }
}

fn check(actions: Vec<Action>) -> Memory {
    let dir = tempfile::tempdir().unwrap();
    run_git(dir.path(), &["init", "-q"]);
    run_git(dir.path(), &["config", "user.name", "Prop Tester"]);
    run_git(dir.path(), &["config", "user.email", "prop@example.com"]);
    let store = Store::open(dir.path()).unwrap();
    store.init().unwrap();
    let mut memory = Memory::default();
    for action in &actions {
        let op = op_for(action, &memory);
        match store.transact(op.clone()) {
            Ok(Outcome::Committed { commit, applied }) => {
                let repo = git2::Repository::open(store.git_dir()).unwrap();
                let text = repo.find_commit(commit).unwrap();
                let record = message::decode(text.message().unwrap()).expect("a record");
                // The operation as given, with what its advances did recorded in it.
                assert_eq!(
                    record.op,
                    git_milestone::workflow::as_recorded(&op, &applied)
                );
                assert_eq!(record.events, applied.events);
                let at: DateTime<Utc> = DateTime::parse_from_rfc3339(&record.at)
                    .unwrap()
                    .with_timezone(&Utc);
                let in_memory = memory.run(&op, None, at, Rule::Apply);
                assert_eq!(in_memory.as_ref(), Some(&applied), "{action:?}");
            }
            Ok(Outcome::Unchanged { applied }) => {
                let in_memory = memory.run(&op, None, Utc::now(), Rule::Apply);
                assert!(!applied.changed);
                assert!(in_memory.is_some_and(|a| !a.changed), "{action:?}");
            }
            Ok(Outcome::AlreadyInitialized) => unreachable!("not an init"),
            Err(StoreError::Rejected(rejection)) => {
                let in_memory = memory.apply(&op, None, Utc::now(), Rule::Apply);
                assert_eq!(in_memory, Err(rejection), "{action:?}");
            }
            Err(e) => panic!("{action:?}: {e}"),
        }
        assert_reads_back(&store, &memory, &format!("{action:?}"));
    }
    memory
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(24),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn every_write_reads_back_equal(actions in proptest::collection::vec(action(), 1..40)) {
        let _ = check(actions);
    }
}

#[test]
fn a_gated_workflow_reads_back_equal() {
    use Action::*;
    let memory = check(vec![
        New(0, true),
        AddTask(0, 0, true),
        AddTask(0, 1, false),
        Gate(0),
        SetPhase(0, 0, 0, 2),
        Advance(0, 0),
        Decide(0, 0, 0, true),
        Decide(0, 0, 1, true),
        SetPhase(0, 0, 1, 2),
        Monitor(0),
        Decide(0, 0, 2, false), // refused: design → spec is decided
        Decide(0, 1, 2, false),
        SaveState(0, 7),
        SetTask(0, 1, 2),
    ]);
    // The sequence went where it was meant to: design → spec granted by lead and qa,
    // spec → task asked and rejected.
    let files = &memory.milestones[&milestone(0)];
    let workflow = files.definition.tasks[0].workflow().unwrap();
    assert_eq!(workflow.current_phase, Phase::Spec);
    assert_eq!(workflow.phases.design.status, PhaseStatus::Approved);
    assert_eq!(workflow.phases.spec.status, PhaseStatus::Blocked);
    let decisions: Vec<Decision> = files
        .approvals
        .as_ref()
        .unwrap()
        .values()
        .map(|a| a.status)
        .collect();
    assert_eq!(decisions, [Decision::Approved, Decision::Rejected]);
    assert_eq!(files.definition.tasks[1].status, TaskStatus::Completed);
    assert!(files.state.is_some());
}
