//! The server guard: a `pre-receive` hook in a bare repository that refuses pushes to
//! the shared ref whose new operations do not pass `verify`, as a code-review server
//! refuses forged votes, on any plain git server.

use std::path::{Path, PathBuf};

use crate::store::{Store, StoreError};
use crate::sync::{is_clone_ref, WIRE_REF};

/// The hook's name.
pub const HOOK: &str = "pre-receive";

/// The hook's text, calling `binary`.
pub fn shim(binary: &Path) -> String {
    include_str!("../../hooks/pre-receive").replace(
        "@GIT_MILESTONE_BIN@",
        &String::from_utf8_lossy(&super::shim::shell_quote(
            binary.display().to_string().as_bytes(),
        )),
    )
}

/// The error returned by [`install`].
#[derive(Debug, thiserror::Error)]
pub enum ServerInstallError {
    /// Not a bare repository.
    #[error("{0} is not a bare repository; the server guard belongs in the repository teammates push to")]
    NotBare(String),
    /// A pre-receive hook of someone else's is there.
    #[error("{0} exists and was not written by git-milestone")]
    Taken(String),
    /// Writing failed.
    #[error("cannot write {path}: {error}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        error: std::io::Error,
    },
}

/// Writes the guard into `hooks_dir` of a bare repository; returns its path. A
/// pre-receive hook that is not ours is never replaced.
pub fn install(
    store: &Store,
    hooks_dir: &Path,
    binary: &Path,
) -> Result<PathBuf, ServerInstallError> {
    if !store.is_bare() {
        return Err(ServerInstallError::NotBare(
            store.git_dir().display().to_string(),
        ));
    }
    let path = hooks_dir.join(HOOK);
    let io = |error| ServerInstallError::Io {
        path: path.display().to_string(),
        error,
    };
    if let Ok(existing) = std::fs::read_to_string(&path) {
        if !existing.contains("# git-milestone server guard") {
            return Err(ServerInstallError::Taken(path.display().to_string()));
        }
    }
    std::fs::create_dir_all(hooks_dir).map_err(io)?;
    std::fs::write(&path, shim(binary)).map_err(io)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).map_err(io)?;
    }
    Ok(path)
}

/// Checks the ref updates git's receive-pack gives the hook (`<old> <new> <ref>`
/// lines): the reasons to refuse, none when the push may go on. A clone's own ref
/// (`refs/meta/milestones-by/<id>`) is held to the shared ref's rules, except that it
/// may be deleted once the shared ref contains it (nothing is lost then).
pub fn check_push(store: &Store, input: &str) -> Result<Vec<String>, StoreError> {
    let zero = git2::Oid::zero();
    let shared = store.ref_target(WIRE_REF);
    let mut refusals = Vec::new();
    for line in input.lines() {
        let mut fields = line.split_whitespace();
        let (Some(old), Some(new), Some(name)) = (fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        let clone_ref = is_clone_ref(name);
        if name != WIRE_REF && name != crate::store::REF && !clone_ref {
            continue;
        }
        let (Ok(old), Ok(new)) = (git2::Oid::from_str(old), git2::Oid::from_str(new)) else {
            continue;
        };
        if new == zero {
            if !(clone_ref && contained(store, shared, old)?) {
                refusals.push(format!(
                    "{name} cannot be deleted: {}",
                    if clone_ref {
                        "refs/meta/milestones does not contain it yet; sync first"
                    } else {
                        "it is the team's shared history"
                    }
                ));
            }
            continue;
        }
        if old != zero && !store.descends_from(new, old)? {
            refusals.push(format!("{name}: not a fast-forward; run `git milestone sync`, which merges, then push again"));
            continue;
        }
        refusals.extend(forged(
            store,
            name,
            new_range(old, new, clone_ref.then_some(shared).flatten()),
        )?);
    }
    Ok(refusals)
}

/// What to check of an update from `old` to `new`: what is new to the ref, and for a
/// clone's first push, only what the shared ref (checked when it came) does not have.
fn new_range(old: git2::Oid, new: git2::Oid, shared: Option<git2::Oid>) -> String {
    match (old.is_zero(), shared) {
        (false, _) => format!("{old}..{new}"),
        (true, Some(shared)) => format!("{shared}..{new}"),
        (true, None) => new.to_string(),
    }
}

/// Whether `shared` exists and has `commit` in its history.
fn contained(
    store: &Store,
    shared: Option<git2::Oid>,
    commit: git2::Oid,
) -> Result<bool, StoreError> {
    Ok(match shared {
        Some(shared) => store.descends_from(shared, commit)?,
        None => false,
    })
}

/// The refusals for `range` of ref `name`. A decision that does not count is kept in
/// history, visibly, with no effect: it may go in. What the tool would never write
/// may not.
fn forged(store: &Store, name: &str, range: String) -> Result<Vec<String>, StoreError> {
    let verified = store.verify(Some(&range), false)?;
    Ok(verified
        .problems
        .into_iter()
        .filter(|p| p.forged)
        .map(|p| {
            let short = p.commit.get(..12).unwrap_or(&p.commit);
            format!("{name}: {short} by {}: {}", p.author, p.reason)
        })
        .collect())
}
