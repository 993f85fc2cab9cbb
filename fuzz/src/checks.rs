//! The properties the fuzz targets check. This file is also compiled into the main
//! crate's test binary (`tests/it/main.rs` includes it by path), where the regression
//! inputs under `fuzz/regressions/` and the read-back property test use it; so it
//! depends only on what the main crate's tests have: git-milestone, serde, serde_json,
//! chrono.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fmt::Debug;

use chrono::{DateTime, Utc};
use git_milestone::exchange::{export_yaml, parse_milestone_yaml};
use git_milestone::model::milestone::DERIVED_FIELDS;
use git_milestone::model::{
    validate, ApprovalRequest, Milestone, MilestoneFiles, MilestoneId, Op, PhaseStatus, Session,
    SessionId, Task, TaskId,
};
use git_milestone::store::message::{self, OpRecord};
use git_milestone::workflow::{self, Applied, Rejection};
use git_milestone::{clock, yaml};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Equal, where a NaN equals a NaN: a phase weight read from a hand-edited file can be
/// `.nan`, which `PartialEq` never finds equal to itself. `Debug` prints every float
/// in a form that reads back exactly, so equal text means equal values.
pub fn same<T: PartialEq + Debug>(a: &T, b: &T) -> bool {
    a == b || format!("{a:?}") == format!("{b:?}")
}

macro_rules! assert_same {
    ($a:expr, $b:expr, $($what:tt)+) => {{
        let (a, b) = (&$a, &$b);
        assert!(
            same(a, b),
            "{}\n  left: {:?}\n right: {:?}",
            format!($($what)+),
            a,
            b
        );
    }};
}

// ---------------------------------------------------------------- yaml_import

/// `yaml_import`: any text given to `import` (or saved from `edit`) is refused with a
/// message or accepted; an accepted definition is valid, and reads back equal both
/// as the store writes it and through `export` → `import`.
pub fn yaml_import(data: &[u8]) {
    // `import` reads the file with `read_to_string`: a file that is not UTF-8 never
    // reaches the parser.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(milestone) = parse_milestone_yaml(text, Some("from-stem")) else {
        return;
    };
    assert!(
        validate::milestone_problems(&milestone).is_empty(),
        "an accepted definition is valid: {milestone:?}"
    );
    check_definition(&milestone);
}

/// A definition reads back equal as the store writes `milestone.yaml`, and, when it is
/// valid, through `export` → `import`.
pub fn check_definition(milestone: &Milestone) {
    let text = yaml::to_string(milestone).expect("a definition always serializes");
    let back: Milestone = yaml::from_str(&text)
        .unwrap_or_else(|e| panic!("milestone.yaml does not read back: {e}\n{text}"));
    assert_same!(
        back,
        *milestone,
        "milestone.yaml reads back different:\n{text}"
    );

    // The export adds the derived fields and the import drops them, so a definition
    // that carries fields of those names (only possible in a file not written by
    // git-milestone) cannot come back equal; and an import validates.
    let derived = DERIVED_FIELDS
        .iter()
        .any(|f| milestone.extra.contains_key(*f));
    if derived || !validate::milestone_problems(milestone).is_empty() {
        return;
    }
    let exported = export_yaml(milestone).expect("a definition always exports");
    let imported = parse_milestone_yaml(&exported, None)
        .unwrap_or_else(|e| panic!("the export does not import: {e}\n{exported}"));
    assert_same!(
        imported,
        *milestone,
        "the export imports different:\n{exported}"
    );
}

// ------------------------------------------------------------- message_decode

/// `message_decode`: any commit message decodes or is taken for a foreign commit; a
/// decoded record agrees with its header, encodes back to itself, and its operation
/// replays (as a merge would) without panicking.
pub fn message_decode(data: &[u8]) {
    // git2 gives a message that is not UTF-8 as `None`, which the store reads as "".
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let header = message::decode_header(text);
    if let Some(header) = &header {
        // What the store computes from a header: the next operation's lamport.
        let _ = message::next_lamport([header.lamport]);
        let _ = DateTime::parse_from_rfc3339(&header.at);
    }
    let Some(record) = message::decode(text) else {
        return;
    };
    let header = header.expect("a message that decodes has a header");
    assert_eq!(header.lamport, record.lamport);
    assert_eq!(header.at, record.at);
    assert_eq!(header.session, record.session);
    assert_eq!(header.events, record.events);
    check_record(text.split_once("\n\n").map_or(text, |(s, _)| s), &record);

    // A merge replays the operations it finds, at the time they carry.
    let at = DateTime::parse_from_rfc3339(&record.at)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|_| fixed_time());
    let mut memory = Memory::default();
    if let Some(id) = record.op.milestone() {
        memory.milestones.insert(id.clone(), sample_files(id));
    }
    memory.run(&record.op, None, at, Rule::Replay);
}

