//! `sync` in rebase mode (`milestone.syncRebase`, `sync --rebase`): this clone's own
//! operations that no remote has yet are re-applied on top of the fetched shared tip,
//! as `git pull --rebase` re-applies unpushed commits, instead of being merged with it.
//!
//! Why: while a team syncs at once, about one offer to move the shared ref wins per
//! round of pushes. A clone that lost merged the shared ref into its tip at every sync;
//! each such merge replayed all of its work not yet shared, and once it won, every
//! clone checked every one of those merges (16 clones × 50 rounds: some 34 checks per
//! operation made, p99 sync 7.3x p50). Re-applied operations are plain commits on the
//! shared tip: every clone checks each operation once.
//!
//! What it changes: between concurrent edits of one value, the one that reached the
//! shared ref later wins (not the later in lamport order), and the re-applied
//! operations get new commit ids. So only work nobody else can have is re-applied:
//! operations that are on no ref fetched from the remote, with no merge among them
//! and no checkpoint tag on them, each of which still applies where it lands.
//! Anything else is merged, as without rebase mode.

use git2::{Commit, Oid, Sort};

use super::integrity::operation_time;
use super::merge::{is_noop, MergeKind, MergeResult};
use super::message::{self, OpRecord};
use super::parsed::Parsed;
use super::signed::SignedBy;
use super::{Snapshot, Store, StoreError};
use crate::model::Resolution;
use crate::workflow;
use crate::workflow::apply::Applied;

/// What [`Store::rebase_onto`] did.
pub struct Rebased {
    /// The last re-applied operation's commit.
    pub tip: Oid,
    /// Taking the fetched tip (a checked fast-forward to it).
    pub taken: MergeResult,
    /// How many operations were re-applied.
    pub operations: usize,
    /// Their operations since the common base, then ours (by their old commits):
    /// the order the values end in, for [`Store::overridden`].
    pub order: Vec<Resolution>,
}

impl Store {
    /// Re-applies our operations that `theirs` lacks on top of it, in their order,
    /// writing their commits (no ref moves). `None` when they cannot all be
    /// re-applied as they are (see the module documentation), or there are none, or
    /// `theirs` does not hold as it is: then merge instead. `published` are the tips
    /// of every ref fetched from the remote.
    pub fn rebase_onto(
        &self,
        ours: Oid,
        theirs: Oid,
        published: &[Oid],
    ) -> Result<Option<Rebased>, StoreError> {
        let Some(mine) = self.unpublished_operations(ours, theirs, published)? else {
            return Ok(None);
        };
        let Ok(base) = self.repo.merge_base(ours, theirs) else {
            return Ok(None);
        };
        // What comes in is checked as for any fast-forward.
        let taken = self.merge_tips(Some(base), theirs)?;
        if taken.kind != MergeKind::FastForward {
            return Ok(None);
        }
        let mut order = self.operations_in_order(theirs, base)?;
        let signing = self.signing()?;
        // Each operation reads what the one before wrote, parsed once.
        let parsed = Parsed::default();
        let mut tip = theirs;
        for commit in &mine {
            let commit = self.repo.find_commit(*commit)?;
            let text = String::from_utf8_lossy(commit.message_bytes()).into_owned();
            let Some(record) = message::decode(&text) else {
                return Ok(None);
            };
            let at = operation_time(&record.at, &commit);
            let parent = self.repo.find_commit(tip)?;
            let snapshot = Snapshot::of_tree(&self.repo, parent.tree()?, tip)?.with_parsed(&parsed);
            let (applied, tree) = match self.apply_to_tree(
                &snapshot,
                &record.op,
                at,
                &|_| Ok(()),
                workflow::replay,
                SignedBy::Writer(signing.as_ref()),
            ) {
                Ok(done) => done,
                // One that no longer applies is a merge's to record as a no-op.
                Err(e) if is_noop(&e) => return Ok(None),
                Err(e) => return Err(e),
            };
            // As a check hands over what an operation wrote (not a restore's: its
            // folder comes from an older tree).
            let restore = matches!(record.op, crate::model::Op::Restore { .. });
            if let (Some(id), Some(files), true) = (
                record.op.milestone(),
                applied.files.clone(),
                applied.changed && !restore,
            ) {
                parsed.hand_over(tree, id.clone(), files);
            }
            let tree = self.repo.find_tree(tree)?;
            let lamport = message::next_lamport([self.lamport(&parent)?]);
            let again = Again {
                record: &record,
                applied: &applied,
                at,
                lamport,
            };
            tip = self.write_again(&tree, &parent, again, signing.as_ref())?;
            order.push(resolution(commit.id(), &record));
        }
        Ok(Some(Rebased {
            tip,
            taken,
            operations: mine.len(),
            order,
        }))
    }

