//! A clone trusts nothing it fetches. The tree of `refs/milestones` is a cache of the
//! operations: before the local ref moves to anything fetched, every incoming commit is
//! checked against what its operation gives. It must be a commit, its message must
//! decode, its format must be one this version reads (a newer one stops everything:
//! nothing is written), and its tree and events must be exactly what applying its
//! operation to its parent's (checked) state gives; a merge's, what replaying its two
//! sides gives. A commit that fails is not taken as state: its operation, if it has
//! one, is replayed like any other, and the commit is reported.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, TimeZone, Utc};
use git2::{Commit, ObjectType, Oid, Sort};
use serde::Serialize;

use super::message::{self, OpRecord};
use super::parsed::Parsed;
use super::scratch::Scratch;
use super::{Snapshot, Store, StoreError, FORMAT};
use crate::model::Op;
use crate::workflow;

/// The largest operation message taken from a fetch. An import of a whole milestone
/// is far below it; a larger message is reported and its operation not replayed, so
/// that one push cannot make every clone read gigabytes.
pub const MAX_OPERATION_BYTES: usize = 16 * 1024 * 1024;

/// A fetched commit not taken as state, as `sync` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ignored {
    /// The commit id.
    pub commit: String,
    /// Its author, `Name <email>`.
    pub author: String,
    /// What is wrong with it.
    pub reason: String,
}

/// What [`Store::check_incoming`] found.
#[derive(Debug, Default)]
pub struct Checked {
    /// The state each checked commit stands for: its tree when it holds, otherwise the
    /// tree its history really gives.
    pub(super) state: HashMap<Oid, Oid>,
    /// The commits that failed, in the order they were checked (parents first).
    pub ignored: Vec<Ignored>,
    /// The same, by id.
    pub(super) bad: HashSet<Oid>,
    /// Failed commits that a sound incoming merge already took care of.
    pub(super) settled: HashSet<Oid>,
    /// Commits of our own history looked at by [`Store::check_local`].
    local: HashSet<Oid>,
    /// What earlier checks in this clone found: the states of commits that do not
    /// hold, which their descendants and merges are checked against.
    known: HashMap<Oid, Oid>,
    /// Definitions parsed so far: each operation reads what the one before wrote.
    pub(super) parsed: Parsed,
    /// Checked decisions that stay in history without counting, with why.
    pub(super) not_counted: Vec<(Oid, String)>,
    /// Whether an incoming commit has our tip as a parent: then their tip descends
    /// from ours (every path from it to ours passes through an incoming commit).
    pub(super) builds_on_ours: bool,
}

impl Checked {
    /// Whether `tip` can be taken as it is: it holds, and every failed commit below it
    /// is settled by a merge that holds.
    pub(super) fn sound(&self, tip: Oid) -> bool {
        !self.bad.contains(&tip)
            && self
                .bad
                .iter()
                .all(|c| self.settled.contains(c) || self.local.contains(c))
    }

    fn fail(&mut self, commit: &Commit<'_>, reason: String) {
        self.bad.insert(commit.id());
        self.ignored.push(Ignored {
            commit: commit.id().to_string(),
            author: author_of(commit),
            reason,
        });
    }
}

/// Why a message of `size` bytes is not read, when it is over the limit: an operation
/// or a merge alike.
fn oversized(size: usize) -> Option<String> {
    (size > MAX_OPERATION_BYTES)
        .then(|| format!("its message is {size} bytes, over the limit of {MAX_OPERATION_BYTES}"))
}

/// `Name <email>` of a commit's author.
pub(super) fn author_of(commit: &Commit<'_>) -> String {
    let author = commit.author();
    format!(
        "{} <{}>",
        String::from_utf8_lossy(author.name_bytes()),
        String::from_utf8_lossy(author.email_bytes())
    )
}

/// The time an operation is applied at: the one it records, or for a message whose
/// time does not parse, its commit's time. Never this machine's clock, which differs
/// between clones.
pub(super) fn operation_time(at: &str, commit: &Commit<'_>) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(at)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|_| {
            Utc.timestamp_opt(commit.time().seconds(), 0)
                .single()
                .unwrap_or_default()
        })
}

