//! Times in text output, as git shows them: `2026-12-02 14:38` in the local time zone,
//! or `3 hours ago` where git would say it relatively. JSON keeps RFC 3339.

use chrono::{DateTime, Local, Utc};

/// `2026-12-02 14:38`, in the local time zone; text that is not a time as it is.
pub fn short_time(timestamp: &str) -> String {
    match DateTime::parse_from_rfc3339(timestamp) {
        Ok(t) => t.with_timezone(&Local).format("%Y-%m-%d %H:%M").to_string(),
        Err(_) => timestamp.to_string(),
    }
}

/// How long before `now` `timestamp` was, in git's words (`show_date_relative`):
/// `5 seconds ago`, `3 hours ago`, `2 days ago`, `3 weeks ago`, `4 months ago`,
/// `2 years ago`; a time in the future or that cannot be read as [`short_time`].
pub fn relative_time(timestamp: &str, now: DateTime<Utc>) -> String {
    let Ok(t) = DateTime::parse_from_rfc3339(timestamp) else {
        return timestamp.to_string();
    };
    let seconds = (now - t.with_timezone(&Utc)).num_seconds();
    if seconds < 0 {
        return short_time(timestamp);
    }
    let ago = |n: i64, unit: &str| {
        let plural = if n == 1 { "" } else { "s" };
        format!("{n} {unit}{plural} ago")
    };
    let (minutes, hours, days) = (
        (seconds + 30) / 60,
        (seconds + 30 * 60) / 3600,
        (seconds + 12 * 3600) / 86400,
    );
    match seconds {
        s if s < 90 => ago(s, "second"),
        _ if minutes < 90 => ago(minutes, "minute"),
        _ if hours < 36 => ago(hours, "hour"),
        _ if days < 14 => ago(days, "day"),
        _ if days < 70 => ago((days + 3) / 7, "week"),
        _ if days < 365 => ago((days + 15) / 30, "month"),
        _ => ago((days + 183) / 365, "year"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_times_read_like_git() {
        let now = DateTime::parse_from_rfc3339("2026-12-05T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        for (then, expected) in [
            ("2026-12-05T11:59:55.000Z", "5 seconds ago"),
            ("2026-12-05T11:58:00Z", "2 minutes ago"),
            ("2026-12-05T11:30:00Z", "30 minutes ago"),
            ("2026-12-05T09:00:00Z", "3 hours ago"),
            ("2026-12-03T12:00:00Z", "2 days ago"),
            ("2026-11-14T12:00:00Z", "3 weeks ago"),
            ("2026-08-05T12:00:00Z", "4 months ago"),
            ("2024-12-05T12:00:00Z", "2 years ago"),
            ("not a time", "not a time"),
        ] {
            assert_eq!(relative_time(then, now), expected, "{then}");
        }
    }
}
