//! The layout of `refs/milestones`: reading a snapshot, writing one operation as one
//! commit with a compare-and-swap ref update, walking history. The only module that
//! knows paths such as `milestones/<id>/milestone.yaml` and the commit message format.

mod bulk;
pub mod checkpoint;
mod clash;
mod definition_text;
pub mod deliverables;
mod error;
mod heads;
mod history;
mod identity;
mod index;
mod integrity;
mod limits;
pub mod local;
pub mod lock;
mod loose;
pub mod merge;
pub mod message;
mod moves_seen;
mod overridden;
mod pack;
mod parsed;
mod progress;
mod rebase;
pub mod refs;
mod scratch;
mod session_place;
mod signed;
mod snapshot;
mod splice;
mod summary;
mod system_ident;
mod transact;
mod tree_order;
mod trust;
mod verify;

use std::path::{Path, PathBuf};

use git2::{Oid, Repository};

pub use bulk::{BulkError, BulkOutcome, BulkProgress, BulkStep, NewTag};
pub use checkpoint::Checkpoint;
pub use deliverables::DeliverableError;
pub use error::StoreError;
pub use history::EventFilter;
pub use integrity::{Checked, Ignored, MAX_OPERATION_BYTES};
pub use limits::MAX_FILE_BYTES;
pub use merge::{MergeKind, MergeResult, MAX_LAMPORT_STEP};
pub use progress::ProgressHistory;
pub use rebase::Rebased;
pub use signed::SignedBy;
pub use snapshot::{Parts, Snapshot};
pub use transact::{jitter, Outcome};
pub use verify::{Problem, Verified};

/// The ref that holds everything.
pub const REF: &str = "refs/milestones";
/// The layout version this code reads and writes, in the `format` file.
pub const FORMAT: &str = "1";

/// A repository's milestone store.
pub struct Store {
    repo: Repository,
    /// Where this handle's new objects go.
    objects: ObjectWrites,
}

/// Where a store handle's new objects go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ObjectWrites {
    /// To the repository's object folder.
    Disk,
    /// To an in-memory backend first, packed later (a bulk write): everything must go
    /// through libgit2's odb, which the pack is gathered from.
    Memory,
}

impl Store {
    /// Opens the repository the way git finds it: `GIT_DIR`, `git -C`, the current
    /// directory or one above it, linked worktrees and bare repositories.
    ///
    /// libgit2 is told not to re-hash every object it reads, nor to check that the
    /// objects a new commit names exist (this process has just read them): git itself
    /// does neither on ordinary commands, and both cost every command, hooks included.
    pub fn open_from_env() -> Result<Store, StoreError> {
        git2::opts::strict_hash_verification(false);
        git2::opts::strict_object_creation(false);
        Repository::open_from_env()
            .map(Store::on_disk)
            .map_err(StoreError::NotARepository)
    }

    /// A store writing its objects to `repo`'s object folder.
    fn on_disk(repo: Repository) -> Store {
        Store {
            repo,
            objects: ObjectWrites::Disk,
        }
    }

    /// A second handle on this repository, for writing into an in-memory object
    /// database its caller adds (a mempack backend, which outranks the disk).
    fn in_memory_twin(&self) -> Result<Store, StoreError> {
        let repo = Repository::open(self.repo.path())?;
        // Opened by path, libgit2 ignores the object folders git's environment names,
        // which this handle (opened from the environment) reads.
        let mut dirs: Vec<PathBuf> = std::env::var_os("GIT_OBJECT_DIRECTORY")
            .map(PathBuf::from)
            .into_iter()
            .collect();
        if let Some(alternates) = std::env::var_os("GIT_ALTERNATE_OBJECT_DIRECTORIES") {
            dirs.extend(std::env::split_paths(&alternates));
        }
        {
            let odb = repo.odb()?;
            for dir in dirs.iter().filter(|d| !d.as_os_str().is_empty()) {
                odb.add_disk_alternate(&dir.to_string_lossy())?;
            }
        }
        Ok(Store {
            repo,
            objects: ObjectWrites::Memory,
        })
    }

