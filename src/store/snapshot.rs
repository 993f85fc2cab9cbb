//! Reading the state at one commit of `refs/milestones`.

use std::cell::OnceCell;
use std::collections::BTreeMap;
use std::sync::OnceLock;

use git2::{ObjectType, Oid, Repository, Tree};

use super::layout::{self, APPROVALS, DEFINITION, FORMAT_FILE, MILESTONES, SESSIONS, STATE};
use super::parsed::Parsed;
use super::{StoreError, FORMAT};
use crate::model::{ApprovalRequest, Milestone, MilestoneFiles, MilestoneId, Session, SessionId};
use crate::yaml;

/// Which of a milestone's folders to read besides its definition and state.
#[derive(Debug, Clone, Copy, Default)]
pub struct Parts {
    /// `sessions/`.
    pub sessions: bool,
    /// `approvals/`.
    pub approvals: bool,
}

impl Parts {
    /// Everything.
    pub const ALL: Parts = Parts {
        sessions: true,
        approvals: true,
    };
}

/// The tree of one commit, checked for a layout version this code reads.
pub struct Snapshot<'r> {
    repo: &'r Repository,
    commit: Oid,
    tree: Tree<'r>,
    /// The `milestones/` tree, read once: at a thousand milestones it is tens of
    /// kilobytes, above the size libgit2 keeps in its object cache, and a write
    /// looks at it several times.
    milestones: OnceCell<Option<Tree<'r>>>,
    /// Definitions a replay already parsed, when one is running.
    parsed: Option<&'r Parsed>,
}

/// A file of a milestone that cannot be read: which, and why.
struct Broken {
    file: String,
    detail: String,
}

impl<'r> Snapshot<'r> {
    pub(super) fn read(repo: &'r Repository, commit: Oid) -> Result<Self, StoreError> {
        let tree = repo.find_commit(commit)?.tree()?;
        Self::of_tree(repo, tree, commit)
    }

    /// The state in `tree`, which is not (yet) a commit's; `commit` is named in errors.
    pub(super) fn of_tree(
        repo: &'r Repository,
        tree: Tree<'r>,
        commit: Oid,
    ) -> Result<Self, StoreError> {
        let found = match tree.get_name(FORMAT_FILE) {
            // The blob this version writes: known without reading it.
            Some(entry) if entry.id() == format_blob() => FORMAT.to_string(),
            Some(entry) => {
                let blob = entry.to_object(repo)?.peel_to_blob()?;
                String::from_utf8_lossy(blob.content()).trim().to_string()
            }
            None => String::new(),
        };
        if found != FORMAT {
            return Err(StoreError::UnknownFormat {
                found,
                expected: FORMAT,
            });
        }
        Ok(Snapshot {
            repo,
            commit,
            tree,
            milestones: OnceCell::new(),
            parsed: None,
        })
    }

    /// The same state, reading definitions through `parsed` and telling it those
    /// written on top of it (a replay).
    pub(super) fn with_parsed(self, parsed: &'r Parsed) -> Self {
        Snapshot {
            parsed: Some(parsed),
            ..self
        }
    }

