//! A local cache of what listings show of each milestone, so that `list` and `status`
//! at a thousand milestones read one small file instead of parsing every milestone's
//! YAML. Like the event index it lives under the worktree's git dir, can be deleted at
//! any time and is never trusted over the ref: an entry is keyed by the id of the
//! milestone's tree, so it is used only for exactly the files it was computed from,
//! and by the version of this program, whose rules computed it. A missing or
//! unreadable file is a cache of nothing; one that cannot be written is bypassed.
//!
//! One line per milestone, after a header line: the tree id, then the summary's fields
//! separated by tabs (title and due date escaped), in the tree's order. Not JSON: a
//! listing decodes a thousand of these, and splitting on tabs is several times cheaper.

use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::path::Path;

use chrono::{Datelike, NaiveDate};
use git2::{ObjectType, Oid};

use super::{Snapshot, Store, StoreError};
use crate::model::MilestoneId;
use crate::workflow::summary::{summarize, MilestoneSummary};
use crate::workflow::MilestoneStatus;

/// The first line of the file: another format or another program version rebuilds it.
const HEADER: &str = concat!("git-milestone summaries 3 ", env!("CARGO_PKG_VERSION"));
/// The file's name in the local folder.
const FILE: &str = "summaries";
/// The characters that would break a line or a field, and how a field writes them.
const ESCAPES: [(char, &str); 4] = [('\\', "\\\\"), ('\t', "\\t"), ('\n', "\\n"), ('\r', "\\r")];

impl Store {
    /// The summary of every milestone at `snapshot`, in id order; a milestone whose
    /// files cannot be read gives its error in its place, so one broken milestone does
    /// not hide the others.
    pub fn milestone_summaries(
        &self,
        snapshot: &Snapshot<'_>,
    ) -> Result<Vec<Result<MilestoneSummary, StoreError>>, StoreError> {
        let Some(folder) = snapshot.milestones_tree()? else {
            return Ok(Vec::new());
        };
        let path = self.local_dir().join(FILE);
        let text = fs::read_to_string(&path).unwrap_or_default();
        let mut cached = Cached::parse(&text);
        let mut read: Vec<(Oid, Result<MilestoneSummary, StoreError>)> = Vec::new();
        let mut missed = false;
        for entry in folder.iter() {
            let Some(name) = entry
                .name()
                .filter(|_| entry.kind() == Some(ObjectType::Tree))
            else {
                continue;
            };
            // A line is written only for a milestone read under its valid id.
            if let Some(summary) = cached
                .find(entry.id())
                .and_then(decode)
                .filter(|s| s.id == name)
            {
                read.push((entry.id(), Ok(summary)));
                continue;
            }
            // Entries whose names are not ids were not written by this tool (see
            // `Snapshot::milestone_ids`).
            let Ok(id) = MilestoneId::new(name) else {
                continue;
            };
            missed = true;
            match snapshot.milestone(&id) {
                Ok(Some(files)) => read.push((entry.id(), Ok(summarize(&files.definition)))),
                Ok(None) => {}
                Err(e) => read.push((entry.id(), Err(e))),
            }
        }
        let readable = read
            .iter()
            .filter_map(|(tree, r)| Some((*tree, r.as_ref().ok()?)));
        if missed || !cached.matched_all(readable.clone().count()) {
            // A cache: when it cannot be written (a read-only repository) the next
            // read computes the summaries again, as this one did.
            let _ = write(&path, readable);
        }
        let summaries = read.into_iter().map(|(_, r)| r).collect();
        Ok(summaries)
    }
}

/// The entries of a cache file, in the order they were written (the tree's order).
struct Cached<'a> {
    /// `(tree id in hex, the summary's fields)`.
    lines: Vec<(&'a str, &'a str)>,
    /// The line the next milestone is expected at.
    next: usize,
    /// Lines found where expected.
    in_step: usize,
    /// Lines by tree id, built when the milestones are out of step with the file (one
    /// was added or removed since it was written).
    by_tree: Option<HashMap<&'a str, &'a str>>,
}

impl<'a> Cached<'a> {
    /// The file's entries, their fields not yet decoded; none when the header is not this
    /// program's.
    fn parse(text: &'a str) -> Self {
        let mut lines = text.lines();
        let lines = if lines.next() == Some(HEADER) {
            lines.filter_map(|line| line.split_once('\t')).collect()
        } else {
            Vec::new()
        };
        Cached {
            lines,
            next: 0,
            in_step: 0,
            by_tree: None,
        }
    }

