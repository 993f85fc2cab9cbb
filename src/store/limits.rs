//! Sizes a clone writes, the same that every clone takes from a fetch: an operation
//! message over the limit is refused here and ignored there, and a milestone file
//! over its limit is refused by the rule both writing and replaying go through, so
//! the operation is a no-op in every clone alike. Not configurable for that reason:
//! a limit one clone raised would make its teammates' clones disagree with it.

use super::integrity::MAX_OPERATION_BYTES;
use super::StoreError;
use crate::model::MilestoneId;

/// The largest file of one milestone (`milestone.yaml`, `state.json`, a session or
/// an approval request). Hundreds of tasks take a few hundred kilobytes; beyond this
/// every clone's `status` would read megabytes.
pub const MAX_FILE_BYTES: usize = 8 * 1024 * 1024;

/// Refuses an operation message a fetching clone would not take.
pub(super) fn check_message(text: &str) -> Result<(), StoreError> {
    over(
        "the operation's commit message".to_string(),
        text.len(),
        MAX_OPERATION_BYTES,
    )
}

/// Refuses a milestone file over [`MAX_FILE_BYTES`].
pub(super) fn check_file(
    milestone: &MilestoneId,
    file: &str,
    size: usize,
) -> Result<(), StoreError> {
    over(
        format!("{file} of milestone {milestone}"),
        size,
        MAX_FILE_BYTES,
    )
}

fn over(what: String, size: usize, limit: usize) -> Result<(), StoreError> {
    if size <= limit {
        return Ok(());
    }
    Err(StoreError::TooLarge { what, size, limit })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_at_the_limit_passes_and_one_byte_more_is_refused() {
        let m = MilestoneId::new("m").unwrap();
        assert!(check_file(&m, "state.json", MAX_FILE_BYTES).is_ok());
        let e = check_file(&m, "state.json", MAX_FILE_BYTES + 1).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "state.json of milestone m would be {} bytes, over the limit of {MAX_FILE_BYTES}",
                MAX_FILE_BYTES + 1
            )
        );
    }

    #[test]
    fn a_message_over_the_fetch_limit_is_refused() {
        assert!(check_message("x").is_ok());
        let text = "x".repeat(MAX_OPERATION_BYTES + 1);
        assert!(matches!(
            check_message(&text),
            Err(StoreError::TooLarge { limit, .. }) if limit == MAX_OPERATION_BYTES
        ));
    }
}