    /// The definitions a replay parsed, when one is running.
    pub(super) fn parsed(&self) -> Option<&'r Parsed> {
        self.parsed
    }

    /// The repository it reads from.
    pub(super) fn repo(&self) -> &'r Repository {
        self.repo
    }

    /// The commit this snapshot was read from.
    pub fn commit(&self) -> Oid {
        self.commit
    }

    /// The root tree.
    pub(super) fn tree(&self) -> &Tree<'r> {
        &self.tree
    }

    /// The ids of all milestones, sorted.
    pub fn milestone_ids(&self) -> Result<Vec<MilestoneId>, StoreError> {
        let Some(folder) = self.milestones_tree()? else {
            return Ok(Vec::new());
        };
        // Entries with names that are not valid ids were not written by this tool;
        // skipping them keeps every other milestone usable.
        Ok(folder
            .iter()
            .filter(|e| e.kind() == Some(ObjectType::Tree))
            .filter_map(|e| e.name().and_then(|n| MilestoneId::new(n).ok()))
            .collect())
    }

    /// The `milestones/` tree, absent before the first milestone.
    pub(super) fn milestones_tree(&self) -> Result<Option<Tree<'r>>, StoreError> {
        if let Some(folder) = self.milestones.get() {
            return Ok(folder.clone());
        }
        let folder = milestones_tree(self.repo, &self.tree)?;
        Ok(self.milestones.get_or_init(|| folder).clone())
    }

    /// The tree of milestone `id`, if it exists.
    pub(super) fn milestone_tree(&self, id: &MilestoneId) -> Result<Option<Tree<'r>>, StoreError> {
        let Some(folder) = self.milestones_tree()? else {
            return Ok(None);
        };
        milestone_in(self.repo, &folder, id)
    }

    /// Whether milestone `id` exists.
    pub fn has_milestone(&self, id: &MilestoneId) -> Result<bool, StoreError> {
        Ok(self.milestone_tree(id)?.is_some())
    }

    /// The definition and state of milestone `id`, `None` if it does not exist.
    pub fn milestone(&self, id: &MilestoneId) -> Result<Option<MilestoneFiles>, StoreError> {
        self.milestone_with(id, Parts::default())
    }

    /// Like [`Snapshot::milestone`], with the folders `parts` names read too.
    pub fn milestone_with(
        &self,
        id: &MilestoneId,
        parts: Parts,
    ) -> Result<Option<MilestoneFiles>, StoreError> {
        let handed = self
            .parsed
            .and_then(|p| p.take_handed(self.tree.id(), id, parts));
        if let Some(files) = handed {
            return Ok(Some(files));
        }
        let Some(tree) = self.milestone_tree(id)? else {
            return Ok(None);
        };
        match parse_milestone(self.repo, &tree, id, parts, self.parsed) {
            Ok(files) => Ok(Some(files)),
            Err(Unparsed::Git(e)) => Err(e.into()),
            Err(Unparsed::Broken(broken)) => Err(StoreError::Corrupt {
                path: layout::path(id.as_str(), &broken.file),
                commit: self.commit.to_string(),
                detail: broken.detail,
                last_readable: last_readable(self.repo, self.commit, id, tree.id())?
                    .map(|c| c.to_string()),
            }),
        }
    }

    /// The sessions of milestone `id`, oldest first.
    pub fn sessions(&self, id: &MilestoneId) -> Result<Vec<Session>, StoreError> {
        let sessions_only = Parts {
            sessions: true,
            approvals: false,
        };
        let Some(files) = self.milestone_with(id, sessions_only)? else {
            return Ok(Vec::new());
        };
        let mut sessions: Vec<Session> = files.sessions.unwrap_or_default().into_values().collect();
        sessions.sort_by(|a, b| a.created_at.cmp(&b.created_at));
        Ok(sessions)
    }

    /// The session `id`, whichever milestone it belongs to.
    pub fn find_session(&self, id: &SessionId) -> Result<Option<Session>, StoreError> {
        let file = format!("{id}.json");
        for milestone in self.milestone_ids()? {
            let Some(tree) = self.milestone_tree(&milestone)? else {
                continue;
            };
            let Some(entry) = tree
                .get_path(std::path::Path::new(SESSIONS).join(&file).as_path())
                .ok()
            else {
                continue;
            };
            let blob = entry.to_object(self.repo)?.peel_to_blob()?;
            return serde_json::from_slice(blob.content())
                .map(Some)
                .map_err(|e| StoreError::Corrupt {
                    path: layout::path(milestone.as_str(), &format!("{SESSIONS}/{file}")),
                    commit: self.commit.to_string(),
                    detail: e.to_string(),
                    last_readable: None,
                });
        }
        Ok(None)
    }
}

fn milestones_tree<'r>(
    repo: &'r Repository,
    root: &Tree<'r>,
) -> Result<Option<Tree<'r>>, StoreError> {
    match root.get_name(MILESTONES) {
        Some(entry) => Ok(Some(entry.to_object(repo)?.peel_to_tree()?)),
        None => Ok(None),
    }
}

