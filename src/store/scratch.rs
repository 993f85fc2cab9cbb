//! Where a merge's replays write their states: memory.
//!
//! Checking what a fetch brings and merging replay operations by the thousand (a
//! fresh clone of a 16-clone, 10-round team history replays 7,800), and each writes a
//! new state: a definition, its folder, the `milestones/` tree, the root. Nothing reads
//! one again once the next is made. Written to disk they were over half of a sync's
//! time and tens of thousands of loose objects (23,000, 90 MB, in that clone). They go
//! to an in-memory object database instead, emptied after each fetched commit is
//! checked; only the states that stay are copied to disk: a merge's result, and the
//! real state of a commit that does not hold (later checks and merges start from it).

use std::cell::RefCell;
use std::collections::HashSet;

use git2::{Mempack, ObjectType, Oid};

use super::integrity::Checked;
use super::{Store, StoreError};

/// The in-memory objects of one merge, and what has been copied to disk.
pub(super) struct Scratch<'a> {
    /// The store whose object folder is the disk.
    disk: &'a Store,
    /// The store that writes into `memory` (and reads the disk too).
    staging: &'a Store,
    memory: &'a Mempack<'a>,
    /// Trees known to be on disk with everything below them.
    kept: RefCell<HashSet<Oid>>,
}

impl<'a> Scratch<'a> {
    pub(super) fn new(disk: &'a Store, staging: &'a Store, memory: &'a Mempack<'a>) -> Self {
        Scratch {
            disk,
            staging,
            memory,
            kept: RefCell::new(HashSet::new()),
        }
    }

    /// Copies state `tree` to disk, with every object below it the disk lacks.
    /// Objects below a tree are written before it, so a tree on disk always has all
    /// of its own: a crash leaves only unreferenced objects.
    pub(super) fn keep(&self, tree: Oid) -> Result<(), StoreError> {
        if self.kept.borrow().contains(&tree) {
            return Ok(());
        }
        let disk = self.disk.repo.odb()?;
        let memory = self.staging.repo.odb()?;
        self.copy_tree(&disk, &memory, tree)?;
        self.kept.borrow_mut().insert(tree);
        Ok(())
    }

    fn copy_tree(
        &self,
        disk: &git2::Odb<'_>,
        memory: &git2::Odb<'_>,
        tree: Oid,
    ) -> Result<(), StoreError> {
        if disk.exists(tree) {
            return Ok(());
        }
        for entry in self.staging.repo.find_tree(tree)?.iter() {
            match entry.kind() {
                Some(ObjectType::Tree) => self.copy_tree(disk, memory, entry.id())?,
                _ if !disk.exists(entry.id()) => self.copy(memory, entry.id())?,
                _ => {}
            }
        }
        self.copy(memory, tree)
    }

    fn copy(&self, memory: &git2::Odb<'_>, id: Oid) -> Result<(), StoreError> {
        let object = memory.read(id)?;
        // As the disk store writes it: a large blob compressed, a large tree not.
        self.disk.write_object(object.kind(), object.data())?;
        Ok(())
    }

    /// Keeps the states of the commits found not to hold: they are what their
    /// descendants and later merges are checked against.
    pub(super) fn keep_failed(&self, checked: &Checked) -> Result<(), StoreError> {
        for commit in &checked.bad {
            if let Some(state) = checked.state.get(commit) {
                self.keep(*state)?;
            }
        }
        Ok(())
    }

    /// Forgets every object in memory; what is needed later has been kept.
    pub(super) fn clear(&self) -> Result<(), StoreError> {
        Ok(self.memory.reset()?)
    }
}
