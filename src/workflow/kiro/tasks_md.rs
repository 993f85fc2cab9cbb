//! Reading and rewriting a Kiro `tasks.md`: a checklist of numbered tasks
//! (`- [ ] 1. Title`), sub-tasks indented under them (`  - [ ] 1.1 Title`), marks
//! `[ ]` `[-]` `[x]`, `*` after the checkbox for an optional task, and detail bullets
//! with a `_Requirements: 1.1, 2.3_` line under a task.
//!
//! Reading never loses a byte: the file is kept as it is, and rendering rewrites only
//! the mark characters of tasks whose mark changed, so a file read and rendered with
//! no change comes back identical.

use std::collections::BTreeMap;

use crate::model::Mark;

/// One numbered task of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecItem {
    /// Its number as written, without a trailing dot: `2`, `2.1`.
    pub number: String,
    /// Its title, trimmed.
    pub title: String,
    /// Its mark.
    pub mark: Mark,
    /// Marked `*` after the checkbox.
    pub optional: bool,
    /// The numbers listed by the `_Requirements: …_` line under it.
    pub requirements: Vec<String>,
    /// How many levels below a top-level task it is (`2` is 0, `2.1` is 1).
    pub depth: usize,
    /// Its lines: the checkbox line (0-based) up to, not including, the next task's.
    pub lines: std::ops::Range<usize>,
    /// Where its mark character is in the file, in bytes.
    mark_at: usize,
}

/// A line that looks like a checkbox but that this reader cannot take as a task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unparsed {
    /// Its line number, 1-based as editors show it.
    pub line: usize,
    /// The line as it is, without its line ending.
    pub text: String,
}

/// A `tasks.md` as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TasksFile {
    text: String,
    /// The numbered tasks, in the file's order.
    pub items: Vec<SpecItem>,
    /// Checkbox lines that are not tasks, kept as they are.
    pub unparsed: Vec<Unparsed>,
}

/// What a checkbox line holds.
struct Checkbox<'a> {
    mark: Option<Mark>,
    mark_offset: usize,
    optional: bool,
    rest: &'a str,
}

/// The checkbox of a line `- [m]rest` (any indentation, `-`, `*` or `+`), if it is one.
fn checkbox(line: &str) -> Option<Checkbox<'_>> {
    let trimmed = line.trim_start();
    let indent = line.len() - trimmed.len();
    let mut chars = trimmed.char_indices();
    let (_, bullet) = chars.next()?;
    if !matches!(bullet, '-' | '*' | '+') || !trimmed[1..].starts_with(" [") {
        return None;
    }
    let inner = &trimmed[3..];
    let mark_char = inner.chars().next()?;
    let after = &inner[mark_char.len_utf8()..];
    let after = after.strip_prefix(']')?;
    let (optional, rest) = match after.strip_prefix('*') {
        Some(rest) => (true, rest),
        None => (false, after),
    };
    Some(Checkbox {
        mark: Mark::from_char(mark_char),
        mark_offset: indent + 3,
        optional,
        rest,
    })
}

/// `1. Title` or `1.2 Title` (a dot after the number is allowed at any depth).
fn number_and_title(rest: &str) -> Option<(String, String)> {
    let rest = rest.strip_prefix([' ', '\t'])?.trim_start();
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    let number = rest[..end].trim_end_matches('.');
    let well_formed = !number.is_empty()
        && number
            .split('.')
            .all(|part| !part.is_empty() && part.len() <= 9);
    if !well_formed || !rest[end..].starts_with([' ', '\t']) {
        return None;
    }
    let title = rest[end..].trim();
    (!title.is_empty()).then(|| (number.to_string(), title.to_string()))
}

/// The numbers of a `_Requirements: 1.1, 2.3_` line (with or without its bullet).
fn requirements(line: &str) -> Option<Vec<String>> {
    let line = line.trim();
    let line = line
        .strip_prefix(['-', '*', '+'])
        .unwrap_or(line)
        .trim_start();
    let inner = line.strip_prefix('_')?.strip_suffix('_')?;
    let list = inner.strip_prefix("Requirements:")?;
    Some(
        list.split(',')
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_string)
            .collect(),
    )
}

impl TasksFile {
    /// Reads `text`; never fails: what it cannot read is listed in `unparsed`.
    pub fn parse(text: &str) -> TasksFile {
        let mut items: Vec<SpecItem> = Vec::new();
        let mut unparsed = Vec::new();
        let mut offset = 0;
        let mut in_fence = false;
        for (index, raw) in text.split_inclusive('\n').enumerate() {
            let line = raw.trim_end_matches(['\n', '\r']);
            let start = offset;
            offset += raw.len();
            if line.trim_start().starts_with("```") {
                in_fence = !in_fence;
            }
            if in_fence {
                continue;
            }
            if let Some(found) = checkbox(line) {
                let parsed = found.mark.zip(number_and_title(found.rest));
                close_last(&mut items, index);
                match parsed {
                    Some((mark, (number, title))) => items.push(SpecItem {
                        depth: number.matches('.').count(),
                        number,
                        title,
                        mark,
                        optional: found.optional,
                        requirements: Vec::new(),
                        lines: index..index + 1,
                        mark_at: start + found.mark_offset,
                    }),
                    None => unparsed.push(Unparsed {
                        line: index + 1,
                        text: line.to_string(),
                    }),
                }
                continue;
            }
            if line.starts_with('#') {
                close_last(&mut items, index);
                continue;
            }
            if let Some(last) = items.last_mut().filter(|i| i.lines.end == index) {
                last.lines.end = index + 1;
                if let Some(list) = requirements(line) {
                    last.requirements = list;
                }
            }
        }
        TasksFile {
            text: text.to_string(),
            items,
            unparsed,
        }
    }

