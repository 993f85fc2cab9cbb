//! One milestone on one line, the same in `list`, `status` and `status <m>`: id,
//! progress, status, tasks, due date (or how late), title. A listing draws a thousand
//! of these into one text, each field escaped once as it is added.

use super::terminal_text::TerminalText;
use super::view::{self, SummaryView};
use super::Output;

/// Appends the line of `s` to `text`, without its newline.
pub fn push_row(out: &Output, s: &SummaryView, text: &mut TerminalText) {
    text.field_padded(&s.id, 16).ours(" ");
    out.push_bar(text, s.progress.percentage);
    text.ours("  ");
    out.push_status(text, s.status.as_str(), 11);
    text.ours(" ");
    let p = &s.progress;
    if p.completed_points.is_some() {
        text.ours(&p.done_of());
    } else {
        text.number(p.completed_tasks as i64, 0).ours("/");
        text.number(p.total_tasks as i64, 0).ours(" tasks");
    }
    if s.due.is_some() {
        text.ours("  ");
        view::push_due(out, s, text);
    }
    if !s.title.is_empty() {
        text.ours("  ").field(&s.title);
    }
}

/// The lines of `summaries`, one write's worth (without a last newline, which
/// [`Output::print`] adds).
pub fn rows(out: &Output, summaries: &[SummaryView]) -> TerminalText {
    let mut text = TerminalText::with_capacity(summaries.len() * 100);
    for (i, s) in summaries.iter().enumerate() {
        if i > 0 {
            text.newline();
        }
        push_row(out, s, &mut text);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::output::ColorChoice;
    use crate::workflow::summary::MilestoneSummary;
    use crate::workflow::MilestoneStatus;

    fn today() -> chrono::NaiveDate {
        chrono::NaiveDate::from_ymd_opt(2026, 12, 5).unwrap()
    }

    fn summary(id: &str, title: &str, due: Option<&str>, status: MilestoneStatus) -> SummaryView {
        let summary = MilestoneSummary {
            id: id.into(),
            title: title.into(),
            due: due.map(String::from),
            due_day: due.and_then(crate::workflow::due::due_day),
            percentage: 35.5,
            completed_tasks: 3,
            total_tasks: 8,
            status,
        };
        view::summary_view(summary, today())
    }

    fn row(color: ColorChoice, s: &SummaryView) -> String {
        let out = Output::new(false, false, color, false);
        rows(&out, std::slice::from_ref(s)).into_string()
    }

    #[test]
    fn rows_read_as_before() {
        let plain = ColorChoice::Never;
        let s = summary(
            "m1",
            "First",
            Some("2026-12-31"),
            MilestoneStatus::InProgress,
        );
        assert_eq!(
            row(plain, &s),
            "m1               [#######-------------]  35%  in_progress 3/8 tasks  due 2026-12-31 (in 26 days)  First"
        );
        let s = summary("late", "", Some("2026-12-03"), MilestoneStatus::Planned);
        assert_eq!(
            row(plain, &s),
            "late             [#######-------------]  35%  planned     3/8 tasks  overdue (due 2026-12-03, 2 days late)"
        );
        let s = summary("m2", "t", Some("2026-12-04"), MilestoneStatus::Completed);
        assert_eq!(
            row(ColorChoice::Always, &s),
            "m2               [\x1b[32m#######\x1b[0m-------------]  35%  \x1b[32mcompleted\x1b[0m   3/8 tasks  due 2026-12-04  t"
        );
        let s = summary("m3", "", Some("2026-12-06"), MilestoneStatus::Planned);
        assert!(row(plain, &s).ends_with("due 2026-12-06 (tomorrow)"));
        let s = summary("m4", "", None, MilestoneStatus::Planned);
        assert!(row(plain, &s).ends_with("3/8 tasks"));
    }

    /// Every field that comes from the data (id, title, due date) is escaped once
    /// as the line is built: no control character reaches the terminal, whatever a
    /// teammate pushed, colored or not.
    #[test]
    fn no_control_character_from_the_data_reaches_the_terminal() {
        let odd: Vec<char> = (0..0x100u32)
            .filter_map(char::from_u32)
            .filter(|c| c.is_control() && *c != '\n' && *c != '\t')
            .collect();
        for c in odd {
            let bad = format!("x{c}\x1b[2J{c}");
            let due = format!("{c}2026-12-31\x1b]0;t\x07");
            for s in [
                summary(&bad, &bad, Some(&due), MilestoneStatus::Planned),
                summary(&bad, &bad, Some("2026-12-01"), MilestoneStatus::InProgress),
            ] {
                for color in [ColorChoice::Never, ColorChoice::Always] {
                    let text = row(color, &s);
                    // Only this program's own color codes stay.
                    let stripped = text.replace("\x1b[32m", "").replace("\x1b[33m", "");
                    let stripped = stripped.replace("\x1b[2m", "").replace("\x1b[0m", "");
                    assert!(
                        !stripped
                            .chars()
                            .any(|c| c.is_control() && c != '\n' && c != '\t'),
                        "{c:?}: {text:?}"
                    );
                    assert!(!text.contains('\n'), "{c:?}: {text:?}");
                }
            }
        }
    }
}