    /// The summary fields cached for `tree`. Listings read the milestones in the order
    /// the file was written in, so the next line is nearly always the one.
    fn find(&mut self, tree: Oid) -> Option<&'a str> {
        if let Some(&(hex, json)) = self.lines.get(self.next) {
            if is_hex_of(hex, tree) {
                self.next += 1;
                self.in_step += 1;
                return Some(json);
            }
        }
        let lines = &self.lines;
        let by_tree = self
            .by_tree
            .get_or_insert_with(|| lines.iter().copied().collect());
        by_tree.get(tree.to_string().as_str()).copied()
    }

    /// Whether the file held exactly `count` entries, each found where expected.
    fn matched_all(&self, count: usize) -> bool {
        self.by_tree.is_none() && self.in_step == count && self.lines.len() == count
    }
}

/// Whether `hex` spells `oid` (lower case, as written): compared without allocating,
/// since a listing does it once per milestone.
fn is_hex_of(hex: &str, oid: Oid) -> bool {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let hex = hex.as_bytes();
    let bytes = oid.as_bytes();
    hex.len() == 2 * bytes.len()
        && bytes.iter().enumerate().all(|(i, b)| {
            hex[2 * i] == DIGITS[usize::from(b >> 4)]
                && hex[2 * i + 1] == DIGITS[usize::from(b & 15)]
        })
}

/// Appends the fields of `summary`: id, status, percentage, completed and total
/// tasks, due date (empty for none; a due date is never empty), the due day as days
/// from the common era (empty when the date does not read: parsing it costs more than
/// the rest of a line), title.
fn encode(summary: &MilestoneSummary, text: &mut String) {
    use std::fmt::Write;
    // `{}` writes the shortest decimal that reads back as the same f64.
    let _ = write!(
        text,
        "{}\t{}\t{}\t{}\t{}\t",
        summary.id,
        summary.status.as_str(),
        summary.percentage,
        summary.completed_tasks,
        summary.total_tasks
    );
    escape(summary.due.as_deref().unwrap_or(""), text);
    text.push('\t');
    if let Some(day) = summary.due_day {
        let _ = write!(text, "{}", day.num_days_from_ce());
    }
    text.push('\t');
    escape(&summary.title, text);
}

/// The summary in `fields`, or `None` when they are not what [`encode`] writes.
fn decode(fields: &str) -> Option<MilestoneSummary> {
    let mut fields = fields.split('\t');
    let mut next = || fields.next();
    let id = next()?.to_string();
    let status = match next()? {
        "planned" => MilestoneStatus::Planned,
        "in_progress" => MilestoneStatus::InProgress,
        "completed" => MilestoneStatus::Completed,
        _ => return None,
    };
    let percentage = next()?.parse().ok()?;
    let completed_tasks = next()?.parse().ok()?;
    let total_tasks = next()?.parse().ok()?;
    let due = unescape(next()?)?;
    let due_day = match next()? {
        "" => None,
        days => Some(NaiveDate::from_num_days_from_ce_opt(days.parse().ok()?)?),
    };
    let title = unescape(next()?)?;
    if next().is_some() {
        return None;
    }
    Some(MilestoneSummary {
        id,
        title,
        due: (!due.is_empty()).then_some(due),
        due_day,
        percentage,
        completed_tasks,
        total_tasks,
        status,
    })
}

fn escape(value: &str, text: &mut String) {
    for c in value.chars() {
        match ESCAPES.iter().find(|(raw, _)| *raw == c) {
            Some((_, escaped)) => text.push_str(escaped),
            None => text.push(c),
        }
    }
}

/// The value [`escape`] wrote, or `None` for an escape it does not write.
fn unescape(field: &str) -> Option<String> {
    if !field.contains('\\') {
        return Some(field.to_string());
    }
    let mut value = String::with_capacity(field.len());
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            value.push(c);
            continue;
        }
        let code = chars.next()?;
        let (raw, _) = ESCAPES
            .iter()
            .find(|(_, escaped)| escaped.ends_with(code))?;
        value.push(*raw);
    }
    Some(value)
}

