//! The files approvals bind, in the code of the same repository: resolving a request's
//! deliverables at a commit to paths and blobs, and reporting what a binding's files
//! are at another commit. Nothing here writes; freshness is derived on every read.

use git2::{ObjectType, Oid, Tree, TreeWalkMode, TreeWalkResult};

use crate::model::{ApprovalGate, Binding, BoundFile, CompareRule};
use crate::workflow::compare::{rule_for, same_content};
use crate::workflow::freshness::{FileCheck, FileState};
use crate::workflow::glob;

use super::Store;

/// The config key naming the revision approvals are checked against.
pub const TARGET_KEY: &str = "milestone.approvalTarget";

/// The error returned by [`Store::approval_target`] and [`Store::bind`].
#[derive(Debug, thiserror::Error)]
pub enum DeliverableError {
    /// The revision names no commit.
    #[error("{rev} names no commit here")]
    NoSuchRevision {
        /// What was given.
        rev: String,
        /// Where it came from (`--at`, the config key).
        from: String,
    },
    /// The repository has no commit yet to examine.
    #[error("there is no commit to bind the deliverables to (HEAD is unborn)")]
    NoCommit,
    /// A deliverable is not in the examined commit.
    #[error("deliverable {name} is not in commit {commit}")]
    NotFound {
        /// The deliverable as listed.
        name: String,
        /// The examined commit (short).
        commit: String,
    },
    /// A bare name matches several files.
    #[error("deliverable {name} names {} files in commit {commit}: {}", candidates.len(), candidates.join(", "))]
    Ambiguous {
        /// The deliverable as listed.
        name: String,
        /// The examined commit (short).
        commit: String,
        /// The files it could mean.
        candidates: Vec<String>,
    },
    /// Reading the repository failed.
    #[error(transparent)]
    Git(#[from] git2::Error),
}

impl Store {
    /// The commit approvals are bound to and checked against: `at`, else
    /// `milestone.approvalTarget`, else HEAD; `None` when HEAD is unborn.
    pub fn approval_target(&self, at: Option<&str>) -> Result<Option<Oid>, DeliverableError> {
        let config = self.repo.config().ok();
        let given = match at {
            Some(rev) => Some((rev.to_string(), "--at".to_string())),
            None => crate::config::get(config.as_ref(), TARGET_KEY)
                .filter(|rev| !rev.trim().is_empty())
                .map(|rev| (rev, TARGET_KEY.to_string())),
        };
        let Some((rev, from)) = given else {
            return Ok(self
                .repo
                .head()
                .ok()
                .and_then(|h| h.peel_to_commit().ok())
                .map(|c| c.id()));
        };
        self.repo
            .revparse_single(&rev)
            .and_then(|object| object.peel_to_commit())
            .map(|commit| Some(commit.id()))
            .map_err(|_| DeliverableError::NoSuchRevision { rev, from })
    }

    /// Binds `deliverables` (paths, or bare names that must name exactly one file) as
    /// they are at `commit`, with the gate's rule and `also_watch` files.
    pub fn bind(
        &self,
        commit: Oid,
        deliverables: &[String],
        gate: Option<&ApprovalGate>,
    ) -> Result<Binding, DeliverableError> {
        let tree = self.repo.find_commit(commit)?.tree()?;
        let short = commit.to_string()[..12].to_string();
        let gate_rule = gate.and_then(|g| g.rule);
        let rule = gate_rule.unwrap_or_default();
        let mut every_file: Option<Vec<(String, Oid)>> = None;
        let mut bound = Vec::new();
        for name in deliverables {
            let wanted = name.trim_start_matches("./");
            let (path, blob) = match blob_at(&tree, wanted) {
                Some(blob) => (wanted.to_string(), blob),
                None if wanted.contains('/') => {
                    return Err(DeliverableError::NotFound {
                        name: name.clone(),
                        commit: short,
                    })
                }
                None => {
                    let files = every_file.get_or_insert_with(|| blobs(&tree, |_| true));
                    unique(files, wanted, &short)?
                }
            };
            let own = rule_for(&path, gate_rule);
            bound.push(BoundFile {
                rule: (own != rule).then_some(own),
                blob: blob.to_string(),
                path,
            });
        }
        let watch = gate.map(|g| g.also_watch.clone()).unwrap_or_default();
        Ok(Binding {
            commit: commit.to_string(),
            rule,
            deliverables: bound,
            watched: watched(&tree, &watch),
            watch,
        })
    }

    /// Each of `followed` (deliverables of `binding`) and each watched file, as it
    /// is at `target` against what was bound. Everything is unknown when the bound
    /// commit or the target is not in this clone.
    pub fn check_binding(
        &self,
        binding: &Binding,
        followed: &[&BoundFile],
        target: Option<Oid>,
    ) -> Vec<FileCheck> {
        let tree = target
            .filter(|_| self.has_object(&binding.commit))
            .and_then(|t| self.repo.find_commit(t).ok())
            .and_then(|c| c.tree().ok());
        let Some(tree) = tree else {
            let unknown = |f: &BoundFile| FileCheck {
                path: f.path.clone(),
                state: FileState::Unknown,
            };
            return followed
                .iter()
                .map(|f| unknown(f))
                .chain(binding.watched.iter().map(unknown))
                .collect();
        };
        let mut checks: Vec<FileCheck> = followed
            .iter()
            .map(|file| FileCheck {
                path: file.path.clone(),
                state: self.file_state(file, file.rule_in(binding), &tree),
            })
            .collect();
        checks.extend(watched_changes(
            &binding.watched,
            &watched(&tree, &binding.watch),
        ));
        checks
    }

