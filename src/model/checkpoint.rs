//! Where checkpoints live: annotated tags under one namespace, named after their
//! milestone and name. Events record the tag name, so the rule lives with the model.

use super::MilestoneId;

/// The tag namespace of checkpoints.
pub const CHECKPOINT_TAGS: &str = "refs/tags/milestone/";

/// The full ref name of checkpoint `name` of `milestone`.
pub fn tag_ref(milestone: &MilestoneId, name: &str) -> String {
    format!("{CHECKPOINT_TAGS}{milestone}/{name}")
}
