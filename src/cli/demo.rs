//! `demo`: a throw-away repository walking through the whole flow, by running this very
//! binary the way a user would.

use std::path::{Path, PathBuf};
use std::process::Command;

use clap::Args;

use super::{CliError, Output};

/// `demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where to create the demo repository (a new or empty folder), kept afterwards so
    /// you can look around; when omitted, a temporary folder removed at the end.
    pub dir: Option<PathBuf>,
    /// Keep the temporary repository instead of removing it at the end.
    #[arg(long)]
    pub keep: bool,
}

/// The walk-through: each step is a `git milestone` command line.
const STEPS: &[&[&str]] = &[
    &["init"],
    &[
        "new",
        "v1.0",
        "--title",
        "First release",
        "--due",
        "2026-12-31",
    ],
    &[
        "task",
        "add",
        "v1.0",
        "design",
        "--title",
        "Sketch the architecture",
    ],
    &["task", "add", "v1.0", "api", "--title", "Build the API"],
    &[
        "task",
        "add",
        "v1.0",
        "search",
        "--kiro",
        "--title",
        "Full-text search",
    ],
    &["session", "start", "v1.0"],
    &["task", "start", "v1.0", "design"],
    &[
        "state",
        "save",
        "v1.0",
        r#"{"sprint": 1, "notes": "kick-off done"}"#,
    ],
    &["task", "complete", "v1.0", "design"],
    &[
        "event",
        "add",
        "v1.0",
        "review_held",
        "--data",
        r#"{"attendees": 4}"#,
    ],
    &["phase", "set", "v1.0", "search", "design", "completed"],
    &["phase", "advance", "v1.0", "search"],
    &["approval", "list", "--pending"],
    &[
        "approval",
        "approve",
        "approval-v1.0-search-design-spec-1",
        "--role",
        "lead",
        "--comment",
        "Looks good",
    ],
    &["checkpoint", "create", "v1.0", "before-api"],
    &["task", "complete", "v1.0", "api"],
    &["status"],
    &["show", "v1.0"],
    &["checkpoint", "restore", "v1.0", "before-api"],
    &["status", "v1.0"],
    &["state", "load", "v1.0"],
    &["session", "end"],
    &["events", "v1.0", "--limit", "8"],
    &["checkpoint", "list"],
    &["export", "v1.0"],
];

pub fn demo(out: &Output, args: DemoArgs) -> Result<(), CliError> {
    let temporary = args.dir.is_none();
    let dir = match args.dir {
        Some(dir) => dir,
        None => std::env::temp_dir().join(format!(
            "git-milestone-demo-{}-{}",
            std::process::id(),
            chrono::Utc::now().timestamp()
        )),
    };
    create_repository(&dir)?;
    let walked = walk_through(out, &dir);
    if temporary && !args.keep {
        // Ours to remove: nobody asked for it to stay.
        let removed = std::fs::remove_dir_all(&dir);
        walked?;
        return match removed {
            Ok(()) => out.line(format!(
                "The demo repository in {} is removed; `git milestone demo --keep` keeps it to look around.",
                dir.display()
            )),
            Err(e) => Err(CliError::user(format!(
                "cannot remove the demo repository {}: {e}",
                dir.display()
            ))
            .hint(format!("remove it yourself: rm -rf '{}'", dir.display()))),
        };
    }
    walked?;
    out.line(format!(
        "The demo repository stays in {dir}; every change above is one commit on refs/milestones:\n  git -C '{dir}' log --oneline refs/milestones\nRemove it with: rm -rf '{dir}'",
        dir = dir.display()
    ))
}

/// Runs every step in the repository at `dir`, showing each command line.
fn walk_through(out: &Output, dir: &Path) -> Result<(), CliError> {
    let exe = std::env::current_exe()
        .map_err(|e| CliError::user(format!("cannot find this program's path: {e}")))?;
    out.line(format!("A throw-away repository in {}\n", dir.display()))?;
    for step in STEPS {
        out.line(format!("$ git milestone {}", shell_words(step)))?;
        run_step(&exe, dir, step)?;
        out.line("")?;
    }
    Ok(())
}

fn create_repository(dir: &Path) -> Result<(), CliError> {
    if dir.exists()
        && dir
            .read_dir()
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        return Err(CliError::user(format!(
            "{} exists and is not empty; the demo needs a new or empty folder",
            dir.display()
        )));
    }
    let repo = git2::Repository::init(dir)
        .map_err(|e| CliError::user(format!("cannot create {}: {}", dir.display(), e.message())))?;
    // The demo must work on a machine with no git identity: it gets its own.
    let mut config = repo
        .config()
        .and_then(|c| c.open_level(git2::ConfigLevel::Local))
        .map_err(|e| {
            CliError::user(format!(
                "cannot configure the demo repository: {}",
                e.message()
            ))
        })?;
    for (key, value) in [
        ("user.name", "Demo User"),
        ("user.email", "demo@example.com"),
    ] {
        config
            .set_str(key, value)
            .map_err(|e| CliError::user(format!("cannot set {key}: {}", e.message())))?;
    }
    Ok(())
}

fn run_step(exe: &Path, dir: &Path, step: &[&str]) -> Result<(), CliError> {
    let status = Command::new(exe)
        .args(step)
        .current_dir(dir)
        // The user's own repository settings must not leak into the demo's.
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .env_remove("GIT_COMMON_DIR")
        .env_remove("GIT_AUTHOR_NAME")
        .env_remove("GIT_AUTHOR_EMAIL")
        .env_remove("GIT_COMMITTER_NAME")
        .env_remove("GIT_COMMITTER_EMAIL")
        .status()
        .map_err(|e| CliError::user(format!("cannot run {}: {e}", exe.display())))?;
    if status.success() {
        Ok(())
    } else {
        Err(CliError::user(format!(
            "the demo step `git milestone {}` failed ({status})",
            shell_words(step)
        )))
    }
}

fn shell_words(words: &[&str]) -> String {
    words
        .iter()
        .map(|w| {
            if w.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.:/".contains(c))
            {
                w.to_string()
            } else {
                format!("'{w}'")
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}
