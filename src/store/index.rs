//! A local index of the event log, so that reading events does not decode the whole
//! history each time. It lives under the worktree's git dir, is rebuilt incrementally
//! from the ref, can be deleted at any time, and is never trusted over the ref: it
//! records the tip it covers and its own length, and anything that does not match is
//! rebuilt or bypassed.
//!
//! One line per event, in timeline order: `<sort key>\t<event JSON>`. The sort key is
//! `(lamport, timestamp, commit, position)`, followed by the event's milestone and type
//! so that filters read them without parsing the JSON. The order is the order in which a merge replays the
//! operations, which follows causality (an operation comes after everything it was
//! made on top of) whatever the clocks say, and is the same with or without the index.

use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use git2::{Oid, Sort};
use serde::{Deserialize, Serialize};

use super::lock::FileLock;
use super::message;
use super::{Store, StoreError};
use crate::model::EventRecord;

/// Bumped when the line format changes; an index of another version is rebuilt.
const INDEX_VERSION: u32 = 3;

/// What the index covers.
#[derive(Debug, Serialize, Deserialize)]
struct Meta {
    version: u32,
    tip: String,
    len: u64,
}

/// One event with its place in the timeline.
pub(super) struct Keyed {
    pub key: String,
    pub record: EventRecord,
}

/// The timeline sort key of an event, with its milestone and type after it.
fn sort_key(record: &EventRecord, lamport: u64, commit: &str, position: usize) -> String {
    // Timestamps are normalized to one format, so that text order is time order.
    let normalized = chrono::DateTime::parse_from_rfc3339(&record.timestamp)
        .map(|t| crate::clock::format_time(t.with_timezone(&chrono::Utc)))
        .unwrap_or_else(|_| record.timestamp.replace(['|', '\t', '\n'], " "));
    let milestone = record
        .milestone_id
        .as_deref()
        .map_or(NO_MILESTONE, key_field);
    let event_type = key_field(&record.event_type);
    // As wide as the largest position can be: an operation's events stay in order
    // whatever their number (six digits misordered those past the millionth).
    format!("{lamport:020}|{normalized}|{commit}|{position:020}|{milestone}|{event_type}")
}

/// Stands for an event of no milestone in a key (no milestone id starts with '-').
const NO_MILESTONE: &str = "-";
/// Stands for a value a key cannot hold as it is: the JSON must be checked.
const UNKNOWN: &str = "*";

/// A milestone id or event type as a key holds it, or [`UNKNOWN`] when it has
/// characters that could break the line (imported event types may).
fn key_field(value: &str) -> &str {
    let plain = !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'));
    if plain && value != NO_MILESTONE && value != UNKNOWN {
        value
    } else {
        UNKNOWN
    }
}

impl Store {
    /// The events of the commits reachable from `from` and not from `hide`, keyed and
    /// in timeline order (oldest first).
    pub(super) fn keyed_events(
        &self,
        from: Oid,
        hide: Option<Oid>,
    ) -> Result<Vec<Keyed>, StoreError> {
        let mut walk = self.repo.revwalk()?;
        walk.set_sorting(Sort::NONE)?;
        walk.push(from)?;
        if let Some(hide) = hide {
            walk.hide(hide)?;
        }
        let mut headers = Vec::new();
        for oid in walk {
            let oid = oid?;
            let commit = self.repo.find_commit(oid)?;
            let Some(header) = message::decode_header(commit.message().unwrap_or("")) else {
                continue;
            };
            let user = commit.author().name().unwrap_or("").to_string();
            headers.push((oid, header, user));
        }
        let ignored = super::history::ignored_commits(headers.iter().map(|(o, h, _)| (*o, h)));
        let mut keyed = Vec::new();
        for (oid, mut header, user) in headers {
            if ignored.contains(&oid) {
                continue;
            }
            let commit_id = oid.to_string();
            let events = std::mem::take(&mut header.events);
            for (position, event) in events.into_iter().enumerate() {
                let record = super::history::record_of(event, &header, &user, oid);
                keyed.push(Keyed {
                    key: sort_key(&record, header.lamport, &commit_id, position),
                    record,
                });
            }
        }
        keyed.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(keyed)
    }

