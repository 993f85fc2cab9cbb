//! Recording in the background. The post-commit shim starts the recording and lets
//! git go on at once, as git's own `gc --auto` does, so that a commit costs about what
//! it costs with an empty hook. Before it returns, the shim makes a marker file
//! (`recording.<pid>` in this worktree's git-milestone folder); the recording locks it
//! while it runs and removes it when done. Every git-milestone command waits for the
//! recordings marked when it starts, so what a hook records is in place for the next
//! command, and recordings wait for the ones marked before them, so they land in the
//! order of the commits. A recording's problems, which no terminal would show, are
//! kept in a file and reported by the next command.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

/// The start of a marker's file name.
const MARKER_PREFIX: &str = "recording.";
/// Where the problems of background recordings are kept until reported.
const PROBLEMS_FILE: &str = "hook-problems";
/// Kept problems stop here: nothing reports them (a repository this version cannot
/// open), and the file must not grow with every commit.
const PROBLEMS_LIMIT: u64 = 64 * 1024;
/// A marker nobody locks is a recording still starting, for this long after the shim
/// made it; after that its recording is dead (killed, or never started), and the
/// marker is removed instead of waited for.
const STARTING: Duration = Duration::from_secs(5);
/// The longest a command waits for the recordings, however they behave.
const DEADLINE: Duration = Duration::from_secs(30);
/// How often a waiting command looks again.
const POLL: Duration = Duration::from_millis(5);

/// A marker's place in the order of recordings: its time, then the shim's pid.
type Stamp = (SystemTime, u64);

/// Waits until the recordings marked in `local_dir` now are done: all of them, or with
/// `own` (a recording's own marker) those marked before it. Markers made later are
/// not waited for, so a stream of commits cannot hold a command up. False when it
/// gave up at the deadline.
pub fn wait_for_recordings(local_dir: &Path, own: Option<&Path>) -> bool {
    let own = own.and_then(|path| Some((path.file_name()?.to_owned(), stamp(path)?)));
    let mut waiting: Vec<PathBuf> = markers(local_dir)
        .into_iter()
        .filter(|(path, time)| match &own {
            None => true,
            Some((name, own_time)) => path.file_name() != Some(name.as_os_str()) && time < own_time,
        })
        .map(|(path, _)| path)
        .collect();
    let start = Instant::now();
    loop {
        waiting.retain(|path| recording(path));
        if waiting.is_empty() {
            return true;
        }
        if start.elapsed() > DEADLINE {
            return false;
        }
        std::thread::sleep(POLL);
    }
}

/// The markers in `local_dir` with their stamps. No folder, no recordings: the common
/// case costs one failed open.
fn markers(local_dir: &Path) -> Vec<(PathBuf, Stamp)> {
    let Ok(entries) = fs::read_dir(local_dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|e| {
            e.file_name()
                .as_encoded_bytes()
                .starts_with(MARKER_PREFIX.as_bytes())
        })
        .filter_map(|e| {
            let path = e.path();
            stamp(&path).map(|stamp| (path, stamp))
        })
        .collect()
}

/// Its time, and the pid in its name as a number (file times can be coarse).
fn stamp(path: &Path) -> Option<Stamp> {
    let time = fs::metadata(path).and_then(|m| m.modified()).ok()?;
    let pid = path
        .file_name()?
        .to_str()?
        .strip_prefix(MARKER_PREFIX)?
        .parse()
        .unwrap_or(u64::MAX);
    Some((time, pid))
}

/// Whether the marker at `path` stands for a recording still to wait for: locked by
/// its recording, or made so recently that the recording may still be starting. A
/// marker whose recording is dead is removed.
fn recording(path: &Path) -> bool {
    let Ok(file) = File::open(path) else {
        return false;
    };
    if file.try_lock_shared().is_err() {
        return true;
    }
    let age = file
        .metadata()
        .and_then(|m| m.modified())
        .map(|time| match SystemTime::now().duration_since(time) {
            Ok(age) => age,
            // A marker from the future (a clock set back) is not young.
            Err(e) => e.duration(),
        })
        .unwrap_or(Duration::MAX);
    if age < STARTING {
        return true;
    }
    let _ = fs::remove_file(path);
    false
}

