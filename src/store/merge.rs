//! Merging two histories of `refs/milestones` by replaying operations: from the merge
//! base (or the empty state), every operation of both sides, sorted by
//! `(lamport, at, commit id)`, re-applied in that order. Any two clones that have the
//! same operations compute the same tree, and every operation stays in history.

use chrono::{DateTime, Utc};
use git2::{FileMode, Oid, Sort};

use super::identity::{signature, Role};
use super::message::{self, OpRecord};
use super::signed::{create_commit, SignedBy};
use super::transact::ApplyRule;
use super::{Snapshot, Store, StoreError, FORMAT};
use crate::clock;
use crate::model::{Op, Resolution};
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
}

impl MergeResult {
    /// Operations kept in history without effect, because the trust list did not
    /// allow their authors to make them.
    pub fn ignored(&self) -> impl Iterator<Item = &Resolution> {
        self.resolved.iter().filter(|r| r.outcome == "ignored")
    }

    /// Operations the replay turned into no-ops.
    pub fn noops(&self) -> impl Iterator<Item = &Resolution> {
        self.resolved.iter().filter(|r| r.outcome == "no-op")
    }
}

/// Why a replayed decision did not count, if it did not.
fn not_counted(applied: &workflow::Applied) -> Option<String> {
    let event = applied
        .events
        .iter()
        .find(|e| e.event_type == "kiro_approval_ignored")?;
    let data = &event.data;
    Some(format!(
        "decision on {} by {}, {}",
        data["approval_id"].as_str().unwrap_or(""),
        crate::model::trust::email_of(data["decided_by"].as_str().unwrap_or("")),
        data["reason"].as_str().unwrap_or("")
    ))
}

/// One operation found on either side.
struct Replayed {
    commit: Oid,
    lamport: u64,
    at: String,
    op: Op,
}

impl Store {
    /// Joins `ours` (absent before the first sync of a clone) with `theirs`, writing a
    /// merge commit when both have moved. No ref is moved.
    pub fn merge_tips(&self, ours: Option<Oid>, theirs: Oid) -> Result<MergeResult, StoreError> {
        let result = |tip, kind| MergeResult {
            tip,
            kind,
            resolved: Vec::new(),
        };
        let Some(ours) = ours else {
            return Ok(result(theirs, MergeKind::FastForward));
        };
        if ours == theirs || self.repo.graph_descendant_of(ours, theirs)? {
            return Ok(result(ours, MergeKind::UpToDate));
        }
        // A fetched history is taken as it is only when every commit in it is what
        // its operation gives under the trust list of its point of history; else its
        // operations are replayed on ours, like any merge, under the same rules.
        if self.repo.graph_descendant_of(theirs, ours)? && self.incoming_holds(ours, theirs)? {
            return Ok(result(theirs, MergeKind::FastForward));
        }
        let base = self.repo.merge_base(ours, theirs).ok();
        let operations = self.operations_since(&[ours, theirs], base)?;
        let mut tree = match base {
            Some(base) => self.repo.find_commit(base)?.tree_id(),
            None => self.empty_state()?,
        };
        let mut resolved = Vec::with_capacity(operations.len());
        for operation in operations {
            let snapshot =
                Snapshot::of_tree(&self.repo, self.repo.find_tree(tree)?, operation.commit)?;
            let at = DateTime::parse_from_rfc3339(&operation.at)
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_else(|_| clock::now());
            let rule: ApplyRule = workflow::replay;
            let signed_by = SignedBy::Commit(operation.commit);
            let applied =
                self.apply_to_tree(&snapshot, &operation.op, at, &|_| Ok(()), rule, signed_by);
            let (outcome, reason) = match applied {
                Ok((applied, new_tree)) if applied.changed => {
                    tree = new_tree;
                    match not_counted(&applied) {
                        Some(reason) => ("ignored", Some(reason)),
                        None => ("applied", None),
                    }
                }
                Ok(_) => ("unchanged", None),
                // A trust change its author may not make stays in history, with no
                // effect, and is reported.
                Err(StoreError::Rejected(workflow::Rejection::NotAuthorized(reason))) => {
                    let by = match &operation.op {
                        Op::Trust(change) => crate::model::trust::email_of(change.by()).to_string(),
                        _ => String::new(),
                    };
                    ("ignored", Some(format!("trust change by {by}, {reason}")))
                }
                // An operation that no longer fits (a transition from a phase that
                // has moved on, a milestone broken on one side) is recorded, never
                // an error: the other operations still merge.
                Err(
                    e @ (StoreError::Rejected(_)
                    | StoreError::Corrupt { .. }
                    | StoreError::UnknownRevision(_)
                    | StoreError::NotInHistory(_)),
                ) => ("no-op", Some(e.to_string())),
                Err(e) => return Err(e),
            };
            resolved.push(Resolution {
                commit: operation.commit.to_string(),
                op: operation.op.type_name(),
                outcome: outcome.to_string(),
                reason,
            });
        }
        let tip = self.write_merge_commit(ours, theirs, base, tree, &resolved)?;
        Ok(MergeResult {
            tip,
            kind: MergeKind::Merged,
            resolved,
        })
    }

