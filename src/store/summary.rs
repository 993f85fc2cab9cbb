//! A local cache of what listings show of each milestone, so that `list` and `status`
//! at a thousand milestones read one small file instead of parsing every milestone's
//! YAML. Like the event index it lives under the worktree's git dir, can be deleted at
//! any time and is never trusted over the ref: an entry is keyed by the id of the
//! milestone's tree, so it is used only for exactly the files it was computed from,
//! and by the version of this program, whose rules computed it. A missing or
//! unreadable file is a cache of nothing; one that cannot be written is bypassed.
//!
//! One line per milestone: `<tree id>\t<summary JSON>`, after a header line.

use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::path::Path;

use git2::{ObjectType, Oid};

use super::{Snapshot, Store, StoreError};
use crate::model::MilestoneId;
use crate::workflow::summary::{summarize, MilestoneSummary};

/// The first line of the file: another format or another program version rebuilds it.
const HEADER: &str = concat!("git-milestone summaries 1 ", env!("CARGO_PKG_VERSION"));
/// The file's name in the local folder.
const FILE: &str = "summaries";

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
        let cached = parse(&text);
        let mut summaries = Vec::new();
        let mut fresh: Vec<(Oid, MilestoneSummary)> = Vec::new();
        for entry in folder.iter() {
            // Entries that are not milestones were not written by this tool (see
            // `Snapshot::milestone_ids`).
            let Some(id) = entry
                .name()
                .filter(|_| entry.kind() == Some(ObjectType::Tree))
                .and_then(|n| MilestoneId::new(n).ok())
            else {
                continue;
            };
            let hit = cached
                .get(&entry.id())
                .and_then(|json| serde_json::from_str::<MilestoneSummary>(json).ok())
                .filter(|s| s.id == id.as_str());
            let summary = match hit {
                Some(summary) => summary,
                None => match snapshot.milestone(&id) {
                    Ok(Some(files)) => summarize(&files.definition),
                    Ok(None) => continue,
                    Err(e) => {
                        summaries.push(Err(e));
                        continue;
                    }
                },
            };
            fresh.push((entry.id(), summary.clone()));
            summaries.push(Ok(summary));
        }
        let unchanged =
            fresh.len() == cached.len() && fresh.iter().all(|(tree, _)| cached.contains_key(tree));
        if !unchanged {
            // A cache: when it cannot be written (a read-only repository) the next
            // read computes the summaries again, as this one did.
            let _ = write(&path, &fresh);
        }
        Ok(summaries)
    }
}

/// The entries of a cache file by tree id, their JSON not yet parsed; none when the
/// header is not this program's.
fn parse(text: &str) -> HashMap<Oid, &str> {
    let mut lines = text.lines();
    if lines.next() != Some(HEADER) {
        return HashMap::new();
    }
    lines
        .filter_map(|line| line.split_once('\t'))
        .filter_map(|(tree, json)| Some((Oid::from_str(tree).ok()?, json)))
        .collect()
}

/// Writes the cache whole, to a file of its own that is then renamed over the old
/// one: a reader sees the old file or the new one, and two writers each leave a
/// complete file.
fn write(path: &Path, entries: &[(Oid, MilestoneSummary)]) -> std::io::Result<()> {
    let mut text = String::with_capacity(entries.len() * 160 + HEADER.len() + 1);
    text.push_str(HEADER);
    text.push('\n');
    for (tree, summary) in entries {
        text.push_str(&tree.to_string());
        text.push('\t');
        text.push_str(&serde_json::to_string(summary).map_err(std::io::Error::other)?);
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
        assert_eq!(parse(&format!("{HEADER}\n{line}\n")).len(), 1);
        assert!(parse(&format!("git-milestone summaries 0 0.0.0\n{line}\n")).is_empty());
        assert!(parse("").is_empty());
    }

    #[test]
    fn damaged_lines_are_skipped() {
        let text = format!("{HEADER}\nnot a line\nxyz\t{{}}\n");
        assert!(parse(&text).is_empty());
    }
}
