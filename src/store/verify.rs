//! `verify`: every operation of a range checked for its signature and, for decisions
//! and trust changes, for its author's authority at that point of history and for a
//! tree that is what the operation gives.

use chrono::{DateTime, Utc};
use git2::{Commit, Oid};
use serde::Serialize;

use super::message;
use super::signed::{SignatureCache, SignedBy};
use super::{Store, StoreError};
use crate::model::{trust::email_of, Op, Signer, TrustList};
use crate::workflow;

/// One operation that does not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Its commit.
    pub commit: String,
    /// Its author's email.
    pub author: String,
    /// What is wrong.
    pub reason: String,
    /// Whether the commit is not what git-milestone writes: a bad signature, a commit
    /// made with plain git, a tree its operation does not give, a trust change the
    /// tool refuses to write. False for a faithful record of a decision that does not
    /// count (it stays in history with no effect), which the server guard lets in.
    pub forged: bool,
}

/// What `verify` found (the JSON of `verify --json`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Verified {
    /// How many commits were checked.
    pub checked: usize,
    /// The ones that do not hold, newest first.
    pub problems: Vec<Problem>,
}

impl Store {
    /// Checks the commits of `range` (`a..b`, or a commit and its history; all of
    /// `refs/milestones` when none). `strict`: every operation must also be signed,
    /// by a trusted key once a trust list exists.
    pub fn verify(&self, range: Option<&str>, strict: bool) -> Result<Verified, StoreError> {
        let mut walk = self.repo.revwalk()?;
        match range {
            Some(range) if range.contains("..") => walk
                .push_range(range)
                .map_err(|_| StoreError::UnknownRevision(range.to_string()))?,
            Some(rev) => {
                let commit = self
                    .repo
                    .revparse_single(rev)
                    .and_then(|o| o.peel_to_commit())
                    .map_err(|_| StoreError::UnknownRevision(rev.to_string()))?;
                walk.push(commit.id())?;
            }
            None => walk.push(self.tip()?)?,
        }
        let mut cache = SignatureCache::open(self);
        let mut verified = Verified::default();
        for oid in walk {
            let commit = self.repo.find_commit(oid?)?;
            verified.checked += 1;
            if let Some((reason, forged)) = self.check_signed_commit(&commit, strict, &mut cache)? {
                verified.problems.push(Problem {
                    commit: commit.id().to_string(),
                    author: commit.author().email().unwrap_or("").to_string(),
                    reason,
                    forged,
                });
            }
        }
        cache.save();
        Ok(verified)
    }

    /// The tree applying `op` to the parent of `commit` gives, with `commit`'s
    /// signature; `None` when the operation does not apply there.
    fn replayed_tree(&self, commit: &Commit<'_>, op: &Op) -> Result<Option<Oid>, StoreError> {
        let parent = commit.parent_id(0)?;
        let snapshot = match self.snapshot_at(parent) {
            Ok(snapshot) => snapshot,
            Err(_) => return Ok(None),
        };
        let record = message::decode_header(commit.message().unwrap_or(""));
        let at = record
            .and_then(|r| DateTime::parse_from_rfc3339(&r.at).ok())
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        match self.apply_to_tree(
            &snapshot,
            op,
            at,
            &|_| Ok(()),
            workflow::apply_with_source,
            SignedBy::Commit(commit.id()),
        ) {
            Ok((_, tree)) => Ok(Some(tree)),
            Err(StoreError::Git(e)) => Err(StoreError::Git(e)),
            Err(_) => Ok(None),
        }
    }

    /// What is wrong with one commit, if anything.
    fn check_signed_commit(
        &self,
        commit: &Commit<'_>,
        strict: bool,
        cache: &mut SignatureCache,
    ) -> Result<Option<(String, bool)>, StoreError> {
        let record = message::decode(commit.message().unwrap_or(""));
        let trust_relevant = matches!(
            record.as_ref().map(|r| &r.op),
            Some(Op::DecideApproval { .. } | Op::Trust(_))
        );
        let trust_at_parent = || {
            let parent = commit.parent_id(0).ok()?;
            self.snapshot_at(parent).ok()?.trust().ok().flatten()
        };
        let trust = if trust_relevant || strict {
            trust_at_parent()
        } else {
            None
        };
        let signer = match &trust {
            Some(known) => self.signer_cached(commit.id(), || Some(known.clone()), cache),
            None => self.signer_cached(commit.id(), trust_at_parent, cache),
        };
        // The committer is who made the operation (as `git verify-commit` reads it).
        let maker = commit.committer().email().unwrap_or("").to_string();
        if let Some(reason) = signature_problem(&signer, trust.as_ref(), &maker, strict) {
            return Ok(Some((reason, !matches!(signer, Signer::Unsigned))));
        }
        let Some(record) = record else {
            let reason = "not an operation of git-milestone (a commit made with plain git?)";
            return Ok(Some((reason.into(), true)));
        };
        if !trust_relevant || commit.parent_count() != 1 {
            return Ok(None);
        }
        let authority = authority_problem(&record.op, trust.as_ref(), &signer, self, commit)?;
        let tree = match self.replayed_tree(commit, &record.op)? {
            Some(tree) if tree == commit.tree_id() => None,
            // Written before tasks remembered their trailer moves: it holds.
            Some(tree) if self.differs_only_in_moves_remembered(commit.tree_id(), tree)? => None,
            Some(_) => Some("its tree does not match its operation"),
            None => Some("its operation does not apply to its parent"),
        };
        // A trust change the trust list refuses is never written by the tool.
        let refused_change = authority.is_some() && matches!(record.op, Op::Trust(_));
        Ok(match (authority, tree) {
            (None, None) => None,
            (Some(reason), None) => Some((reason, refused_change)),
            (None, Some(tree)) => Some((tree.to_string(), true)),
            (Some(reason), Some(tree)) => Some((format!("{reason}; {tree}"), true)),
        })
    }
}

/// A bad signature always; with `strict`, a missing one, or one by a key not trusted
/// for its author.
fn signature_problem(
    signer: &Signer,
    trust: Option<&TrustList>,
    author: &str,
    strict: bool,
) -> Option<String> {
    match signer {
        Signer::Bad { reason } => Some(format!("bad signature: {reason}")),
        Signer::Unsigned if strict => Some("not signed".into()),
        Signer::Key { fingerprint } if strict => trust
            .filter(|t| !t.trusts(author, fingerprint))
            .map(|_| format!("signed by {fingerprint}, not a trusted key of {author}")),
        _ => None,
    }
}

/// For a decision or a trust change: why its author could not make it, if so.
fn authority_problem(
    op: &Op,
    trust: Option<&TrustList>,
    signer: &Signer,
    store: &Store,
    commit: &Commit<'_>,
) -> Result<Option<String>, StoreError> {
    match op {
        Op::Trust(change) => Ok(workflow::trust::may_change_trust(trust, change, signer)
            .err()
            .map(|reason| format!("trust change by {}, {reason}", email_of(change.by())))),
        Op::DecideApproval {
            milestone,
            approval,
            role,
            by,
            ..
        } => {
            let parent = store.snapshot_at(commit.parent_id(0)?)?;
            let open = parent
                .milestone_with(milestone, super::Parts::ALL)
                .ok()
                .flatten()
                .and_then(|f| f.approvals)
                .and_then(|a| a.get(approval).map(|r| r.open_to_anyone))
                .unwrap_or(false);
            let authority = workflow::trust::decision_authority(trust, signer, by, role, open);
            Ok(authority
                .reason
                .map(|reason| format!("decision on {approval} by {}, {reason}", email_of(by))))
        }
        _ => Ok(None),
    }
}