    /// Whether a commit reachable from `tip` and not from `old` lists ignored commits.
    fn lists_ignored(&self, tip: Oid, old: Oid) -> Result<bool, StoreError> {
        let mut walk = self.repo.revwalk()?;
        walk.push(tip)?;
        walk.hide(old)?;
        for oid in walk {
            let commit = self.repo.find_commit(oid?)?;
            if commit.parent_count() < 2 && !commit.message().unwrap_or("").contains("\"ignored\"")
            {
                continue;
            }
            let header = message::decode_header(commit.message().unwrap_or(""));
            if header.is_some_and(|h| !h.op.ignored.is_empty()) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn index_paths(&self) -> (PathBuf, PathBuf, PathBuf) {
        let dir = self.local_dir();
        (
            dir.join("events.idx"),
            dir.join("events.idx.meta"),
            dir.join("events.idx.lock"),
        )
    }

    /// The index file, brought up to `tip`; `None` when it cannot be used here (a
    /// read-only repository, another process updating it): callers then read the
    /// history directly.
    pub(super) fn event_index(&self, tip: Oid) -> Result<Option<PathBuf>, StoreError> {
        let (path, meta_path, lock_path) = self.index_paths();
        if let Some(meta) = read_meta(&meta_path) {
            if meta.tip == tip.to_string() && file_len(&path) == Some(meta.len) {
                return Ok(Some(path));
            }
        }
        // The OS lock: one left by a process that died is free at once.
        let Some(_lock) = FileLock::try_acquire(&lock_path).ok().flatten() else {
            return Ok(None);
        };
        // Read again under the lock: another process may just have updated it.
        let meta = read_meta(&meta_path);
        let result = match meta {
            Some(meta) if meta.tip == tip.to_string() && file_len(&path) == Some(meta.len) => {
                Ok(())
            }
            Some(meta) => match Oid::from_str(&meta.tip) {
                Ok(old)
                    if file_len(&path).is_some_and(|l| l >= meta.len)
                        && self.repo.graph_descendant_of(tip, old).unwrap_or(false) =>
                {
                    self.extend_index(&path, meta.len, tip, old)
                }
                _ => self.rebuild_index(&path, tip),
            },
            None => self.rebuild_index(&path, tip),
        };
        match result {
            Ok(()) => {
                let len = file_len(&path).unwrap_or(0);
                write_meta(
                    &meta_path,
                    &Meta {
                        version: INDEX_VERSION,
                        tip: tip.to_string(),
                        len,
                    },
                )
                .map_err(|source| StoreError::Local {
                    what: "write the event index",
                    source,
                })?;
                Ok(Some(path))
            }
            // The index is a cache: if it cannot be written, read the history instead.
            Err(_) => Ok(None),
        }
    }

    fn rebuild_index(&self, path: &Path, tip: Oid) -> std::io::Result<()> {
        let keyed = self
            .keyed_events(tip, None)
            .map_err(std::io::Error::other)?;
        write_lines(path, keyed.iter(), false)
    }

    /// Appends the events of the commits after `old`; when a merge brought events
    /// older than the index's last one, the file is rewritten in order.
    fn extend_index(&self, path: &Path, valid_len: u64, tip: Oid, old: Oid) -> std::io::Result<()> {
        // A crash after appending and before writing the meta leaves extra bytes.
        OpenOptions::new()
            .write(true)
            .open(path)?
            .set_len(valid_len)?;
        // A merge that ignores fetched commits hides events the index may hold.
        if self
            .lists_ignored(tip, old)
            .map_err(std::io::Error::other)?
        {
            return self.rebuild_index(path, tip);
        }
        let new = self
            .keyed_events(tip, Some(old))
            .map_err(std::io::Error::other)?;
        let Some(first) = new.first() else {
            return Ok(());
        };
        if last_key(path)?.is_none_or(|last| last <= first.key) {
            return write_lines(path, new.iter(), true);
        }
        let mut all = read_all(path)?;
        all.extend(
            new.into_iter()
                .map(|k| (k.key.clone(), line_json(&k.record))),
        );
        all.sort_by(|a, b| a.0.cmp(&b.0));
        let temp = path.with_extension("idx.tmp");
        {
            let mut out = BufWriter::new(File::create(&temp)?);
            for (key, json) in &all {
                writeln!(out, "{key}\t{json}")?;
            }
            out.into_inner()?.sync_all()?;
        }
        fs::rename(temp, path)
    }
}

fn line_json(record: &EventRecord) -> String {
    serde_json::to_string(record).unwrap_or_default()
}

fn write_lines<'a>(
    path: &Path,
    keyed: impl Iterator<Item = &'a Keyed>,
    append: bool,
) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    let file = if append {
        OpenOptions::new().append(true).open(path)?
    } else {
        File::create(path)?
    };
    let mut out = BufWriter::new(file);
    for k in keyed {
        writeln!(out, "{}\t{}", k.key, line_json(&k.record))?;
    }
    out.into_inner()?.sync_all()
}

