//! Signed operation commits: written signed when the user's git signs commits, and
//! the signature of any operation commit checked, with the results cached by commit
//! id under the worktree's git dir (beside the event index). The cache only saves
//! the cryptographic check of a commit's own bytes; what a signature is worth is
//! always decided again from the trust list on the ref.

use std::collections::HashMap;
use std::io::Write;

use git2::{Oid, Repository, Signature, Tree};

use super::{Store, StoreError};
use crate::model::{Signer, TrustList};
use crate::sign::{self, Settings};

/// The cache file, one `<commit> <result as JSON>` line each.
const CACHE: &str = "signatures";

/// Who signs a write, or which commit's signature to check.
#[derive(Clone, Copy)]
pub enum SignedBy<'a> {
    /// This process writes, signing with these settings (none: unsigned).
    Writer(Option<&'a Settings>),
    /// An operation read from history.
    Commit(Oid),
}

impl Store {
    /// The user's signing settings, when operations are to be signed.
    pub fn signing(&self) -> Result<Option<Settings>, StoreError> {
        let config = self.repo.config().ok();
        let email = self.identity().map(|(_, email)| email).unwrap_or_default();
        sign::settings(config.as_ref(), &email).map_err(StoreError::Signing)
    }

    /// What the signature of `by` shows.
    pub(super) fn signer(
        &self,
        by: SignedBy<'_>,
        trust: Option<&TrustList>,
    ) -> Result<Signer, StoreError> {
        match by {
            SignedBy::Writer(None) => Ok(Signer::Unsigned),
            SignedBy::Writer(Some(settings)) => Ok(Signer::Key {
                fingerprint: sign::own_fingerprint(settings).map_err(StoreError::Signing)?,
            }),
            SignedBy::Commit(commit) => Ok(self.signer_of(commit, trust)),
        }
    }

    /// The checked signature of `commit`; an OpenPGP one is checked against the keys
    /// of `trust`.
    pub fn signer_of(&self, commit: Oid, trust: Option<&TrustList>) -> Signer {
        let mut cache = SignatureCache::open(self);
        let signer = self.signer_cached(commit, || trust.cloned(), &mut cache);
        cache.save();
        signer
    }

    /// The checked signatures of `commits`, with the cache read once; OpenPGP ones
    /// against the keys of `trust`.
    pub fn signers_of(&self, commits: &[Oid], trust: Option<&TrustList>) -> Vec<Signer> {
        let mut cache = SignatureCache::open(self);
        let signers = commits
            .iter()
            .map(|commit| self.signer_cached(*commit, || trust.cloned(), &mut cache))
            .collect();
        cache.save();
        signers
    }

    /// [`Store::signer_of`] with a cache kept open across many commits; the trust
    /// list is only read for an OpenPGP signature not checked before.
    pub(super) fn signer_cached(
        &self,
        commit: Oid,
        trust: impl FnOnce() -> Option<TrustList>,
        cache: &mut SignatureCache,
    ) -> Signer {
        if let Some(known) = cache.known.get(&commit) {
            return known.clone();
        }
        let (signature, payload) = match self.repo.extract_signature(&commit, None) {
            Ok((signature, payload)) => (signature, payload),
            Err(e) if e.code() == git2::ErrorCode::NotFound => {
                cache.remember(commit, Signer::Unsigned);
                return Signer::Unsigned;
            }
            Err(e) => {
                return Signer::Bad {
                    reason: e.message().to_string(),
                }
            }
        };
        let text = String::from_utf8_lossy(&signature);
        let ssh = text.trim_start().starts_with("-----BEGIN SSH");
        let trust = if ssh { None } else { trust() };
        let openpgp: Vec<&str> = trust
            .iter()
            .flat_map(|t| t.keys.iter().map(|k| k.key.as_str()))
            .filter(|k| k.starts_with("-----BEGIN PGP"))
            .collect();
        let signer = sign::check(&text, &payload, &openpgp, &self.local_dir());
        // A good signature stays good; a failed OpenPGP check may pass once the key
        // is trusted, so only ssh failures (checked against the key they carry) are
        // kept.
        if matches!(signer, Signer::Key { .. }) || ssh {
            cache.remember(commit, signer.clone());
        }
        signer
    }
}

/// Checked signatures by commit id, read once, written back when something was added.
pub(super) struct SignatureCache {
    path: std::path::PathBuf,
    known: HashMap<Oid, Signer>,
    added: Vec<(Oid, Signer)>,
}

impl SignatureCache {
    /// The cache of `store`'s worktree; empty when it cannot be read.
    pub(super) fn open(store: &Store) -> SignatureCache {
        let path = store.local_dir().join(CACHE);
        let known = std::fs::read_to_string(&path)
            .map(|text| {
                text.lines()
                    .filter_map(|line| {
                        let (id, json) = line.split_once(' ')?;
                        Some((Oid::from_str(id).ok()?, serde_json::from_str(json).ok()?))
                    })
                    .collect()
            })
            .unwrap_or_default();
        SignatureCache {
            path,
            known,
            added: Vec::new(),
        }
    }

    fn remember(&mut self, commit: Oid, signer: Signer) {
        self.known.insert(commit, signer.clone());
        self.added.push((commit, signer));
    }

    /// Appends what was added. A cache that cannot be written only costs time later.
    pub(super) fn save(self) {
        if self.added.is_empty() {
            return;
        }
        let mut text = String::new();
        for (commit, signer) in &self.added {
            if let Ok(json) = serde_json::to_string(signer) {
                text.push_str(&format!("{commit} {json}\n"));
            }
        }
        let _ = std::fs::create_dir_all(self.path.parent().unwrap_or(&self.path));
        if let Ok(mut file) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
        {
            let _ = file.write_all(text.as_bytes());
        }
    }
}

/// Writes a commit, signed when `signing` is given: its bytes are built as git would
/// write them, signed, and stored with the signature in the `gpgsig` header, which is
/// where `git verify-commit` looks.
pub(super) fn create_commit(
    repo: &Repository,
    author: &Signature<'_>,
    committer: &Signature<'_>,
    message: &str,
    tree: &Tree<'_>,
    parents: &[&git2::Commit<'_>],
    signing: Option<&Settings>,
) -> Result<Oid, StoreError> {
    let Some(settings) = signing else {
        return Ok(repo.commit(None, author, committer, message, tree, parents)?);
    };
    let buffer = repo.commit_create_buffer(author, committer, message, tree, parents)?;
    let signature = sign::sign(settings, &buffer).map_err(StoreError::Signing)?;
    let content = std::str::from_utf8(&buffer).map_err(|e| StoreError::Encode {
        what: "a commit to sign",
        source: Box::new(e),
    })?;
    Ok(repo.commit_signed(content, &signature, None)?)
}
