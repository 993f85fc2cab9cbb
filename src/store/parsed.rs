//! Definitions already parsed, by the id of their `milestone.yaml` blob. Replaying a
//! run of operations (checking what a fetch brings, merging) reads back, for each
//! operation, the definition the one before it wrote: parsing that YAML again was
//! most of what a replay cost. A blob id names its content, so a definition parsed
//! once, or written from a value, stands for that blob for as long as the replay runs.
//! Written values stand for their blobs because a definition reads back equal from
//! the YAML it is written as (the `readback_props` property).
//!
//! Checking a fetch goes further: the files an operation left are handed to the next
//! one as they are, when it reads that milestone in the state just made, instead of
//! being read back from the trees just written (looking trees up in the pack was a
//! tenth of the check). Only the definition and the state are handed over: both read
//! back equal from what is written (the definition as above; the state is JSON
//! written with every digit), so the next operation sees what a read would give.

use std::cell::RefCell;
use std::collections::HashMap;

use git2::Oid;

use crate::model::{ApprovalRequest, Milestone, MilestoneFiles, MilestoneId};

/// How many definitions are kept: a replay reads the one the operation before it
/// wrote, or one of the few milestones a run of operations touches.
const KEPT: usize = 64;

/// How many approval requests are kept: every operation that needs them reads all of
/// a milestone's, which change one at a time.
const APPROVALS_KEPT: usize = 4096;

/// Parsed definitions by blob id, for one replay.
#[derive(Debug, Default)]
pub struct Parsed {
    definitions: RefCell<HashMap<Oid, Milestone>>,
    /// Approval requests by blob id: a workflow operation reads every request of its
    /// milestone, and parsing them again was a sixth of a replay.
    approvals: RefCell<HashMap<Oid, ApprovalRequest>>,
    /// The text of the tasks written, so that a definition is written a task at a time.
    written: super::definition_text::WrittenTasks,
    /// The files of one milestone in one state (its root tree), as the operation that
    /// made that state left them: definition and state only.
    handed: RefCell<Option<(Oid, MilestoneId, MilestoneFiles)>>,
}

impl Parsed {
    /// The definition in blob `blob`, if known.
    pub(super) fn definition(&self, blob: Oid) -> Option<Milestone> {
        self.definitions.borrow().get(&blob).cloned()
    }

    /// The YAML of `definition`, reusing the text of its tasks written before.
    pub(super) fn definition_yaml(
        &self,
        definition: &Milestone,
    ) -> Result<String, crate::yaml::YamlError> {
        self.written.to_yaml(definition)
    }

    /// Keeps `files` of milestone `id` as state `tree` holds them, for the operation
    /// that reads them next; files with sessions or approvals are not kept.
    pub(super) fn hand_over(&self, tree: Oid, id: MilestoneId, files: MilestoneFiles) {
        let kept =
            (files.sessions.is_none() && files.approvals.is_none()).then_some((tree, id, files));
        *self.handed.borrow_mut() = kept;
    }

    /// The files of milestone `id` in state `tree` handed over by the operation that
    /// made it, when they are all that is asked for (no sessions, no approvals).
    pub(super) fn take_handed(
        &self,
        tree: Oid,
        id: &MilestoneId,
        parts: super::Parts,
    ) -> Option<MilestoneFiles> {
        if parts.sessions || parts.approvals {
            return None;
        }
        let mut handed = self.handed.borrow_mut();
        match handed.take() {
            Some((t, i, files)) if t == tree && &i == id => Some(files),
            other => {
                *handed = other;
                None
            }
        }
    }

    /// The approval request in blob `blob`, if known.
    pub(super) fn approval(&self, blob: Oid) -> Option<ApprovalRequest> {
        self.approvals.borrow().get(&blob).cloned()
    }

    /// Remembers that blob `blob` holds `request`.
    pub(super) fn remember_approval(&self, blob: Oid, request: &ApprovalRequest) {
        let mut approvals = self.approvals.borrow_mut();
        if approvals.len() >= APPROVALS_KEPT && !approvals.contains_key(&blob) {
            approvals.clear();
        }
        approvals.insert(blob, request.clone());
    }

    /// Remembers that blob `blob` holds `definition`.
    pub(super) fn remember(&self, blob: Oid, definition: &Milestone) {
        let mut definitions = self.definitions.borrow_mut();
        if definitions.len() >= KEPT && !definitions.contains_key(&blob) {
            definitions.clear();
        }
        definitions.insert(blob, definition.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::MilestoneId;

    fn milestone(id: &str) -> Milestone {
        Milestone::new(MilestoneId::new(id).unwrap())
    }

    #[test]
    fn a_remembered_definition_is_found_by_its_blob_only() {
        let parsed = Parsed::default();
        let blob = Oid::hash_object(git2::ObjectType::Blob, b"id: a\n").unwrap();
        parsed.remember(blob, &milestone("a"));
        assert_eq!(parsed.definition(blob), Some(milestone("a")));
        assert_eq!(parsed.definition(Oid::zero()), None);
    }

    #[test]
    fn a_remembered_approval_is_found_by_its_blob_and_the_cache_stays_bounded() {
        let parsed = Parsed::default();
        let request = ApprovalRequest::sample("m1", "t1");
        for i in 0..(APPROVALS_KEPT + 10) {
            let blob = Oid::hash_object(git2::ObjectType::Blob, i.to_string().as_bytes()).unwrap();
            parsed.remember_approval(blob, &request);
            assert!(parsed.approvals.borrow().len() <= APPROVALS_KEPT);
            assert_eq!(parsed.approval(blob), Some(request.clone()));
        }
        assert_eq!(parsed.approval(Oid::zero()), None);
    }

    #[test]
    fn it_keeps_a_bounded_number_of_definitions() {
        let parsed = Parsed::default();
        for i in 0..(KEPT * 3) {
            let blob = Oid::hash_object(git2::ObjectType::Blob, i.to_string().as_bytes()).unwrap();
            parsed.remember(blob, &milestone("a"));
            assert!(parsed.definitions.borrow().len() <= KEPT);
            assert!(
                parsed.definition(blob).is_some(),
                "the newest is always kept"
            );
        }
    }
}