fn read_all(path: &Path) -> std::io::Result<Vec<(String, String)>> {
    BufReader::new(File::open(path)?)
        .lines()
        .map(|line| {
            let line = line?;
            let (key, json) = line.split_once('\t').unwrap_or((&line, ""));
            Ok((key.to_string(), json.to_string()))
        })
        .collect()
}

fn last_key(path: &Path) -> std::io::Result<Option<String>> {
    let mut last = None;
    for line in BufReader::new(File::open(path)?).lines() {
        let line = line?;
        last = Some(line.split('\t').next().unwrap_or("").to_string());
    }
    Ok(last)
}

fn read_meta(path: &Path) -> Option<Meta> {
    let meta: Meta = serde_json::from_slice(&fs::read(path).ok()?).ok()?;
    (meta.version == INDEX_VERSION).then_some(meta)
}

fn write_meta(path: &Path, meta: &Meta) -> std::io::Result<()> {
    let temp = path.with_extension("meta.tmp");
    fs::write(
        &temp,
        serde_json::to_vec(meta).map_err(std::io::Error::other)?,
    )?;
    fs::rename(temp, path)
}

fn file_len(path: &Path) -> Option<u64> {
    fs::metadata(path).ok().map(|m| m.len())
}

/// What [`scan`] selects by the key alone.
pub(super) struct KeyFilter<'a> {
    /// Only this milestone's events.
    pub milestone: Option<&'a str>,
    /// Only events of this type.
    pub event_type: Option<&'a str>,
    /// Only events at or after this normalized time.
    pub since: Option<&'a str>,
}