/// A background recording's marker: locked while the recording runs, removed when it
/// ends, whatever happens (a kill releases the lock, and waiters then remove it).
pub struct Marker {
    path: PathBuf,
    _lock: Option<File>,
}

impl Marker {
    /// Takes charge of the marker the shim made at `path`.
    pub fn adopt(path: PathBuf) -> Marker {
        let lock = OpenOptions::new()
            .write(true)
            .open(&path)
            .ok()
            .filter(|file| file.lock().is_ok());
        Marker { path, _lock: lock }
    }

    /// The marker's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Keeps `line` for the next git-milestone command to report.
    pub fn keep_problem(&self, line: &str) {
        let Some(dir) = self.path.parent() else {
            return;
        };
        let path = dir.join(PROBLEMS_FILE);
        if fs::metadata(&path).is_ok_and(|m| m.len() > PROBLEMS_LIMIT) {
            return;
        }
        if let Ok(mut file) = OpenOptions::new().create(true).append(true).open(path) {
            let _ = writeln!(file, "{line}");
        }
    }
}

impl Drop for Marker {
    fn drop(&mut self) {
        // Removed while still locked: a waiter never takes it for a dead one.
        let _ = fs::remove_file(&self.path);
    }
}

/// The problems background recordings kept in `local_dir` since the last call; they
/// are reported once.
pub fn take_problems(local_dir: &Path) -> Vec<String> {
    let path = local_dir.join(PROBLEMS_FILE);
    // Renamed first, so that a recording appending meanwhile starts a new file.
    let taken = local_dir.join(format!("{PROBLEMS_FILE}.{}", std::process::id()));
    if fs::rename(&path, &taken).is_err() {
        return Vec::new();
    }
    let text = fs::read_to_string(&taken).unwrap_or_default();
    let _ = fs::remove_file(&taken);
    text.lines().map(str::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(path: &Path, age: Duration) -> File {
        let file = File::create(path).unwrap();
        file.set_modified(SystemTime::now() - age).unwrap();
        file
    }

    #[test]
    fn recordings_wait_for_older_markers_only() {
        let dir = tempfile::tempdir().unwrap();
        let (first, second) = (
            dir.path().join("recording.9"),
            dir.path().join("recording.10"),
        );
        let held = touch(&first, Duration::from_secs(2));
        held.lock().unwrap();
        touch(&second, Duration::from_secs(2));
        // Same time: the pid decides, as a number.
        assert!(stamp(&first) < stamp(&second));
        let stamped = |own: &Path| {
            markers(dir.path())
                .into_iter()
                .filter(|(p, s)| p != own && Some(*s) < stamp(own))
                .count()
        };
        assert_eq!(stamped(&second), 1, "second waits for first");
        assert_eq!(stamped(&first), 0, "first waits for none");
        assert!(wait_for_recordings(dir.path(), Some(&first)));
    }

    #[test]
    fn a_locked_or_young_marker_is_waited_for_and_a_dead_one_removed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("recording.1");
        let held = touch(&path, STARTING * 2);
        held.lock().unwrap();
        assert!(recording(&path), "locked: its recording runs");
        drop(held);
        assert!(!recording(&path), "old and unlocked: its recording died");
        assert!(!path.exists(), "and the marker is removed");

        touch(&path, Duration::ZERO);
        assert!(recording(&path), "young and unlocked: still starting");
        let future = File::create(&path).unwrap();
        future
            .set_modified(SystemTime::now() + Duration::from_secs(3600))
            .unwrap();
        assert!(!recording(&path), "a marker from the future is not young");
        assert!(wait_for_recordings(&dir.path().join("missing"), None));
    }

    #[test]
    fn problems_are_reported_once_and_the_marker_removed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("recording.7");
        touch(&path, Duration::ZERO);
        {
            let marker = Marker::adopt(path.clone());
            assert!(recording(&path), "locked by its recording");
            marker.keep_problem("post-commit hook: first");
            marker.keep_problem("post-commit hook: second");
        }
        assert!(!path.exists());
        assert_eq!(
            take_problems(dir.path()),
            ["post-commit hook: first", "post-commit hook: second"]
        );
        assert!(take_problems(dir.path()).is_empty());
    }
}
