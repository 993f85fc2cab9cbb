//! Writing many operations at once (an import). The commits are chained in memory, off
//! the ref; their objects go into the repository as one pack; then `refs/milestones`
//! moves once, by compare-and-swap, together with any checkpoint tags. A reader sees
//! the old tip or the whole result, never a part, and nothing is left loose.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use git2::{ErrorCode, ObjectType, Oid, Repository, Signature};

use super::checkpoint::tag_ref;
use super::identity::{signature, Role};
use super::message::{self, OpRecord};
use super::{pack, Snapshot, Store, StoreError, REF};
use crate::clock;
use crate::model::{MilestoneId, Op};
use crate::workflow::{self, Applied, Rejection};

/// One operation of a bulk write, and the checkpoints to tag on the state it leaves.
#[derive(Debug, Clone)]
pub struct BulkStep {
    /// The operation.
    pub op: Op,
    /// Checkpoints of the state after it.
    pub tags: Vec<NewTag>,
}

/// A checkpoint tag to create.
#[derive(Debug, Clone)]
pub struct NewTag {
    /// The milestone.
    pub milestone: MilestoneId,
    /// The checkpoint's name (checked as an id).
    pub name: String,
    /// When the checkpoint was made: the tag's time.
    pub time: DateTime<Utc>,
    /// Why it was made (the tag message's body).
    pub why: String,
}

/// How far a bulk write is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkProgress {
    /// `done` of `total` operations applied.
    Applied {
        /// Applied so far.
        done: usize,
        /// All of them.
        total: usize,
    },
    /// Writing the pack of `objects` objects.
    Packing {
        /// How many.
        objects: usize,
    },
}

/// What a bulk write did.
#[derive(Debug, Clone, Default)]
pub struct BulkOutcome {
    /// The new tip; none when nothing was written.
    pub tip: Option<Oid>,
    /// Per step: its commit, none when it changed nothing.
    pub commits: Vec<Option<Oid>>,
    /// What each step applied (its summary, events, files).
    pub applied: Vec<Applied>,
    /// The full names of the tags created.
    pub tags: Vec<String>,
}

impl BulkOutcome {
    /// How many commits were written.
    pub fn commit_count(&self) -> usize {
        self.commits.iter().flatten().count()
    }
}

/// The error returned by [`Store::write_bulk`].
#[derive(Debug, thiserror::Error)]
pub enum BulkError {
    /// The ref moved (or a tag appeared) between the read the steps were planned on and
    /// the write; nothing was written. Plan again from the new tip.
    #[error("refs/milestones moved while the import was being written")]
    Moved,
    /// Step `step` (from 0) does not fit the state it meets; nothing was written.
    #[error("{rejection}")]
    Rejected {
        /// Which step.
        step: usize,
        /// Why.
        rejection: Rejection,
    },
    /// Reading or writing the repository failed; nothing was written.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<git2::Error> for BulkError {
    fn from(e: git2::Error) -> Self {
        BulkError::Store(e.into())
    }
}

/// The commits and tags written so far, in the staging repository's memory.
struct Chain {
    head: Option<Oid>,
    tree: Option<Oid>,
    lamport: u64,
    commits: Vec<Oid>,
    tags: Vec<(String, Oid)>,
}

