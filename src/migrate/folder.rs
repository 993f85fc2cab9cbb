//! Reading a whole reference `.milestones/` folder: every file of its layout, every
//! problem found (all of them, so one pass fixes them), and what it leaves aside.
//!
//! ```text
//! active/<id>.yaml                          milestones
//! approvals/<approval-id>.yaml              approval requests
//! state/active/<id>.json                    current saved states
//! state/backups/<id>-<YYYYmmdd-HHMMSS>.json earlier saved states
//! state/backups/<id>-checkpoint-<name>.json checkpoints
//! state/events/milestone-<id>.jsonl         event logs
//! state/sessions/<session-id>.json          sessions
//! state/.current_session                    the directory's current session
//! state/.locks/                             lock directories: transient, skipped
//! ```

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::model::id::check_id;
use crate::model::{ApprovalRequest, Milestone, MilestoneId, Session};

use super::approvals::parse_approval;
use super::events::{parse_log, LogEvent};
use super::sessions::parse_session;
use super::states::{backup_kind, backup_milestone, parse_envelope, Backup, SavedState};
use super::{Invalid, Problem};
use crate::exchange::parse_milestone_yaml;

/// A value and the file it came from, relative to the folder (`active/m1.yaml`).
#[derive(Debug, Clone, PartialEq)]
pub struct Sourced<T> {
    /// The value.
    pub value: T,
    /// Its file.
    pub source: String,
}

/// One event log.
#[derive(Debug, Clone, PartialEq)]
pub struct Log {
    /// The milestone it is of.
    pub milestone: MilestoneId,
    /// Its file.
    pub source: String,
    /// Its events, in file order.
    pub events: Vec<LogEvent>,
}

/// Which saved state a state file is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateKind {
    /// `state/active/<id>.json`.
    Current,
    /// A copy made before a save.
    Backup,
    /// A checkpoint, by name.
    Checkpoint(String),
}

/// One saved-state file.
#[derive(Debug, Clone, PartialEq)]
pub struct StateFile {
    /// The milestone.
    pub milestone: MilestoneId,
    /// Current, backup or checkpoint.
    pub kind: StateKind,
    /// The envelope.
    pub saved: SavedState,
    /// Its file.
    pub source: String,
}

/// Everything read from a folder.
#[derive(Debug, Clone, Default)]
pub struct Folder {
    /// The folder, as the user named it.
    pub root: PathBuf,
    /// `active/*.yaml`.
    pub definitions: Vec<Sourced<Milestone>>,
    /// `state/events/*.jsonl`.
    pub logs: Vec<Log>,
    /// `state/active/*.json` and `state/backups/*.json`.
    pub states: Vec<StateFile>,
    /// Milestones whose current state file was refused: their newest readable version
    /// stays current, as the reference's recovery would make it.
    pub refused_current: BTreeSet<MilestoneId>,
    /// `state/sessions/*.json`.
    pub sessions: Vec<Sourced<Session>>,
    /// `approvals/*.yaml`.
    pub approvals: Vec<Sourced<ApprovalRequest>>,
    /// `state/.current_session`.
    pub current_session: Option<String>,
    /// What could not be read.
    pub problems: Vec<Problem>,
    /// Files that are not part of the layout (temporary and set-aside files, notes).
    pub ignored: Vec<String>,
    /// The largest file read (`import --max-size`).
    pub max_size: u64,
    /// The folder itself, symbolic links resolved: nothing outside it is read.
    canonical_root: PathBuf,
}

/// The largest file an import reads unless told otherwise (`--max-size`): far above
/// any real milestone, state or event log, far below what would stall every clone.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 10 << 20;

impl Folder {
    /// Every milestone the folder knows, from any of its files.
    pub fn milestone_ids(&self) -> BTreeSet<MilestoneId> {
        let mut ids: BTreeSet<MilestoneId> = BTreeSet::new();
        ids.extend(self.definitions.iter().map(|d| d.value.id.clone()));
        ids.extend(self.logs.iter().map(|l| l.milestone.clone()));
        ids.extend(self.states.iter().map(|s| s.milestone.clone()));
        ids.extend(self.sessions.iter().map(|s| s.value.milestone_id.clone()));
        ids.extend(self.approvals.iter().map(|a| a.value.milestone_id.clone()));
        ids
    }

