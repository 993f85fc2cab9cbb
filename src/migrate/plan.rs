//! Turning a read folder into operations, in the order things happened, leaving out
//! what an earlier import brought.
//!
//! Milestones come first (every id the folder knows; one known only from its other
//! files gets a bare definition), then one timeline merged from all the logs, saved
//! states, sessions and approval requests by their times. Each log keeps its own line
//! order, and each milestone's current state comes after its backups, whatever their
//! times say (a restore copies an old state back). At equal times a file comes before
//! the event that reports it, as the scripts wrote them. Runs of events become one
//! operation each; each checkpoint is tagged on the operation that recreated its state.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use git2::Oid;
use serde_json::Value;

use crate::clock;
use crate::model::{ApprovalRequest, Event, Milestone, MilestoneId, Op, Session};
use crate::store::{BulkStep, NewTag};

use super::events::LogEvent;
use super::folder::{Folder, Sourced, StateFile, StateKind};
use super::imported::{event_key, state_key, Fingerprint, Imported};
use super::reference_time;

/// At most this much event JSON in one operation: about 250 events of the reference, so
/// 100,000 events make about four hundred commits. (The operation and its commit's
/// events each hold the batch, so the message is twice this.)
const BATCH_BYTES: usize = 60 * 1024;
/// At most this many events in one operation.
const BATCH_EVENTS: usize = 1000;

/// The operations to write.
#[derive(Debug, Default)]
pub struct Plan {
    /// In order.
    pub steps: Vec<BulkStep>,
    /// The files each step comes from, for messages.
    pub sources: Vec<Vec<String>>,
    /// Checkpoints whose state an earlier import brought: tags on its commit.
    pub tags_on: Vec<(NewTag, Oid)>,
}

impl Plan {
    /// Whether there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty() && self.tags_on.is_empty()
    }

    fn push(&mut self, op: Op, sources: Vec<String>) {
        self.steps.push(BulkStep {
            op,
            tags: Vec::new(),
        });
        self.sources.push(sources);
    }

    /// Adds `source` to the last step when `join` takes it into that step's operation,
    /// else a new step with `new()`: consecutive records of one milestone are one
    /// operation.
    fn push_or_join(
        &mut self,
        source: &str,
        join: impl FnOnce(&mut Op) -> bool,
        new: impl FnOnce() -> Op,
    ) {
        let joined = self.steps.last_mut().is_some_and(|s| join(&mut s.op));
        match (joined, self.sources.last_mut()) {
            (true, Some(sources)) => sources.push(source.to_string()),
            (true, None) => {}
            (false, _) => self.push(new(), vec![source.to_string()]),
        }
    }

    fn push_session(&mut self, session: &Sourced<Session>) {
        let value = &session.value;
        self.push_or_join(
            &session.source,
            |op| match op {
                Op::ImportSessions {
                    milestone,
                    sessions,
                } if *milestone == value.milestone_id => {
                    sessions.push(value.clone());
                    true
                }
                _ => false,
            },
            || Op::ImportSessions {
                milestone: value.milestone_id.clone(),
                sessions: vec![value.clone()],
            },
        );
    }

    fn push_approval(&mut self, request: &Sourced<ApprovalRequest>) {
        let value = &request.value;
        self.push_or_join(
            &request.source,
            |op| match op {
                Op::ImportApprovals {
                    milestone,
                    approvals,
                } if *milestone == value.milestone_id => {
                    approvals.push(value.clone());
                    true
                }
                _ => false,
            },
            || Op::ImportApprovals {
                milestone: value.milestone_id.clone(),
                approvals: vec![value.clone()],
            },
        );
    }
}

/// One saved version of a milestone's state, and the files that hold it.
#[derive(Debug, Clone)]
struct Version<'a> {
    milestone: &'a MilestoneId,
    /// None: the reference has no current state.
    state: Option<&'a Value>,
    saved_at: Option<DateTime<Utc>>,
    version: Option<&'a str>,
    sources: Vec<&'a str>,
    checkpoints: Vec<&'a StateFile>,
}

