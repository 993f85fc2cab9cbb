//! `--since` / `--until` as `git log` takes them: absolute dates and times
//! (`2026-01-01`, `2026-01-01 12:00`, RFC 3339, `@<seconds>`), and relative ones
//! (`now`, `yesterday`, `2.weeks.ago`, `3 days ago`). A time without a zone is local,
//! as in git.

use chrono::{DateTime, Duration, Local, NaiveDate, NaiveDateTime, TimeZone, Utc};

/// The moment `text` names, relative ones counted back from `now`.
pub fn parse_when(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    let words = text.to_ascii_lowercase().replace(['.', '_'], " ");
    let words: Vec<&str> = words.split_whitespace().collect();
    // A span so long that the time would fall out of the calendar is no date at all.
    let back = |count: i64, unit: &str| span(count, unit).and_then(|s| now.checked_sub_signed(s));
    let relative = match words.as_slice() {
        ["now"] => Some(now),
        ["yesterday"] => back(1, "day"),
        ["today"] => Some(local_midnight(now)),
        [unit, "ago"] => back(1, unit),
        [count, unit, "ago"] | [count, unit] => count.parse().ok().and_then(|n| back(n, unit)),
        _ => None,
    };
    if let Some(time) = relative {
        return Ok(time);
    }
    absolute(text).ok_or_else(|| {
        format!("invalid date {text:?}: use a date such as 2026-01-01 or \"2026-01-01 12:00\", or a relative one such as yesterday or 2.weeks.ago")
    })
}

/// `count` of `unit` (singular or plural, as git spells them).
fn span(count: i64, unit: &str) -> Option<Duration> {
    let unit = unit.strip_suffix('s').unwrap_or(unit);
    let seconds = match unit {
        "second" | "sec" => 1,
        "minute" | "min" => 60,
        "hour" => 3600,
        "day" => 86_400,
        "week" => 7 * 86_400,
        "month" => 30 * 86_400,
        "year" => 365 * 86_400,
        _ => return None,
    };
    count.checked_mul(seconds).and_then(Duration::try_seconds)
}

fn local_midnight(now: DateTime<Utc>) -> DateTime<Utc> {
    let day = now.with_timezone(&Local).date_naive();
    local(day.and_hms_opt(0, 0, 0).unwrap_or_default()).unwrap_or(now)
}

fn local(naive: NaiveDateTime) -> Option<DateTime<Utc>> {
    Local
        .from_local_datetime(&naive)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

fn absolute(text: &str) -> Option<DateTime<Utc>> {
    if let Some(seconds) = text.strip_prefix('@') {
        return Utc.timestamp_opt(seconds.parse().ok()?, 0).single();
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    for format in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return local(t);
        }
    }
    let day = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    local(day.and_hms_opt(0, 0, 0)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_log_date_forms() {
        // The process's zone is UTC under `cargo test` unless TZ says otherwise; the
        // expectations below are in UTC, so pin it.
        std::env::set_var("TZ", "UTC");
        let now = DateTime::parse_from_rfc3339("2026-12-05T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        for (text, expected) in [
            ("now", "2026-12-05T12:00:00Z"),
            ("yesterday", "2026-12-04T12:00:00Z"),
            ("today", "2026-12-05T00:00:00Z"),
            ("2.weeks.ago", "2026-11-21T12:00:00Z"),
            ("3 days ago", "2026-12-02T12:00:00Z"),
            ("1.hour.ago", "2026-12-05T11:00:00Z"),
            ("2026-01-01", "2026-01-01T00:00:00Z"),
            ("2026-01-01 12:00", "2026-01-01T12:00:00Z"),
            ("2026-01-01T12:00:30Z", "2026-01-01T12:00:30Z"),
            ("@1767225600", "2026-01-01T00:00:00Z"),
        ] {
            let got = parse_when(text, now).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(got.to_rfc3339(), expected.replace('Z', "+00:00"), "{text}");
        }
        for bad in ["soon", "2.fortnights.ago", "2026-13-01", ""] {
            assert!(parse_when(bad, now).is_err(), "{bad}");
        }
        assert!(parse_when("99999999.years.ago", now).is_err());
    }

    proptest::proptest! {
        /// Any text gives a time or an error, never a panic; a relative time is never
        /// after now.
        #[test]
        fn any_text_is_a_time_or_an_error(count in proptest::num::i64::ANY, unit in "[a-z]{0,8}", text in ".{0,40}") {
            let now = DateTime::parse_from_rfc3339("2026-12-05T12:00:00Z").unwrap().with_timezone(&Utc);
            let _ = parse_when(&text, now);
            if let Ok(t) = parse_when(&format!("{count}.{unit}.ago"), now) {
                proptest::prop_assert!(count < 0 || t <= now);
            }
        }
    }
}