    /// The `git diff` of each of `followed` that is not the same at `target`, bound
    /// content on the left.
    pub fn binding_diff(
        &self,
        binding: &Binding,
        followed: &[&BoundFile],
        target: Option<Oid>,
    ) -> Result<String, DeliverableError> {
        let tree = match target {
            Some(t) => Some(self.repo.find_commit(t)?.tree()?),
            None => None,
        };
        let mut text = String::new();
        for file in followed.iter().copied().chain(&binding.watched) {
            let old = Oid::from_str(&file.blob)
                .ok()
                .and_then(|o| self.repo.find_blob(o).ok());
            let new = tree
                .as_ref()
                .and_then(|t| blob_at(t, &file.path))
                .and_then(|o| self.repo.find_blob(o).ok());
            if old.as_ref().map(|b| b.id()) == new.as_ref().map(|b| b.id()) {
                continue;
            }
            let path = std::path::Path::new(&file.path);
            let Some(old) = old else {
                text.push_str(&format!(
                    "# {}: the approved content is not in this clone\n",
                    file.path
                ));
                continue;
            };
            let mut patch = match &new {
                Some(new) => git2::Patch::from_blobs(&old, Some(path), new, Some(path), None)?,
                None => git2::Patch::from_blob_and_buffer(&old, Some(path), &[], Some(path), None)?,
            };
            text.push_str(&String::from_utf8_lossy(&patch.to_buf()?));
        }
        Ok(text)
    }

    fn has_object(&self, id: &str) -> bool {
        let odb = self.repo.odb();
        Oid::from_str(id).is_ok_and(|oid| odb.is_ok_and(|odb| odb.exists(oid)))
    }

    fn file_state(&self, file: &BoundFile, rule: CompareRule, tree: &Tree<'_>) -> FileState {
        let Some(current) = blob_at(tree, &file.path) else {
            return FileState::Gone;
        };
        if current.to_string() == file.blob {
            return FileState::Same;
        }
        if rule == CompareRule::Exact {
            return FileState::Changed;
        }
        let bound = Oid::from_str(&file.blob)
            .ok()
            .and_then(|o| self.repo.find_blob(o).ok());
        let Some(bound) = bound else {
            return FileState::Unknown;
        };
        match self.repo.find_blob(current) {
            Ok(now) if same_content(rule, bound.content(), now.content()) => FileState::Same,
            Ok(_) => FileState::Changed,
            Err(_) => FileState::Unknown,
        }
    }
}

/// The blob at `path` of `tree`, if it is a file there.
fn blob_at(tree: &Tree<'_>, path: &str) -> Option<Oid> {
    let entry = tree.get_path(std::path::Path::new(path)).ok()?;
    (entry.kind() == Some(ObjectType::Blob)).then(|| entry.id())
}

/// Every file of `tree` whose path `keep` accepts, with its blob, in path order.
fn blobs(tree: &Tree<'_>, keep: impl Fn(&str) -> bool) -> Vec<(String, Oid)> {
    let mut found = Vec::new();
    let _ = tree.walk(TreeWalkMode::PreOrder, |root, entry| {
        if entry.kind() == Some(ObjectType::Blob) {
            let path = format!("{root}{}", entry.name().unwrap_or_default());
            if keep(&path) {
                found.push((path, entry.id()));
            }
        }
        TreeWalkResult::Ok
    });
    found.sort();
    found
}

/// The one file named `name`, or why not.
fn unique(
    files: &[(String, Oid)],
    name: &str,
    commit: &str,
) -> Result<(String, Oid), DeliverableError> {
    let named: Vec<&(String, Oid)> = files
        .iter()
        .filter(|(path, _)| path.rsplit('/').next() == Some(name))
        .collect();
    match named.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(DeliverableError::NotFound {
            name: name.to_string(),
            commit: commit.to_string(),
        }),
        several => Err(DeliverableError::Ambiguous {
            name: name.to_string(),
            commit: commit.to_string(),
            candidates: several.iter().map(|(p, _)| p.clone()).collect(),
        }),
    }
}

/// The files of `tree` that the `also_watch` globs match.
fn watched(tree: &Tree<'_>, globs: &[String]) -> Vec<BoundFile> {
    if globs.is_empty() {
        return Vec::new();
    }
    blobs(tree, |path| globs.iter().any(|g| glob::matches(g, path)))
        .into_iter()
        .map(|(path, blob)| BoundFile {
            path,
            blob: blob.to_string(),
            rule: None,
        })
        .collect()
}

/// Watched code that changed, went or appeared since the binding: each stales it.
fn watched_changes(bound: &[BoundFile], now: &[BoundFile]) -> Vec<FileCheck> {
    let changed = |path: &str| FileCheck {
        path: path.to_string(),
        state: FileState::Changed,
    };
    let mut checks: Vec<FileCheck> = bound
        .iter()
        .map(|file| match now.iter().find(|n| n.path == file.path) {
            Some(n) if n.blob == file.blob => FileCheck {
                path: file.path.clone(),
                state: FileState::Same,
            },
            _ => changed(&file.path),
        })
        .collect();
    let appeared = now
        .iter()
        .filter(|n| !bound.iter().any(|b| b.path == n.path));
    checks.extend(appeared.map(|n| changed(&n.path)));
    checks
}