impl Store {
    /// Applies `steps` in order to the state at `expected` (none: the ref does not exist
    /// yet, and the chain starts with `init`), writes them as a chain of commits, one per
    /// step that changes something, creates `tags_on` (tags on existing commits) and the
    /// steps' tags, and moves the ref from `expected` to the chain's end. All or nothing.
    pub fn write_bulk(
        &self,
        expected: Option<Oid>,
        steps: Vec<BulkStep>,
        tags_on: &[(NewTag, Oid)],
        reflog: &str,
        progress: &mut dyn FnMut(BulkProgress),
    ) -> Result<BulkOutcome, BulkError> {
        // A second handle on the repository, whose object database writes into memory:
        // nothing reaches the disk until the whole chain is built.
        let staging = self.in_memory_twin()?;
        let memory_odb = staging.repo.odb()?;
        let _memory = memory_odb.add_new_mempack_backend(1000)?;
        let at = clock::now();
        let author = signature(&staging.repo, Role::Author, at)?;
        let committer = signature(&staging.repo, Role::Committer, at)?;
        let session = self.current_session();
        let writer = CommitWriter {
            repo: &staging.repo,
            author: &author,
            committer: &committer,
            at,
            session,
            signing: self.signing()?,
        };
        let mut chain = staging.chain_from(expected)?;
        if chain.head.is_none() {
            let applied = workflow::apply(None, &Op::Init, at).map_err(StoreError::from)?;
            let tree = staging.empty_state()?;
            writer.commit(&mut chain, tree, Op::Init, &applied)?;
        }
        let total = steps.len();
        let mut outcome = BulkOutcome::default();
        for (index, step) in steps.into_iter().enumerate() {
            let signed_by = super::SignedBy::Writer(writer.signing.as_ref());
            let (head, applied, new_tree) =
                staging.apply_step(&chain, (index, &step.op), at, signed_by)?;
            let commit = if applied.changed {
                Some(writer.commit(&mut chain, new_tree, step.op, &applied)?)
            } else {
                None
            };
            // A step that changed nothing leaves the state of the chain's head, so its
            // checkpoints belong there.
            let target = chain.head.unwrap_or(head);
            for tag in &step.tags {
                writer.tag(&mut chain, tag, target)?;
            }
            outcome.commits.push(commit);
            outcome.applied.push(applied);
            progress(BulkProgress::Applied {
                done: index + 1,
                total,
            });
        }
        for (tag, target) in tags_on {
            writer.tag(&mut chain, tag, *target)?;
        }
        if chain.commits.is_empty() && chain.tags.is_empty() {
            return Ok(outcome);
        }
        if self.tip_if_any()? != expected {
            return Err(BulkError::Moved);
        }
        let objects = new_objects(&self.repo, &staging.repo, &chain)?;
        progress(BulkProgress::Packing {
            objects: objects.len(),
        });
        pack::write_pack(&self.repo.odb()?, &memory_odb, &objects)?;
        let tip = chain.head.filter(|_| !chain.commits.is_empty());
        self.move_refs(expected, tip, &chain.tags, &committer, reflog)?;
        outcome.tip = tip;
        outcome.tags = chain.tags.into_iter().map(|(name, _)| name).collect();
        Ok(outcome)
    }

    /// A chain that starts at `expected` (none: at nothing, before `init`).
    fn chain_from(&self, expected: Option<Oid>) -> Result<Chain, StoreError> {
        let mut chain = Chain {
            head: None,
            tree: None,
            lamport: 0,
            commits: Vec::new(),
            tags: Vec::new(),
        };
        if let Some(tip) = expected {
            let commit = self.repo.find_commit(tip)?;
            chain.head = Some(tip);
            chain.tree = Some(commit.tree_id());
            chain.lamport = self.lamport(&commit)?;
        }
        Ok(chain)
    }

    /// Applies step `index`, `op`, to the state at the chain's head: the head, what
    /// applying gave, and the new tree.
    fn apply_step(
        &self,
        chain: &Chain,
        (index, op): (usize, &Op),
        at: chrono::DateTime<chrono::Utc>,
        signed_by: super::SignedBy<'_>,
    ) -> Result<(Oid, Applied, Oid), BulkError> {
        let (Some(head), Some(tree)) = (chain.head, chain.tree) else {
            return Err(StoreError::Encode {
                what: "a chain of operations",
                source: "the chain has no head".into(),
            }
            .into());
        };
        let snapshot = Snapshot::of_tree(&self.repo, self.repo.find_tree(tree)?, head)?;
        let (applied, new_tree) = self
            .apply_to_tree(
                &snapshot,
                op,
                at,
                &|_| Ok(()),
                workflow::apply_with_source,
                signed_by,
            )
            .map_err(|e| match e {
                StoreError::Rejected(rejection) => BulkError::Rejected {
                    step: index,
                    rejection,
                },
                other => BulkError::Store(other),
            })?;
        Ok((head, applied, new_tree))
    }

