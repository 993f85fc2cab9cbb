//! Checkpoint names made in two clones at once: one rule, the same in every clone, says
//! which keeps the name, so that no two clones disagree about what `m/x` is.

use std::cmp::Ordering;

/// Where a checkpoint stands in merge order: its target operation's `(lamport, at,
/// commit id)`, then its tag's id (two checkpoints of one commit).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct CheckpointOrder {
    /// The target commit's lamport clock (0 when it has none).
    pub lamport: u64,
    /// Its time, as recorded.
    pub at: String,
    /// Its id.
    pub commit: String,
    /// The tag object's id.
    pub tag: String,
}

/// Whether `ours` keeps the name against `theirs`: the earlier in merge order does.
pub fn ours_keeps_the_name(ours: &CheckpointOrder, theirs: &CheckpointOrder) -> bool {
    ours.cmp(theirs) != Ordering::Greater
}

/// The name the other checkpoint takes: `<name>-<first 7 of its commit>`. Two
/// checkpoints of one commit need no second name: they hold the same state, and the
/// later tag simply gives way.
pub fn renamed(name: &str, loser: &CheckpointOrder, winner: &CheckpointOrder) -> Option<String> {
    (loser.commit != winner.commit)
        .then(|| format!("{name}-{}", loser.commit.get(..7).unwrap_or(&loser.commit)))
}

/// The name a checkpoint had before [`renamed`] gave it `name`, when `name` is
/// `<name>-<first 7 of commit>`: how a clone that kept the name learns, when the
/// other's copy arrives, that there was a clash.
pub fn renamed_from<'a>(name: &'a str, commit: &str) -> Option<&'a str> {
    let (base, short) = name.rsplit_once('-')?;
    (short.len() == 7 && commit.starts_with(short) && !base.is_empty()).then_some(base)
}

/// Whether a checkpoint of this name is shared by `sync`: automatic `pre-restore-*`
/// checkpoints stay in the clone that made them unless `push_automatic`.
pub fn is_shared(name: &str, push_automatic: bool) -> bool {
    push_automatic || !name.starts_with("pre-restore-")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(lamport: u64, at: &str, commit: &str, tag: &str) -> CheckpointOrder {
        CheckpointOrder {
            lamport,
            at: at.into(),
            commit: commit.into(),
            tag: tag.into(),
        }
    }

    #[test]
    fn the_earlier_in_merge_order_keeps_the_name_on_both_sides() {
        let cases = [
            (order(3, "t2", "bbbb", "1"), order(4, "t1", "aaaa", "2")),
            (order(4, "t1", "bbbb", "1"), order(4, "t2", "aaaa", "2")),
            (order(4, "t1", "aaaa", "2"), order(4, "t1", "bbbb", "1")),
            (order(4, "t1", "aaaa", "1"), order(4, "t1", "aaaa", "2")),
        ];
        for (earlier, later) in cases {
            assert!(
                ours_keeps_the_name(&earlier, &later),
                "{earlier:?} {later:?}"
            );
            assert!(
                !ours_keeps_the_name(&later, &earlier),
                "the other clone agrees"
            );
        }
    }

    #[test]
    fn the_other_takes_a_name_from_its_commit() {
        let (a, b) = (
            order(1, "t", "abcdef0123", "1"),
            order(2, "t", "0123456789", "2"),
        );
        assert_eq!(renamed("x", &b, &a).as_deref(), Some("x-0123456"));
        let same = order(2, "t", "abcdef0123", "2");
        assert_eq!(renamed("x", &same, &a), None);
    }

    #[test]
    fn a_renamed_copy_names_the_checkpoint_it_gave_way_to() {
        assert_eq!(renamed_from("x-0123456", "0123456789"), Some("x"));
        assert_eq!(renamed_from("m/x-y-0123456", "0123456789"), Some("m/x-y"));
        assert_eq!(
            renamed_from("x-0123456", "abcdef0123"),
            None,
            "not its commit"
        );
        assert_eq!(renamed_from("release-2026", "2026aaaaaa"), None);
        assert_eq!(renamed_from("x", "0123456789"), None);
    }

    #[test]
    fn automatic_checkpoints_stay_local_unless_configured() {
        assert!(is_shared("reviewed", false));
        assert!(!is_shared("pre-restore-20260101-000000", false));
        assert!(is_shared("pre-restore-20260101-000000", true));
    }
}
