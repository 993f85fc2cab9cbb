//! Writing: one operation, one commit, one compare-and-swap of the ref.

use std::time::Duration;

use chrono::{DateTime, Utc};
use git2::{ErrorCode, FileMode, Oid, Tree};

use super::identity::{signature, Role};
use super::layout::{APPROVALS, DEFINITION, FORMAT_FILE, MILESTONES, SESSIONS, STATE};
use super::lock::RefGuard;
use super::message::{self, OpRecord};
use super::signed::{create_commit, SignedBy};
use super::{Parts, Snapshot, Store, StoreError, FORMAT, REF};
use crate::clock;
use crate::model::{MilestoneFiles, MilestoneId, Op};
use crate::workflow::{self, Applied, Rejection};
use crate::yaml;

/// How often a write is tried when other writers keep moving the ref. Each attempt
/// re-applies the operation to the new tip, so nobody's work is lost; the bound only
/// stops a livelock.
const MAX_ATTEMPTS: u32 = 200;

/// The guard file that writers of ours hold while they move the ref (see
/// [`RefGuard`]), beside the ref in the common git dir.
const REF_GUARD: &str = "milestone-ref.lock";

/// A ref update holds the lock for milliseconds; one this old was left by a process
/// that died.
const STALE_LOCK: Duration = Duration::from_secs(5);

/// A rule applying an operation: [`workflow::apply_with_source`] for writes,
/// [`workflow::replay`] when merging.
pub(super) type ApplyRule = fn(
    Option<MilestoneFiles>,
    Option<MilestoneFiles>,
    &Op,
    DateTime<Utc>,
) -> Result<Applied, Rejection>;

/// What a write did.
#[derive(Debug)]
pub enum Outcome {
    /// The operation is the new tip.
    Committed {
        /// Its commit.
        commit: Oid,
        /// What it changed and recorded.
        applied: Applied,
    },
    /// The operation would change nothing, so nothing was written.
    Unchanged {
        /// What it would have recorded.
        applied: Applied,
    },
    /// `init` found the ref already there.
    AlreadyInitialized,
}