    /// The operations `tip` has since `base`, parents first, as applied.
    fn operations_in_order(&self, tip: Oid, base: Oid) -> Result<Vec<Resolution>, StoreError> {
        let mut walk = self.repo.revwalk()?;
        walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)?;
        walk.push(tip)?;
        walk.hide(base)?;
        let mut order = Vec::new();
        for commit in walk {
            let commit = self.repo.find_commit(commit?)?;
            if commit.parent_count() > 1 {
                continue;
            }
            if let Some(record) = message::decode(commit.message().unwrap_or("")) {
                order.push(resolution(commit.id(), &record));
            }
        }
        Ok(order)
    }

    /// Our operations that `theirs` lacks, oldest first, when all of them can be
    /// re-applied: none is on a fetched ref, none is a merge, no checkpoint tag
    /// names one. `None` otherwise, or when there are none.
    fn unpublished_operations(
        &self,
        ours: Oid,
        theirs: Oid,
        published: &[Oid],
    ) -> Result<Option<Vec<Oid>>, StoreError> {
        let walk_from = |hidden: &[Oid]| -> Result<Vec<Oid>, StoreError> {
            let mut walk = self.repo.revwalk()?;
            walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)?;
            walk.push(ours)?;
            for tip in hidden {
                walk.hide(*tip)?;
            }
            Ok(walk.collect::<Result<_, _>>()?)
        };
        let mine = walk_from(&[theirs])?;
        if mine.is_empty() {
            return Ok(None);
        }
        let mut hidden = vec![theirs];
        hidden.extend(published.iter().copied().filter(|t| self.is_commit(*t)));
        if walk_from(&hidden)?.len() != mine.len() {
            return Ok(None);
        }
        for commit in &mine {
            if self.repo.find_commit(*commit)?.parent_count() != 1 {
                return Ok(None);
            }
        }
        for (_, tag) in self.checkpoint_tags()? {
            let target = self
                .repo
                .find_object(tag, None)
                .and_then(|o| o.peel_to_commit());
            if target.is_ok_and(|commit| mine.contains(&commit.id())) {
                return Ok(None);
            }
        }
        Ok(Some(mine))
    }

    /// Writes an operation again on `parent`: its record as it was (time, session,
    /// operation) with the events it gives there and a lamport after its parent's,
    /// signed as this clone signs.
    fn write_again(
        &self,
        tree: &git2::Tree<'_>,
        parent: &Commit<'_>,
        again: Again<'_>,
        signing: Option<&crate::sign::Settings>,
    ) -> Result<Oid, StoreError> {
        let record = OpRecord {
            v: message::VERSION,
            lamport: again.lamport,
            at: again.record.at.clone(),
            session: again.record.session.clone(),
            op: again.record.op.clone(),
            events: again.applied.events.clone(),
        };
        let summary = &again.applied.summary;
        self.commit_record(tree, &[parent], &record, summary, again.at, signing)
    }
}

/// An operation to write again, and what applying it gave.
struct Again<'a> {
    record: &'a OpRecord,
    applied: &'a Applied,
    at: chrono::DateTime<chrono::Utc>,
    lamport: u64,
}

/// An operation that took effect, as a replay reports it.
fn resolution(commit: Oid, record: &OpRecord) -> Resolution {
    Resolution {
        commit: commit.to_string(),
        op: record.op.type_name(),
        outcome: "applied".to_string(),
        reason: None,
    }
}