impl Version<'_> {
    fn holds(&self, file: &StateFile) -> bool {
        self.state == Some(&file.saved.state)
            && self.saved_at == Some(file.saved.saved_at)
            && self.version == file.saved.version.as_deref()
    }

    fn key(&self) -> Fingerprint {
        let saved_at = self.saved_at.map(clock::format_time);
        state_key(
            self.milestone,
            self.state,
            saved_at.as_deref(),
            self.version,
        )
    }
}

/// One thing on the timeline.
#[derive(Debug, Clone)]
enum Item<'a> {
    State(Version<'a>),
    Session(&'a Sourced<Session>),
    Approval(&'a Sourced<ApprovalRequest>),
    Event(&'a LogEvent, &'a str),
}

impl Item<'_> {
    /// At equal times, files before the events reporting them.
    fn rank(&self) -> u8 {
        match self {
            Item::State(_) => 0,
            Item::Session(_) => 1,
            Item::Approval(_) => 2,
            Item::Event(..) => 3,
        }
    }
}

type Lane<'a> = Vec<(DateTime<Utc>, Item<'a>)>;

/// The operations that bring in what `folder` holds and `imported` lacks. Checkpoints
/// named in `existing_tags` (milestone, name) are left alone.
pub fn plan(
    folder: &Folder,
    mut imported: Imported,
    existing_tags: &HashSet<(String, String)>,
    replace: bool,
) -> Plan {
    let mut plan = Plan::default();
    plan_definitions(folder, &imported, replace, &mut plan);
    let made_at = checkpoint_events(folder);
    let tag = |file: &StateFile| new_tag(file, existing_tags, &made_at);
    let mut events: Vec<Event> = Vec::new();
    let mut event_sources: Vec<&str> = Vec::new();
    let mut batch_bytes = 0;
    for item in timeline(folder) {
        if !matches!(item, Item::Event(..)) {
            flush(&mut plan, &mut events, &mut event_sources, &mut batch_bytes);
        }
        match item {
            Item::Event(log_event, source) => {
                let (key, size) = event_key(&log_event.event);
                if imported.take_event(&key) {
                    continue;
                }
                events.push(log_event.event.clone());
                if !event_sources.contains(&source) {
                    event_sources.push(source);
                }
                batch_bytes += size;
                if batch_bytes >= BATCH_BYTES || events.len() >= BATCH_EVENTS {
                    flush(&mut plan, &mut events, &mut event_sources, &mut batch_bytes);
                }
            }
            Item::State(version) => {
                let tags: Vec<NewTag> = version.checkpoints.iter().filter_map(|f| tag(f)).collect();
                plan_state(&mut plan, &imported, &version, tags);
            }
            Item::Session(session) => {
                if !imported.has_session(&Fingerprint::of(&session.value)) {
                    plan.push_session(session);
                }
            }
            Item::Approval(request) => {
                if !imported.has_approval(&Fingerprint::of(&request.value)) {
                    plan.push_approval(request);
                }
            }
        }
    }
    flush(&mut plan, &mut events, &mut event_sources, &mut batch_bytes);
    plan
}

/// The tag to make for `file`, if it is a checkpoint not already tagged: dated and
/// signed as the reference's event about it says, else by the file.
fn new_tag(
    file: &StateFile,
    existing_tags: &HashSet<(String, String)>,
    made_at: &HashMap<(&str, &str), &LogEvent>,
) -> Option<NewTag> {
    let StateKind::Checkpoint(name) = &file.kind else {
        return None;
    };
    if existing_tags.contains(&(file.milestone.to_string(), name.clone())) {
        return None;
    }
    let event = made_at.get(&(file.milestone.as_str(), name.as_str()));
    let by = event
        .and_then(|e| e.event.user.as_deref())
        .map(|u| format!(", made by {u}"))
        .unwrap_or_default();
    Some(NewTag {
        milestone: file.milestone.clone(),
        name: name.clone(),
        time: event.map_or(file.saved.saved_at, |e| e.at),
        why: format!("Imported from {}{by}.", file.source),
    })
}

