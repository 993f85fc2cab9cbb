//! The refs the store owns besides `refs/milestones`: checkpoint tags, what `sync`
//! fetched from a remote, and the shared ref teammates push into. Every write of them
//! goes through here, so nobody else spells their names.

use std::path::Path;
use std::process::Command;

use git2::Oid;

use super::{Store, StoreError};
use crate::model::checkpoint::CHECKPOINT_TAGS;

/// The glob of every checkpoint tag.
pub const CHECKPOINT_TAG_GLOB: &str = "refs/tags/milestone/*";

/// `<milestone>/<name>` of a checkpoint tag's full name, if it is one.
pub fn checkpoint_of_tag(full: &str) -> Option<&str> {
    full.strip_prefix(CHECKPOINT_TAGS)
}

/// The full name of the tag of checkpoint `short` (`<milestone>/<name>`).
pub fn checkpoint_tag(short: &str) -> String {
    format!("{CHECKPOINT_TAGS}{short}")
}

impl Store {
    /// The commit a ref points at, if it exists.
    pub fn ref_target(&self, name: &str) -> Option<Oid> {
        self.repo.refname_to_id(name).ok()
    }

    /// Points the tracking ref `name` (under `refs/milestone-remotes/`) at `target`:
    /// where a remote was seen last. A cache; failing to move it loses nothing.
    pub fn set_tracking_ref(&self, name: &str, target: Oid, why: &str) {
        debug_assert!(name.starts_with("refs/milestone-remotes/"));
        let _ = self.repo.reference(name, target, true, why);
    }

    /// Creates checkpoint tag `full` (a full ref name) on `target`, fetched from a
    /// remote. A tag that exists is never moved: false then.
    pub fn adopt_checkpoint_tag(&self, full: &str, target: Oid) -> Result<bool, StoreError> {
        if checkpoint_of_tag(full).is_none() || self.ref_target(full).is_some() {
            return Ok(false);
        }
        self.repo
            .reference(full, target, false, "milestone: checkpoint from sync")?;
        Ok(true)
    }

    /// Every checkpoint tag here: its `<milestone>/<name>` and the tag object's id.
    pub fn checkpoint_tags(&self) -> Result<Vec<(String, Oid)>, StoreError> {
        Ok(self
            .refs_under(CHECKPOINT_TAGS)?
            .into_iter()
            .map(|(rest, id)| (rest.to_string(), id))
            .collect())
    }

    /// Every direct ref whose name starts with `prefix` (a tracking namespace, or the
    /// checkpoint tags): the rest of its name and its target.
    pub fn refs_under(&self, prefix: &str) -> Result<Vec<(String, Oid)>, StoreError> {
        let mut found = Vec::new();
        for reference in self.repo.references_glob(&format!("{prefix}*"))? {
            let reference = reference?;
            let (Some(name), Some(id)) = (reference.name(), reference.target()) else {
                continue;
            };
            if let Some(rest) = name.strip_prefix(prefix) {
                found.push((rest.to_string(), id));
            }
        }
        Ok(found)
    }

    /// Whether `commit` is `ancestor` or has it in its history.
    pub fn descends_from(&self, commit: Oid, ancestor: Oid) -> Result<bool, StoreError> {
        Ok(commit == ancestor || self.repo.graph_descendant_of(commit, ancestor)?)
    }

    /// `Name <email>` of the author of `commit`, if it is a commit here.
    pub fn author_of(&self, commit: Oid) -> Option<String> {
        let commit = self.repo.find_commit(commit).ok()?;
        Some(super::integrity::author_of(&commit))
    }

    /// The system `git`, run on this repository (for fetch and push, which are git's
    /// job: credentials, ssh config, every transport). A remote given as a relative
    /// path is relative to the top of the worktree, as for the user's own `git fetch`.
    pub fn git_command(&self) -> Command {
        let mut command = Command::new("git");
        command
            .arg("--git-dir")
            .arg(self.repo.path())
            .current_dir(self.top_dir());
        command
    }

    /// The repository's configuration (all levels), if it can be read.
    pub fn config(&self) -> Option<git2::Config> {
        self.git_config().ok()
    }

    /// The repository's configuration (all levels), or why it cannot be read.
    pub fn git_config(&self) -> Result<git2::Config, git2::Error> {
        self.repo.config()
    }

    /// Whether the repository is bare.
    pub fn is_bare(&self) -> bool {
        self.repo.is_bare()
    }

    /// The repository's git directory (this worktree's).
    pub fn git_dir(&self) -> &Path {
        self.repo.path()
    }

    /// The git directory every worktree of the repository shares (hooks, config).
    pub fn common_dir(&self) -> &Path {
        self.repo.commondir()
    }

    /// The top of the worktree, or the git directory of a bare repository: what
    /// relative paths in git's configuration are relative to.
    pub fn top_dir(&self) -> &Path {
        self.repo.workdir().unwrap_or(self.repo.path())
    }

    /// The names of the repository's remotes.
    pub fn remote_names(&self) -> Vec<String> {
        self.repo
            .remotes()
            .map(|r| r.iter().flatten().map(str::to_string).collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_checkpoint_tags_name_a_checkpoint() {
        assert_eq!(
            checkpoint_of_tag("refs/tags/milestone/m1/v1"),
            Some("m1/v1")
        );
        assert_eq!(checkpoint_of_tag("refs/tags/v1"), None);
        assert_eq!(CHECKPOINT_TAG_GLOB, format!("{CHECKPOINT_TAGS}*"));
    }
}
