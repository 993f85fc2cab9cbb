//! Trust and roles on the ref: the file `trust.yaml` at the root, changed by trust
//! operations under the rules of [`crate::workflow::trust`].

use git2::{FileMode, Oid};

use super::layout::TRUST_FILE;
use super::signed::SignedBy;
use super::{Snapshot, Store, StoreError};
use crate::model::{TrustChange, TrustList};
use crate::workflow::{self, Applied, Rejection};
use crate::yaml;

impl Snapshot<'_> {
    /// The trust list and roles, absent until the first `trust add`.
    pub fn trust(&self) -> Result<Option<TrustList>, StoreError> {
        let Some(entry) = self.tree().get_name(TRUST_FILE) else {
            return Ok(None);
        };
        let corrupt = |detail: String| StoreError::Corrupt {
            path: TRUST_FILE.to_string(),
            commit: self.commit().to_string(),
            detail,
            last_readable: None,
        };
        let blob = entry
            .to_object(self.repo())
            .and_then(|o| o.peel_to_blob())
            .map_err(|e| corrupt(e.message().to_string()))?;
        let text = std::str::from_utf8(blob.content())
            .map_err(|_| corrupt("it is not UTF-8 text".into()))?;
        serde_yaml::from_str(text)
            .map(Some)
            .map_err(|e| corrupt(e.to_string()))
    }
}

impl Store {
    /// The trust list at the tip.
    pub fn trust(&self) -> Result<Option<TrustList>, StoreError> {
        self.snapshot()?.trust()
    }

    /// Applies a trust change to the state in `snapshot` when its author may make it:
    /// what it records, and the new root tree.
    pub(super) fn apply_trust_change(
        &self,
        snapshot: &Snapshot<'_>,
        change: &TrustChange,
        signed_by: SignedBy<'_>,
    ) -> Result<(Applied, Oid), StoreError> {
        let trust = snapshot.trust()?;
        let signer = self.signer(signed_by, trust.as_ref())?;
        workflow::trust::may_change_trust(trust.as_ref(), change, &signer)
            .map_err(Rejection::NotAuthorized)?;
        let (next, event, summary) = workflow::trust::change_trust(trust.as_ref(), change)?;
        let mut applied = Applied {
            files: None,
            events: vec![event],
            summary,
            changed: Some(&next) != trust.as_ref(),
        };
        if !applied.changed {
            applied.events.clear();
            return Ok((applied, snapshot.tree().id()));
        }
        let text = yaml::to_string(&next).map_err(|e| StoreError::Encode {
            what: "trust.yaml",
            source: Box::new(e),
        })?;
        let blob = self.repo.blob(text.as_bytes())?;
        let mut root = self.repo.treebuilder(Some(snapshot.tree()))?;
        root.insert(TRUST_FILE, blob, FileMode::Blob.into())?;
        Ok((applied, root.write()?))
    }
}