impl Store {
    /// Checks every commit reachable from `theirs` and not from `ours` (our own
    /// history is trusted), parents first. Fails only for what must stop a sync: an
    /// operation or layout of a newer version, or a repository error.
    pub(super) fn check_incoming(
        &self,
        ours: Option<Oid>,
        theirs: Oid,
        scratch: &Scratch<'_>,
    ) -> Result<Checked, StoreError> {
        let mut checked = Checked {
            known: self.known_states(),
            ..Checked::default()
        };
        let mut walk = self.repo.revwalk()?;
        walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)?;
        walk.push(theirs)?;
        if let Some(ours) = ours {
            walk.hide(ours)?;
        }
        for oid in walk {
            let commit = self.repo.find_commit(oid?)?;
            checked.builds_on_ours |= ours.is_some_and(|o| commit.parent_ids().any(|p| p == o));
            self.check_commit(&commit, &mut checked)?;
            // The states this check wrote are not read again, but for those of
            // commits that do not hold.
            scratch.keep_failed(&checked)?;
            scratch.clear()?;
        }
        Ok(checked)
    }

    /// Whether `oid` names a commit (a fetched ref can name a tree or a blob).
    pub fn is_commit(&self, oid: Oid) -> bool {
        self.not_a_commit(oid).is_none()
    }

    /// What is wrong with a fetched ref naming `oid` when it is not a commit: what
    /// it names instead.
    pub fn not_a_commit(&self, oid: Oid) -> Option<String> {
        match self.repo.find_object(oid, None).map(|o| o.kind()) {
            Ok(Some(ObjectType::Commit)) => None,
            Ok(Some(kind)) => Some(format!("it names a {kind}, not a commit")),
            Ok(None) | Err(_) => Some("it names no object of this repository".to_string()),
        }
    }

    /// What is wrong with a fetched checkpoint tag, if anything: it must be an
    /// annotated tag naming a commit, as `checkpoint create` makes it.
    pub fn check_checkpoint_tag(&self, target: Oid) -> Option<String> {
        let Ok(tag) = self.repo.find_tag(target) else {
            return Some("it is not an annotated tag".to_string());
        };
        (tag.target_type() != Some(ObjectType::Commit))
            .then(|| "it does not name a commit".to_string())
    }

    /// The state `commit` stands for, once checked (or trusted: ours).
    pub(super) fn state_of(&self, checked: &Checked, commit: Oid) -> Result<Oid, StoreError> {
        match checked.state.get(&commit).or(checked.known.get(&commit)) {
            Some(tree) => Ok(*tree),
            None => Ok(self.repo.find_commit(commit)?.tree_id()),
        }
    }

    fn states_path(&self) -> std::path::PathBuf {
        self.local_dir().join("states")
    }

    /// The states of failed commits that earlier checks here computed (a local
    /// cache: lines `<commit> <state tree>`).
    fn known_states(&self) -> HashMap<Oid, Oid> {
        let text = std::fs::read_to_string(self.states_path()).unwrap_or_default();
        text.lines()
            .filter_map(|line| {
                let (commit, tree) = line.split_once(' ')?;
                Some((Oid::from_str(commit).ok()?, Oid::from_str(tree).ok()?))
            })
            .collect()
    }

    /// Remembers the states of the failed commits this check computed, for the
    /// checks to come (a commit's state never changes, so the cache only grows).
    pub(super) fn remember_states(&self, checked: &Checked) -> Result<(), StoreError> {
        let mut lines = String::new();
        for commit in &checked.bad {
            if checked.known.contains_key(commit) {
                continue;
            }
            if let Some(tree) = checked.state.get(commit) {
                lines.push_str(&format!("{commit} {tree}\n"));
            }
        }
        if lines.is_empty() {
            return Ok(());
        }
        let write = || -> std::io::Result<()> {
            std::fs::create_dir_all(self.local_dir())?;
            let mut file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(self.states_path())?;
            std::io::Write::write_all(&mut file, lines.as_bytes())
        };
        write().map_err(|source| StoreError::LocalFile {
            path: self.states_path(),
            source,
        })
    }

    fn check_commit(&self, commit: &Commit<'_>, checked: &mut Checked) -> Result<(), StoreError> {
        let text = String::from_utf8_lossy(commit.message_bytes());
        let record = (text.len() <= MAX_OPERATION_BYTES)
            .then(|| message::decode(&text))
            .flatten();
        self.check_format(commit, &text, record.as_ref())?;
        let is_merge = commit.parent_count() > 1
            || matches!(
                record,
                Some(OpRecord {
                    op: Op::Merge { .. },
                    ..
                })
            );
        let (state, problem) = if is_merge {
            let (state, problem) = self.expect_merge(commit, record.as_ref(), checked)?;
            (
                state,
                problem.map(|why| oversized(text.len()).unwrap_or(why)),
            )
        } else {
            let before = match commit.parent_id(0) {
                Ok(parent) => self.state_of(checked, parent)?,
                Err(_) => self.empty_state()?,
            };
            self.expect_single(commit, record.as_ref(), text.len(), before, &checked.parsed)?
        };
        checked.state.insert(commit.id(), state);
        match (problem, &record) {
            (Some(reason), _) => checked.fail(commit, reason),
            // It holds: its events are those its operation gives.
            (None, Some(record)) if !is_merge => {
                if let Some(reason) = super::merge::not_counted(&record.events) {
                    checked.not_counted.push((commit.id(), reason));
                }
            }
            (None, _) => {}
        }
        Ok(())
    }

    /// Stops on an operation or a layout this version does not know: taking it as
    /// garbage would drop a teammate's work, taking it as state would break every
    /// command here.
    fn check_format(
        &self,
        commit: &Commit<'_>,
        text: &str,
        record: Option<&OpRecord>,
    ) -> Result<(), StoreError> {
        // A record this version decoded has its version; only what did not decode
        // is probed (a newer operation does not).
        let version = match record {
            Some(record) => Some(record.v),
            // Over the limit, a message is not read at all (merges too): it is
            // reported by its size, never taken as a newer version.
            None if text.len() > MAX_OPERATION_BYTES => None,
            None => message::version(text),
        };
        if let Some(v) = version.filter(|v| *v > message::VERSION) {
            return Err(StoreError::NewerFormat {
                commit: commit.id().to_string(),
                format: v.to_string(),
            });
        }
        let tree = commit.tree()?;
        let Some(entry) = tree.get_name(super::layout::FORMAT_FILE) else {
            return Ok(());
        };
        if entry.id() == super::snapshot::format_blob() {
            return Ok(());
        }
        // A version is a few digits: a larger blob is not read (its tree does not
        // hold, and is reported as such).
        let small = self
            .repo
            .odb()?
            .read_header(entry.id())
            .map(|(size, _)| size <= 64);
        if !small.unwrap_or(false) {
            return Ok(());
        }
        let Ok(blob) = entry.to_object(&self.repo).and_then(|o| o.peel_to_blob()) else {
            return Ok(());
        };
        let found = String::from_utf8_lossy(blob.content()).trim().to_string();
        let newer = matches!(
            (found.parse::<u64>(), FORMAT.parse::<u64>()),
            (Ok(found), Ok(known)) if found > known
        );
        if newer {
            return Err(StoreError::NewerFormat {
                commit: commit.id().to_string(),
                format: found,
            });
        }
        Ok(())
    }

    /// The state a commit with one parent (or none) stands for, given the state
    /// `before` it, and what is wrong with it, if anything.
    fn expect_single(
        &self,
        commit: &Commit<'_>,
        record: Option<&OpRecord>,
        size: usize,
        before: Oid,
        parsed: &Parsed,
    ) -> Result<(Oid, Option<String>), StoreError> {
        if let Some(record) = record {
            return self.expect_operation(commit, record, before, parsed);
        }
        let why = oversized(size)
            .unwrap_or_else(|| "its message is not a git-milestone operation".to_string());
        Ok((before, (commit.tree_id() != before).then_some(why)))
    }

    /// Marks the commits of our own history among `commits` (parents first) that do
    /// not hold (a hand
    /// edit made here, or a commit an older version took in) as failed, so that a
    /// merge lists the same commits whichever clone computes it. Merges of our own
    /// history are trusted.
    pub(super) fn check_local(
        &self,
        commits: &[Oid],
        checked: &mut Checked,
    ) -> Result<(), StoreError> {
        for oid in commits {
            if checked.state.contains_key(oid) || !checked.local.insert(*oid) {
                continue;
            }
            let commit = self.repo.find_commit(*oid)?;
            if commit.parent_count() > 1 {
                continue;
            }
            let text = String::from_utf8_lossy(commit.message_bytes());
            let record = (text.len() <= MAX_OPERATION_BYTES)
                .then(|| message::decode(&text))
                .flatten();
            if matches!(
                record,
                Some(OpRecord {
                    op: Op::Merge { .. },
                    ..
                })
            ) {
                continue;
            }
            let before = match commit.parent_id(0) {
                Ok(parent) => self.state_of(checked, parent)?,
                Err(_) => self.empty_state()?,
            };
            let (state, problem) = self.expect_single(
                &commit,
                record.as_ref(),
                text.len(),
                before,
                &checked.parsed,
            )?;
            // Not reported: it is our own history, and a merge below our tip, or the
            // one being made, lists it.
            if problem.is_some() {
                checked.state.insert(*oid, state);
                checked.bad.insert(*oid);
            }
        }
        Ok(())
    }

    /// The state an operation commit stands for (its operation applied to `before`)
    /// and what is wrong with it, if anything.
    fn expect_operation(
        &self,
        commit: &Commit<'_>,
        record: &OpRecord,
        before: Oid,
        parsed: &Parsed,
    ) -> Result<(Oid, Option<String>), StoreError> {
        if matches!(record.op, Op::Init) {
            let empty = self.empty_state()?;
            let holds = commit.parent_count() == 0 && commit.tree_id() == empty;
            let state = if commit.parent_count() == 0 {
                empty
            } else {
                before
            };
            return Ok((
                state,
                (!holds).then(|| "its tree is not an empty store".to_string()),
            ));
        }
        let snapshot = Snapshot::of_tree(&self.repo, self.repo.find_tree(before)?, commit.id())?
            .with_parsed(parsed);
        let at = operation_time(&record.at, commit);
        let signed_by = super::SignedBy::Commit(commit.id());
        let applied = self.apply_to_tree(
            &snapshot,
            &record.op,
            at,
            &|_| Ok(()),
            workflow::replay,
            signed_by,
        );
        let (applied, state) = match applied {
            Ok(result) => result,
            Err(e) if super::merge::is_noop(&e) => {
                return Ok((before, Some(format!("its operation does not apply: {e}"))));
            }
            Err(e) => return Err(e),
        };
        // A version before tasks remembered their trailer moves wrote it: it holds.
        if commit.tree_id() != state
            && applied.events == record.events
            && self.differs_only_in_moves_remembered(commit.tree_id(), state)?
        {
            return Ok((commit.tree_id(), None));
        }
        let problem = if commit.tree_id() != state {
            Some(self.tree_mismatch(commit))
        } else if applied.events != record.events {
            Some("its events are not those of its operation".to_string())
        } else {
            None
        };
        // What it wrote is what the next operation on that milestone reads. (Not a
        // restore's: its folder comes from an older tree, written by other hands.)
        if let (Some(id), Some(files), true) = (
            record.op.milestone(),
            applied.files,
            applied.changed && !matches!(record.op, Op::Restore { .. }),
        ) {
            parsed.hand_over(state, id.clone(), files);
        }
        Ok((state, problem))
    }

    /// Why a commit's tree is not the one its operation gives, in words: a tree git
    /// would not write (made with plumbing) is named as such.
    fn tree_mismatch(&self, commit: &Commit<'_>) -> String {
        let unsorted = commit
            .tree()
            .ok()
            .and_then(|tree| super::tree_order::out_of_order(&self.repo, &tree));
        match unsorted {
            Some(path) => format!(
                "its tree does not match its operation: the entries of {path} are out of \
                 git's order or repeat a name (a tree written with plumbing)"
            ),
            None => "its tree does not match its operation".to_string(),
        }
    }

    /// The state a merge commit (or any commit with several parents) stands for: its
    /// sides replayed from their merge base, as `sync` itself merges.
    fn expect_merge(
        &self,
        commit: &Commit<'_>,
        record: Option<&OpRecord>,
        checked: &mut Checked,
    ) -> Result<(Oid, Option<String>), StoreError> {
        let parents: Vec<Oid> = commit.parent_ids().collect();
        let base = match parents.as_slice() {
            [a, b] => self.repo.merge_base(*a, *b).ok(),
            _ => None,
        };
        let start = match base {
            Some(base) => self.state_of(checked, base)?,
            None => self.empty_state()?,
        };
        let mut replay = self.replay_range(&parents, base, start, checked)?;
        // A merge an older version made, its tasks not remembering trailer moves.
        if commit.tree_id() != replay.tree
            && self.differs_only_in_moves_remembered(commit.tree_id(), replay.tree)?
        {
            replay.tree = commit.tree_id();
        }
        let problem = match record {
            _ if parents.len() > 2 => Some("it has more than two parents".to_string()),
            None => Some("its message is not a git-milestone operation".to_string()),
            Some(_) if commit.tree_id() != replay.tree => {
                Some("its tree does not match the merge of its parents".to_string())
            }
            Some(OpRecord {
                op: Op::Merge { ignored, .. },
                events,
                ..
            }) if *ignored != replay.ignored || *events != replay.events => {
                Some("what it ignored is not what its parents hold".to_string())
            }
            Some(OpRecord {
                op: Op::Merge { .. },
                ..
            }) => None,
            Some(_) => Some("it has two parents but is not a merge".to_string()),
        };
        if problem.is_none() {
            checked
                .settled
                .extend(replay.ignored.iter().filter_map(|c| Oid::from_str(c).ok()));
        }
        Ok((replay.tree, problem))
    }
}
