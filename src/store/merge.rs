//! Merging two histories of `refs/milestones` by replaying operations: from the merge
//! base (or the empty state), every operation of both sides, each after the operations
//! it was made on, concurrent ones by `(lamport, at, commit id)`, re-applied in that
//! order. Any two clones that have the same operations compute the same tree, and every
//! operation stays in history.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use git2::{Commit, FileMode, Oid, Sort};

use super::identity::{signature, Role};
use super::integrity::{operation_time, Checked, Ignored, MAX_OPERATION_BYTES};
use super::message::{self, OpRecord};
use super::scratch::Scratch;
use super::signed::{create_commit, SignedBy};
use super::transact::ApplyRule;
use super::{Snapshot, Store, StoreError, FORMAT};
use crate::clock;
use crate::model::{Event, Op, Resolution};
use crate::workflow;

/// How two tips were joined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MergeKind {
    /// Ours already contains theirs.
    UpToDate,
    /// Ours is behind theirs (or absent): theirs is the result.
    FastForward,
    /// Both moved: a merge commit replays both sides.
    Merged,
}

/// The result of [`Store::merge_tips`].
#[derive(Debug, Clone)]
pub struct MergeResult {
    /// The commit that contains both.
    pub tip: Oid,
    /// How it was reached.
    pub kind: MergeKind,
    /// What the replay did with each operation (empty unless merged).
    pub resolved: Vec<Resolution>,
    /// Fetched commits not taken as state, and why.
    pub ignored: Vec<Ignored>,
    /// Fetched decisions taken as they are (a fast-forward) that stay in history
    /// without counting, with why.
    pub not_counted: Vec<(Oid, String)>,
}

impl MergeResult {
    /// Operations kept in history without effect, because the trust list did not
    /// allow their authors to make them.
    pub fn unauthorized(&self) -> impl Iterator<Item = &Resolution> {
        self.resolved.iter().filter(|r| r.outcome == "ignored")
    }

    /// Operations the replay turned into no-ops.
    pub fn noops(&self) -> impl Iterator<Item = &Resolution> {
        self.resolved.iter().filter(|r| r.outcome == "no-op")
    }
}

/// Why a replayed decision did not count, if it did not.
pub(super) fn not_counted(events: &[Event]) -> Option<String> {
    // Only events of this type say so: the others need not be parsed.
    let of_type = |e: &&Event| e.event_type == "kiro_approval_ignored";
    events.iter().filter(of_type).find_map(|e| match e.kind()? {
        crate::model::EventKind::KiroApprovalIgnored {
            approval_id,
            decided_by,
            reason,
            ..
        } => Some(format!(
            "decision on {approval_id} by {}, {reason}",
            crate::model::trust::email_of(&decided_by)
        )),
        _ => None,
    })
}

/// What `sync` says of a trust change its author could not make.
pub(super) fn unauthorized_change(op: &Op, reason: &str) -> String {
    match op {
        Op::Trust(change) => format!(
            "trust change by {}, {reason}",
            crate::model::trust::email_of(change.by())
        ),
        _ => reason.to_string(),
    }
}

/// One operation found on either side.
struct Replayed {
    commit: Oid,
    record: OpRecord,
    time: DateTime<Utc>,
    author: String,
}

/// What replaying the operations of a range gives.
pub(super) struct Replay {
    /// The resulting state.
    pub tree: Oid,
    /// What became of each operation, in replay order.
    pub resolved: Vec<Resolution>,
    /// The range's failed commits that no merge in it settled yet, sorted.
    pub ignored: Vec<String>,
    /// The events the replay of those commits' operations caused.
    pub events: Vec<Event>,
}

/// The commits between a merge base and the tips, in replay order.
struct Range {
    operations: Vec<Replayed>,
    /// Every commit of the range, parents first.
    commits: Vec<Oid>,
    /// Failed commits that a sound merge in the range already settled.
    settled: HashSet<Oid>,
}

/// Whether a replay turns this error into a recorded no-op: an operation that no
/// longer fits (a transition from a phase that has moved on, a milestone broken on
/// one side, a restore of a commit that is not there) never stops a merge.
pub(super) fn is_noop(e: &StoreError) -> bool {
    matches!(
        e,
        StoreError::Rejected(_)
            | StoreError::TooLarge { .. }
            | StoreError::Corrupt { .. }
            | StoreError::UnknownRevision(_)
            | StoreError::NotInHistory(_)
    )
}