    /// The file as read.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The task numbered `number`.
    pub fn item(&self, number: &str) -> Option<&SpecItem> {
        self.items.iter().find(|i| i.number == number)
    }

    /// The file with the marks of `marks` (by task number) written in; every other
    /// byte, and the marks of tasks not listed or unchanged, stay as they are.
    pub fn render(&self, marks: &BTreeMap<String, Mark>) -> String {
        let mut bytes = self.text.clone().into_bytes();
        for item in &self.items {
            match marks.get(&item.number) {
                Some(mark) if *mark != item.mark => {
                    // Marks are ASCII, and so was the byte they replace.
                    bytes[item.mark_at] = mark.as_char() as u8;
                }
                _ => {}
            }
        }
        String::from_utf8(bytes).unwrap_or_else(|_| self.text.clone())
    }

    /// Numbers that more than one task has: a file with those cannot be matched.
    pub fn duplicate_numbers(&self) -> Vec<String> {
        let mut seen = std::collections::BTreeSet::new();
        let mut twice: Vec<String> = Vec::new();
        for item in &self.items {
            if !seen.insert(item.number.as_str()) && !twice.contains(&item.number) {
                twice.push(item.number.clone());
            }
        }
        twice
    }
}

/// Ends the last task's lines at `index` (a new checkbox or a heading starts there).
fn close_last(items: &mut [SpecItem], index: usize) {
    if let Some(last) = items.last_mut() {
        last.lines.end = last.lines.end.min(index).max(last.lines.start + 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"# Implementation Plan

- [x] 1. Set up the project
  - Create the folders
  - _Requirements: 1.1, 1.2_

- [-] 2. Build the parser
  - [x] 2.1 Read checkboxes
    - _Requirements: 2.1_
  - [ ] 2.2 Keep unknown lines
  - [ ]* 2.3 Fuzz it
- [ ] Not numbered
- [~] 3. Odd mark
```
- [ ] 9. inside a fence
```
"#;

    #[test]
    fn reads_numbers_marks_optional_and_requirements() {
        let file = TasksFile::parse(SAMPLE);
        let seen: Vec<_> = file
            .items
            .iter()
            .map(|i| (i.number.as_str(), i.mark, i.optional, i.depth))
            .collect();
        assert_eq!(
            seen,
            [
                ("1", Mark::Done, false, 0),
                ("2", Mark::InProgress, false, 0),
                ("2.1", Mark::Done, false, 1),
                ("2.2", Mark::Pending, false, 1),
                ("2.3", Mark::Pending, true, 1),
            ]
        );
        assert_eq!(file.item("1").unwrap().requirements, ["1.1", "1.2"]);
        assert_eq!(file.item("2.1").unwrap().requirements, ["2.1"]);
        assert_eq!(file.item("2").unwrap().title, "Build the parser");
        assert_eq!(file.item("1").unwrap().lines, 2..6);
        let unparsed: Vec<_> = file.unparsed.iter().map(|u| u.line).collect();
        assert_eq!(unparsed, [12, 13]);
    }

    #[test]
    fn rendering_unchanged_is_identical_and_changes_only_marks() {
        let file = TasksFile::parse(SAMPLE);
        assert_eq!(file.render(&BTreeMap::new()), SAMPLE);
        let marks = BTreeMap::from([
            ("2.2".to_string(), Mark::Done),
            ("2".to_string(), Mark::Done),
            ("1".to_string(), Mark::Done),
        ]);
        let out = file.render(&marks);
        let changed: Vec<_> = SAMPLE
            .lines()
            .zip(out.lines())
            .filter(|(a, b)| a != b)
            .map(|(_, b)| b)
            .collect();
        assert_eq!(
            changed,
            [
                "- [x] 2. Build the parser",
                "  - [x] 2.2 Keep unknown lines"
            ]
        );
    }

    #[test]
    fn line_endings_and_uppercase_marks_are_kept() {
        let text = "- [X] 1. Done\r\n- [ ] 2. Next\r\n";
        let file = TasksFile::parse(text);
        assert_eq!(file.items[0].mark, Mark::Done);
        assert_eq!(file.items[1].title, "Next");
        let out = file.render(&BTreeMap::from([("2".to_string(), Mark::InProgress)]));
        assert_eq!(out, "- [X] 1. Done\r\n- [-] 2. Next\r\n");
    }

    #[test]
    fn refuses_lines_that_only_look_like_tasks() {
        for line in [
            "- [ ] 1.",
            "- [ ]1. x",
            "- [ ] 1..2 x",
            "- [] 1. x",
            "- [é] 1. x",
            "-[ ] 1. x",
        ] {
            let file = TasksFile::parse(line);
            assert!(file.items.is_empty(), "{line:?} read as a task");
        }
        assert!(TasksFile::parse("text [x] 1. not a bullet")
            .unparsed
            .is_empty());
    }

    #[test]
    fn lists_duplicate_numbers() {
        let file = TasksFile::parse("- [ ] 1. a\n- [ ] 1. b\n- [ ] 2. c\n");
        assert_eq!(file.duplicate_numbers(), ["1"]);
    }
}
