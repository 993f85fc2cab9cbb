//! Recordings that failed in the background are tried again. A post-commit recording
//! that wrote nothing (the ref locked, the store unreadable for a moment) leaves a
//! file naming its commit (`retry.<commit>` in the worktree's git-milestone folder);
//! the next git-milestone command, once the running recordings are done, records
//! that commit again, before doing its own work. A commit is tried at most
//! [`ATTEMPTS`] times, then given up with a warning: a store that stays unreadable
//! must not make every command try forever. Commands that start together take turns
//! on a kept file (an OS lock on it), and one that finds the file gone once its turn
//! comes does nothing: each commit is recorded once.

use std::fs;
use std::path::{Path, PathBuf};

use git2::Oid;

use super::record::{self, Invocation};
use super::HookName;
use crate::store::lock::FileLock;

/// The start of a retry file's name.
const PREFIX: &str = "retry.";
/// How many times a failed recording is tried again.
pub const ATTEMPTS: u32 = 10;

/// Keeps the post-commit recording of `head` on `branch` for the next command.
pub fn keep(local_dir: &Path, branch: &str, head: Oid) {
    let _ = fs::write(path(local_dir, head), format!("{head} 0 {branch}\n"));
}

/// Records again the commits kept in `local_dir`; returns what to tell the user: the
/// commits now recorded, and those given up.
pub fn retry_kept(local_dir: &Path) -> Vec<String> {
    let Ok(entries) = fs::read_dir(local_dir) else {
        return Vec::new();
    };
    let mut kept: Vec<(std::time::SystemTime, PathBuf)> = entries
        .flatten()
        .filter(|e| {
            e.file_name()
                .as_encoded_bytes()
                .starts_with(PREFIX.as_bytes())
        })
        .map(|e| {
            let time = e.metadata().and_then(|m| m.modified()).ok();
            (time.unwrap_or(std::time::UNIX_EPOCH), e.path())
        })
        .collect();
    // In the order the commits were made.
    kept.sort();
    kept.into_iter()
        .filter_map(|(_, path)| retry_one(&path))
        .collect()
}

/// Tries the recording kept at `path` once more, holding the file's lock throughout:
/// another command that retries it meanwhile waits, then finds it gone.
fn retry_one(path: &Path) -> Option<String> {
    let (_turn, text) = FileLock::acquire_existing(path).ok()??;
    let Some((head, attempts, branch)) = parse(&text) else {
        let _ = fs::remove_file(path);
        return None;
    };
    let invocation = Invocation {
        marker: None,
        head: Some((branch.to_string(), head)),
    };
    let short = &head.to_string()[..12];
    match record::record(HookName::PostCommit, &[], &[], &invocation) {
        Ok(recorded) if recorded.operations > 0 || recorded.errors.is_empty() => {
            let _ = fs::remove_file(path);
            Some(format!(
                "post-commit hook: commit {short} recorded now (its recording had failed)"
            ))
        }
        Ok(recorded) => gave_up(
            path,
            head,
            attempts,
            branch,
            &recorded.errors[0].to_string(),
        ),
        Err(e) => gave_up(path, head, attempts, branch, &e.to_string()),
    }
}

/// Counts a failed attempt; past [`ATTEMPTS`], drops the file and says so.
fn gave_up(path: &Path, head: Oid, attempts: u32, branch: &str, why: &str) -> Option<String> {
    if attempts + 1 < ATTEMPTS {
        let _ = fs::write(path, format!("{head} {} {branch}\n", attempts + 1));
        return None;
    }
    let _ = fs::remove_file(path);
    Some(format!(
        "post-commit hook: gave up recording commit {} after {ATTEMPTS} attempts: {why}",
        &head.to_string()[..12]
    ))
}

fn path(local_dir: &Path, head: Oid) -> PathBuf {
    local_dir.join(format!("{PREFIX}{head}"))
}

/// `<commit> <attempts> <branch>`.
fn parse(text: &str) -> Option<(Oid, u32, &str)> {
    let mut fields = text.trim_end_matches('\n').splitn(3, ' ');
    let head = Oid::from_str(fields.next()?).ok()?;
    let attempts = fields.next()?.parse().ok()?;
    Some((head, attempts, fields.next().unwrap_or("")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_recording_reads_back_with_its_branch_and_attempts() {
        let dir = tempfile::tempdir().unwrap();
        let head = Oid::hash_object(git2::ObjectType::Blob, b"c").unwrap();
        keep(dir.path(), "feature/x y", head);
        let text = fs::read_to_string(path(dir.path(), head)).unwrap();
        assert_eq!(parse(&text), Some((head, 0, "feature/x y")));
        assert_eq!(parse("nonsense"), None);
    }

    #[test]
    fn a_recording_that_keeps_failing_is_given_up_after_the_last_attempt() {
        let dir = tempfile::tempdir().unwrap();
        let head = Oid::hash_object(git2::ObjectType::Blob, b"c").unwrap();
        let file = path(dir.path(), head);
        keep(dir.path(), "main", head);
        for attempt in 0..ATTEMPTS - 1 {
            assert_eq!(gave_up(&file, head, attempt, "main", "locked"), None);
            assert!(file.exists());
        }
        let last = gave_up(&file, head, ATTEMPTS - 1, "main", "locked").unwrap();
        assert!(last.contains("gave up recording commit") && last.ends_with("locked"));
        assert!(!file.exists());
    }
}