    /// The commit `refs/milestones` points at, none when it does not exist.
    pub fn tip_if_any(&self) -> Result<Option<Oid>, StoreError> {
        match self.tip() {
            Ok(tip) => Ok(Some(tip)),
            Err(StoreError::NotInitialized) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Moves `refs/milestones` from `expected` to `tip` and creates `tags`, under one
    /// lock of them all: another writer either finished before (and we report
    /// [`BulkError::Moved`]) or waits for us.
    fn move_refs(
        &self,
        expected: Option<Oid>,
        tip: Option<Oid>,
        tags: &[(String, Oid)],
        committer: &Signature<'_>,
        reflog: &str,
    ) -> Result<(), BulkError> {
        let locked = |e: git2::Error| match e.code() {
            ErrorCode::Locked | ErrorCode::Exists | ErrorCode::Modified => BulkError::Moved,
            _ => BulkError::from(e),
        };
        let mut transaction = self.repo.transaction()?;
        if tip.is_some() {
            transaction.lock_ref(REF).map_err(locked)?;
        }
        for (name, _) in tags {
            transaction.lock_ref(name).map_err(locked)?;
        }
        if self.tip_if_any()? != expected {
            return Err(BulkError::Moved);
        }
        for (name, _) in tags {
            match self.repo.find_reference(name) {
                Ok(_) => return Err(BulkError::Moved),
                Err(e) if e.code() == ErrorCode::NotFound => {}
                Err(e) => return Err(e.into()),
            }
        }
        if let Some(tip) = tip {
            transaction.set_target(REF, tip, Some(committer), reflog)?;
        }
        for (name, oid) in tags {
            transaction.set_target(name, *oid, Some(committer), reflog)?;
        }
        transaction.commit().map_err(locked)?;
        if let (None, Some(tip)) = (expected, tip) {
            self.start_reflog(tip, reflog)?;
        }
        Ok(())
    }
}

/// Writes the chain's commits and tags, all with the same identities and time.
struct CommitWriter<'a> {
    repo: &'a Repository,
    author: &'a Signature<'static>,
    committer: &'a Signature<'static>,
    at: DateTime<Utc>,
    session: Option<String>,
    signing: Option<crate::sign::Settings>,
}

impl CommitWriter<'_> {
    fn commit(
        &self,
        chain: &mut Chain,
        tree: Oid,
        op: Op,
        applied: &Applied,
    ) -> Result<Oid, BulkError> {
        let record = OpRecord {
            v: message::VERSION,
            lamport: chain.lamport + 1,
            at: clock::format_time(self.at),
            session: self.session.clone(),
            op,
            events: applied.events.clone(),
        };
        let text = message::encode(&applied.summary, &record);
        super::limits::check_message(&text)?;
        let tree_object = self.repo.find_tree(tree)?;
        let parent = chain.head.map(|h| self.repo.find_commit(h)).transpose()?;
        let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
        let commit = super::signed::create_commit(
            self.repo,
            self.author,
            self.committer,
            &text,
            &tree_object,
            &parents,
            self.signing.as_ref(),
        )?;
        chain.head = Some(commit);
        chain.tree = Some(tree);
        chain.lamport += 1;
        chain.commits.push(commit);
        Ok(commit)
    }

    fn tag(&self, chain: &mut Chain, tag: &NewTag, target: Oid) -> Result<(), BulkError> {
        super::checkpoint::check_name(&tag.name).map_err(StoreError::from)?;
        let full = tag_ref(&tag.milestone, &tag.name);
        let tagger = Signature::new(
            self.committer.name().unwrap_or(""),
            self.committer.email().unwrap_or(""),
            &git2::Time::new(tag.time.timestamp(), 0),
        )?;
        let object = self.repo.find_object(target, Some(ObjectType::Commit))?;
        let message = format!(
            "Checkpoint {} of milestone {}\n\n{}\n",
            tag.name, tag.milestone, tag.why
        );
        let oid = self.repo.tag_annotation_create(
            &full["refs/tags/".len()..],
            &object,
            &tagger,
            &message,
        )?;
        chain.tags.push((full, oid));
        Ok(())
    }
}

