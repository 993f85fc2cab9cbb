//! Ordering the tips a sync merges.

use git2::Oid;

use super::{Store, StoreError};

impl Store {
    /// Sorts `tips` newest first by committer time (what is not a commit here last),
    /// keeping the given order between equals. A tip usually contains the older ones
    /// it was merged with, so merging the newest first leaves those up to date.
    pub fn sort_newest_first(&self, tips: &mut [Oid]) {
        tips.sort_by_cached_key(|tip| {
            let time = self.repo.find_commit(*tip).map(|c| c.time().seconds());
            std::cmp::Reverse(time.unwrap_or(i64::MIN))
        });
    }

    /// How many operations (commits that are not merges) `tip` has that none of
    /// `hidden` has.
    pub fn operations_between(&self, tip: Oid, hidden: &[Oid]) -> Result<usize, StoreError> {
        let mut walk = self.repo.revwalk()?;
        walk.push(tip)?;
        for oid in hidden {
            walk.hide(*oid)?;
        }
        let mut count = 0;
        for commit in walk {
            count += usize::from(self.repo.find_commit(commit?)?.parent_count() < 2);
        }
        Ok(count)
    }

    /// Whether `theirs` has an operation `ours` lacks: a commit, not a merge, that is
    /// not in `ours`'s history. Merge commits only join operations; replaying the
    /// same operations gives the same state, whatever merges joined them.
    pub fn brings_operations(&self, ours: Oid, theirs: Oid) -> Result<bool, StoreError> {
        let mut walk = self.repo.revwalk()?;
        walk.push(theirs)?;
        walk.hide(ours)?;
        for commit in walk {
            if self.repo.find_commit(commit?)?.parent_count() < 2 {
                return Ok(true);
            }
        }
        Ok(false)
    }
}