    /// How many events the folder holds.
    pub fn event_count(&self) -> usize {
        self.logs.iter().map(|l| l.events.len()).sum()
    }

    fn problem(&mut self, source: &str, invalid: Invalid) {
        let file = self.root.join(source).display().to_string();
        self.problems.push(Problem::of(&file, invalid));
    }
}

/// The error returned by [`read_folder`] when there is no reference folder to read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The path is not a readable folder.
    #[error("cannot read the folder {path}: {source}")]
    Unreadable {
        /// The folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The folder has none of the reference's subfolders.
    #[error("{0} is not a reference .milestones folder (it has no active/, state/ or approvals/)")]
    NotReference(PathBuf),
}

/// Reads the reference folder at `root`, files up to [`DEFAULT_MAX_FILE_BYTES`].
pub fn read_folder(root: &Path) -> Result<Folder, ReadError> {
    read_folder_with(root, DEFAULT_MAX_FILE_BYTES)
}

/// Reads the reference folder at `root`, files up to `max_size` bytes.
pub fn read_folder_with(root: &Path, max_size: u64) -> Result<Folder, ReadError> {
    let top = list(root).map_err(|source| ReadError::Unreadable {
        path: root.to_path_buf(),
        source,
    })?;
    if !top
        .iter()
        .any(|e| e.is_dir && matches!(e.name.as_str(), "active" | "state" | "approvals"))
    {
        return Err(ReadError::NotReference(root.to_path_buf()));
    }
    let mut folder = Folder {
        root: root.to_path_buf(),
        max_size,
        canonical_root: root.canonicalize().unwrap_or_else(|_| root.to_path_buf()),
        ..Folder::default()
    };
    for entry in &top {
        match (entry.name.as_str(), entry.is_dir) {
            ("active", true) => read_definitions(&mut folder),
            ("state", true) => read_state(&mut folder),
            ("approvals", true) => read_approvals(&mut folder),
            _ => folder.ignored.push(entry.name.clone()),
        }
    }
    Ok(folder)
}

/// A folder entry.
struct Entry {
    name: String,
    is_dir: bool,
}

/// The entries of `dir`, sorted by name; a missing folder has none.
fn list(dir: &Path) -> std::io::Result<Vec<Entry>> {
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        entries.push(Entry {
            name: entry.file_name().to_string_lossy().into_owned(),
            is_dir: entry.file_type()?.is_dir(),
        });
    }
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(entries)
}

/// The entries of the subfolder `rel`, or a problem.
fn list_sub(folder: &mut Folder, rel: &str) -> Vec<Entry> {
    match list(&folder.root.join(rel)) {
        Ok(entries) => entries,
        Err(e) => {
            folder.problem(rel, Invalid::new(format!("cannot read the folder: {e}")));
            Vec::new()
        }
    }
}

/// Why `rel` is not read, if it is not: a symbolic link out of the folder (its
/// content is not the folder's, and `sync` would share it), or a file over the limit.
fn refusal(folder: &Folder, rel: &str) -> Option<String> {
    let path = folder.root.join(rel);
    let real = path.canonicalize().ok()?;
    if !real.starts_with(&folder.canonical_root) {
        return Some(format!(
            "it leads out of the folder (to {}): copy the file into the folder instead",
            real.display()
        ));
    }
    let size = std::fs::metadata(&real).ok()?.len();
    (size > folder.max_size).then(|| {
        format!(
            "it is {size} bytes, over the limit of {} (`--max-size` raises it)",
            folder.max_size
        )
    })
}

/// The text of `rel`, or a problem.
fn read_text(folder: &mut Folder, rel: &str) -> Option<String> {
    if let Some(why) = refusal(folder, rel) {
        folder.problem(rel, Invalid::new(why));
        return None;
    }
    match std::fs::read(folder.root.join(rel)) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => Some(text),
            Err(_) => {
                folder.problem(rel, Invalid::new("not UTF-8 text"));
                None
            }
        },
        Err(e) => {
            folder.problem(rel, Invalid::new(format!("cannot read: {e}")));
            None
        }
    }
}