/// A state version: a step of its own with its checkpoint tags, or, when imported
/// before, only the tags it still lacks, on the commit that imported it.
fn plan_state(plan: &mut Plan, imported: &Imported, version: &Version<'_>, tags: Vec<NewTag>) {
    if let Some(commit) = imported.state_commit(&version.key()) {
        plan.tags_on.extend(tags.into_iter().map(|t| (t, commit)));
        return;
    }
    let sources: Vec<String> = version.sources.iter().map(|s| s.to_string()).collect();
    plan.push(
        Op::ImportState {
            milestone: version.milestone.clone(),
            state: version.state.cloned(),
            saved_at: version.saved_at.map(clock::format_time),
            version: version.version.map(str::to_string),
            sources: sources.clone(),
        },
        sources,
    );
    if let Some(step) = plan.steps.last_mut() {
        step.tags = tags;
    }
}

/// A definition for every milestone the folder knows: its file's, or a bare one.
fn plan_definitions(folder: &Folder, imported: &Imported, replace: bool, plan: &mut Plan) {
    let mut definitions: BTreeMap<MilestoneId, (Milestone, Option<&str>)> = folder
        .milestone_ids()
        .into_iter()
        .map(|id| (id.clone(), (Milestone::new(id), None)))
        .collect();
    for file in &folder.definitions {
        definitions.insert(
            file.value.id.clone(),
            (file.value.clone(), Some(file.source.as_str())),
        );
    }
    for (id, (definition, source)) in definitions {
        if imported.has_definition(&Fingerprint::of(&definition)) && !replace {
            continue;
        }
        let sources = match source {
            Some(s) => vec![s.to_string()],
            None => vec![format!("milestone {id} (known from its other files)")],
        };
        plan.push(
            Op::ImportMilestone {
                definition: Box::new(definition),
                replace,
                source: source.map(str::to_string),
            },
            sources,
        );
    }
}

/// Ends the current run of events as one operation.
fn flush(plan: &mut Plan, events: &mut Vec<Event>, sources: &mut Vec<&str>, bytes: &mut usize) {
    if events.is_empty() {
        return;
    }
    let events = std::mem::take(events);
    plan.push(
        Op::ImportEvents { events },
        sources.drain(..).map(str::to_string).collect(),
    );
    *bytes = 0;
}

/// The `checkpoint_created` event of each checkpoint (the last one, if it was made
/// again): it tells when and by whom it was made, which its file does not.
fn checkpoint_events(folder: &Folder) -> HashMap<(&str, &str), &LogEvent> {
    let mut made = HashMap::new();
    for log in &folder.logs {
        for e in &log.events {
            if e.event.event_type == "checkpoint_created" {
                if let Some(name) = e.event.data.get("checkpoint_name").and_then(Value::as_str) {
                    made.insert((log.milestone.as_str(), name), e);
                }
            }
        }
    }
    made
}

/// Every item of the folder, merged by time across lanes that each keep their order.
fn timeline(folder: &Folder) -> Vec<Item<'_>> {
    let mut lanes: Vec<Lane<'_>> = Vec::new();
    for (_, versions) in versions(folder) {
        let mut last = None;
        let lane = versions
            .into_iter()
            .map(|v| {
                // "No current state" sits right after the version it ends.
                let at = v.saved_at.or(last).unwrap_or(DateTime::<Utc>::MIN_UTC);
                last = Some(at);
                (at, Item::State(v))
            })
            .collect();
        lanes.push(lane);
    }
    let mut sessions: Lane<'_> = folder
        .sessions
        .iter()
        .map(|s| (time_of(&s.value.created_at), Item::Session(s)))
        .collect();
    sessions.sort_by_key(|s| s.0);
    lanes.push(sessions);
    let mut approvals: Lane<'_> = folder
        .approvals
        .iter()
        .map(|a| (time_of(&a.value.requested_at), Item::Approval(a)))
        .collect();
    approvals.sort_by_key(|a| a.0);
    lanes.push(approvals);
    for log in &folder.logs {
        lanes.push(
            log.events
                .iter()
                .map(|e| (e.at, Item::Event(e, log.source.as_str())))
                .collect(),
        );
    }
    merge(lanes)
}