/// The objects of the chain that the repository does not have yet: its commits, the
/// trees and blobs they brought, and its tags. Unchanged subtrees are shared with the
/// commits before, so the walk stops at anything already stored or already seen.
fn new_objects(
    disk: &Repository,
    staging: &Repository,
    chain: &Chain,
) -> Result<Vec<Oid>, BulkError> {
    let stored = disk.odb()?;
    let mut seen = HashSet::new();
    let mut objects = Vec::new();
    let mut trees = Vec::new();
    for commit in &chain.commits {
        objects.push(*commit);
        trees.push(staging.find_commit(*commit)?.tree_id());
    }
    while let Some(tree) = trees.pop() {
        if !seen.insert(tree) || stored.exists(tree) {
            continue;
        }
        objects.push(tree);
        for entry in staging.find_tree(tree)?.iter() {
            let id = entry.id();
            match entry.kind() {
                Some(ObjectType::Tree) => trees.push(id),
                _ if seen.insert(id) && !stored.exists(id) => objects.push(id),
                _ => {}
            }
        }
    }
    objects.extend(chain.tags.iter().map(|(_, oid)| *oid));
    Ok(objects)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Event, Milestone};
    use crate::store::EventFilter;
    use serde_json::json;

    use crate::store::test_store as repository;

    fn mid() -> MilestoneId {
        MilestoneId::new("m1").unwrap()
    }

    fn event(n: usize) -> Event {
        let mut event = Event::new("note", "m1", json!({ "n": n }));
        event.timestamp = Some(format!("2026-01-01T00:00:{n:02}.000Z"));
        event.user = Some("alice".into());
        event
    }

    fn steps() -> Vec<BulkStep> {
        let step = |op| BulkStep {
            op,
            tags: Vec::new(),
        };
        vec![
            step(Op::ImportMilestone {
                definition: Box::new(Milestone::new(mid())),
                replace: false,
                source: None,
            }),
            step(Op::ImportEvents {
                events: vec![event(1), event(2)],
            }),
            BulkStep {
                op: Op::ImportState {
                    milestone: mid(),
                    state: Some(json!({"step": 1})),
                    saved_at: Some("2026-01-01T00:00:03.000Z".into()),
                    version: Some("1.0".into()),
                    sources: Vec::new(),
                },
                tags: vec![NewTag {
                    milestone: mid(),
                    name: "first".into(),
                    time: "2026-01-01T00:00:04Z".parse().unwrap(),
                    why: "imported".into(),
                }],
            },
            step(Op::ImportEvents {
                events: vec![event(5)],
            }),
        ]
    }

    fn loose_objects(dir: &std::path::Path) -> usize {
        std::fs::read_dir(dir.join(".git/objects"))
            .unwrap()
            .map(|e| e.unwrap())
            .filter(|e| e.file_name().len() == 2)
            .map(|e| std::fs::read_dir(e.path()).unwrap().count())
            .sum()
    }

    #[test]
    fn a_chain_lands_packed_with_one_ref_move_and_its_tags() {
        let (dir, store) = repository();
        store.init().unwrap();
        let before = store.tip().unwrap();
        let loose_before = loose_objects(dir.path());
        let reflog_before = store.repo.reflog(REF).unwrap().len();
        let mut seen = Vec::new();
        let outcome = store
            .write_bulk(Some(before), steps(), &[], "milestone: import", &mut |p| {
                seen.push(p)
            })
            .unwrap();
        assert_eq!(outcome.commit_count(), 4);
        let tip = store.tip().unwrap();
        assert_eq!(outcome.tip, Some(tip));
        assert_eq!(store.repo.reflog(REF).unwrap().len(), reflog_before + 1);
        assert_eq!(loose_objects(dir.path()), loose_before, "nothing loose");
        assert!(seen.contains(&BulkProgress::Applied { done: 4, total: 4 }));
        // The chain: parents linked, lamport counting up from the old tip.
        let mut lamports = Vec::new();
        store
            .walk_operations(tip, |_, record| lamports.push(record.lamport))
            .unwrap();
        assert_eq!(lamports, [5, 4, 3, 2, 1]);
        // Events read back with their own times, oldest first when reversed.
        let events = store.events(tip, &EventFilter::default(), None).unwrap();
        let times: Vec<&str> = events.iter().map(|e| e.timestamp.as_str()).collect();
        assert_eq!(
            times,
            [
                "2026-01-01T00:00:05.000Z",
                "2026-01-01T00:00:02.000Z",
                "2026-01-01T00:00:01.000Z"
            ]
        );
        assert!(events.iter().all(|e| e.user == "alice"));
        // The checkpoint is on the commit that set its state.
        let checkpoints = store.checkpoints(Some(&mid())).unwrap();
        assert_eq!(checkpoints.len(), 1);
        assert_eq!(
            checkpoints[0].commit,
            outcome.commits[2].unwrap().to_string()
        );
        assert_eq!(checkpoints[0].created_at, "2026-01-01T00:00:04.000Z");
        let at_tag = store.snapshot_at(outcome.commits[2].unwrap()).unwrap();
        assert_eq!(
            at_tag.milestone(&mid()).unwrap().unwrap().state,
            Some(json!({"step": 1}))
        );
    }

    #[test]
    fn an_uninitialized_repository_gets_init_first() {
        let (_dir, store) = repository();
        let outcome = store
            .write_bulk(None, steps(), &[], "milestone: import", &mut |_| {})
            .unwrap();
        let mut types = Vec::new();
        store
            .walk_operations(outcome.tip.unwrap(), |_, record| {
                types.push(record.op.type_name())
            })
            .unwrap();
        assert_eq!(types.last().map(String::as_str), Some("init"));
        assert_eq!(types.len(), 5);
        assert!(!store.repo.reflog(REF).unwrap().is_empty());
    }

    #[test]
    fn a_moved_ref_or_a_rejected_step_writes_nothing() {
        let (_dir, store) = repository();
        store.init().unwrap();
        let tip = store.tip().unwrap();
        // Planned against no ref at all, but the ref exists now.
        let moved = store.write_bulk(None, steps(), &[], "x", &mut |_| {});
        assert!(matches!(moved, Err(BulkError::Moved)), "{moved:?}");
        // State of a milestone that does not exist.
        let mut bad = steps();
        bad.remove(0);
        let rejected = store.write_bulk(Some(tip), bad, &[], "x", &mut |_| {});
        assert!(
            matches!(rejected, Err(BulkError::Rejected { step: 1, .. })),
            "{rejected:?}"
        );
        assert_eq!(store.tip().unwrap(), tip);
        assert!(store.checkpoints(None).unwrap().is_empty());
    }

    #[test]
    fn steps_that_change_nothing_make_no_commit_and_tags_land_on_existing_commits() {
        let (_dir, store) = repository();
        store.init().unwrap();
        let first = store
            .write_bulk(Some(store.tip().unwrap()), steps(), &[], "x", &mut |_| {})
            .unwrap();
        let tip = store.tip().unwrap();
        let again = vec![BulkStep {
            op: Op::ImportMilestone {
                definition: Box::new(Milestone::new(mid())),
                replace: false,
                source: None,
            },
            tags: Vec::new(),
        }];
        let nothing = store
            .write_bulk(Some(tip), again.clone(), &[], "x", &mut |_| {})
            .unwrap();
        assert_eq!(nothing.commit_count(), 0);
        assert_eq!(nothing.tip, None);
        assert_eq!(store.tip().unwrap(), tip);
        let tag = NewTag {
            milestone: mid(),
            name: "later".into(),
            time: "2026-01-02T00:00:00Z".parse().unwrap(),
            why: "imported".into(),
        };
        let target = first.commits[1].unwrap();
        let tagged = store
            .write_bulk(Some(tip), again, &[(tag, target)], "x", &mut |_| {})
            .unwrap();
        assert_eq!(tagged.tags, ["refs/tags/milestone/m1/later"]);
        assert_eq!(
            store.tip().unwrap(),
            tip,
            "a tag alone does not move the ref"
        );
        let names: Vec<String> = store
            .checkpoints(None)
            .unwrap()
            .into_iter()
            .map(|c| format!("{}@{}", c.name, &c.commit[..7]))
            .collect();
        assert!(
            names.contains(&format!("later@{}", &target.to_string()[..7])),
            "{names:?}"
        );
    }
}
