//! Reading the state at one commit of `refs/milestones`.

use git2::{ObjectType, Oid, Repository, Tree};

use super::layout::{self, DEFINITION, FORMAT_FILE, MILESTONES, STATE};
use super::{StoreError, FORMAT};
use crate::model::{Milestone, MilestoneFiles, MilestoneId};
use crate::yaml;

/// The tree of one commit, checked for a layout version this code reads.
pub struct Snapshot<'r> {
    repo: &'r Repository,
    commit: Oid,
    tree: Tree<'r>,
}

impl<'r> Snapshot<'r> {
    pub(super) fn read(repo: &'r Repository, commit: Oid) -> Result<Self, StoreError> {
        let tree = repo.find_commit(commit)?.tree()?;
        let found = match tree.get_name(FORMAT_FILE) {
            Some(entry) => {
                let blob = entry.to_object(repo)?.peel_to_blob()?;
                String::from_utf8_lossy(blob.content()).trim().to_string()
            }
            None => String::new(),
        };
        if found != FORMAT {
            return Err(StoreError::UnknownFormat {
                found,
                expected: FORMAT,
            });
        }
        Ok(Snapshot { repo, commit, tree })
    }

    /// The commit this snapshot was read from.
    pub fn commit(&self) -> Oid {
        self.commit
    }

    /// The root tree.
    pub(super) fn tree(&self) -> &Tree<'r> {
        &self.tree
    }

    /// The ids of all milestones, sorted.
    pub fn milestone_ids(&self) -> Result<Vec<MilestoneId>, StoreError> {
        let Some(folder) = self.milestones_tree()? else {
            return Ok(Vec::new());
        };
        // Entries with names that are not valid ids were not written by this tool;
        // skipping them keeps every other milestone usable.
        Ok(folder
            .iter()
            .filter(|e| e.kind() == Some(ObjectType::Tree))
            .filter_map(|e| e.name().and_then(|n| MilestoneId::new(n).ok()))
            .collect())
    }

    /// The `milestones/` tree, absent before the first milestone.
    pub(super) fn milestones_tree(&self) -> Result<Option<Tree<'r>>, StoreError> {
        match self.tree.get_name(MILESTONES) {
            Some(entry) => Ok(Some(entry.to_object(self.repo)?.peel_to_tree()?)),
            None => Ok(None),
        }
    }

    /// The tree of milestone `id`, if it exists.
    pub(super) fn milestone_tree(&self, id: &MilestoneId) -> Result<Option<Tree<'r>>, StoreError> {
        let Some(folder) = self.milestones_tree()? else {
            return Ok(None);
        };
        let tree = match folder.get_name(id.as_str()) {
            Some(entry) if entry.kind() == Some(ObjectType::Tree) => {
                Some(entry.to_object(self.repo)?.peel_to_tree()?)
            }
            _ => None,
        };
        Ok(tree)
    }

    /// Whether milestone `id` exists.
    pub fn has_milestone(&self, id: &MilestoneId) -> Result<bool, StoreError> {
        Ok(self.milestone_tree(id)?.is_some())
    }

    /// The files of milestone `id`, `None` if it does not exist.
    pub fn milestone(&self, id: &MilestoneId) -> Result<Option<MilestoneFiles>, StoreError> {
        let Some(tree) = self.milestone_tree(id)? else {
            return Ok(None);
        };
        let definition_text = self
            .read_file(&tree, id, DEFINITION)?
            .ok_or_else(|| self.corrupt(id, DEFINITION, "the file is missing".to_string()))?;
        let definition: Milestone = yaml::from_str(&definition_text)
            .map_err(|e| self.corrupt(id, DEFINITION, e.to_string()))?;
        if &definition.id != id {
            return Err(self.corrupt(
                id,
                DEFINITION,
                format!("it names milestone {:?}", definition.id.as_str()),
            ));
        }
        let state = match self.read_file(&tree, id, STATE)? {
            Some(text) => Some(
                serde_json::from_str(&text).map_err(|e| self.corrupt(id, STATE, e.to_string()))?,
            ),
            None => None,
        };
        Ok(Some(MilestoneFiles { definition, state }))
    }

    fn read_file(
        &self,
        tree: &Tree<'r>,
        id: &MilestoneId,
        name: &str,
    ) -> Result<Option<String>, StoreError> {
        let Some(entry) = tree.get_name(name) else {
            return Ok(None);
        };
        let blob = entry.to_object(self.repo)?.peel_to_blob()?;
        String::from_utf8(blob.content().to_vec())
            .map(Some)
            .map_err(|_| self.corrupt(id, name, "it is not UTF-8 text".to_string()))
    }

    fn corrupt(&self, id: &MilestoneId, file: &str, detail: String) -> StoreError {
        StoreError::Corrupt {
            path: layout::path(id.as_str(), file),
            commit: self.commit.to_string(),
            detail,
        }
    }
}
