//! The refs the store owns besides `refs/milestones`: checkpoint tags, what `sync`
//! fetched from a remote, and the shared ref teammates push into. Every write of them
//! goes through here, so nobody else spells their names.

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

    /// The full names of every checkpoint tag here.
    pub fn checkpoint_tag_names(&self) -> Result<Vec<String>, StoreError> {
        let mut names = Vec::new();
        for reference in self.repo.references_glob(CHECKPOINT_TAG_GLOB)? {
            if let Some(name) = reference?.name() {
                names.push(name.to_string());
            }
        }
        Ok(names)
    }

    /// The system `git`, run on this repository (for fetch and push, which are git's
    /// job: credentials, ssh config, every transport). A remote given as a relative
    /// path is relative to the top of the worktree, as for the user's own `git fetch`.
    pub fn git_command(&self) -> Command {
        let mut command = Command::new("git");
        command
            .arg("--git-dir")
            .arg(self.repo.path())
            .current_dir(self.repo.workdir().unwrap_or(self.repo.path()));
        command
    }

    /// The repository's configuration (all levels), if it can be read.
    pub fn config(&self) -> Option<git2::Config> {
        self.repo.config().ok()
    }

    /// Whether the repository is bare.
    pub fn is_bare(&self) -> bool {
        self.repo.is_bare()
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
