//! The one place that reads the clock. Like git, it honours `GIT_COMMITTER_DATE` (and
//! `GIT_AUTHOR_DATE` for the author's time), so tests and `demo` can fix time.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};

/// The time of the operation being made.
pub fn now() -> DateTime<Utc> {
    from_env("GIT_COMMITTER_DATE").unwrap_or_else(Utc::now)
}

/// The author's time of an operation made at `now`: `GIT_AUTHOR_DATE` when set, as
/// `git commit` does.
pub fn author_time(now: DateTime<Utc>) -> DateTime<Utc> {
    from_env("GIT_AUTHOR_DATE").unwrap_or(now)
}

fn from_env(variable: &str) -> Option<DateTime<Utc>> {
    std::env::var(variable)
        .ok()
        .and_then(|value| parse_git_date(&value))
}

/// Parses the date formats git accepts in `GIT_COMMITTER_DATE`: `@<seconds> [±hhmm]`,
/// `<seconds> ±hhmm`, RFC 2822 and ISO 8601 / RFC 3339.
pub fn parse_git_date(value: &str) -> Option<DateTime<Utc>> {
    let value = value.trim();
    let first = value.split_whitespace().next()?;
    let seconds = first.strip_prefix('@').unwrap_or(first);
    if seconds.bytes().all(|b| b.is_ascii_digit())
        && (first.starts_with('@') || value.contains(' '))
    {
        return Utc.timestamp_opt(seconds.parse().ok()?, 0).single();
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(value) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(t) = DateTime::parse_from_rfc2822(value) {
        return Some(t.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(value, format) {
            return Some(t.and_utc());
        }
    }
    None
}

/// Formats a time the way events carry it: RFC 3339, milliseconds, UTC.
pub fn format_time(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_date_formats() {
        let expected = "2026-01-02T03:04:05.000Z";
        for input in [
            "@1767323045",
            "@1767323045 +0000",
            "1767323045 +0100",
            "2026-01-02T03:04:05Z",
            "2026-01-02T04:04:05+01:00",
            "Fri, 02 Jan 2026 03:04:05 +0000",
            "2026-01-02 03:04:05",
        ] {
            let parsed = parse_git_date(input).unwrap_or_else(|| panic!("{input}"));
            assert_eq!(format_time(parsed), expected, "{input}");
        }
        assert!(parse_git_date("not a date").is_none());
        assert!(parse_git_date("1767323045").is_none());
    }
}