fn milestone_tree<'r>(
    repo: &'r Repository,
    root: &Tree<'r>,
    id: &MilestoneId,
) -> Result<Option<Tree<'r>>, StoreError> {
    let Some(folder) = milestones_tree(repo, root)? else {
        return Ok(None);
    };
    milestone_in(repo, &folder, id)
}

/// The tree of milestone `id` in the `milestones/` tree `folder`.
fn milestone_in<'r>(
    repo: &'r Repository,
    folder: &Tree<'r>,
    id: &MilestoneId,
) -> Result<Option<Tree<'r>>, StoreError> {
    let tree = match folder.get_name(id.as_str()) {
        Some(entry) if entry.kind() == Some(ObjectType::Tree) => {
            Some(entry.to_object(repo)?.peel_to_tree()?)
        }
        _ => None,
    };
    Ok(tree)
}

/// Why a milestone's folder could not be parsed: git failed, or a file is there but
/// cannot be read.
enum Unparsed {
    Git(git2::Error),
    Broken(Broken),
}

impl From<git2::Error> for Unparsed {
    fn from(e: git2::Error) -> Self {
        Unparsed::Git(e)
    }
}

fn broken(file: &str, detail: impl Into<String>) -> Unparsed {
    Unparsed::Broken(Broken {
        file: file.to_string(),
        detail: detail.into(),
    })
}

/// Parses a milestone's folder.
fn parse_milestone(
    repo: &Repository,
    tree: &Tree<'_>,
    id: &MilestoneId,
    parts: Parts,
    parsed: Option<&Parsed>,
) -> Result<MilestoneFiles, Unparsed> {
    let definition = parse_definition(repo, tree, parsed)?;
    if &definition.id != id {
        let detail = format!("it names milestone {:?}", definition.id.as_str());
        return Err(broken(DEFINITION, detail));
    }
    let state = match read_text(repo, tree, STATE)? {
        Some(text) => Some(serde_json::from_str(&text).map_err(|e| broken(STATE, e.to_string()))?),
        None => None,
    };
    let sessions = if parts.sessions {
        Some(read_folder(repo, tree, SESSIONS, |bytes| {
            serde_json::from_slice::<Session>(bytes)
                .map(|s| (s.session_id.clone(), s))
                .map_err(|e| e.to_string())
        })?)
    } else {
        None
    };
    let approvals = if parts.approvals {
        Some(read_approvals(repo, tree, parsed)?)
    } else {
        None
    };
    Ok(MilestoneFiles {
        definition,
        state,
        sessions,
        approvals,
    })
}

/// The definition in `tree`, parsed once per blob while a replay runs.
fn parse_definition(
    repo: &Repository,
    tree: &Tree<'_>,
    parsed: Option<&Parsed>,
) -> Result<Milestone, Unparsed> {
    let blob = tree.get_name(DEFINITION).map(|e| e.id());
    if let Some(known) = blob.zip(parsed).and_then(|(b, p)| p.definition(b)) {
        return Ok(known);
    }
    let text = read_text(repo, tree, DEFINITION)?
        .ok_or_else(|| broken(DEFINITION, "the file is missing"))?;
    let definition: Milestone =
        yaml::from_str(&text).map_err(|e| broken(DEFINITION, e.to_string()))?;
    if let Some((blob, parsed)) = blob.zip(parsed) {
        parsed.remember(blob, &definition);
    }
    Ok(definition)
}

/// The id of the `format` blob this version writes.
pub(super) fn format_blob() -> Oid {
    static ID: OnceLock<Oid> = OnceLock::new();
    *ID.get_or_init(|| {
        Oid::hash_object(ObjectType::Blob, format!("{FORMAT}\n").as_bytes())
            .expect("hashing a few bytes cannot fail")
    })
}