/// A record encodes to a message with a one-line subject, which decodes back to it.
pub fn check_record(summary: &str, record: &OpRecord) {
    let text = message::encode(summary, record);
    let (subject, _) = text.split_once("\n\n").expect("a subject and a body");
    assert!(!subject.contains('\n'), "one-line subject: {subject:?}");
    let back = message::decode(&text);
    assert_same!(
        back.as_ref(),
        Some(record),
        "the message decodes different:\n{text}"
    );
}

/// A milestone with one plain task and one workflow task waiting for approval.
pub fn sample_files(id: &MilestoneId) -> MilestoneFiles {
    // Built, not parsed: an id such as `y` or `null` in YAML text would not read as a
    // string (the fuzzer found that in an earlier version of this function).
    let mut definition = Milestone::new(id.clone());
    let plain = TaskId::new("a").expect("valid");
    let gated = TaskId::new("b").expect("valid");
    definition
        .tasks
        .push(Task::new(plain, String::new(), false));
    let mut task = Task::new(gated, String::new(), true);
    if let Some(w) = task.kiro_workflow.as_mut() {
        w.phases.design.status = PhaseStatus::WaitingApproval;
    }
    definition.tasks.push(task);
    MilestoneFiles {
        definition,
        state: None,
        sessions: Some(BTreeMap::new()),
        approvals: Some(BTreeMap::new()),
    }
}

/// 2026-01-01T00:00:00Z.
pub fn fixed_time() -> DateTime<Utc> {
    DateTime::from_timestamp(1_767_225_600, 0).expect("a valid time")
}

// ----------------------------------------------------------------------- apply

/// A milestone's files in a form that serializes (for the regression inputs of the
/// `apply` target, which are JSON).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Files {
    /// `milestone.yaml`.
    pub definition: Milestone,
    /// `state.json`.
    #[serde(default)]
    pub state: Option<Value>,
    /// `sessions/`.
    #[serde(default)]
    pub sessions: Option<BTreeMap<SessionId, Session>>,
    /// `approvals/`.
    #[serde(default)]
    pub approvals: Option<BTreeMap<String, ApprovalRequest>>,
}

impl From<Files> for MilestoneFiles {
    fn from(f: Files) -> Self {
        MilestoneFiles {
            definition: f.definition,
            state: f.state,
            sessions: f.sessions,
            approvals: f.approvals,
        }
    }
}

impl From<MilestoneFiles> for Files {
    fn from(f: MilestoneFiles) -> Self {
        Files {
            definition: f.definition,
            state: f.state,
            sessions: f.sessions,
            approvals: f.approvals,
        }
    }
}

/// The input of the `apply` target: milestones as the store holds them, operations to
/// apply in order, and the files a restore brings back.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Scenario {
    /// The time of every operation, RFC 3339.
    pub at: String,
    /// The milestones at the start (each file as read, not necessarily valid).
    #[serde(default)]
    pub milestones: Vec<Files>,
    /// The files a restore puts back (the version at the commit it names).
    #[serde(default)]
    pub source: Option<Files>,
    /// The operations.
    pub ops: Vec<Op>,
    /// Apply them as a merge replays them.
    #[serde(default)]
    pub replay: bool,
}

/// `apply`: every operation of a scenario, applied to the milestones as the store
/// would, never panics, gives the same result twice, and what it returns reads back
/// equal and changes nothing when it says so.
pub fn apply_scenario(scenario: &Scenario) {
    let at = DateTime::parse_from_rfc3339(&scenario.at)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|_| fixed_time());
    let mut memory = Memory::default();
    for files in &scenario.milestones {
        let files = MilestoneFiles::from(files.clone());
        memory.milestones.insert(files.definition.id.clone(), files);
    }
    let rule = if scenario.replay {
        Rule::Replay
    } else {
        Rule::Apply
    };
    for op in &scenario.ops {
        // The store reads a restore's source by the milestone's id.
        let source = scenario
            .source
            .clone()
            .filter(|s| Some(&s.definition.id) == op.milestone())
            .map(MilestoneFiles::from);
        memory.run(op, source, at, rule);
    }
}

/// How an operation is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// As a command does: [`workflow::apply_with_source`].
    Apply,
    /// As a merge does: [`workflow::replay`].
    Replay,
}

/// The milestones of a store, in memory: what [`git_milestone::store::Store`] keeps
/// after each operation, computed with the pure workflow alone. Every milestone's
/// sessions and approvals are always present (empty when there are none), as a read
/// of all parts gives them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Memory {
    /// By id.
    pub milestones: BTreeMap<MilestoneId, MilestoneFiles>,
}

impl Memory {
    /// The files of the milestone `op` names, with the parts the store reads for it.
    pub fn current(&self, op: &Op) -> Option<MilestoneFiles> {
        let mut files = self.milestones.get(op.milestone()?)?.clone();
        if !op.needs_sessions() {
            files.sessions = None;
        }
        if !op.needs_approvals() {
            files.approvals = None;
        }
        Some(files)
    }