/// Writes the cache whole, to a file of its own that is then renamed over the old
/// one: a reader sees the old file or the new one, and two writers each leave a
/// complete file.
fn write<'s>(
    path: &Path,
    entries: impl Iterator<Item = (Oid, &'s MilestoneSummary)>,
) -> std::io::Result<()> {
    let mut text = String::with_capacity(HEADER.len() + 1);
    text.push_str(HEADER);
    text.push('\n');
    for (tree, summary) in entries {
        text.push_str(&tree.to_string());
        text.push('\t');
        encode(summary, &mut text);
        text.push('\n');
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let temporary = dir.join(format!("{FILE}.{}.tmp", std::process::id()));
    let result = fs::File::create(&temporary)
        .and_then(|mut file| file.write_all(text.as_bytes()))
        .and_then(|()| fs::rename(&temporary, path));
    if result.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_of_another_version_is_a_cache_of_nothing() {
        let tree = "0123456789012345678901234567890123456789";
        let line = format!("{tree}\t{{}}");
        let text = format!("{HEADER}\n{line}\n");
        assert_eq!(Cached::parse(&text).lines.len(), 1);
        let old = format!("git-milestone summaries 0 0.0.0\n{line}\n");
        assert!(Cached::parse(&old).lines.is_empty());
        assert!(Cached::parse("").lines.is_empty());
    }

    fn summary(title: &str, due: Option<&str>, percentage: f64) -> MilestoneSummary {
        MilestoneSummary {
            id: "m-1.x_y".into(),
            title: title.into(),
            due: due.map(String::from),
            due_day: due.and_then(crate::workflow::due::due_day),
            percentage,
            completed_tasks: 3,
            total_tasks: 7,
            status: MilestoneStatus::InProgress,
        }
    }

    #[test]
    fn summaries_read_back_exactly() {
        for s in [
            summary("", None, 0.0),
            summary("Plain title", Some("2026-12-31"), 50.0 / 3.0),
            summary(
                "tab\there, newline\nthere\r, back\\slash \\t not a tab",
                Some("a\tb"),
                1e-300,
            ),
            summary("ünïcödé ✓", Some("2026-01-01T10:00:00+02:00"), 100.0),
        ] {
            let mut line = String::new();
            encode(&s, &mut line);
            assert!(!line.contains('\n'), "{line:?}");
            assert_eq!(decode(&line).as_ref(), Some(&s), "{line:?}");
        }
    }

    #[test]
    fn lines_that_are_not_summaries_decode_to_nothing() {
        let mut good = String::new();
        encode(&summary("t", None, 10.0), &mut good);
        for bad in [
            String::new(),
            "m1".to_string(),
            good.replace("in_progress", "done"),
            good.replace("\t10\t", "\tten\t"),
            format!("{good}\textra"),
            format!("{good}\\q"),
            format!("{good}\\"),
            good.replacen("\t\t\t", "\t\tsoon\t", 1),
        ] {
            assert_eq!(decode(&bad), None, "{bad:?}");
        }
    }

    #[test]
    fn entries_are_found_in_step_and_out_of_step() {
        let [a, b, c] =
            ["a", "b", "c"].map(|s| Oid::hash_object(ObjectType::Blob, s.as_bytes()).unwrap());
        let text = format!("{HEADER}\n{a}\tA\n{b}\tB\n{c}\tC\n");
        let mut cached = Cached::parse(&text);
        assert_eq!(
            (cached.find(a), cached.find(b), cached.find(c)),
            (Some("A"), Some("B"), Some("C"))
        );
        assert!(cached.matched_all(3));
        let mut cached = Cached::parse(&text);
        assert_eq!((cached.find(a), cached.find(c)), (Some("A"), Some("C")));
        assert!(!cached.matched_all(2), "b was removed");
        let mut cached = Cached::parse(&text);
        let new = Oid::hash_object(ObjectType::Blob, b"new").unwrap();
        assert_eq!(cached.find(new), None);
        assert_eq!(cached.find(a), Some("A"));
        assert!(!cached.matched_all(2));
    }

    #[test]
    fn hex_is_compared_digit_by_digit() {
        let oid = Oid::hash_object(ObjectType::Blob, b"x").unwrap();
        assert!(is_hex_of(&oid.to_string(), oid));
        assert!(!is_hex_of(&oid.to_string().to_uppercase(), oid));
        assert!(!is_hex_of(&oid.to_string()[..39], oid));
        assert!(!is_hex_of("not hex at all", oid));
        let other = Oid::hash_object(ObjectType::Blob, b"y").unwrap();
        assert!(!is_hex_of(&other.to_string(), oid));
    }
}
