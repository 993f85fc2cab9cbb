//! How the tips a sync merges relate: what each brings, which contain which, and
//! where their merge starts.

use git2::Oid;

use super::{Store, StoreError};

impl Store {
    /// Whether `theirs` has an operation none of `ours` has: a commit, not a merge,
    /// that is in none of their histories. Merge commits only join operations;
    /// replaying the same operations gives the same state, whatever merges joined them.
    pub fn brings_operations(&self, ours: &[Oid], theirs: Oid) -> Result<bool, StoreError> {
        let mut walk = self.repo.revwalk()?;
        walk.push(theirs)?;
        for ours in ours {
            walk.hide(*ours)?;
        }
        for commit in walk {
            if self.repo.find_commit(commit?)?.parent_count() < 2 {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// `tips` without those another of them contains, and without repeats, in their
    /// order: the heads a merge of them all needs as parents.
    pub(super) fn independent(&self, tips: &[Oid]) -> Result<Vec<Oid>, StoreError> {
        let mut heads: Vec<Oid> = Vec::with_capacity(tips.len());
        for (i, tip) in tips.iter().enumerate() {
            if heads.contains(tip) {
                continue;
            }
            let mut contained = false;
            for other in tips
                .iter()
                .enumerate()
                .filter(|(j, o)| *j != i && *o != tip)
            {
                if self.repo.graph_descendant_of(*other.1, *tip)? {
                    contained = true;
                    break;
                }
            }
            if !contained {
                heads.push(*tip);
            }
        }
        Ok(heads)
    }

    /// The merge base a merge of `parents` replays from: for two, git's merge base;
    /// for more, the merge base of the first two's base with the third, and so on (a
    /// common ancestor of them all, as `git merge-base --octopus` finds it); none for
    /// one parent or for histories with nothing in common. The merge and every check
    /// of it compute it here, so that both replay the same range.
    pub(super) fn merge_base_of(&self, parents: &[Oid]) -> Option<Oid> {
        let (first, rest) = parents.split_first()?;
        if rest.is_empty() {
            return None;
        }
        rest.iter()
            .try_fold(*first, |base, next| self.repo.merge_base(base, *next).ok())
    }
}