/// How far beyond its parents' lamport an operation's own counts when ordering
/// concurrent operations. A clock is written by whoever pushes; a jump past this is
/// clamped, the same way in every clone, so one forged value cannot put an operation
/// ahead of all concurrent work for ever.
pub const MAX_LAMPORT_STEP: u64 = 1 << 20;

impl Store {
    /// Joins `ours` (absent before the first sync of a clone) with `theirs`, writing a
    /// merge commit when both have moved, or when what came in does not hold as it is
    /// (see [`Store::check_incoming`]). No ref is moved.
    pub fn merge_tips(&self, ours: Option<Oid>, theirs: Oid) -> Result<MergeResult, StoreError> {
        // Replays write states nothing reads again: into memory, from which only what
        // stays is copied to disk (see scratch.rs).
        let staging = self.in_memory_twin()?;
        let odb = staging.repo.odb()?;
        let memory = odb.add_new_mempack_backend(1000)?;
        let scratch = Scratch::new(self, &staging, &memory);
        let result = |tip, kind, ignored, not_counted| MergeResult {
            tip,
            kind,
            resolved: Vec::new(),
            ignored,
            not_counted,
        };
        // The walk of what is incoming also says how the tips relate: nothing
        // incoming, we have it all; an incoming commit built on our tip, theirs
        // descends from ours. (Asking git each time walked the history twice more.)
        let mut checked = staging.check_incoming(ours, theirs, &scratch)?;
        if let Some(ours) = ours.filter(|_| checked.state.is_empty()) {
            return Ok(result(ours, MergeKind::UpToDate, Vec::new(), Vec::new()));
        }
        let behind = ours.is_none() || checked.builds_on_ours;
        if behind && checked.sound(theirs) {
            self.remember_states(&checked)?;
            let kind = MergeKind::FastForward;
            return Ok(result(theirs, kind, checked.ignored, checked.not_counted));
        }
        let base = match ours {
            Some(ours) => self.repo.merge_base(ours, theirs).ok(),
            None => None,
        };
        let start = match base {
            Some(base) => staging.state_of(&checked, base)?,
            None => staging.empty_state()?,
        };
        let parents: Vec<Oid> = ours.into_iter().chain([theirs]).collect();
        let replay = staging.replay_range(&parents, base, start, &mut checked)?;
        scratch.keep(replay.tree)?;
        scratch.keep_failed(&checked)?;
        let tip = self.write_merge_commit(ours, theirs, base, &replay)?;
        self.remember_states(&checked)?;
        Ok(MergeResult {
            tip,
            kind: MergeKind::Merged,
            resolved: replay.resolved,
            ignored: checked.ignored,
            not_counted: Vec::new(),
        })
    }