    /// Applies `op` as the store does: the rule on the current files, and when the
    /// result changed something, its files kept (the parts it did not read stay).
    pub fn apply(
        &mut self,
        op: &Op,
        source: Option<MilestoneFiles>,
        at: DateTime<Utc>,
        rule: Rule,
    ) -> Result<Applied, Rejection> {
        // A restore reads no parts (it needs none), so this is what the store gives it
        // too; `source` should carry all parts, as the store reads it from history.
        let current = self.current(op);
        let applied = match rule {
            Rule::Apply => workflow::apply_with_source(current, source, op, at)?,
            Rule::Replay => workflow::replay(current, source, op, at)?,
        };
        if !applied.changed {
            return Ok(applied);
        }
        if let (Some(id), Some(after)) = (op.milestone(), &applied.files) {
            let old = self.milestones.get(id);
            let files = MilestoneFiles {
                definition: after.definition.clone(),
                state: after.state.clone(),
                sessions: keep(&after.sessions, old.map(|o| &o.sessions)),
                approvals: keep(&after.approvals, old.map(|o| &o.approvals)),
            };
            self.milestones.insert(id.clone(), files);
        }
        Ok(applied)
    }

    /// [`Memory::apply`], checking every property of one application.
    pub fn run(
        &mut self,
        op: &Op,
        source: Option<MilestoneFiles>,
        at: DateTime<Utc>,
        rule: Rule,
    ) -> Option<Applied> {
        let current = self.current(op);
        let mut twice = self.clone();
        let result = self.apply(op, source.clone(), at, rule);
        let again = twice.apply(op, source, at, rule);
        assert_same!(
            result,
            again,
            "applying {op:?} twice gives different results"
        );
        let applied = result.ok()?;
        check_applied(current.as_ref(), op, at, &applied);
        Some(applied)
    }
}

/// A part the result carries, else the part kept before, else none (empty).
fn keep<K: Clone, V: Clone>(
    new: &Option<BTreeMap<K, V>>,
    old: Option<&Option<BTreeMap<K, V>>>,
) -> Option<BTreeMap<K, V>> {
    new.clone()
        .or_else(|| old.cloned().flatten())
        .or(Some(BTreeMap::new()))
}

/// What holds for every successful application.
pub fn check_applied(
    current: Option<&MilestoneFiles>,
    op: &Op,
    at: DateTime<Utc>,
    applied: &Applied,
) {
    if let Some(files) = &applied.files {
        let id = op
            .milestone()
            .expect("files only for an operation on a milestone");
        assert_eq!(
            &files.definition.id, id,
            "{op:?} returned another milestone"
        );
        check_definition(&files.definition);
        if let Some(state) = &files.state {
            let text = serde_json::to_string_pretty(state).expect("a JSON value serializes");
            let back: Value = serde_json::from_str(&text).expect("state.json reads back");
            assert_same!(back, *state, "state.json reads back different");
        }
        for (key, session) in files.sessions.iter().flatten() {
            assert_eq!(key, &session.session_id, "a session is kept under its id");
            let text = serde_json::to_string_pretty(session).expect("a session serializes");
            let back: Session = serde_json::from_str(&text).expect("a session reads back");
            assert_same!(back, *session, "a session reads back different");
        }
        for (key, approval) in files.approvals.iter().flatten() {
            assert_eq!(key, &approval.id, "an approval is kept under its id");
            let text = yaml::to_string(approval).expect("an approval serializes");
            let back: ApprovalRequest = yaml::from_str(&text)
                .unwrap_or_else(|e| panic!("an approval does not read back: {e}\n{text}"));
            assert_same!(back, *approval, "an approval reads back different:\n{text}");
        }
        if !applied.changed {
            // Nothing is written then: the files must be what they were.
            let current = current.expect("an unchanged result had files before");
            assert_same!(
                files.definition,
                current.definition,
                "{op:?} said unchanged"
            );
            assert_same!(files.state, current.state, "{op:?} said unchanged");
            if let (Some(after), Some(before)) = (&files.approvals, &current.approvals) {
                assert_same!(after, before, "{op:?} said unchanged");
            }
            if let (Some(after), Some(before)) = (&files.sessions, &current.sessions) {
                assert_same!(after, before, "{op:?} said unchanged");
            }
        }
    }
    if let Some(id) = op.milestone() {
        for event in &applied.events {
            assert_eq!(
                event.milestone_id.as_deref(),
                Some(id.as_str()),
                "{op:?}: event {} names another milestone",
                event.event_type
            );
        }
    }
    // The commit the store would write records the operation and its events.
    let record = OpRecord {
        v: message::VERSION,
        lamport: 1,
        at: clock::format_time(at),
        session: None,
        op: op.clone(),
        events: applied.events.clone(),
    };
    check_record(&applied.summary, &record);
}
