//! Whether a deliverable still says what was approved, under the gate's rule: the
//! same bytes (`exact`), the same text (`text`: CRLF against LF and trailing spaces do
//! not count), or the same plan (`plan`: checkbox marks do not count either, so
//! ticking the boxes of a Kiro `tasks.md` does not undo the approval of the plan).

use crate::model::CompareRule;

/// The rule a deliverable is compared under when the gate names none: a Kiro plan
/// (`tasks.md`) is a plan, anything else exact.
pub fn default_rule(path: &str) -> CompareRule {
    match path.rsplit('/').next() {
        Some("tasks.md") => CompareRule::Plan,
        _ => CompareRule::Exact,
    }
}

/// The rule for `path` under a gate that names `gate_rule` (or none).
pub fn rule_for(path: &str, gate_rule: Option<CompareRule>) -> CompareRule {
    gate_rule.unwrap_or_else(|| default_rule(path))
}

/// Whether `bound` and `current` are the same under `rule`.
pub fn same_content(rule: CompareRule, bound: &[u8], current: &[u8]) -> bool {
    match rule {
        CompareRule::Exact => bound == current,
        CompareRule::Text | CompareRule::Plan => {
            let plan = rule == CompareRule::Plan;
            normalized(bound, plan).eq(normalized(current, plan))
        }
    }
}

/// The lines of `bytes` as the rule sees them. A final newline or its absence does
/// not count either: it is a line ending too.
fn normalized(bytes: &[u8], plan: bool) -> impl Iterator<Item = Vec<u8>> + '_ {
    let text = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    text.split(|b| *b == b'\n').map(move |line| {
        let end = line
            .iter()
            .rposition(|b| !matches!(b, b' ' | b'\t' | b'\r'))
            .map_or(0, |i| i + 1);
        let mut line = line[..end].to_vec();
        if plan {
            unmark(&mut line);
        }
        line
    })
}

/// `- [x] 1. Do it` → `- [ ] 1. Do it`: the mark inside a list item's checkbox.
fn unmark(line: &mut [u8]) {
    let indent = line
        .iter()
        .take_while(|b| matches!(b, b' ' | b'\t'))
        .count();
    let item = &line[indent..];
    let is_box = item.len() >= 5
        && matches!(item[0], b'-' | b'*' | b'+')
        && item[1] == b' '
        && item[2] == b'['
        && item[4] == b']'
        && matches!(item[3], b' ' | b'x' | b'X' | b'-');
    if is_box {
        line[indent + 3] = b' ';
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use CompareRule::{Exact, Plan, Text};

    #[test]
    fn each_rule_ignores_what_it_says_and_nothing_more() {
        let cases: &[(&str, &str, [bool; 3])] = &[
            // bound, current, [exact, text, plan]
            ("a\nb\n", "a\nb\n", [true, true, true]),
            ("a\nb\n", "a\r\nb\r\n", [false, true, true]),
            ("a\nb\n", "a  \nb\t\n", [false, true, true]),
            ("a\nb\n", "a\nb", [false, true, true]),
            ("a\nb\n", "a\nc\n", [false, false, false]),
            ("a\nb\n", "a\n\nb\n", [false, false, false]),
            ("a\nb\n", " a\nb\n", [false, false, false]),
            ("- [ ] 1. Do\n", "- [x] 1. Do\n", [false, false, true]),
            ("  - [ ] 1.1 Do\n", "  - [-] 1.1 Do\n", [false, false, true]),
            ("* [X] Do\n", "* [ ] Do\n", [false, false, true]),
            ("- [ ] 1. Do\n", "- [x] 1. Don't\n", [false, false, false]),
            (
                "- [ ]* 2. Maybe\n",
                "- [x]* 2. Maybe\n",
                [false, false, true],
            ),
            (
                "[x] not a list item\n",
                "[ ] not a list item\n",
                [false, false, false],
            ),
            ("- [?] odd\n", "- [ ] odd\n", [false, false, false]),
        ];
        for (bound, current, expected) in cases {
            for (rule, want) in [Exact, Text, Plan].into_iter().zip(expected) {
                assert_eq!(
                    same_content(rule, bound.as_bytes(), current.as_bytes()),
                    *want,
                    "{rule:?}: {bound:?} vs {current:?}"
                );
            }
        }
    }

    #[test]
    fn a_kiro_plan_defaults_to_the_plan_rule() {
        assert_eq!(default_rule(".kiro/specs/x/tasks.md"), Plan);
        assert_eq!(default_rule("tasks.md"), Plan);
        assert_eq!(default_rule("design.md"), Exact);
        assert_eq!(default_rule("my-tasks.md"), Exact);
        assert_eq!(rule_for("tasks.md", Some(Exact)), Exact);
        assert_eq!(rule_for("design.md", Some(Text)), Text);
    }

    /// One line of a plan: an indent, a checkbox with any mark or none, some words.
    fn plan_line() -> impl proptest::strategy::Strategy<Value = (String, char, String)> {
        (
            "[ ]{0,4}",
            proptest::sample::select(vec![' ', 'x', 'X', '-']),
            "[a-z0-9 .*]{0,12}",
        )
    }

    proptest::proptest! {
        /// Over any plan: marks never matter under plan, always under text; and each
        /// rule accepts whatever a stricter one accepts.
        #[test]
        fn marks_count_only_outside_the_plan_rule_and_rules_nest(
            lines in proptest::collection::vec((plan_line(), proptest::sample::select(vec![' ', 'x', 'X', '-'])), 0..8),
            crlf: bool,
        ) {
            let render = |pick: &dyn Fn(char, char) -> char| -> String {
                let end = if crlf { "\r\n" } else { "\n" };
                lines
                    .iter()
                    .map(|((indent, mark, words), other)| format!("{indent}- [{}] {words}{end}", pick(*mark, *other)))
                    .collect()
            };
            let bound = render(&|mark, _| mark);
            let ticked = render(&|_, other| other);
            let b = bound.as_bytes();
            proptest::prop_assert!(same_content(Plan, b, ticked.as_bytes()));
            let marks_differ = lines.iter().any(|((_, m, _), o)| m != o);
            proptest::prop_assert_eq!(same_content(Text, b, ticked.as_bytes()), !marks_differ);
            for other in [ticked.as_str(), &bound.replace("\r\n", "\n"), "unrelated\n"] {
                let o = other.as_bytes();
                if same_content(Exact, b, o) {
                    proptest::prop_assert!(same_content(Text, b, o));
                }
                if same_content(Text, b, o) {
                    proptest::prop_assert!(same_content(Plan, b, o));
                }
            }
        }
    }
}