    /// Replays on `start` (the state at `base`) every operation reachable from `tips`
    /// and not from `base`, in replay order. Shared by merging and by checking a
    /// fetched merge, so both compute the same state.
    pub(super) fn replay_range(
        &self,
        tips: &[Oid],
        base: Option<Oid>,
        start: Oid,
        checked: &mut Checked,
    ) -> Result<Replay, StoreError> {
        let range = self.operations_since(tips, base, checked)?;
        self.check_local(&range.commits, checked)?;
        let unsettled = |c: &Oid| checked.bad.contains(c) && !range.settled.contains(c);
        let mut tree = start;
        let mut resolved = Vec::with_capacity(range.operations.len());
        let mut events = Vec::new();
        for operation in &range.operations {
            let snapshot =
                Snapshot::of_tree(&self.repo, self.repo.find_tree(tree)?, operation.commit)?
                    .with_parsed(&checked.parsed);
            let rule: ApplyRule = workflow::replay;
            let op = &operation.record.op;
            let signed_by = SignedBy::Commit(operation.commit);
            let (outcome, reason) = match self.apply_to_tree(
                &snapshot,
                op,
                operation.time,
                &|_| Ok(()),
                rule,
                signed_by,
            ) {
                Ok((applied, new_tree)) => {
                    if unsettled(&operation.commit) {
                        events.extend(
                            applied
                                .events
                                .iter()
                                .map(|e| recorded_elsewhere(e.clone(), operation)),
                        );
                    }
                    let changed = applied.changed;
                    tree = new_tree;
                    match not_counted(&applied.events) {
                        Some(reason) => ("ignored", Some(reason)),
                        None => (if changed { "applied" } else { "unchanged" }, None),
                    }
                }
                // A trust change its author may not make stays in history, with no
                // effect, and is reported.
                Err(StoreError::Rejected(workflow::Rejection::NotAuthorized(reason))) => {
                    ("ignored", Some(unauthorized_change(op, &reason)))
                }
                Err(e) if is_noop(&e) => ("no-op", Some(e.to_string())),
                Err(e) => return Err(e),
            };
            resolved.push(Resolution {
                commit: operation.commit.to_string(),
                op: op.type_name(),
                outcome: outcome.to_string(),
                reason,
            });
        }
        let mut ignored: Vec<String> = range
            .commits
            .iter()
            .filter(|c| unsettled(c))
            .map(Oid::to_string)
            .collect();
        ignored.sort();
        Ok(Replay {
            tree,
            resolved,
            ignored,
            events,
        })
    }

