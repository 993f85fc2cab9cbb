//! Locks that are ours, all one kind: the operating system's file lock
//! (`File::lock`/`try_lock`), which the kernel releases when its process dies, so a lock
//! is never left behind and never needs an age to be judged stale. git's own `.lock`
//! files (`refs/milestones.lock`) follow git's protocol, which git defines; around
//! them, [`RefGuard`] tells a lock left by a killed writer of ours from one that a git
//! process holds.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

/// A held OS lock on a file; released when dropped (or when the process dies).
#[derive(Debug)]
pub struct FileLock {
    file: File,
}

impl FileLock {
    /// Takes the lock on `path` (created when missing), waiting for its holder.
    pub fn acquire(path: &Path) -> std::io::Result<FileLock> {
        let file = open(path)?;
        file.lock()?;
        Ok(FileLock { file })
    }

    /// Takes the lock on the file at `path`, waiting for its holder, only while that
    /// file exists: `None` when it is missing or was removed while we waited (its
    /// holder was done with it). What the file holds is then read through the lock.
    pub fn acquire_existing(path: &Path) -> std::io::Result<Option<(FileLock, String)>> {
        let mut file = match OpenOptions::new().read(true).write(true).open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        file.lock()?;
        // The holder may have removed it meanwhile (and another made it anew): only
        // the file still at `path` counts.
        if !same_file(&file, path) {
            return Ok(None);
        }
        let mut text = String::new();
        file.read_to_string(&mut text)?;
        Ok(Some((FileLock { file }, text)))
    }

    /// Takes the lock on `path` if nobody holds it.
    pub fn try_acquire(path: &Path) -> std::io::Result<Option<FileLock>> {
        let file = open(path)?;
        match file.try_lock() {
            Ok(()) => Ok(Some(FileLock { file })),
            Err(TryLockError::WouldBlock) => Ok(None),
            Err(TryLockError::Error(e)) => Err(e),
        }
    }
}

/// Whether `file` is the file now at `path`.
#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Whether `file` is the file now at `path` (without inodes: whether one is there).
#[cfg(not(unix))]
fn same_file(_file: &File, path: &Path) -> bool {
    path.exists()
}

fn open(path: &Path) -> std::io::Result<File> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
}

/// Held by a writer of ours while it updates `refs/milestones`. Its file says whether
/// an update was under way: a writer killed between creating git's `.lock` and
/// renaming it leaves the mark, so the next writer knows that the `.lock` it finds is
/// a dead writer's and takes it over at once. A `.lock` found with no mark is a git
/// process's, and is waited for.
#[derive(Debug)]
pub struct RefGuard {
    lock: FileLock,
    /// Whether the previous holder died during an update.
    pub died_updating: bool,
}

const UPDATING: &[u8] = b"updating\n";

impl RefGuard {
    /// Waits for the guard of the ref whose guard file is `path`, and marks an update
    /// as under way.
    pub fn acquire(path: &Path) -> std::io::Result<RefGuard> {
        let mut lock = FileLock::acquire(path)?;
        let mut mark = Vec::new();
        lock.file.read_to_end(&mut mark)?;
        let died_updating = mark.starts_with(UPDATING);
        if !died_updating {
            lock.file.seek(SeekFrom::Start(0))?;
            lock.file.write_all(UPDATING)?;
        }
        Ok(RefGuard {
            lock,
            died_updating,
        })
    }

    /// The update is over, whatever its outcome: clears the mark.
    pub fn finish(self) {
        let _ = self.lock.file.set_len(0);
    }
}

impl super::Store {
    /// Waits until no other `sync` of this repository runs, and holds that until the
    /// lock is dropped: two syncs would otherwise race on the fetched refs.
    pub fn lock_sync(&self) -> Result<FileLock, super::StoreError> {
        let path = self.repo.commondir().join("milestone-sync.lock");
        FileLock::acquire(&path).map_err(|source| super::StoreError::Local {
            what: "lock milestone-sync.lock",
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lock_is_exclusive_until_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.lock");
        let held = FileLock::acquire(&path).unwrap();
        assert!(FileLock::try_acquire(&path).unwrap().is_none());
        drop(held);
        assert!(FileLock::try_acquire(&path).unwrap().is_some());
    }

    #[test]
    fn a_file_removed_by_its_holder_is_not_taken_after_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("retry.x");
        assert!(
            FileLock::acquire_existing(&path).unwrap().is_none(),
            "missing"
        );
        std::fs::write(&path, "kept\n").unwrap();
        let (held, text) = FileLock::acquire_existing(&path).unwrap().unwrap();
        assert_eq!(text, "kept\n");
        let waiter = {
            let path = path.clone();
            std::thread::spawn(move || FileLock::acquire_existing(&path).unwrap().is_none())
        };
        // The waiter has opened the file and waits; the holder is done and removes it.
        std::thread::sleep(std::time::Duration::from_millis(100));
        std::fs::remove_file(&path).unwrap();
        drop(held);
        assert!(
            waiter.join().unwrap(),
            "the waiter must not take a removed file"
        );
    }

    #[test]
    fn a_guard_dropped_without_finishing_is_seen_as_a_death() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ref.lock");
        let guard = RefGuard::acquire(&path).unwrap();
        assert!(!guard.died_updating);
        guard.finish();
        let guard = RefGuard::acquire(&path).unwrap();
        assert!(!guard.died_updating, "a finished update leaves no mark");
        drop(guard);
        let guard = RefGuard::acquire(&path).unwrap();
        assert!(guard.died_updating, "an update that never finished is seen");
    }
}
