//! `sync`: share milestones with a remote.

use std::io::IsTerminal;

use clap::Args;

use crate::sync::{self, SyncError};

use super::{open_store, CliError, Output};

/// `sync`.
#[derive(Debug, Args)]
pub struct SyncArgs {
    /// The remote (a name or a URL); `milestone.remote` from git config, else origin.
    pub remote: Option<String>,
    /// Fetch and merge only; do not push.
    #[arg(long)]
    pub no_push: bool,
}

pub fn sync(out: &Output, args: SyncArgs) -> Result<(), CliError> {
    let store = open_store()?;
    let remote = match args.remote {
        Some(remote) => remote,
        None => crate::config::get(store.repo().config().ok().as_ref(), "milestone.remote")
            .unwrap_or_else(|| "origin".to_string()),
    };
    let show_progress = !out.json && !out.quiet && std::io::stderr().is_terminal();
    let mut progress = |step: &str| {
        if show_progress {
            eprintln!("{step}…");
        }
    };
    let report =
        sync::sync(&store, &remote, !args.no_push, &mut progress).map_err(|e| match e {
            SyncError::Store(e) => CliError::from(e),
            SyncError::Git { ref stderr, .. } if refused_credentials(stderr) => {
                CliError::user(e.to_string()).hint(format!(
                    "{remote} refused the credentials: git's credential helper \
                     (`git config credential.helper`) or your ssh key supplies them; \
                     nothing was written; check with `git fetch {remote}`"
                ))
            }
            SyncError::Git { .. } => CliError::user(e.to_string()).hint(format!(
                "check the remote with `git remote -v` and that `git fetch {remote}` works"
            )),
            SyncError::NothingToSync(_) => {
                CliError::user(e.to_string()).hint("run `git milestone init` first")
            }
            SyncError::Contention { .. } => CliError::user(e.to_string()).hint(format!(
                "nothing was lost; run `git milestone sync` again, or give it longer with \
                 `git config milestone.syncTimeout <seconds>` (default {})",
                sync::DEFAULT_TIMEOUT_SECS
            )),
        })?;
    if out.json {
        return out.json_value(&report);
    }
    let came_in = if report.merged {
        format!(
            "merged divergent work ({} operations replayed, {} no-ops)",
            report.ops_merged,
            report.noops.len()
        )
    } else if report.fast_forward {
        "fast-forwarded to the remote's operations".to_string()
    } else {
        "nothing new".to_string()
    };
    out.note(format!("From {remote}: {came_in}."))?;
    for noop in &report.noops {
        out.note(format!("  no-op: {noop}"))?;
    }
    if report.tags_fetched > 0 {
        out.note(format!("  {} checkpoint(s) came in", report.tags_fetched))?;
    }
    for tag in &report.tag_conflicts {
        out.note(format!("  checkpoint {tag} differs on {remote}; kept ours"))?;
    }
    if args.no_push {
        out.note("Not pushed (--no-push).")
    } else if report.pushed {
        out.note(format!(
            "To {remote}: pushed refs/milestones{}.",
            if report.tags_pushed > 0 {
                format!(" and {} checkpoint(s)", report.tags_pushed)
            } else {
                String::new()
            }
        ))
    } else {
        out.note(format!("To {remote}: already up to date."))
    }
}

/// Whether git's message says the server did not accept who we are.
fn refused_credentials(stderr: &str) -> bool {
    [
        "Authentication failed",
        "Permission denied (publickey",
        "could not read Username",
        "could not read Password",
        "403 Forbidden",
    ]
    .iter()
    .any(|sign| stderr.contains(sign))
}