/// A milestone id from a file name, or a problem.
fn id_from_name(folder: &mut Folder, rel: &str, name: &str) -> Option<MilestoneId> {
    match MilestoneId::new(name) {
        Ok(id) => Some(id),
        Err(e) => {
            folder.problem(
                rel,
                Invalid::new(format!("the file name names no milestone: {e}")),
            );
            None
        }
    }
}

fn stem<'a>(name: &'a str, extensions: &[&str]) -> Option<&'a str> {
    extensions.iter().find_map(|x| name.strip_suffix(x))
}

fn read_definitions(folder: &mut Folder) {
    for entry in list_sub(folder, "active") {
        let rel = format!("active/{}", entry.name);
        let Some(stem) = stem(&entry.name, &[".yaml", ".yml"]).filter(|_| !entry.is_dir) else {
            folder.ignored.push(rel);
            continue;
        };
        let Some(id) = id_from_name(folder, &rel, stem) else {
            continue;
        };
        let Some(text) = read_text(folder, &rel) else {
            continue;
        };
        let twice = folder.definitions.iter().find(|d| d.value.id == id);
        if let Some(first) = twice {
            let why = format!(
                "a second definition of milestone {id} (the first is {}): keep one",
                first.source
            );
            folder.problem(&rel, Invalid::new(why));
            continue;
        }
        match parse_milestone_yaml(&text, Some(id.as_str())) {
            Ok(m) if m.id == id => folder.definitions.push(Sourced {
                value: m,
                source: rel,
            }),
            Ok(m) => folder.problem(
                &rel,
                Invalid::new(format!(
                    "its id is {}, but the scripts know it by its file name, {id}",
                    m.id
                )),
            ),
            Err(invalid) => folder.problem(&rel, invalid),
        }
    }
}

fn read_state(folder: &mut Folder) {
    for entry in list_sub(folder, "state") {
        match (entry.name.as_str(), entry.is_dir) {
            ("active", true) => read_current_states(folder),
            ("backups", true) => read_backups(folder),
            ("events", true) => read_logs(folder),
            ("sessions", true) => read_sessions(folder),
            (".current_session", false) => {
                if let Some(text) = read_text(folder, "state/.current_session") {
                    folder.current_session =
                        Some(text.trim().to_string()).filter(|s| !s.is_empty());
                }
            }
            // Locks are held only while a script runs; a left-over one means nothing.
            (".locks", true) => {}
            // The scripts create it and never write to it.
            ("completed", true) if list_sub(folder, "state/completed").is_empty() => {}
            _ => folder.ignored.push(format!("state/{}", entry.name)),
        }
    }
}

fn read_current_states(folder: &mut Folder) {
    for entry in list_sub(folder, "state/active") {
        let rel = format!("state/active/{}", entry.name);
        // `<id>.json.tmp.<pid>` (a save that died) and `<id>.json.corrupted.<time>`
        // (set aside by recovery) are not states.
        let Some(stem) = stem(&entry.name, &[".json"]).filter(|_| !entry.is_dir) else {
            folder.ignored.push(rel);
            continue;
        };
        let Some(id) = id_from_name(folder, &rel, stem) else {
            continue;
        };
        let saved = read_text(folder, &rel).map(|text| parse_envelope(&text));
        match saved {
            Some(Ok(saved))
                if saved
                    .milestone_id
                    .as_deref()
                    .is_none_or(|m| m == id.as_str()) =>
            {
                folder.states.push(StateFile {
                    milestone: id,
                    kind: StateKind::Current,
                    saved,
                    source: rel,
                });
            }
            Some(Ok(saved)) => {
                let named = saved.milestone_id.unwrap_or_default();
                folder.problem(
                    &rel,
                    Invalid::new(format!(
                        "it holds the state of milestone {named:?}, not {id}"
                    )),
                );
                folder.refused_current.insert(id);
            }
            Some(Err(invalid)) => {
                folder.problem(&rel, invalid);
                folder.refused_current.insert(id);
            }
            None => {
                folder.refused_current.insert(id);
            }
        }
    }
}

