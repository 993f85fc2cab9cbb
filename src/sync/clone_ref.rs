//! This clone's own ref on remotes, `refs/meta/milestones-by/<clone-id>`. Only this
//! clone pushes it, so its push is a fast-forward that no teammate's push can race:
//! a team's syncs never wait on each other. The shared `refs/meta/milestones` is
//! offered in the same push, for clones of older versions, and may lag.
//!
//! The id is random, made by the first sync that pushes and kept in this clone's own
//! config (`milestone.cloneId`): a `git clone` of this clone gets a new one, worktrees
//! of it share it (and a lock keeps their syncs apart).

use super::SyncError;
use crate::store::{Store, StoreError};

/// Where clones' own refs live on a remote (one level below `refs/meta`, beside the
/// shared ref, so the fetch glob `refs/meta/milestones*` takes them too).
pub const CLONE_REFS: &str = "refs/meta/milestones-by/";

/// The config key that keeps the id.
pub const KEY: &str = "milestone.cloneId";

/// This clone's ref on remotes, if it has an id already; an error if the id set in
/// git config cannot name a ref.
pub fn configured(store: &Store) -> Result<Option<String>, SyncError> {
    match crate::config::get(store.config().as_ref(), KEY) {
        Some(id) if is_valid(&id) => Ok(Some(format!("{CLONE_REFS}{id}"))),
        Some(id) => Err(SyncError::BadCloneId(id)),
        None => Ok(None),
    }
}

/// Makes this clone's id, keeps it in the repository's own config, and returns the ref
/// it names: done by the first sync that has something to push.
pub fn make(store: &Store) -> Result<String, SyncError> {
    let id = new_id();
    let mut local = store
        .config()
        .ok_or_else(|| StoreError::from(git2::Error::from_str("cannot read git config")))?
        .open_level(git2::ConfigLevel::Local)
        .map_err(StoreError::from)?;
    local.set_str(KEY, &id).map_err(StoreError::from)?;
    Ok(format!("{CLONE_REFS}{id}"))
}

/// Whether `name` is a clone's ref (on a remote, or pushed into this repository).
pub fn is_clone_ref(name: &str) -> bool {
    name.strip_prefix(CLONE_REFS).is_some_and(is_valid)
}

/// 64 random bits in hex: two clones of one team drawing the same id is as likely as
/// a collision of 64-bit random numbers; and if they did (or a clone was copied with
/// its config), a rejected push falls back to fetching and merging again.
fn new_id() -> String {
    format!("{:016x}", fastrand::u64(..))
}

/// One ref name component of letters, digits, `-`, `_` and `.`, not hidden and not
/// git's lock suffix: what may follow [`CLONE_REFS`] without surprising git.
fn is_valid(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        && !id.starts_with('.')
        && !id.ends_with(".lock")
        && !id.contains("..")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_ids_are_valid_and_differ() {
        let ids: Vec<String> = (0..32).map(|_| new_id()).collect();
        assert!(
            ids.iter().all(|id| is_valid(id) && id.len() == 16),
            "{ids:?}"
        );
        let first = &ids[0];
        assert!(ids.iter().any(|id| id != first));
    }

    #[test]
    fn only_one_plain_ref_component_is_an_id() {
        for good in ["a", "0123abcd", "alice-laptop", "x_y.z"] {
            assert!(is_valid(good), "{good}");
        }
        let long = "a".repeat(65);
        for bad in [
            "", ".hidden", "a/b", "a b", "x.lock", "a..b", "ü", "a:b", &long,
        ] {
            assert!(!is_valid(bad), "{bad}");
        }
        assert!(is_clone_ref("refs/meta/milestones-by/abc"));
        assert!(!is_clone_ref("refs/meta/milestones-by/a/b"));
        assert!(!is_clone_ref("refs/meta/milestones"));
    }
}