    /// The operations reachable from `tips` and not from `base`, in replay order.
    /// Merge commits are skipped (their sides' operations are all in the walk), and so
    /// are commits this tool did not write.
    fn operations_since(
        &self,
        tips: &[Oid],
        base: Option<Oid>,
    ) -> Result<Vec<Replayed>, StoreError> {
        let mut walk = self.repo.revwalk()?;
        walk.set_sorting(Sort::NONE)?;
        for tip in tips {
            walk.push(*tip)?;
        }
        if let Some(base) = base {
            walk.hide(base)?;
        }
        let mut operations = Vec::new();
        for oid in walk {
            let commit = self.repo.find_commit(oid?)?;
            if commit.parent_count() > 1 {
                continue;
            }
            let Some(record) = message::decode(commit.message().unwrap_or("")) else {
                continue;
            };
            if matches!(record.op, Op::Init | Op::Merge { .. }) {
                continue;
            }
            operations.push(Replayed {
                commit: commit.id(),
                lamport: record.lamport,
                at: record.at,
                op: record.op,
            });
        }
        operations.sort_by(|a, b| {
            (a.lamport, &a.at, a.commit.as_bytes()).cmp(&(b.lamport, &b.at, b.commit.as_bytes()))
        });
        Ok(operations)
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
        ours: Oid,
        theirs: Oid,
        base: Option<Oid>,
        tree: Oid,
        resolved: &[Resolution],
    ) -> Result<Oid, StoreError> {
        let ours_commit = self.repo.find_commit(ours)?;
        let theirs_commit = self.repo.find_commit(theirs)?;
        let lamport =
            message::next_lamport([self.lamport(&ours_commit)?, self.lamport(&theirs_commit)?]);
        let at = clock::now();
        let noops = resolved.iter().filter(|r| r.outcome == "no-op").count();
        let summary = format!("merge {} operations ({} no-ops)", resolved.len(), noops);
        let record = OpRecord {
            v: message::VERSION,
            lamport,
            at: clock::format_time(at),
            session: None,
            op: Op::Merge {
                ours: ours.to_string(),
                theirs: theirs.to_string(),
                base: base.map(|b| b.to_string()),
                resolved: resolved.to_vec(),
            },
            events: Vec::new(),
        };
        let author = signature(&self.repo, Role::Author, at)?;
        let committer = signature(&self.repo, Role::Committer, at)?;
        let tree = self.repo.find_tree(tree)?;
        create_commit(
            &self.repo,
            &author,
            &committer,
            &message::encode(&summary, &record),
            &tree,
            &[&ours_commit, &theirs_commit],
            self.signing()?.as_ref(),
        )
    }
}
