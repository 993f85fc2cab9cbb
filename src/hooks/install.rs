//! `hooks install | uninstall | status`: the shims in the hooks folder git really uses.
//!
//! A hook already in place (the user's own, or a manager's such as pre-commit, husky or
//! lefthook) is never overwritten: it is renamed to `<hook>.milestone-legacy`, which
//! keeps its content, mode and, for a symlink, the link itself, and the shim runs it
//! first. Uninstall renames it back, so it is restored byte for byte.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::store::Store;
use serde::Serialize;

use super::{legacy_name, shim, HookName};

/// The error returned by [`install`], [`uninstall`] and [`hooks_dir`].
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    /// A file or folder could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// Which.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A hook is in place, and so is a chained hook from an earlier install: moving the
    /// hook aside would overwrite that one.
    #[error("{} is not git-milestone's, and {} is already taken by an earlier install", hook.display(), legacy.display())]
    LegacyTaken {
        /// The hook in place.
        hook: PathBuf,
        /// The chained hook already there.
        legacy: PathBuf,
    },
    /// The hook's path is a folder (or something else that is not a file).
    #[error("{} is not a file", .0.display())]
    NotAFile(PathBuf),
    /// `core.hooksPath` could not be read.
    #[error("cannot read core.hooksPath: {}", .0.message())]
    Config(#[source] git2::Error),
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> InstallError + '_ {
    move |source| InstallError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The hooks folder git uses in this repository (from this worktree).
#[derive(Debug, Clone, Serialize)]
pub struct HooksDir {
    /// The folder.
    pub path: PathBuf,
    /// `core.hooksPath` as configured, if it is.
    pub hooks_path: Option<String>,
}

/// Where git looks for hooks: `core.hooksPath` if set (`~/` expanded; a relative path
/// is relative to where git runs hooks: the worktree's root, or the git dir of a bare
/// repository), else the `hooks` folder of the common git dir, which all worktrees
/// share.
pub fn hooks_dir(store: &Store) -> Result<HooksDir, InstallError> {
    let config = store.git_config().map_err(InstallError::Config)?;
    let configured = match crate::config::command_line("core.hooksPath") {
        // `git -c core.hooksPath=… milestone hooks …`, as git would run hooks.
        Some(value) => Some(value).filter(|v| !v.is_empty()),
        None => match config.get_string("core.hooksPath") {
            Ok(value) if !value.is_empty() => Some(value),
            Ok(_) => None,
            Err(e) if e.code() == git2::ErrorCode::NotFound => None,
            Err(e) => return Err(InstallError::Config(e)),
        },
    };
    let Some(value) = configured else {
        return Ok(HooksDir {
            path: store.common_dir().join("hooks"),
            hooks_path: None,
        });
    };
    let expanded = match value.strip_prefix("~/") {
        Some(rest) => std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_default()
            .join(rest),
        None => PathBuf::from(&value),
    };
    let path = if expanded.is_absolute() {
        expanded
    } else {
        store.top_dir().join(expanded)
    };
    Ok(HooksDir {
        path: normalize(&path),
        hooks_path: Some(value),
    })
}

/// `path` without `.` components and trailing slashes, for messages (`..` is kept:
/// resolving it without the file system could be wrong across symlinks).
fn normalize(path: &Path) -> PathBuf {
    path.components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect()
}

/// What one hook's file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HookState {
    /// Our shim, calling this binary.
    Installed,
    /// Our shim, from another version or calling another binary: `install` updates it.
    Outdated,
    /// Someone else's hook: `install` chains it.
    Foreign,
    /// No hook.
    Absent,
}

/// One hook's state.
#[derive(Debug, Clone, Serialize)]
pub struct HookStatus {
    /// The hook.
    pub name: &'static str,
    /// Its file.
    pub path: PathBuf,
    /// What it is.
    pub state: HookState,
    /// The chained hook beside it, if there is one.
    pub chained: Option<PathBuf>,
    /// The binary our shim calls (none for a foreign or absent hook).
    pub binary: Option<String>,
}

/// The state of each hook in `dir`, for a shim calling `binary`.
pub fn status(dir: &HooksDir, binary: &Path) -> Result<Vec<HookStatus>, InstallError> {
    HookName::ALL
        .into_iter()
        .map(|hook| {
            let path = dir.path.join(hook.as_str());
            let legacy = dir.path.join(legacy_name(hook));
            let content = read_hook(&path)?;
            let state = match &content {
                None => HookState::Absent,
                Some(c) if *c == shim::render(hook, binary) => HookState::Installed,
                Some(c) if shim::is_shim(c) => HookState::Outdated,
                Some(_) => HookState::Foreign,
            };
            let binary = content
                .as_deref()
                .filter(|c| shim::is_shim(c))
                .and_then(shim::recorded_binary)
                .map(|b| String::from_utf8_lossy(&b).into_owned());
            Ok(HookStatus {
                name: hook.as_str(),
                chained: exists(&legacy)?.then_some(legacy),
                path,
                state,
                binary,
            })
        })
        .collect()
}