/// Merges lanes by the time of their next item (then files before events, then lane
/// order), never reordering a lane.
fn merge(lanes: Vec<Lane<'_>>) -> Vec<Item<'_>> {
    let total = lanes.iter().map(Vec::len).sum();
    let mut lanes: Vec<_> = lanes
        .into_iter()
        .map(|l| l.into_iter().peekable())
        .collect();
    let mut heads = BinaryHeap::new();
    for (index, lane) in lanes.iter_mut().enumerate() {
        if let Some((at, item)) = lane.peek() {
            heads.push(Reverse((*at, item.rank(), index)));
        }
    }
    let mut merged = Vec::with_capacity(total);
    while let Some(Reverse((_, _, index))) = heads.pop() {
        let lane = &mut lanes[index];
        if let Some((_, item)) = lane.next() {
            merged.push(item);
        }
        if let Some((at, item)) = lane.peek() {
            heads.push(Reverse((*at, item.rank(), index)));
        }
    }
    merged
}

/// A time this module's readers have already checked; the earliest time otherwise, so
/// that it cannot fail.
fn time_of(value: &str) -> DateTime<Utc> {
    reference_time(value).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// Each milestone's saved versions, oldest first: backups and checkpoints by their
/// time (identical copies are one version), then the current state, or, when the
/// reference has none, a version that removes it.
fn versions(folder: &Folder) -> BTreeMap<&MilestoneId, Vec<Version<'_>>> {
    let mut files: BTreeMap<&MilestoneId, Vec<&StateFile>> = BTreeMap::new();
    for file in &folder.states {
        files.entry(&file.milestone).or_default().push(file);
    }
    let mut all = BTreeMap::new();
    for (milestone, mut files) in files {
        files.sort_by(|a, b| (a.saved.saved_at, &a.source).cmp(&(b.saved.saved_at, &b.source)));
        let current = files.iter().position(|f| f.kind == StateKind::Current);
        let current = current.map(|i| files.remove(i));
        let mut versions: Vec<Version<'_>> = Vec::new();
        for file in files {
            match versions.iter_mut().find(|v| v.holds(file)) {
                Some(version) => version.add(file),
                None => versions.push(Version::of(file)),
            }
        }
        match current {
            Some(file) => match versions.last_mut() {
                Some(last) if last.holds(file) => last.add(file),
                _ => versions.push(Version::of(file)),
            },
            None if !versions.is_empty() && !folder.refused_current.contains(milestone) => versions
                .push(Version {
                    milestone,
                    state: None,
                    saved_at: None,
                    version: None,
                    sources: Vec::new(),
                    checkpoints: Vec::new(),
                }),
            None => {}
        }
        all.insert(milestone, versions);
    }
    all
}

impl<'a> Version<'a> {
    fn of(file: &'a StateFile) -> Self {
        let mut version = Version {
            milestone: &file.milestone,
            state: Some(&file.saved.state),
            saved_at: Some(file.saved.saved_at),
            version: file.saved.version.as_deref(),
            sources: Vec::new(),
            checkpoints: Vec::new(),
        };
        version.add(file);
        version
    }

    fn add(&mut self, file: &'a StateFile) {
        self.sources.push(&file.source);
        if matches!(file.kind, StateKind::Checkpoint(_)) {
            self.checkpoints.push(file);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrate::folder::fixture;

    fn events_of(plan: &Plan) -> Vec<&Event> {
        plan.steps
            .iter()
            .flat_map(|s| match &s.op {
                Op::ImportEvents { events } => events.iter().collect(),
                _ => Vec::new(),
            })
            .collect()
    }

    /// What an earlier import of `plan` would have left on the ref.
    fn imported_by(plan: &Plan) -> Imported {
        let mut imported = Imported::default();
        for (i, step) in plan.steps.iter().enumerate() {
            let commit = Oid::from_str(&format!("{:040x}", i + 1)).unwrap();
            imported.record(commit, &step.op);
        }
        imported
    }

    fn tags_of(plan: &Plan) -> HashSet<(String, String)> {
        plan.steps
            .iter()
            .flat_map(|s| s.tags.iter())
            .chain(plan.tags_on.iter().map(|(t, _)| t))
            .map(|t| (t.milestone.to_string(), t.name.clone()))
            .collect()
    }

    fn label(step: &BulkStep) -> String {
        match &step.op {
            Op::ImportMilestone { definition, .. } => format!("milestone {}", definition.id),
            Op::ImportState {
                milestone, state, ..
            } => format!(
                "state {milestone} {}",
                if state.is_some() { "set" } else { "none" }
            ),
            Op::ImportSessions { sessions, .. } => format!("sessions {}", sessions.len()),
            Op::ImportApprovals { approvals, .. } => format!("approvals {}", approvals.len()),
            Op::ImportEvents { events } => format!("events {}", events.len()),
            other => other.type_name(),
        }
    }

    #[test]
    fn the_fixture_becomes_one_timeline() {
        let folder = fixture();
        let plan = plan(&folder, Imported::default(), &HashSet::new(), false);
        let labels: Vec<String> = plan.steps.iter().map(label).collect();
        assert_eq!(
            labels,
            [
                "milestone docs",
                "milestone launch",
                "milestone ops",
                "milestone orphan",
                "events 1",          // 01-02 08:00 launch initialized
                "state orphan set",  // 12:00 the orphan checkpoint's state
                "state orphan none", // the reference had no current state for it
                "events 1",          // 01-03 13:55 docs initialized
                "sessions 1",        // 14:00 bob's session, before the event reporting it
                "events 3",
                "state launch set", // 16:20 launch's oldest backup, before its state_saved
                "events 1",
                "state docs set", // 17:00 current, and the checkpoint "published"
                "events 3",
                "sessions 1", // 01-05 09:15 alice's session
                "events 2",
                "approvals 1", // 01-06 10:00
                "events 6",
                "state launch set", // 15:05 the checkpoint before-spec, and a later backup
                "events 2",
                "approvals 1", // 01-07 09:00
                "events 5",
                "state launch set", // 01-08 16:00 current
                "events 1",
            ]
        );
        assert_eq!(events_of(&plan).len(), folder.event_count());
        // Checkpoints sit on the step that recreated their state.
        let tagged: Vec<(String, String)> = plan
            .steps
            .iter()
            .flat_map(|s| s.tags.iter().map(move |t| (label(s), t.name.clone())))
            .collect();
        assert_eq!(
            tagged,
            [
                ("state orphan set".to_string(), "v0".to_string()),
                ("state docs set".into(), "published".into()),
                ("state launch set".into(), "before-spec".into()),
            ]
        );
        let before_spec = plan
            .steps
            .iter()
            .flat_map(|s| &s.tags)
            .find(|t| t.name == "before-spec")
            .unwrap();
        assert_eq!(
            clock::format_time(before_spec.time),
            "2026-01-06T15:06:00.000Z"
        );
        assert!(
            before_spec.why.contains("made by alice"),
            "{}",
            before_spec.why
        );
        // Lines with equal times keep their order in the log.
        let launch: Vec<&str> = events_of(&plan)
            .into_iter()
            .filter(|e| e.timestamp.as_deref() == Some("2026-01-06T15:00:01.000Z"))
            .map(|e| e.event_type.as_str())
            .collect();
        assert_eq!(
            launch,
            [
                "kiro_phase_updated",
                "kiro_phase_transition",
                "kiro_approval_granted"
            ]
        );
    }

    #[test]
    fn a_second_plan_of_the_same_folder_is_empty() {
        let folder = fixture();
        let first = plan(&folder, Imported::default(), &HashSet::new(), false);
        let again = plan(&folder, imported_by(&first), &tags_of(&first), false);
        assert!(
            again.is_empty(),
            "{:?}",
            again.steps.iter().map(label).collect::<Vec<_>>()
        );
    }

    #[test]
    fn a_grown_log_adds_its_new_lines_and_a_lost_tag_comes_back() {
        let mut folder = fixture();
        let first = plan(&folder, Imported::default(), &HashSet::new(), false);
        let log = folder
            .logs
            .iter_mut()
            .find(|l| l.milestone.as_str() == "docs")
            .unwrap();
        let mut extra = log.events.last().unwrap().clone();
        extra.event.event_type = "note".into();
        log.events.push(extra.clone());
        // The same line twice is two events.
        log.events.push(extra);
        let mut tags = tags_of(&first);
        tags.remove(&("docs".to_string(), "published".to_string()));
        let again = plan(&folder, imported_by(&first), &tags, false);
        let labels: Vec<String> = again.steps.iter().map(label).collect();
        assert_eq!(labels, ["events 2"]);
        assert_eq!(again.tags_on.len(), 1);
        assert_eq!(again.tags_on[0].0.name, "published");
    }

    #[test]
    fn long_logs_are_cut_into_batches_that_keep_every_event() {
        let mut folder = fixture();
        let log = folder
            .logs
            .iter_mut()
            .find(|l| l.milestone.as_str() == "ops")
            .unwrap();
        for n in 0..2500 {
            let mut event = Event::new("tick", "ops", serde_json::json!({ "n": n }));
            event.timestamp = Some("2026-02-01T00:00:00.000Z".into());
            log.events.push(LogEvent {
                event,
                at: "2026-02-01T00:00:00Z".parse().unwrap(),
                line: n + 1,
            });
        }
        let plan = plan(&folder, Imported::default(), &HashSet::new(), false);
        let batches: Vec<&Vec<Event>> = plan
            .steps
            .iter()
            .filter_map(|s| match &s.op {
                Op::ImportEvents { events } => Some(events),
                _ => None,
            })
            .collect();
        assert!(batches.iter().all(|b| b.len() <= BATCH_EVENTS));
        let with_ticks = batches
            .iter()
            .filter(|b| b.iter().any(|e| e.event_type == "tick"))
            .count();
        assert!(with_ticks >= 3, "{with_ticks}");
        let order: Vec<i64> = events_of(&plan)
            .into_iter()
            .filter(|e| e.event_type == "tick")
            .map(|e| e.data["n"].as_i64().unwrap())
            .collect();
        assert_eq!(order, (0..2500).collect::<Vec<i64>>());
    }

    #[test]
    fn a_refused_current_state_leaves_the_newest_backup_current() {
        let mut folder = fixture();
        folder
            .states
            .retain(|s| !(s.milestone.as_str() == "launch" && s.kind == StateKind::Current));
        folder
            .refused_current
            .insert(MilestoneId::new("launch").unwrap());
        let plan = plan(&folder, Imported::default(), &HashSet::new(), false);
        let last_launch_state = plan
            .steps
            .iter()
            .rev()
            .find_map(|s| match &s.op {
                Op::ImportState {
                    milestone, state, ..
                } if milestone.as_str() == "launch" => Some(state.clone()),
                _ => None,
            })
            .unwrap();
        assert_eq!(last_launch_state.unwrap()["sprint"], 2);
    }
}
