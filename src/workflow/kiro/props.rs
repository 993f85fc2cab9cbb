//! Properties of reading and rendering `tasks.md` over generated files: rendering with
//! no change gives the file back byte for byte, and a change of marks changes those
//! marks' bytes and nothing else.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::tasks_md::TasksFile;
use crate::model::Mark;

/// One line of a generated file: tasks at any depth with any mark (some that Kiro does
/// not write), optional or not, details, requirement lines, headings, prose, fences.
fn line() -> impl Strategy<Value = String> {
    let number = proptest::collection::vec(1u32..12, 1..4).prop_map(|parts| {
        parts
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(".")
    });
    let task = (
        0usize..3,
        prop_oneof![
            Just(' '),
            Just('x'),
            Just('X'),
            Just('-'),
            Just('~'),
            Just('é')
        ],
        any::<bool>(),
        number,
        any::<bool>(),
        "[A-Za-z0-9 ,éß]{0,12}",
    )
        .prop_map(|(indent, mark, optional, number, dot, title)| {
            format!(
                "{}- [{mark}]{} {number}{} {title}",
                "  ".repeat(indent),
                if optional { "*" } else { "" },
                if dot { "." } else { "" }
            )
        });
    prop_oneof![
        4 => task,
        1 => "[ -]{0,4}_Requirements: [0-9., ]{0,10}_".prop_map(String::from),
        1 => "[ ]{0,4}- [A-Za-z é]{0,10}".prop_map(String::from),
        1 => "#{1,3} [A-Za-z ]{0,10}".prop_map(String::from),
        1 => Just("```".to_string()),
        1 => "[^\n\r]{0,16}".prop_map(String::from),
    ]
}

fn file() -> impl Strategy<Value = String> {
    (
        proptest::collection::vec(line(), 0..24),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(lines, crlf, last_newline)| {
            let ending = if crlf { "\r\n" } else { "\n" };
            let mut text = lines.join(ending);
            if last_newline && !text.is_empty() {
                text.push_str(ending);
            }
            text
        })
}

fn mark() -> impl Strategy<Value = Mark> {
    prop_oneof![
        Just(Mark::Pending),
        Just(Mark::InProgress),
        Just(Mark::Done)
    ]
}

proptest! {
    #[test]
    fn rendering_without_change_is_identical(text in file()) {
        let parsed = TasksFile::parse(&text);
        prop_assert_eq!(parsed.render(&BTreeMap::new()), text.clone());
        // Rendering every task's own mark changes nothing either (numbers are unique in
        // a file a sync accepts).
        prop_assume!(parsed.duplicate_numbers().is_empty());
        let own: BTreeMap<String, Mark> =
            parsed.items.iter().map(|i| (i.number.clone(), i.mark)).collect();
        prop_assert_eq!(parsed.render(&own), text);
    }

    #[test]
    fn changing_marks_changes_only_their_bytes(text in file(), marks in proptest::collection::vec(mark(), 24)) {
        let parsed = TasksFile::parse(&text);
        let wanted: BTreeMap<String, Mark> = parsed
            .items
            .iter()
            .zip(&marks)
            .map(|(item, mark)| (item.number.clone(), *mark))
            .collect();
        let out = parsed.render(&wanted);
        prop_assert_eq!(out.len(), text.len());
        // Tasks of one number all take its mark; count the bytes that must change.
        let moved = parsed
            .items
            .iter()
            .filter(|i| wanted.get(&i.number).is_some_and(|m| *m != i.mark))
            .count();
        let differing = out.bytes().zip(text.bytes()).filter(|(a, b)| a != b).count();
        prop_assert!(differing <= moved);
        let again = TasksFile::parse(&out);
        prop_assert_eq!(again.items.len(), parsed.items.len());
        prop_assert_eq!(&again.unparsed, &parsed.unparsed);
        for (before, after) in parsed.items.iter().zip(&again.items) {
            prop_assert_eq!(&before.number, &after.number);
            prop_assert_eq!(&before.title, &after.title);
            prop_assert_eq!(before.optional, after.optional);
            prop_assert_eq!(&before.requirements, &after.requirements);
            prop_assert_eq!(&before.lines, &after.lines);
            let expected = wanted.get(&before.number).copied().unwrap_or(before.mark);
            prop_assert_eq!(after.mark, expected);
        }
    }
}

/// A file of numbered tasks only, unique numbers, titles from a small set so that
/// edits reuse, swap and repeat titles.
fn plan_file() -> impl Strategy<Value = String> {
    let task = (
        prop_oneof![Just(' '), Just('x'), Just('-')],
        any::<bool>(),
        prop_oneof![
            Just("Alpha"),
            Just("Beta"),
            Just("Gamma"),
            Just("Delta"),
            Just("Beta")
        ],
        0usize..3,
    );
    proptest::collection::vec(task, 0..10).prop_map(|tasks| {
        let mut text = String::new();
        let (mut top, mut sub) = (0, 0);
        for (mark, optional, title, kind) in tasks {
            let star = if optional { "*" } else { "" };
            if kind == 0 || top == 0 {
                top += 1;
                sub = 0;
                text.push_str(&format!("- [{mark}]{star} {top}. {title}\n"));
            } else {
                sub += 1;
                text.push_str(&format!("  - [{mark}]{star} {top}.{sub} {title}\n"));
            }
        }
        text
    })
}

proptest! {
    /// Whatever the file becomes, a sync leaves exactly one task per numbered line,
    /// each with its number as id, and a second sync has nothing left to do.
    #[test]
    fn a_sync_leaves_one_task_per_line_and_converges(before in plan_file(), after in plan_file()) {
        use crate::model::{MilestoneFiles, MilestoneId};
        use super::{plan, spec_milestone, PhaseDocuments};
        let id = MilestoneId::new("feature").unwrap();
        let definition = spec_milestone(id.clone(), ".kiro/specs/feature", &PhaseDocuments::new(false), &TasksFile::parse(&before)).unwrap();
        let file = TasksFile::parse(&after);
        let planned = plan(&file, &definition).unwrap();
        prop_assert!(planned.conflicts.is_empty(), "no ref change, so no conflict");
        let files = MilestoneFiles { definition, state: None, sessions: None, approvals: None };
        let applied = super::apply::sync(Some(files), &id, &planned.changes).unwrap();
        let synced = applied.files.unwrap().definition;
        let ids: Vec<&str> = synced.tasks.iter().filter(|t| t.kiro_task.is_some()).map(|t| t.id.as_str()).collect();
        let numbers: Vec<&str> = file.items.iter().map(|i| i.number.as_str()).collect();
        prop_assert_eq!(ids, numbers);
        let rendered = file.render(&planned.file_marks);
        let again = plan(&TasksFile::parse(&rendered), &synced).unwrap();
        prop_assert!(!again.changes_ref && again.file_marks.is_empty(), "{:?}", again);
    }
}