    /// Writes an object where this handle's objects go: into memory for a staging
    /// handle; on disk, a large tree uncompressed (see loose.rs), anything else
    /// through libgit2.
    fn write_object(&self, kind: git2::ObjectType, data: &[u8]) -> Result<Oid, StoreError> {
        Ok(match (self.objects, kind) {
            (ObjectWrites::Disk, git2::ObjectType::Tree) => loose::write(&self.repo, kind, data)?,
            _ => self.repo.odb()?.write(kind, data)?,
        })
    }

    /// Opens the repository at `path` (no search upwards).
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        Repository::open(path)
            .map(Store::on_disk)
            .map_err(StoreError::NotARepository)
    }

    /// The worktree this store was opened from: its branch, HEAD and commits.
    pub fn worktree(&self) -> crate::worktree::Worktree<'_> {
        crate::worktree::Worktree::new(&self.repo)
    }

    /// This worktree's private folder for local files (sessions, caches); never shared.
    pub fn local_dir(&self) -> PathBuf {
        self.repo.path().join("milestone")
    }

    /// The [`Store::local_dir`] of every worktree of this repository, this one's
    /// first: a commit in a linked worktree records in the background there, and what
    /// it records is on the shared ref that every worktree reads.
    pub fn every_worktree_local_dir(&self) -> Vec<PathBuf> {
        let mut dirs = vec![self.local_dir()];
        let common = self.repo.commondir();
        let linked = std::fs::read_dir(common.join("worktrees"))
            .into_iter()
            .flatten();
        let git_dirs =
            std::iter::once(common.to_path_buf()).chain(linked.flatten().map(|e| e.path()));
        for dir in git_dirs.map(|git_dir| git_dir.join("milestone")) {
            if !dirs.contains(&dir) {
                dirs.push(dir);
            }
        }
        dirs
    }

    /// The commit `refs/milestones` points at.
    pub fn tip(&self) -> Result<Oid, StoreError> {
        match self.repo.refname_to_id(REF) {
            Ok(oid) => Ok(oid),
            Err(e) if e.code() == git2::ErrorCode::NotFound => Err(StoreError::NotInitialized),
            Err(e) => Err(e.into()),
        }
    }

    /// The state at the tip.
    pub fn snapshot(&self) -> Result<Snapshot<'_>, StoreError> {
        self.snapshot_at(self.tip()?)
    }

    /// The state at `commit`.
    pub fn snapshot_at(&self, commit: Oid) -> Result<Snapshot<'_>, StoreError> {
        Snapshot::read(&self.repo, commit)
    }
}

/// A store in a new temporary repository with an identity, for unit tests.
#[cfg(test)]
pub(crate) fn test_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let repo = Repository::init(dir.path()).unwrap();
    let mut config = repo.config().unwrap();
    config.set_str("user.name", "Importer").unwrap();
    config
        .set_str("user.email", "importer@example.com")
        .unwrap();
    (dir, Store::on_disk(repo))
}

/// Where a milestone's files live in the tree.
pub(crate) mod layout {
    /// The layout version file.
    pub const FORMAT_FILE: &str = "format";
    /// The folder of all milestones.
    pub const MILESTONES: &str = "milestones";
    /// A milestone's definition.
    pub const DEFINITION: &str = "milestone.yaml";
    /// A milestone's saved state.
    pub const STATE: &str = "state.json";
    /// A milestone's sessions folder.
    pub const SESSIONS: &str = "sessions";
    /// A milestone's approval requests folder.
    pub const APPROVALS: &str = "approvals";
    /// The trust list and roles, at the root.
    pub const TRUST_FILE: &str = "trust.yaml";

    /// The path of `file` of milestone `id`, for messages.
    pub fn path(id: &str, file: &str) -> String {
        format!("{MILESTONES}/{id}/{file}")
    }
}