fn read_backups(folder: &mut Folder) {
    for entry in list_sub(folder, "state/backups") {
        let rel = format!("state/backups/{}", entry.name);
        let Some(stem) = stem(&entry.name, &[".json"]).filter(|_| !entry.is_dir) else {
            folder.ignored.push(rel);
            continue;
        };
        let Some(text) = read_text(folder, &rel) else {
            continue;
        };
        let saved = match parse_envelope(&text) {
            Ok(saved) => saved,
            Err(invalid) => {
                folder.problem(&rel, invalid);
                continue;
            }
        };
        let Some(named) = saved
            .milestone_id
            .clone()
            .or_else(|| backup_milestone(stem))
        else {
            folder.problem(
                &rel,
                Invalid::new(
                    "neither the envelope nor the file name says which milestone it is of",
                ),
            );
            continue;
        };
        let Some(id) = id_from_name(folder, &rel, &named) else {
            continue;
        };
        let kind = match backup_kind(stem, id.as_str()) {
            Some(Backup::Plain) => StateKind::Backup,
            Some(Backup::Checkpoint(name)) => match check_id("checkpoint", &name) {
                Ok(()) => StateKind::Checkpoint(name),
                Err(e) => {
                    folder.problem(&rel, Invalid::new(e.to_string()));
                    continue;
                }
            },
            None => {
                folder.problem(
                    &rel,
                    Invalid::new(format!(
                        "it holds the state of milestone {id}, but its name does not start with {id}-"
                    )),
                );
                continue;
            }
        };
        folder.states.push(StateFile {
            milestone: id,
            kind,
            saved,
            source: rel,
        });
    }
}

fn read_logs(folder: &mut Folder) {
    for entry in list_sub(folder, "state/events") {
        let rel = format!("state/events/{}", entry.name);
        let name = entry
            .name
            .strip_prefix("milestone-")
            .and_then(|n| stem(n, &[".jsonl"]))
            .filter(|_| !entry.is_dir);
        let Some(name) = name else {
            folder.ignored.push(rel);
            continue;
        };
        let Some(id) = id_from_name(folder, &rel, name) else {
            continue;
        };
        let Some(text) = read_text(folder, &rel) else {
            continue;
        };
        let (events, problems) = parse_log(&text, &id);
        for invalid in problems {
            folder.problem(&rel, invalid);
        }
        folder.logs.push(Log {
            milestone: id,
            source: rel,
            events,
        });
    }
}

fn read_sessions(folder: &mut Folder) {
    for entry in list_sub(folder, "state/sessions") {
        let rel = format!("state/sessions/{}", entry.name);
        let Some(stem) = stem(&entry.name, &[".json"]).filter(|_| !entry.is_dir) else {
            folder.ignored.push(rel);
            continue;
        };
        let Some(text) = read_text(folder, &rel) else {
            continue;
        };
        match parse_session(&text, stem) {
            Ok(session) => folder.sessions.push(Sourced {
                value: session,
                source: rel,
            }),
            Err(invalid) => folder.problem(&rel, invalid),
        }
    }
}

fn read_approvals(folder: &mut Folder) {
    for entry in list_sub(folder, "approvals") {
        let rel = format!("approvals/{}", entry.name);
        let Some(stem) = stem(&entry.name, &[".yaml", ".yml"]).filter(|_| !entry.is_dir) else {
            folder.ignored.push(rel);
            continue;
        };
        let Some(text) = read_text(folder, &rel) else {
            continue;
        };
        match parse_approval(&text, stem) {
            Ok(request) => folder.approvals.push(Sourced {
                value: request,
                source: rel,
            }),
            Err(invalid) => folder.problem(&rel, invalid),
        }
    }
}

