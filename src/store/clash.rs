//! Checkpoint tags made under one name in two clones: reading where each stands in
//! merge order, and giving the one that yields its new name (the rule is
//! [`crate::workflow::checkpoints`]).

use git2::{ErrorCode, ObjectType, Oid};

use super::message;
use super::{Store, StoreError};
use crate::workflow::checkpoints::CheckpointOrder;

impl Store {
    /// Where the checkpoint whose tag (or, for a lightweight tag, commit) is `tag`
    /// stands in merge order.
    pub fn checkpoint_order(&self, tag: Oid) -> Result<CheckpointOrder, StoreError> {
        let commit = self.repo.find_object(tag, None)?.peel_to_commit()?;
        let header = message::decode_header(commit.message().unwrap_or(""));
        Ok(CheckpointOrder {
            lamport: header.as_ref().map_or(0, |h| h.lamport),
            at: header.map(|h| h.at).unwrap_or_default(),
            commit: commit.id().to_string(),
            tag: tag.to_string(),
        })
    }

    /// A copy of checkpoint `tag` under the full ref `name`: an annotated tag with the
    /// same target, tagger and message, so that every clone making the copy makes the
    /// very same object. A lightweight tag is copied as it is.
    pub fn copy_checkpoint(&self, tag: Oid, name: &str) -> Result<Oid, StoreError> {
        let object = self.repo.find_object(tag, None)?;
        let tag = match object.kind() {
            Some(ObjectType::Tag) => Some(object.peel_to_tag()?),
            _ => None,
        };
        let copy = match tag.as_ref().and_then(|t| Some((t, t.tagger()?))) {
            Some((tag, tagger)) => {
                let short = name.strip_prefix("refs/tags/").unwrap_or(name);
                let target = tag.target()?;
                match self
                    .repo
                    .tag(short, &target, &tagger, tag.message().unwrap_or(""), false)
                {
                    Ok(id) => id,
                    // Made already (by an earlier sync): the same object, or kept.
                    Err(e) if e.code() == ErrorCode::Exists => self.repo.refname_to_id(name)?,
                    Err(e) => return Err(e.into()),
                }
            }
            // A lightweight tag, or one without a tagger: the name points at the same
            // object.
            None => {
                if let Err(e) =
                    self.repo
                        .reference(name, object.id(), false, "milestone: checkpoint renamed")
                {
                    if e.code() != ErrorCode::Exists {
                        return Err(e.into());
                    }
                }
                object.id()
            }
        };
        Ok(copy)
    }

    /// Points checkpoint ref `name` at `tag`, whatever it pointed at.
    pub fn set_checkpoint(&self, name: &str, tag: Oid, why: &str) -> Result<(), StoreError> {
        self.repo.reference(name, tag, true, why)?;
        Ok(())
    }
}
