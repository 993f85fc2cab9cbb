//! Whether a milestone is late: a pure rule over its due date, its status and today's
//! date (passed in, like every time here).

use chrono::{DateTime, NaiveDate, Utc};

use super::MilestoneStatus;
use crate::model::validate::parse_date_or_time;

/// Where a milestone stands against its due date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueState {
    /// Past its due day and not completed.
    pub overdue: bool,
    /// Whole days from today to the due day: 0 on the day, negative once past.
    pub days_left: i64,
}

/// The due state of a milestone due `due` (`YYYY-MM-DD` or an RFC 3339 time) with
/// `status`, on the day of `now` (UTC). A milestone is due at the end of its due day,
/// so it becomes overdue the day after; a completed one is never overdue. `None` when
/// there is no readable due date.
pub fn due_state(
    due: Option<&str>,
    status: MilestoneStatus,
    now: DateTime<Utc>,
) -> Option<DueState> {
    let due_day: NaiveDate = parse_date_or_time(due?).ok()?.date_naive();
    let days_left = (due_day - now.date_naive()).num_days();
    Some(DueState {
        overdue: days_left < 0 && status != MilestoneStatus::Completed,
        days_left,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> DateTime<Utc> {
        parse_date_or_time(text).unwrap()
    }

    #[test]
    fn due_states() {
        let now = day("2026-12-05T18:00:00Z");
        let cases = [
            (
                Some("2026-12-05"),
                MilestoneStatus::Planned,
                Some((false, 0)),
            ),
            (
                Some("2026-12-04"),
                MilestoneStatus::InProgress,
                Some((true, -1)),
            ),
            (
                Some("2026-12-01"),
                MilestoneStatus::Completed,
                Some((false, -4)),
            ),
            (
                Some("2026-12-31"),
                MilestoneStatus::Planned,
                Some((false, 26)),
            ),
            (
                Some("2026-12-04T23:59:00Z"),
                MilestoneStatus::Planned,
                Some((true, -1)),
            ),
            (None, MilestoneStatus::Planned, None),
            (Some("soon"), MilestoneStatus::Planned, None),
        ];
        for (due, status, expected) in cases {
            let got = due_state(due, status, now).map(|s| (s.overdue, s.days_left));
            assert_eq!(got, expected, "{due:?} {status:?}");
        }
    }
}