/// The approval requests in `tree`, each parsed once per blob while a replay runs.
fn read_approvals(
    repo: &Repository,
    tree: &Tree<'_>,
    parsed: Option<&Parsed>,
) -> Result<BTreeMap<String, ApprovalRequest>, Unparsed> {
    let mut requests = BTreeMap::new();
    let Some(folder) = subtree(repo, tree, APPROVALS)? else {
        return Ok(requests);
    };
    for entry in folder.iter() {
        let known = parsed.and_then(|p| p.approval(entry.id()));
        let request = match known {
            Some(request) => request,
            None => {
                let blob = entry.to_object(repo)?.peel_to_blob()?;
                let request = parse_approval(blob.content()).map_err(|detail| {
                    broken(
                        &format!("{APPROVALS}/{}", entry.name().unwrap_or("")),
                        detail,
                    )
                })?;
                if let Some(parsed) = parsed {
                    parsed.remember_approval(entry.id(), &request);
                }
                request
            }
        };
        requests.insert(request.id.clone(), request);
    }
    Ok(requests)
}

fn parse_approval(bytes: &[u8]) -> Result<ApprovalRequest, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "it is not UTF-8 text".to_string())?;
    yaml::from_str::<ApprovalRequest>(text).map_err(|e| e.to_string())
}

/// The folder `name` of `tree`, if there is one.
fn subtree<'r>(
    repo: &'r Repository,
    tree: &Tree<'_>,
    name: &str,
) -> Result<Option<Tree<'r>>, Unparsed> {
    match tree.get_name(name) {
        Some(entry) => Ok(Some(entry.to_object(repo)?.peel_to_tree()?)),
        None => Ok(None),
    }
}

/// Reads every file of the folder `name` with `parse`, keyed as it says.
fn read_folder<K: Ord, V>(
    repo: &Repository,
    tree: &Tree<'_>,
    name: &str,
    parse: impl Fn(&[u8]) -> Result<(K, V), String>,
) -> Result<BTreeMap<K, V>, Unparsed> {
    let mut items = BTreeMap::new();
    let Some(folder) = subtree(repo, tree, name)? else {
        return Ok(items);
    };
    for entry in folder.iter() {
        let blob = entry.to_object(repo)?.peel_to_blob()?;
        let (key, value) = parse(blob.content())
            .map_err(|detail| broken(&format!("{name}/{}", entry.name().unwrap_or("")), detail))?;
        items.insert(key, value);
    }
    Ok(items)
}

/// The text of `name` in `tree`, `None` if absent; a file that is not UTF-8 is broken.
fn read_text(repo: &Repository, tree: &Tree<'_>, name: &str) -> Result<Option<String>, Unparsed> {
    let Some(entry) = tree.get_name(name) else {
        return Ok(None);
    };
    let blob = entry.to_object(repo)?.peel_to_blob()?;
    let text = String::from_utf8(blob.content().to_vec())
        .map_err(|_| broken(name, "it is not UTF-8 text"))?;
    Ok(Some(text))
}

/// The newest commit before `from` where milestone `id` can be read, walking back
/// until it did not exist. Only consulted when a read has failed.
pub(super) fn last_readable(
    repo: &Repository,
    from: Oid,
    id: &MilestoneId,
    broken_tree: Oid,
) -> Result<Option<Oid>, StoreError> {
    let mut walk = repo.revwalk()?;
    walk.set_sorting(git2::Sort::TOPOLOGICAL | git2::Sort::TIME)?;
    walk.push(from)?;
    let mut tried = std::collections::HashSet::from([broken_tree]);
    for oid in walk {
        let oid = oid?;
        let root = repo.find_commit(oid)?.tree()?;
        let Some(tree) = milestone_tree(repo, &root, id)? else {
            return Ok(None);
        };
        // Most commits share the milestone's folder with their parent: parse each
        // version once.
        if !tried.insert(tree.id()) {
            continue;
        }
        match parse_milestone(repo, &tree, id, Parts::ALL, None) {
            Ok(_) => return Ok(Some(oid)),
            Err(Unparsed::Git(e)) => return Err(e.into()),
            Err(Unparsed::Broken(_)) => {}
        }
    }
    Ok(None)
}
