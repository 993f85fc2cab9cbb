//! A Kiro spec folder in the working tree (`.kiro/specs/<feature>/`): finding it,
//! reading its `tasks.md`, and writing the file back safely. The only place that
//! touches those files; what they mean is `workflow::kiro`'s.

use std::fs;
use std::io::Write;
use std::path::{Component, Path, PathBuf};

use crate::workflow::kiro::DOCUMENTS;

/// The most bytes a `tasks.md` may hold: a plan, not a data file.
pub const MAX_TASKS_BYTES: u64 = 1024 * 1024;

/// The error returned when a spec folder cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SpecFolderError {
    /// A bare repository has no working tree to hold spec files.
    #[error("this repository has no working tree, so it has no spec folders")]
    NoWorkTree,
    /// The path is not a folder.
    #[error("{0} is not a folder")]
    NotAFolder(String),
    /// The folder is outside the repository's working tree.
    #[error("{0} is outside this repository's working tree")]
    Outside(String),
    /// The folder holds none of the spec documents.
    #[error("{0} is not a Kiro spec folder: it has no requirements.md, design.md or tasks.md")]
    NotASpec(String),
    /// `tasks.md` is too big or not text.
    #[error("{path}: {reason}")]
    Unreadable {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// The file changed between reading and writing it.
    #[error("{0} changed while it was being synced; nothing was written to it")]
    ChangedMeanwhile(String),
}

/// A spec folder of this working tree.
#[derive(Debug, Clone)]
pub struct SpecFolder {
    /// The folder on disk.
    pub dir: PathBuf,
    /// The folder relative to the working tree's top, with `/` separators.
    pub path: String,
}

impl SpecFolder {
    /// The folder `given` (relative to the current directory, or absolute) in the
    /// working tree whose top is `workdir`.
    pub fn find(workdir: Option<&Path>, given: &Path) -> Result<SpecFolder, SpecFolderError> {
        let workdir = workdir.ok_or(SpecFolderError::NoWorkTree)?;
        let shown = given.display().to_string();
        let dir =
            fs::canonicalize(given).map_err(|_| SpecFolderError::NotAFolder(shown.clone()))?;
        if !dir.is_dir() {
            return Err(SpecFolderError::NotAFolder(shown));
        }
        let top = fs::canonicalize(workdir).map_err(|_| SpecFolderError::NoWorkTree)?;
        let relative = dir
            .strip_prefix(&top)
            .map_err(|_| SpecFolderError::Outside(shown.clone()))?;
        let parts: Vec<String> = relative
            .components()
            .filter_map(|c| match c {
                Component::Normal(part) => Some(part.to_string_lossy().into_owned()),
                _ => None,
            })
            .collect();
        if parts.is_empty() {
            return Err(SpecFolderError::NotASpec(shown));
        }
        if !DOCUMENTS.iter().any(|d| dir.join(d).is_file()) {
            return Err(SpecFolderError::NotASpec(shown));
        }
        Ok(SpecFolder {
            dir,
            path: parts.join("/"),
        })
    }

    /// The folder at `path` (as stored on the milestone) in the working tree `workdir`.
    pub fn linked(workdir: Option<&Path>, path: &str) -> Result<SpecFolder, SpecFolderError> {
        let workdir = workdir.ok_or(SpecFolderError::NoWorkTree)?;
        Ok(SpecFolder {
            dir: workdir.join(path),
            path: path.to_string(),
        })
    }

    /// The folder's name: the milestone's id.
    pub fn name(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or(&self.path)
    }

    /// The repository path of `tasks.md`, as users see it.
    pub fn tasks_path(&self) -> String {
        format!("{}/tasks.md", self.path)
    }

    /// `tasks.md` as text; none when the folder has none.
    pub fn read_tasks(&self) -> Result<Option<String>, SpecFolderError> {
        let file = self.dir.join("tasks.md");
        let unreadable = |reason: String| SpecFolderError::Unreadable {
            path: self.tasks_path(),
            reason,
        };
        let size = match fs::metadata(&file) {
            Ok(meta) => meta.len(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(unreadable(e.to_string())),
        };
        if size > MAX_TASKS_BYTES {
            return Err(unreadable(format!(
                "it holds {size} bytes, more than the {MAX_TASKS_BYTES} a tasks.md may"
            )));
        }
        let bytes = fs::read(&file).map_err(|e| unreadable(e.to_string()))?;
        String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| unreadable("it is not UTF-8 text".into()))
    }

    /// Replaces `tasks.md` with `text`, only if it still holds `read` (what the sync
    /// read): written to a temporary file beside it and renamed over it, so a reader
    /// sees the old file or the new one, never half of one.
    pub fn write_tasks(&self, read: &str, text: &str) -> Result<(), SpecFolderError> {
        let file = self.dir.join("tasks.md");
        let failed = |e: std::io::Error| SpecFolderError::Unreadable {
            path: self.tasks_path(),
            reason: format!("cannot write it: {e}"),
        };
        let mut temp = tempfile::Builder::new()
            .prefix(".tasks.md.")
            .tempfile_in(&self.dir)
            .map_err(failed)?;
        temp.write_all(text.as_bytes()).map_err(failed)?;
        temp.as_file().sync_all().map_err(failed)?;
        if let Ok(meta) = fs::metadata(&file) {
            let _ = fs::set_permissions(temp.path(), meta.permissions());
        }
        // Checked as late as possible: an editor saving meanwhile keeps its bytes.
        if fs::read(&file).map_err(failed)? != read.as_bytes() {
            return Err(SpecFolderError::ChangedMeanwhile(self.tasks_path()));
        }
        temp.persist(&file).map_err(|e| failed(e.error))?;
        Ok(())
    }
}
