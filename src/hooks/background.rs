//! Recording in the background. The post-commit shim starts the recording and lets
//! git go on at once, as git's own `gc --auto` does, so that a commit costs about what
//! it costs with an empty hook. Before it returns, the shim makes a marker file
//! (`recording.<pid>` in this worktree's git-milestone folder); the recording removes
//! it when done. Every git-milestone command waits for the markers there, so what a
//! hook records is in place for the next command, and recordings wait for the ones
//! started before them, so they land in the order of the commits. A recording's
//! problems, which no terminal would show, are kept in a file and reported by the next
//! command.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// The start of a marker's file name.
const MARKER_PREFIX: &str = "recording.";
/// Where the problems of background recordings are kept until reported.
const PROBLEMS_FILE: &str = "hook-problems";
/// A recording takes milliseconds; a marker this old was left by a process that was
/// killed, and is removed instead of waited for. It also bounds any wait.
const STALE: Duration = Duration::from_secs(30);
/// How often a waiting command looks again.
const POLL: Duration = Duration::from_millis(5);

/// Waits until the recordings started in `local_dir` are done: all of them, or with
/// `own` (a recording's own marker) those started before it.
pub fn wait_for_recordings(local_dir: &Path, own: Option<&Path>) {
    let own = own.and_then(|path| Some((modified(path)?, path.file_name()?.to_owned())));
    while any_pending(local_dir, own.as_ref()) {
        std::thread::sleep(POLL);
    }
}

/// Whether a marker other than `own` and older than it (any, without `own`) is there;
/// stale markers are removed on the way.
fn any_pending(local_dir: &Path, own: Option<&(SystemTime, std::ffi::OsString)>) -> bool {
    // No folder, no recordings: the common case costs one failed open.
    let Ok(entries) = fs::read_dir(local_dir) else {
        return false;
    };
    let now = SystemTime::now();
    for entry in entries.flatten() {
        let name = entry.file_name();
        if !name
            .as_encoded_bytes()
            .starts_with(MARKER_PREFIX.as_bytes())
        {
            continue;
        }
        // Gone meanwhile: that recording is done.
        let Some(time) = modified(&entry.path()) else {
            continue;
        };
        if now.duration_since(time).unwrap_or_default() > STALE {
            let _ = fs::remove_file(entry.path());
            continue;
        }
        match own {
            None => return true,
            Some((own_time, own_name)) => {
                if name != *own_name && (time, &name) < (*own_time, own_name) {
                    return true;
                }
            }
        }
    }
    false
}

fn modified(path: &Path) -> Option<SystemTime> {
    fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// A background recording's marker, removed when the recording ends, whatever happens.
pub struct Marker(PathBuf);

impl Marker {
    /// Takes charge of the marker the shim made at `path`.
    pub fn adopt(path: PathBuf) -> Marker {
        Marker(path)
    }

    /// The marker's path.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Keeps `line` for the next git-milestone command to report.
    pub fn keep_problem(&self, line: &str) {
        let Some(dir) = self.0.parent() else {
            return;
        };
        if let Ok(mut file) = OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join(PROBLEMS_FILE))
        {
            let _ = writeln!(file, "{line}");
        }
    }
}

impl Drop for Marker {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
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

    fn touch(path: &Path, age: Duration) {
        let file = fs::File::create(path).unwrap();
        file.set_modified(SystemTime::now() - age).unwrap();
    }

    #[test]
    fn markers_are_waited_for_in_order_and_stale_ones_removed() {
        let dir = tempfile::tempdir().unwrap();
        let first = dir.path().join("recording.1");
        let second = dir.path().join("recording.2");
        touch(&first, Duration::from_secs(2));
        touch(&second, Duration::from_secs(1));
        let stamp = |p: &Path| (modified(p).unwrap(), p.file_name().unwrap().to_owned());
        assert!(any_pending(dir.path(), None));
        assert!(
            any_pending(dir.path(), Some(&stamp(&second))),
            "second waits for first"
        );
        assert!(
            !any_pending(dir.path(), Some(&stamp(&first))),
            "first waits for none"
        );

        fs::remove_file(&first).unwrap();
        touch(&second, STALE + Duration::from_secs(1));
        assert!(
            !any_pending(dir.path(), None),
            "a stale marker is not waited for"
        );
        assert!(!second.exists(), "and is removed");
        wait_for_recordings(dir.path(), None);
        wait_for_recordings(&dir.path().join("missing"), None);
    }

    #[test]
    fn problems_are_reported_once_and_the_marker_removed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("recording.7");
        touch(&path, Duration::ZERO);
        {
            let marker = Marker::adopt(path.clone());
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