/// What [`install`] did to one hook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Installed {
    /// Wrote the shim where there was no hook.
    Created,
    /// Moved the hook in place to `<hook>.milestone-legacy` and wrote the shim.
    Chained,
    /// Rewrote an outdated shim.
    Updated,
    /// The shim was already there.
    Unchanged,
}

/// Writes the shims calling `binary` into `dir` (created if missing). Safe to run again.
/// Nothing is written unless every hook can be installed.
pub fn install(dir: &HooksDir, binary: &Path) -> Result<Vec<(HookName, Installed)>, InstallError> {
    let mut plan = Vec::new();
    for hook in HookName::ALL {
        let path = dir.path.join(hook.as_str());
        let legacy = dir.path.join(legacy_name(hook));
        let shim = shim::render(hook, binary);
        let step = match read_hook(&path)? {
            None => Installed::Created,
            Some(c) if c == shim => Installed::Unchanged,
            Some(c) if shim::is_shim(&c) => Installed::Updated,
            Some(_) if exists(&legacy)? => {
                return Err(InstallError::LegacyTaken { hook: path, legacy })
            }
            Some(_) => Installed::Chained,
        };
        plan.push((hook, step, path, legacy, shim));
    }
    std::fs::create_dir_all(&dir.path).map_err(io_error(&dir.path))?;
    let mut done = Vec::new();
    for (hook, step, path, legacy, shim) in plan {
        match step {
            Installed::Unchanged => {}
            Installed::Created | Installed::Updated => write_shim(&path, &shim)?,
            Installed::Chained => {
                std::fs::rename(&path, &legacy).map_err(io_error(&path))?;
                if let Err(e) = write_shim(&path, &shim) {
                    // Put the user's hook back rather than leave no hook at all.
                    let _ = std::fs::rename(&legacy, &path);
                    return Err(e);
                }
            }
        }
        done.push((hook, step));
    }
    Ok(done)
}

/// What [`uninstall`] did to one hook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Uninstalled {
    /// Removed the shim; there was no hook before it.
    Removed,
    /// Removed the shim and put the chained hook back in its place.
    Restored,
    /// The hook there is not ours and was left alone.
    LeftForeign,
    /// The hook there is not ours and was left alone, and so was a chained hook beside
    /// it (someone replaced our shim after install).
    LeftForeignAndChained,
    /// No shim was there.
    NotInstalled,
}

/// Removes the shims from `dir` and puts back the hooks they chained. Hooks that are
/// not ours are left alone.
pub fn uninstall(dir: &HooksDir) -> Result<Vec<(HookName, Uninstalled)>, InstallError> {
    let mut done = Vec::new();
    for hook in HookName::ALL {
        let path = dir.path.join(hook.as_str());
        let legacy = dir.path.join(legacy_name(hook));
        let has_legacy = exists(&legacy)?;
        let outcome = match read_hook(&path)? {
            Some(c) if shim::is_shim(&c) => {
                std::fs::remove_file(&path).map_err(io_error(&path))?;
                if has_legacy {
                    std::fs::rename(&legacy, &path).map_err(io_error(&legacy))?;
                    Uninstalled::Restored
                } else {
                    Uninstalled::Removed
                }
            }
            Some(_) if has_legacy => Uninstalled::LeftForeignAndChained,
            Some(_) => Uninstalled::LeftForeign,
            // Our shim was deleted by hand: the chained hook goes back all the same.
            None if has_legacy => {
                std::fs::rename(&legacy, &path).map_err(io_error(&legacy))?;
                Uninstalled::Restored
            }
            None => Uninstalled::NotInstalled,
        };
        done.push((hook, outcome));
    }
    Ok(done)
}

/// Whether anything (a dangling symlink too) is at `path`.
fn exists(path: &Path) -> Result<bool, InstallError> {
    match std::fs::symlink_metadata(path) {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(io_error(path)(e)),
    }
}

/// The content of the hook at `path`: `None` when there is none, empty for a symlink
/// that leads nowhere (it is still someone's hook to keep).
fn read_hook(path: &Path) -> Result<Option<Vec<u8>>, InstallError> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error(path)(e)),
    };
    if meta.is_dir() {
        return Err(InstallError::NotAFile(path.to_path_buf()));
    }
    match std::fs::read(path) {
        Ok(content) => Ok(Some(content)),
        Err(_) if meta.file_type().is_symlink() => Ok(Some(Vec::new())),
        Err(e) if e.kind() == std::io::ErrorKind::IsADirectory => {
            Err(InstallError::NotAFile(path.to_path_buf()))
        }
        Err(e) => Err(io_error(path)(e)),
    }
}