    /// The operations reachable from `tips` and not from `base`, in replay order: an
    /// operation comes after the operations it was made on (its parents), whatever
    /// clock it claims; among those that are ready, the lowest (clamped) lamport, then
    /// time, then commit id goes first. Merge commits carry no operation of their own
    /// (their sides' are all in the range), and neither do commits this tool did not
    /// write.
    fn operations_since(
        &self,
        tips: &[Oid],
        base: Option<Oid>,
        checked: &Checked,
    ) -> Result<Range, StoreError> {
        let mut walk = self.repo.revwalk()?;
        walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)?;
        for tip in tips {
            walk.push(*tip)?;
        }
        if let Some(base) = base {
            walk.hide(base)?;
        }
        let mut nodes: HashMap<Oid, Node> = HashMap::new();
        let mut settled = HashSet::new();
        let mut commits = Vec::new();
        for oid in walk {
            let commit = self.repo.find_commit(oid?)?;
            commits.push(commit.id());
            let node = self.node(&commit)?;
            if let Some(listed) = &node.settles {
                if !checked.bad.contains(&commit.id()) {
                    settled.extend(listed.iter().filter_map(|c| Oid::from_str(c).ok()));
                }
            }
            nodes.insert(commit.id(), node);
        }
        let operations = self.causal_order(nodes)?;
        Ok(Range {
            operations,
            commits,
            settled,
        })
    }

    fn node(&self, commit: &Commit<'_>) -> Result<Node, StoreError> {
        let text = commit.message().unwrap_or("");
        let record = (text.len() <= MAX_OPERATION_BYTES)
            .then(|| message::decode(text))
            .flatten();
        let claimed = match &record {
            Some(record) => record.lamport,
            None => self.lamport(commit)?,
        };
        let settles = match &record {
            Some(OpRecord {
                op: Op::Merge { ignored, .. },
                ..
            }) => Some(ignored.clone()),
            _ => None,
        };
        let replayed = record
            .filter(|r| commit.parent_count() <= 1 && !matches!(r.op, Op::Init | Op::Merge { .. }))
            .map(|record| Replayed {
                commit: commit.id(),
                time: operation_time(&record.at, commit),
                author: commit.author().name().unwrap_or("").to_string(),
                record,
            });
        Ok(Node {
            parents: commit.parent_ids().collect(),
            claimed,
            settles,
            replayed,
        })
    }

    /// Orders the range parents first (Kahn's algorithm), picking among the ready
    /// commits by clamped lamport, time, commit id.
    fn causal_order(&self, mut nodes: HashMap<Oid, Node>) -> Result<Vec<Replayed>, StoreError> {
        let mut children: HashMap<Oid, Vec<Oid>> = HashMap::new();
        let mut waiting: HashMap<Oid, usize> = HashMap::new();
        let mut ready = BinaryHeap::new();
        let mut keys = HashMap::new();
        for (oid, node) in &nodes {
            let mut highest = 0;
            let mut inside = 0;
            for parent in &node.parents {
                match nodes.get(parent) {
                    Some(p) => {
                        inside += 1;
                        highest = highest.max(p.claimed);
                        children.entry(*parent).or_default().push(*oid);
                    }
                    None => {
                        let parent = self.repo.find_commit(*parent)?;
                        highest = highest.max(self.lamport(&parent)?);
                    }
                }
            }
            let lamport = node.claimed.min(highest.saturating_add(MAX_LAMPORT_STEP));
            let at = node
                .replayed
                .as_ref()
                .map(|r| r.record.at.clone())
                .unwrap_or_default();
            let key = Reverse((lamport, at, *oid));
            if inside == 0 {
                ready.push(key);
            } else {
                waiting.insert(*oid, inside);
                keys.insert(*oid, key);
            }
        }
        let mut order = Vec::with_capacity(nodes.len());
        while let Some(Reverse((_, _, oid))) = ready.pop() {
            if let Some(replayed) = nodes.get_mut(&oid).and_then(|n| n.replayed.take()) {
                order.push(replayed);
            }
            for child in children.remove(&oid).unwrap_or_default() {
                let left = waiting.get_mut(&child).expect("every child waits");
                *left -= 1;
                if *left == 0 {
                    ready.push(keys.remove(&child).expect("every waiting child has a key"));
                }
            }
        }
        Ok(order)
    }

    /// The tree of a store with nothing in it, as `init` writes it.
    pub(super) fn empty_state(&self) -> Result<Oid, StoreError> {
        let format = self.repo.blob(format!("{FORMAT}\n").as_bytes())?;
        let mut root = self.repo.treebuilder(None)?;
        root.insert(super::layout::FORMAT_FILE, format, FileMode::Blob.into())?;
        Ok(root.write()?)
    }

    fn write_merge_commit(
        &self,
        ours: Option<Oid>,
        theirs: Oid,
        base: Option<Oid>,
        replay: &Replay,
    ) -> Result<Oid, StoreError> {
        let parents = ours
            .into_iter()
            .chain([theirs])
            .map(|c| self.repo.find_commit(c))
            .collect::<Result<Vec<_>, _>>()?;
        let lamports = parents
            .iter()
            .map(|c| self.lamport(c))
            .collect::<Result<Vec<_>, _>>()?;
        let lamport = message::next_lamport(lamports);
        let at = clock::now();
        let noops = replay
            .resolved
            .iter()
            .filter(|r| r.outcome == "no-op")
            .count();
        let summary = format!(
            "merge {} operations ({} no-ops)",
            replay.resolved.len(),
            noops
        );
        let record = OpRecord {
            v: message::VERSION,
            lamport,
            at: clock::format_time(at),
            session: None,
            op: Op::Merge {
                ours: ours.map(|o| o.to_string()).unwrap_or_default(),
                theirs: theirs.to_string(),
                base: base.map(|b| b.to_string()),
                resolved: replay.resolved.clone(),
                ignored: replay.ignored.clone(),
            },
            events: replay.events.clone(),
        };
        let author = signature(&self.repo, Role::Author, at)?;
        let committer = signature(&self.repo, Role::Committer, at)?;
        let tree = self.repo.find_tree(replay.tree)?;
        let parents: Vec<&Commit<'_>> = parents.iter().collect();
        create_commit(
            &self.repo,
            &author,
            &committer,
            &message::encode(&summary, &record),
            &tree,
            &parents,
            self.signing()?.as_ref(),
        )
    }
}

/// A commit of a range, for ordering it.
struct Node {
    parents: Vec<Oid>,
    claimed: u64,
    /// A merge's list of the failed commits it settled.
    settles: Option<Vec<String>>,
    replayed: Option<Replayed>,
}

/// An event of a failed commit's replayed operation, as the merge that replayed it
/// records it: with the operation's own time, author and session.
fn recorded_elsewhere(mut event: Event, operation: &Replayed) -> Event {
    if event.timestamp.is_none() {
        event.timestamp = Some(clock::format_time(operation.time));
        event.user = Some(operation.author.clone());
        event.session_id = operation.record.session.clone();
    }
    event
}
