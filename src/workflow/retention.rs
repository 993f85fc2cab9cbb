//! What `cleanup` removes: ended sessions and automatic checkpoints older than the
//! retention. Manual checkpoints and active sessions are kept whatever their age.

use chrono::{DateTime, Duration, Utc};

/// The moment before which things expire, `retention_days` before `now`.
pub fn cutoff(now: DateTime<Utc>, retention_days: u32) -> DateTime<Utc> {
    now - Duration::days(i64::from(retention_days))
}

/// Whether a checkpoint expired: made automatically (before a restore) and before
/// `cutoff`. One whose time cannot be read is kept.
pub fn checkpoint_expired(
    automatic: bool,
    created: Option<DateTime<Utc>>,
    cutoff: DateTime<Utc>,
) -> bool {
    automatic && created.is_some_and(|t| t < cutoff)
}

/// Whether a session that ended at `end` (RFC 3339) expired at `cutoff` (RFC 3339);
/// an unreadable time is kept.
pub fn session_expired(end: &str, cutoff: &str) -> bool {
    match (
        DateTime::parse_from_rfc3339(end),
        DateTime::parse_from_rfc3339(cutoff),
    ) {
        (Ok(end), Ok(cutoff)) => end < cutoff,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    #[test]
    fn the_cutoff_is_whole_days_back() {
        let now = at("2026-03-08T12:00:00Z");
        assert_eq!(cutoff(now, 7), at("2026-03-01T12:00:00Z"));
        assert_eq!(cutoff(now, 0), now);
    }

    #[test]
    fn only_old_automatic_checkpoints_expire() {
        let cut = at("2026-03-01T00:00:00Z");
        let old = Some(at("2026-02-01T00:00:00Z"));
        let new = Some(at("2026-03-02T00:00:00Z"));
        // (automatic, created, expired)
        for (automatic, created, expired) in [
            (true, old, true),
            (true, new, false),
            (true, None, false),
            (false, old, false),
        ] {
            assert_eq!(
                checkpoint_expired(automatic, created, cut),
                expired,
                "{automatic} {created:?}"
            );
        }
    }

    #[test]
    fn an_unreadable_end_time_is_kept() {
        assert!(!session_expired("yesterday", "2026-02-01T00:00:00Z"));
        assert!(session_expired(
            "2026-01-01T00:00:00Z",
            "2026-02-01T00:00:00Z"
        ));
        assert!(!session_expired(
            "2026-02-01T00:00:00Z",
            "2026-02-01T00:00:00Z"
        ));
    }
}