/// Streams the index lines, oldest first, with the event's JSON as stored. Lines the
/// key rules out are skipped unparsed; `exact` tells `visit` whether the key settled
/// the filter, or the JSON must still be checked.
pub(super) fn scan(
    path: &Path,
    filter: &KeyFilter<'_>,
    mut visit: impl FnMut(&str, bool) -> bool,
) -> std::io::Result<()> {
    let mut file = File::open(path)?;
    // Large reads into one buffer, lines found with a vectorized search: at 100,000
    // events the index is tens of megabytes, and this loop is most of the cost of a
    // filtered `events`.
    let mut buffer = vec![0u8; 1 << 20];
    let (mut start, mut end) = (0, 0);
    loop {
        while let Some(newline) = memchr::memchr(b'\n', &buffer[start..end]) {
            let line = &buffer[start..start + newline];
            start += newline + 1;
            if !visit_line(line, filter, &mut visit) {
                return Ok(());
            }
        }
        // Keep the incomplete line; make room when one line fills the buffer.
        buffer.copy_within(start..end, 0);
        end -= start;
        start = 0;
        if end == buffer.len() {
            buffer.resize(buffer.len() * 2, 0);
        }
        let read = match file.read(&mut buffer[end..]) {
            Ok(read) => read,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if read == 0 {
            if end > 0 {
                visit_line(&buffer[..end], filter, &mut visit);
            }
            return Ok(());
        }
        end += read;
    }
}

/// One index line through the filter; false when `visit` wants no more.
fn visit_line(
    line: &[u8],
    filter: &KeyFilter<'_>,
    visit: &mut impl FnMut(&str, bool) -> bool,
) -> bool {
    let Some(tab) = memchr::memchr(b'\t', line) else {
        return true;
    };
    // The key is compared as bytes, its last two fields found from its end: the
    // fields before them are never needed but for `since`.
    let key = &line[..tab];
    // A key short of fields (a damaged line) leaves the filter to the JSON.
    let unknown = UNKNOWN.as_bytes();
    let (milestone, event_type) = match memchr::memrchr(b'|', key) {
        Some(type_bar) => match memchr::memrchr(b'|', &key[..type_bar]) {
            Some(bar) => (&key[bar + 1..type_bar], &key[type_bar + 1..]),
            None => (unknown, &key[type_bar + 1..]),
        },
        None => (unknown, unknown),
    };
    if let Some(since) = filter.since {
        let mut fields = key.split(|&b| b == b'|');
        if fields.nth(1).unwrap_or(b"") < since.as_bytes() {
            return true;
        }
    }
    // A plain value in the key settles the filter; UNKNOWN leaves it to the JSON.
    let mut exact = true;
    for (wanted, stored) in [
        (filter.milestone, milestone),
        (filter.event_type, event_type),
    ] {
        match wanted {
            None => {}
            Some(_) if stored == unknown => exact = false,
            Some(wanted) if wanted.as_bytes() != stored => return true,
            Some(_) => {}
        }
    }
    // Only the lines that pass are checked as UTF-8.
    match std::str::from_utf8(&line[tab + 1..]) {
        Ok(json) => visit(json, exact),
        Err(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(milestone: Option<&str>, event_type: &str) -> EventRecord {
        EventRecord {
            timestamp: "2026-01-01T00:00:00Z".into(),
            milestone_id: milestone.map(str::to_string),
            session_id: None,
            event_type: event_type.into(),
            data: serde_json::Value::Null,
            user: String::new(),
            commit: "c".into(),
        }
    }

    #[test]
    fn keys_carry_plain_values_and_mark_the_others() {
        assert_eq!(key_field("task_added"), "task_added");
        for odd in ["a|b", "tab\there", "-", "*", "", "é"] {
            assert_eq!(key_field(odd), UNKNOWN, "{odd:?}");
        }
        let key = sort_key(&record(None, "x"), 7, "c", 1);
        assert!(key.ends_with("|-|x"), "{key}");
    }

    #[test]
    fn events_of_one_operation_keep_their_order_past_the_millionth() {
        let positions = [0, 9, 999_999, 1_000_000, 123_456_789, usize::MAX];
        let keys: Vec<String> = positions
            .iter()
            .map(|p| sort_key(&record(Some("m"), "x"), 1, "c", *p))
            .collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
    }

    #[test]
    fn scan_settles_plain_filters_by_key_and_leaves_odd_ones_to_the_json() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.idx");
        let events = [
            record(Some("m1"), "note"),
            record(Some("m2"), "note"),
            record(Some("m1"), "odd|type"),
        ];
        let keyed: Vec<Keyed> = events
            .iter()
            .enumerate()
            .map(|(i, r)| Keyed {
                key: sort_key(r, i as u64, "c", i),
                record: r.clone(),
            })
            .collect();
        write_lines(&path, keyed.iter(), false).unwrap();
        let seen = |milestone, event_type| {
            let filter = KeyFilter {
                milestone,
                event_type,
                since: None,
            };
            let mut seen = Vec::new();
            scan(&path, &filter, |json, exact| {
                let r: EventRecord = serde_json::from_str(json).unwrap();
                seen.push((r.event_type, exact));
                true
            })
            .unwrap();
            seen
        };
        // A stored odd type cannot be ruled out by the key: handed over, not exact.
        assert_eq!(
            seen(Some("m1"), Some("note")),
            [("note".to_string(), true), ("odd|type".to_string(), false)]
        );
        assert_eq!(seen(Some("m2"), None), [("note".to_string(), true)]);
        assert_eq!(
            seen(Some("m1"), Some("odd|type")),
            [("odd|type".to_string(), false)]
        );

        // A damaged key, a last line without its newline, and a line longer than the
        // first read: each still reaches the filter.
        let long = record(Some("m1"), &"x".repeat(3 << 20));
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str(&format!("nobars\t{}\n", line_json(&events[1])));
        text.push_str(&format!(
            "{}\t{}\n",
            sort_key(&long, 9, "c", 9),
            line_json(&long)
        ));
        text.push_str(&format!("1|t|c|0|m2|note\t{}", line_json(&events[1])));
        std::fs::write(&path, text).unwrap();
        assert_eq!(
            seen(Some("m2"), Some("note")),
            [
                ("note".to_string(), true),
                ("note".to_string(), false),
                ("note".to_string(), true)
            ]
        );
        let m1 = seen(Some("m1"), None);
        assert_eq!(m1.len(), 4, "m1's three and the damaged line");
        assert_eq!(m1[3].0.len(), 3 << 20);
    }
}