impl Store {
    /// Creates `refs/milestones` if it does not exist.
    pub fn init(&self) -> Result<Outcome, StoreError> {
        match self.tip() {
            Ok(tip) => {
                Snapshot::read(&self.repo, tip)?;
                return Ok(Outcome::AlreadyInitialized);
            }
            Err(StoreError::NotInitialized) => {}
            Err(e) => return Err(e),
        }
        let at = clock::now();
        let applied = workflow::apply(None, &Op::Init, at)?;
        let format = self.repo.blob(format!("{FORMAT}\n").as_bytes())?;
        let mut root = self.repo.treebuilder(None)?;
        root.insert(FORMAT_FILE, format, FileMode::Blob.into())?;
        let tree = self.repo.find_tree(root.write()?)?;
        let signing = self.signing()?;
        let commit =
            self.write_commit(&tree, &[], Op::Init, &applied, (at, 1), signing.as_ref())?;
        let log = format!("milestone: {}", applied.summary);
        let mut attempt = 0;
        loop {
            match self.guarded(|| self.repo.reference(REF, commit, false, &log)) {
                Ok(_) => break,
                // Another `init` won the race; its ref is as good as ours.
                Err(e) if e.code() == ErrorCode::Exists => return Ok(Outcome::AlreadyInitialized),
                // Another writer holds the ref's lock: wait for it, then look again.
                Err(e) if e.code() == ErrorCode::Locked && attempt < MAX_ATTEMPTS => {
                    self.check_stale_lock()?;
                    std::thread::sleep(backoff(attempt));
                    attempt += 1;
                    if self.tip().is_ok() {
                        return Ok(Outcome::AlreadyInitialized);
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
        self.start_reflog(commit, &log)?;
        Ok(Outcome::Committed { commit, applied })
    }

    /// Runs `update` (a move of `refs/milestones`) holding the ref guard, after taking
    /// over git's `.lock` when the guard shows that a writer of ours died holding it.
    fn guarded<T>(
        &self,
        update: impl FnOnce() -> Result<T, git2::Error>,
    ) -> Result<T, git2::Error> {
        let guard = RefGuard::acquire(&self.repo.commondir().join(REF_GUARD)).ok();
        if guard.as_ref().is_some_and(|g| g.died_updating) {
            let _ = std::fs::remove_file(self.repo.commondir().join(format!("{REF}.lock")));
        }
        let result = update();
        if let Some(guard) = guard {
            guard.finish();
        }
        result
    }

    /// Fails when the ref's lock file has been there far longer than any update takes:
    /// its process died (killed during a write). git never removes such a lock by
    /// itself, since it cannot know that no process holds it, and neither do we: we
    /// say exactly what to do.
    fn check_stale_lock(&self) -> Result<(), StoreError> {
        let path = self.repo.commondir().join(format!("{REF}.lock"));
        let age = std::fs::metadata(&path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| std::time::SystemTime::now().duration_since(t).ok());
        match age {
            Some(age) if age > STALE_LOCK => Err(StoreError::StaleLock {
                path: path.display().to_string(),
                seconds: age.as_secs(),
            }),
            _ => Ok(()),
        }
    }

    /// git keeps reflogs only for branches unless the log exists; starting it when the
    /// ref is created gives refs/milestones a reflog like a branch has.
    pub(super) fn start_reflog(&self, commit: Oid, log: &str) -> Result<(), StoreError> {
        let mut reflog = self.repo.reflog(REF)?;
        if reflog.is_empty() {
            let committer = signature(&self.repo, Role::Committer, clock::now())?;
            reflog.append(commit, &committer, Some(log))?;
            reflog.write()?;
        }
        Ok(())
    }

    /// Moves `refs/milestones` from `from` (absent: the ref must not exist) to `to`;
    /// false when it had moved meanwhile.
    pub fn advance_ref(&self, from: Option<Oid>, to: Oid, log: &str) -> Result<bool, StoreError> {
        let result = self.guarded(|| match from {
            Some(from) => self.repo.reference_matching(REF, to, true, from, log),
            None => self.repo.reference(REF, to, false, log),
        });
        match result {
            Ok(_) if from.is_none() => self.start_reflog(to, log).map(|_| true),
            Ok(_) => Ok(true),
            Err(e)
                if matches!(
                    e.code(),
                    ErrorCode::Modified | ErrorCode::Locked | ErrorCode::Exists
                ) =>
            {
                Ok(false)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Applies `op` to the tip and moves the ref to the result.
    pub fn transact(&self, op: Op) -> Result<Outcome, StoreError> {
        self.transact_checked(op, |_| Ok(()))
    }

    /// Like [`Store::transact`], refusing when `precondition` refuses the milestone's
    /// files as they are at the tip (for example an edit based on an older version).
    pub fn transact_checked(
        &self,
        op: Op,
        precondition: impl Fn(Option<&MilestoneFiles>) -> Result<(), Rejection>,
    ) -> Result<Outcome, StoreError> {
        let at = clock::now();
        let signing = self.signing()?;
        let mut attempt = 0;
        while attempt < MAX_ATTEMPTS {
            let tip = self.tip()?;
            let snapshot = self.snapshot_at(tip)?;
            let (applied, tree) = self.apply_to_tree(
                &snapshot,
                &op,
                at,
                &precondition,
                workflow::apply_with_source,
                SignedBy::Writer(signing.as_ref()),
            )?;
            if !applied.changed {
                return Ok(Outcome::Unchanged { applied });
            }
            let tree = self.repo.find_tree(tree)?;
            let parent = self.repo.find_commit(tip)?;
            let lamport = message::next_lamport([self.lamport(&parent)?]);
            let commit = self.write_commit(
                &tree,
                &[&parent],
                workflow::as_recorded(&op, &applied),
                &applied,
                (at, lamport),
                signing.as_ref(),
            )?;
            let log = format!("milestone: {}", applied.summary);
            match self.guarded(|| self.repo.reference_matching(REF, commit, true, tip, &log)) {
                Ok(_) => return Ok(Outcome::Committed { commit, applied }),
                // Another process moved the ref (or holds its lock) between our read
                // and our write: read the new tip and apply the operation again.
                // Another process holds the ref's lock: wait for it without spending
                // the retry budget, until the lock is old enough to be stale.
                Err(e) if e.code() == ErrorCode::Locked => {
                    self.check_stale_lock()?;
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(e) if e.code() == ErrorCode::Modified => {
                    std::thread::sleep(backoff(attempt));
                    attempt += 1;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(StoreError::Contention {
            attempts: MAX_ATTEMPTS,
        })
    }

    /// Writes the entries of `items` that differ from `old` into the folder `name` of
    /// a milestone (removing those that are gone); untouched entries keep their ids.
    fn write_folder<K: Ord, V: PartialEq>(
        &self,
        milestone: &mut git2::TreeBuilder<'_>,
        old_milestone: Option<&Tree<'_>>,
        name: &str,
        old: Option<&std::collections::BTreeMap<K, V>>,
        items: &std::collections::BTreeMap<K, V>,
        encode: impl Fn(&K, &V) -> Result<(String, String), StoreError>,
    ) -> Result<(), StoreError> {
        if old == Some(items) {
            return Ok(());
        }
        let old_tree = old_milestone
            .and_then(|f| f.get_name(name))
            .map(|e| e.to_object(&self.repo).and_then(|o| o.peel_to_tree()))
            .transpose()?;
        let mut folder = self.repo.treebuilder(old_tree.as_ref())?;
        for (key, value) in items {
            if old.and_then(|o| o.get(key)) != Some(value) {
                let (file, text) = encode(key, value)?;
                folder.insert(file, self.write_blob(text.as_bytes())?, blob_mode())?;
            }
        }
        if let Some(old) = old {
            for (key, value) in old.iter().filter(|(k, _)| !items.contains_key(k)) {
                let (file, _) = encode(key, value)?;
                if folder.get(&file)?.is_some() {
                    folder.remove(&file)?;
                }
            }
        }
        if folder.is_empty() {
            if milestone.get(name)?.is_some() {
                milestone.remove(name)?;
            }
        } else {
            milestone.insert(name, folder.write()?, FileMode::Tree.into())?;
        }
        Ok(())
    }

    /// For a restore, the milestone's files and folder at the commit it restores.
    /// What a restore puts back: the milestone's files at the restored commit, except
    /// its sessions, which stay as they are now. A restore brings back the milestone's
    /// data, not the people's open sessions: a session started after the checkpoint
    /// must survive it, or its owner's `session end` fails.
    fn restore_source(
        &self,
        op: &Op,
        now: &Snapshot<'_>,
    ) -> Result<Option<(MilestoneFiles, Oid)>, StoreError> {
        let Op::Restore {
            milestone, commit, ..
        } = op
        else {
            return Ok(None);
        };
        let unknown = || StoreError::UnknownRevision(commit.clone());
        let oid = Oid::from_str(commit).map_err(|_| unknown())?;
        if !self.is_commit(oid) {
            return Err(unknown());
        }
        // Only a state this history went through comes back: a commit made elsewhere
        // could hold anything.
        let at_commit = now.commit();
        if oid != at_commit && !self.repo.graph_descendant_of(at_commit, oid)? {
            return Err(StoreError::NotInHistory(commit.clone()));
        }
        let snapshot = self.snapshot_at(oid)?;
        let (Some(mut files), Some(folder)) = (
            snapshot.milestone_with(milestone, Parts::ALL)?,
            snapshot.milestone_tree(milestone)?,
        ) else {
            return Ok(None);
        };
        let sessions_now = now
            .milestone_tree(milestone)?
            .and_then(|t| t.get_name(SESSIONS).map(|e| (e.id(), e.filemode())));
        let mut builder = self.repo.treebuilder(Some(&folder))?;
        match sessions_now {
            Some((id, mode)) => {
                builder.insert(SESSIONS, id, mode)?;
            }
            None if folder.get_name(SESSIONS).is_some() => builder.remove(SESSIONS)?,
            None => {}
        }
        let folder = builder.write()?;
        // The files as the tree now holds them (sessions unreadable now stay as they
        // are in the tree, and read as none).
        files.sessions = self
            .current_sessions(now, milestone)?
            .or(Some(Default::default()));
        Ok(Some((files, folder)))
    }

    /// The sessions of `milestone` in `snapshot`, when they can be read.
    fn current_sessions(
        &self,
        snapshot: &Snapshot<'_>,
        milestone: &MilestoneId,
    ) -> Result<
        Option<std::collections::BTreeMap<crate::model::SessionId, crate::model::Session>>,
        StoreError,
    > {
        let parts = Parts {
            sessions: true,
            approvals: false,
        };
        Ok(snapshot
            .milestone_with(milestone, parts)
            .ok()
            .flatten()
            .and_then(|f| f.sessions))
    }

    /// The root tree with milestone `id`'s folder replaced by `folder` as it is.
    fn put_folder(
        &self,
        snapshot: &Snapshot<'_>,
        id: &MilestoneId,
        folder: Oid,
    ) -> Result<Tree<'_>, StoreError> {
        self.change_folder(snapshot, id, Some(folder))
    }

    /// The root tree without milestone `id`'s folder.
    fn drop_folder(
        &self,
        snapshot: &Snapshot<'_>,
        id: &MilestoneId,
    ) -> Result<Tree<'_>, StoreError> {
        self.change_folder(snapshot, id, None)
    }

    /// The root tree with milestone `id`'s folder set to `folder`, or gone. Only the
    /// one entry of `milestones/` is spliced in: the other milestones' entries are
    /// copied as they are, not sorted and printed again.
    fn change_folder(
        &self,
        snapshot: &Snapshot<'_>,
        id: &MilestoneId,
        folder: Option<Oid>,
    ) -> Result<Tree<'_>, StoreError> {
        let old_milestones = snapshot.milestones_tree()?;
        let entry = folder.map(|folder| (folder, FileMode::Tree));
        let milestones = self.tree_with(old_milestones.as_ref(), id.as_str(), entry)?;
        let root = self.tree_with(
            Some(snapshot.tree()),
            MILESTONES,
            Some((milestones, FileMode::Tree)),
        )?;
        Ok(self.repo.find_tree(root)?)
    }

    /// Applies `op` with `rule` to the state in `snapshot`, writing the objects of the
    /// new state; returns what the rule decided and the new root tree (the old one when
    /// nothing changed). Shared by ordinary writes and by merge replay, so both build
    /// exactly the same trees from the same operations.
    pub(super) fn apply_to_tree(
        &self,
        snapshot: &Snapshot<'_>,
        op: &Op,
        at: DateTime<Utc>,
        precondition: &dyn Fn(Option<&MilestoneFiles>) -> Result<(), Rejection>,
        rule: ApplyRule,
        signed_by: SignedBy<'_>,
    ) -> Result<(Applied, Oid), StoreError> {
        if let Op::Trust(change) = op {
            return self.apply_trust_change(snapshot, change, signed_by);
        }
        let current = match op.milestone() {
            // A restore must work on a milestone that cannot be read: it is how a
            // broken milestone gets repaired.
            // It reads the requests too: those made since the checkpoint stay on record.
            Some(id) if matches!(op, Op::Restore { .. }) => {
                snapshot.milestone_with(id, Parts::ALL).ok().flatten()
            }
            Some(id) => snapshot.milestone_with(
                id,
                Parts {
                    sessions: op.needs_sessions(),
                    approvals: op.needs_approvals(),
                },
            )?,
            None => None,
        };
        // Trailer moves an older version made without remembering them count once.
        let parents = || -> Result<Vec<Oid>, StoreError> {
            Ok(match &signed_by {
                SignedBy::Writer(_) => vec![snapshot.commit()],
                SignedBy::Commit(commit) => self.repo.find_commit(*commit)?.parent_ids().collect(),
            })
        };
        let current = self.with_moves_seen(current, op, parents)?;
        precondition(current.as_ref())?;
        let source = self.restore_source(op, snapshot)?;
        let restored = source.as_ref().map(|(files, _)| files.clone());
        let applied = if matches!(op, Op::DecideApproval { .. }) {
            // Whether a decision counts depends on the trust list and the signature.
            let trust = snapshot.trust()?;
            let signer = self.signer(signed_by, trust.as_ref())?;
            workflow::trust::apply_decision(
                current.clone(),
                op,
                trust.as_ref(),
                &signer,
                &clock::format_time(at),
                |files| rule(files, restored, op, at),
            )?
        } else {
            rule(current.clone(), restored, op, at)?
        };
        if !applied.changed {
            return Ok((applied, snapshot.tree().id()));
        }
        let tree = match (op.milestone(), &source) {
            (Some(id), Some((files, folder))) => {
                let put = self.put_folder(snapshot, id, *folder)?;
                if applied.files.as_ref() == Some(files) {
                    put
                } else {
                    // What the restore kept of the files it replaced (later requests,
                    // trailer moves), written over the restored folder.
                    let put = Snapshot::of_tree(&self.repo, put, snapshot.commit())?;
                    let tree = self.write_tree(&put, op.milestone(), Some(files), &applied)?;
                    self.repo.find_tree(tree.id())?
                }
            }
            // A milestone that leaves the state (`rm`): its folder goes.
            (Some(id), None) if current.is_some() && applied.files.is_none() => {
                self.drop_folder(snapshot, id)?
            }
            _ => self.write_tree(snapshot, op.milestone(), current.as_ref(), &applied)?,
        };
        Ok((applied, tree.id()))
    }

    /// The lamport clock of `commit`: from its message, or for a commit this tool did
    /// not write (plain git), one more than its parents'.
    pub(super) fn lamport(&self, commit: &git2::Commit<'_>) -> Result<u64, StoreError> {
        let mut skipped = 0;
        let mut current = commit.clone();
        loop {
            if let Some(header) = message::decode_header(current.message().unwrap_or("")) {
                return Ok(header.lamport.saturating_add(skipped));
            }
            skipped += 1;
            match current.parents().next() {
                Some(parent) => current = parent,
                None => return Ok(skipped),
            }
        }
    }

    fn write_commit(
        &self,
        tree: &Tree<'_>,
        parents: &[&git2::Commit<'_>],
        op: Op,
        applied: &Applied,
        (at, lamport): (DateTime<Utc>, u64),
        signing: Option<&crate::sign::Settings>,
    ) -> Result<Oid, StoreError> {
        let record = OpRecord {
            v: message::VERSION,
            lamport,
            at: clock::format_time(at),
            // A session's own start is made in it, although it is not current yet.
            session: match &op {
                Op::StartSession { session } => Some(session.session_id.to_string()),
                _ => self.current_session(),
            },
            op,
            events: applied.events.clone(),
        };
        self.commit_record(tree, parents, &record, &applied.summary, at, signing)
    }

    /// Writes the commit of an operation's `record` (authored and committed by this
    /// clone's identity at `at`, signed when `signing` says so), within the size limit.
    pub(super) fn commit_record(
        &self,
        tree: &Tree<'_>,
        parents: &[&git2::Commit<'_>],
        record: &OpRecord,
        summary: &str,
        at: DateTime<Utc>,
        signing: Option<&crate::sign::Settings>,
    ) -> Result<Oid, StoreError> {
        let author = signature(&self.repo, Role::Author, at)?;
        let committer = signature(&self.repo, Role::Committer, at)?;
        let text = message::encode(summary, record);
        super::limits::check_message(&text)?;
        create_commit(
            &self.repo, &author, &committer, &text, tree, parents, signing,
        )
    }

    /// The new root tree: only the entries of the touched milestone are rewritten, so
    /// every other subtree keeps its id.
    fn write_tree(
        &self,
        snapshot: &Snapshot<'_>,
        milestone: Option<&MilestoneId>,
        before: Option<&MilestoneFiles>,
        applied: &Applied,
    ) -> Result<Tree<'_>, StoreError> {
        let (Some(id), Some(after)) = (milestone, &applied.files) else {
            return Ok(self.repo.find_tree(snapshot.tree().id())?);
        };
        // An operation that only records events (event add, a checkpoint) changes no
        // file: the tree stays as it is, with no object written again.
        if before == Some(after) {
            return Ok(self.repo.find_tree(snapshot.tree().id())?);
        }
        let owner = id;
        let old_folder = snapshot.milestone_tree(id)?;
        let mut folder = self.repo.treebuilder(old_folder.as_ref())?;
        self.write_files(snapshot, &mut folder, id, before, after)?;
        if let Some(sessions) = &after.sessions {
            let old = before.and_then(|b| b.sessions.as_ref());
            self.write_folder(
                &mut folder,
                old_folder.as_ref(),
                SESSIONS,
                old,
                sessions,
                |id, s| {
                    let text = serde_json::to_string_pretty(s).map_err(|e| StoreError::Encode {
                        what: "a session",
                        source: e.into(),
                    })?;
                    let file = format!("{id}.json");
                    super::limits::check_file(owner, &format!("{SESSIONS}/{file}"), text.len())?;
                    Ok((file, text + "\n"))
                },
            )?;
        }
        if let Some(approvals) = &after.approvals {
            let old = before.and_then(|b| b.approvals.as_ref());
            self.write_folder(
                &mut folder,
                old_folder.as_ref(),
                APPROVALS,
                old,
                approvals,
                |id, a| {
                    let text = yaml::to_string(a).map_err(|e| StoreError::Encode {
                        what: "an approval request",
                        source: e.into(),
                    })?;
                    let file = format!("{id}.yaml");
                    super::limits::check_file(owner, &format!("{APPROVALS}/{file}"), text.len())?;
                    Ok((file, text))
                },
            )?;
        }
        let folder = folder.write()?;
        self.put_folder(snapshot, id, folder)
    }

    /// Writes a milestone's definition and state into `folder` when they changed.
    fn write_files(
        &self,
        snapshot: &Snapshot<'_>,
        folder: &mut git2::TreeBuilder<'_>,
        id: &MilestoneId,
        before: Option<&MilestoneFiles>,
        after: &MilestoneFiles,
    ) -> Result<(), StoreError> {
        if before.map(|b| &b.definition) != Some(&after.definition) {
            let text = match snapshot.parsed() {
                Some(parsed) => parsed.definition_yaml(&after.definition),
                None => yaml::to_string(&after.definition),
            }
            .map_err(|e| StoreError::Encode {
                what: DEFINITION,
                source: e.into(),
            })?;
            super::limits::check_file(id, DEFINITION, text.len())?;
            let blob = self.write_blob(text.as_bytes())?;
            if let Some(parsed) = snapshot.parsed() {
                parsed.remember(blob, &after.definition);
            }
            folder.insert(DEFINITION, blob, blob_mode())?;
        }
        if before.and_then(|b| b.state.as_ref()) != after.state.as_ref() {
            match &after.state {
                Some(state) => {
                    let text = serde_json::to_string_pretty(state)
                        .expect("a JSON value always serializes")
                        + "\n";
                    super::limits::check_file(id, STATE, text.len())?;
                    folder.insert(STATE, self.write_blob(text.as_bytes())?, blob_mode())?;
                }
                None => {
                    folder.remove(STATE)?;
                }
            }
        }
        Ok(())
    }
}

impl Store {
    /// Writes a blob, or only finds it when it exists: libgit2's `git_blob_create_*`
    /// always goes through a temporary file, which a replay writing back what a
    /// fetch brought paid for every object.
    pub(super) fn write_blob(&self, content: &[u8]) -> Result<Oid, StoreError> {
        self.write_object(git2::ObjectType::Blob, content)
    }
}

fn blob_mode() -> i32 {
    FileMode::Blob.into()
}

/// A growing, jittered pause, so that writers who collided do not collide again in
/// lockstep.
fn backoff(attempt: u32) -> Duration {
    jitter(Duration::from_micros(1000u64 << attempt.min(5)))
}

/// A pause drawn evenly from zero to `ceiling` ("full jitter"): the one source of
/// randomness for every retry, here and in `sync`.
pub fn jitter(ceiling: Duration) -> Duration {
    let micros = u64::try_from(ceiling.as_micros()).unwrap_or(u64::MAX);
    Duration::from_micros(fastrand::u64(..=micros))
}
