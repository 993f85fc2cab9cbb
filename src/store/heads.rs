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
        let mut count = 0;
        for operation in self.operations_not_in(tip, hidden)? {
            operation?;
            count += 1;
        }
        Ok(count)
    }

    /// Whether `theirs` has an operation `ours` lacks: a commit, not a merge, that is
    /// not in `ours`'s history. Merge commits only join operations; replaying the
    /// same operations gives the same state, whatever merges joined them.
    pub fn brings_operations(&self, ours: Oid, theirs: Oid) -> Result<bool, StoreError> {
        let first = self.operations_not_in(theirs, &[ours])?.next();
        Ok(first.transpose()?.is_some())
    }

    /// The operations (commits that are not merges) `tip` has that none of `hidden`
    /// has, as the walk finds them.
    fn operations_not_in(
        &self,
        tip: Oid,
        hidden: &[Oid],
    ) -> Result<impl Iterator<Item = Result<Oid, StoreError>> + '_, StoreError> {
        let mut walk = self.repo.revwalk()?;
        walk.push(tip)?;
        for oid in hidden {
            walk.hide(*oid)?;
        }
        Ok(walk.filter_map(move |commit| {
            let merge = commit
                .and_then(|c| self.repo.find_commit(c))
                .map(|c| (c.id(), c.parent_count() > 1));
            match merge {
                Ok((_, true)) => None,
                Ok((id, false)) => Some(Ok(id)),
                Err(e) => Some(Err(e.into())),
            }
        }))
    }
}