/// Writes an executable shim at `path`, aside and renamed, so git never runs half a
/// shim.
fn write_shim(path: &Path, shim: &[u8]) -> Result<(), InstallError> {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let temp = path.with_file_name(format!(".{name}.milestone-{}", std::process::id()));
    let write = || -> std::io::Result<()> {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o755);
        }
        let mut file = options.open(&temp)?;
        file.write_all(shim)?;
        // The umask may have taken bits away from the mode above; a hook git cannot
        // execute is a hook that silently does not run.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(std::fs::Permissions::from_mode(0o755))?;
        }
        file.sync_all()?;
        std::fs::rename(&temp, path)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        io_error(path)(e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir() -> (tempfile::TempDir, HooksDir) {
        let tmp = tempfile::TempDir::new().unwrap();
        let dir = HooksDir {
            path: tmp.path().join("hooks"),
            hooks_path: None,
        };
        (tmp, dir)
    }

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::symlink_metadata(path)
            .unwrap()
            .permissions()
            .mode()
            & 0o7777
    }

    #[test]
    #[cfg(unix)]
    fn install_chains_a_hook_and_uninstall_restores_it_exactly() {
        use std::os::unix::fs::PermissionsExt;
        let (_tmp, dir) = dir();
        std::fs::create_dir_all(&dir.path).unwrap();
        let mine = dir.path.join("post-commit");
        let content = b"#!/usr/bin/env python3\nprint('mine')\r\n\xff".to_vec();
        std::fs::write(&mine, &content).unwrap();
        std::fs::set_permissions(&mine, std::fs::Permissions::from_mode(0o750)).unwrap();
        let link = dir.path.join("post-merge");
        std::os::unix::fs::symlink("../elsewhere/nowhere", &link).unwrap();
        let binary = Path::new("/opt/bin/git-milestone");

        let first = install(&dir, binary).unwrap();
        assert_eq!(
            first.iter().map(|(_, i)| *i).collect::<Vec<_>>(),
            [
                Installed::Chained,
                Installed::Chained,
                Installed::Created,
                Installed::Created
            ]
        );
        assert!(shim::is_shim(&std::fs::read(&mine).unwrap()));
        assert_eq!(mode(&mine), 0o755);
        let again = install(&dir, binary).unwrap();
        assert!(again.iter().all(|(_, i)| *i == Installed::Unchanged));
        let states: Vec<_> = status(&dir, binary)
            .unwrap()
            .iter()
            .map(|s| s.state)
            .collect();
        assert_eq!(states, [HookState::Installed; 4]);
        let other = status(&dir, Path::new("/elsewhere")).unwrap();
        assert_eq!(other[0].state, HookState::Outdated);
        assert_eq!(other[0].binary.as_deref(), Some("/opt/bin/git-milestone"));
        assert!(other[0].chained.is_some() && other[2].chained.is_none());

        let undone = uninstall(&dir).unwrap();
        assert_eq!(
            undone.iter().map(|(_, u)| *u).collect::<Vec<_>>(),
            [
                Uninstalled::Restored,
                Uninstalled::Restored,
                Uninstalled::Removed,
                Uninstalled::Removed
            ]
        );
        assert_eq!(std::fs::read(&mine).unwrap(), content);
        assert_eq!(mode(&mine), 0o750);
        assert_eq!(
            std::fs::read_link(&link).unwrap(),
            Path::new("../elsewhere/nowhere")
        );
        let mut left: Vec<_> = std::fs::read_dir(&dir.path)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(left, ["post-commit", "post-merge"]);
    }

    #[test]
    fn install_refuses_to_overwrite_an_earlier_chained_hook_and_writes_nothing() {
        let (_tmp, dir) = dir();
        std::fs::create_dir_all(&dir.path).unwrap();
        std::fs::write(dir.path.join("post-rewrite"), "#!/bin/sh\nnew\n").unwrap();
        std::fs::write(dir.path.join("post-rewrite.milestone-legacy"), "old").unwrap();
        let err = install(&dir, Path::new("/bin/x")).unwrap_err();
        assert!(matches!(err, InstallError::LegacyTaken { .. }), "{err}");
        assert!(!dir.path.join("post-commit").exists());
        // And uninstall leaves both alone.
        let undone = uninstall(&dir).unwrap();
        assert_eq!(undone[3].1, Uninstalled::LeftForeignAndChained);
        assert_eq!(
            std::fs::read(dir.path.join("post-rewrite.milestone-legacy")).unwrap(),
            b"old"
        );
    }

    #[test]
    fn a_folder_where_a_hook_should_be_is_refused() {
        let (_tmp, dir) = dir();
        std::fs::create_dir_all(dir.path.join("post-checkout")).unwrap();
        assert!(matches!(
            install(&dir, Path::new("/bin/x")),
            Err(InstallError::NotAFile(_))
        ));
    }
}
