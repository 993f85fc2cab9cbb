//! Two clones made a checkpoint of one name: resolved the same way in every clone, by
//! merge order (see [`crate::workflow::checkpoints`]), and reported to both users.

use git2::Oid;
use serde::Serialize;

use crate::store::refs::checkpoint_tag;
use crate::store::{Store, StoreError};
use crate::workflow::checkpoints::{ours_keeps_the_name, renamed, renamed_from};

/// What became of one checkpoint name made in two clones.
#[derive(Debug, Clone, Serialize)]
pub struct CheckpointClash {
    /// `<milestone>/<name>`.
    pub checkpoint: String,
    /// The commit the name now points at everywhere.
    pub kept_commit: String,
    /// Whether it is ours (made in this clone, or adopted before).
    pub kept_ours: bool,
    /// The name the other checkpoint has now, `<milestone>/<name>-<short commit>`;
    /// none when both were of one commit.
    pub renamed_to: Option<String>,
}

/// Resolves the clash of checkpoint `short` (`<milestone>/<name>`): `local` is the tag
/// here, `remote` the one fetched. The later one in merge order is copied to its new
/// name; the ref of the name points at the earlier one.
pub fn resolve(
    store: &Store,
    short: &str,
    local: Oid,
    remote: Oid,
) -> Result<CheckpointClash, StoreError> {
    let (milestone, name) = short.split_once('/').unwrap_or(("", short));
    let ours = store.checkpoint_order(local)?;
    let theirs = store.checkpoint_order(remote)?;
    let kept_ours = ours_keeps_the_name(&ours, &theirs);
    let (winner, loser, loser_tag) = if kept_ours {
        (&ours, &theirs, remote)
    } else {
        (&theirs, &ours, local)
    };
    let renamed_to = renamed(name, loser, winner).map(|new| format!("{milestone}/{new}"));
    if let Some(new) = &renamed_to {
        store.copy_checkpoint(loser_tag, &checkpoint_tag(new))?;
    }
    if !kept_ours {
        store.set_checkpoint(
            &checkpoint_tag(short),
            remote,
            "milestone: checkpoint name kept by the earlier one",
        )?;
    }
    Ok(CheckpointClash {
        checkpoint: short.to_string(),
        kept_commit: winner.commit.clone(),
        kept_ours,
        renamed_to,
    })
}

/// When checkpoint `short`, just adopted, is the other clone's copy of one whose name
/// this clone kept (`<name>-<short commit>`): the clash, as the other clone resolved
/// it, to tell this clone's user too.
pub fn gave_way(
    store: &Store,
    short: &str,
    adopted: Oid,
) -> Result<Option<CheckpointClash>, StoreError> {
    let commit = store.checkpoint_order(adopted)?.commit;
    let Some(base) = renamed_from(short, &commit) else {
        return Ok(None);
    };
    let Some(kept) = store.ref_target(&checkpoint_tag(base)) else {
        return Ok(None);
    };
    Ok(Some(CheckpointClash {
        checkpoint: base.to_string(),
        kept_commit: store.checkpoint_order(kept)?.commit,
        kept_ours: true,
        renamed_to: Some(short.to_string()),
    }))
}