/// The reference folder of `tests/fixtures`, read, for unit tests.
#[cfg(test)]
pub(crate) fn fixture() -> Folder {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/reference-milestones");
    read_folder(&root).unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/reference-milestones")
    }

    #[test]
    fn the_fixture_reads_whole_and_clean() {
        let folder = read_folder(&fixture()).unwrap();
        assert!(folder.problems.is_empty(), "{:?}", folder.problems);
        let ids: Vec<String> = folder
            .milestone_ids()
            .iter()
            .map(|i| i.to_string())
            .collect();
        assert_eq!(ids, ["docs", "launch", "ops", "orphan"]);
        assert_eq!(folder.definitions.len(), 3);
        // ops.yaml has no id: its file name gives it.
        assert!(folder
            .definitions
            .iter()
            .any(|d| d.value.id.as_str() == "ops"));
        assert_eq!(folder.event_count(), 25);
        let ops_log = folder
            .logs
            .iter()
            .find(|l| l.milestone.as_str() == "ops")
            .unwrap();
        assert!(ops_log.events.is_empty());
        let current = folder
            .states
            .iter()
            .filter(|s| s.kind == StateKind::Current)
            .count();
        assert_eq!((current, folder.states.len()), (2, 7));
        let orphan = folder
            .states
            .iter()
            .find(|s| s.milestone.as_str() == "orphan")
            .unwrap();
        assert_eq!(orphan.kind, StateKind::Checkpoint("v0".into()));
        assert_eq!(folder.sessions.len(), 2);
        assert_eq!(folder.approvals.len(), 2);
        assert_eq!(
            folder.current_session.as_deref(),
            Some("session-20260105-091500-4242")
        );
        assert_eq!(
            folder.ignored,
            ["state/active/launch.json.corrupted.20260107-120000"]
        );
    }

    fn write(root: &Path, rel: &str, bytes: &[u8]) {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }

    #[test]
    fn every_problem_is_listed_with_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let line = |event: &str| {
            format!("{{\"timestamp\":\"2026-01-01T00:00:00Z\",\"event_type\":\"{event}\"}}\n")
        };
        let log = line("a") + "{\"timestamp\":\"2026-01-01T00:00:00Z\",\"event_type\":\"b\",\"data\":,\"user\":\"x\"}\n" + &line("c");
        write(root, "active/good.yaml", b"title: ok\n");
        write(root, "active/bad.yaml", b"title: ok\ntasks: [unclosed\n");
        write(root, "active/other.yaml", b"id: renamed\n");
        write(root, "active/bad id.yaml", b"title: x\n");
        write(root, "state/events/milestone-good.jsonl", log.as_bytes());
        write(root, "state/events/milestone-bin.jsonl", &[0xff, 0xfe]);
        write(
            root,
            "state/active/good.json",
            b"{\"timestamp\": \"2026-01-01T00:00:00Z\", \"state\": ",
        );
        write(
            root,
            "state/backups/good-checkpoint-a b.json",
            br#"{"timestamp":"2026-01-01T00:00:00Z","milestone_id":"good","state":1}"#,
        );
        write(
            root,
            "state/backups/notes.json",
            br#"{"timestamp":"2026-01-01T00:00:00Z","state":1}"#,
        );
        write(root, "state/sessions/s1.json", b"{}");
        write(root, "approvals/a.yaml", b"approvers: []\n");
        let folder = read_folder(root).unwrap();
        let prefix = format!("{}/", root.display());
        let shown: Vec<String> = folder
            .problems
            .iter()
            .map(|p| {
                let file = p.file.strip_prefix(&prefix).unwrap_or(&p.file);
                match p.line {
                    Some(l) => format!("{file}:{l}"),
                    None => file.to_string(),
                }
            })
            .collect();
        assert_eq!(
            shown,
            [
                "active/bad id.yaml",
                "active/bad.yaml:3",
                "active/other.yaml",
                "approvals/a.yaml",
                "state/active/good.json:1",
                "state/backups/good-checkpoint-a b.json",
                "state/backups/notes.json",
                "state/events/milestone-bin.jsonl",
                "state/events/milestone-good.jsonl:2",
                "state/sessions/s1.json:1",
            ]
        );
        // The good parts are still there, for --skip-invalid.
        assert_eq!(folder.definitions.len(), 1);
        assert_eq!(folder.event_count(), 2);
        assert!(folder
            .refused_current
            .contains(&MilestoneId::new("good").unwrap()));
    }

    #[test]
    fn a_folder_without_the_layout_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "notes.txt", b"x");
        assert!(matches!(
            read_folder(dir.path()),
            Err(ReadError::NotReference(_))
        ));
        assert!(matches!(
            read_folder(&dir.path().join("missing")),
            Err(ReadError::Unreadable { .. })
        ));
    }
}
