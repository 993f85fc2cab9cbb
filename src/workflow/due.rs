//! Whether a milestone is late: a pure rule over its due date, its status and today's
//! date (passed in, like every time here).

use chrono::NaiveDate;

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

/// The day (UTC) a milestone due `due` (`YYYY-MM-DD` or an RFC 3339 time) is due;
/// `None` when it does not read as either. Listings keep it with their summaries, so
/// a thousand lines do not parse a thousand dates.
pub fn due_day(due: &str) -> Option<NaiveDate> {
    Some(parse_date_or_time(due).ok()?.date_naive())
}

/// The due state of a milestone due on `due_day` with `status`, on `today` (UTC). A
/// milestone is due at the end of its due day, so it becomes overdue the day after; a
/// completed one is never overdue. `None` when there is no readable due date.
pub fn due_state(
    due_day: Option<NaiveDate>,
    status: MilestoneStatus,
    today: NaiveDate,
) -> Option<DueState> {
    let days_left = (due_day? - today).num_days();
    Some(DueState {
        overdue: days_left < 0 && status != MilestoneStatus::Completed,
        days_left,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_states() {
        let today = due_day("2026-12-05T18:00:00Z").unwrap();
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
            let got =
                due_state(due.and_then(due_day), status, today).map(|s| (s.overdue, s.days_left));
            assert_eq!(got, expected, "{due:?} {status:?}");
        }
    }
}
