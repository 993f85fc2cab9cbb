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
    /// Also say when the remote's shared ref moved on while pushing and was left for
    /// the next sync (this clone's own ref went in).
    #[arg(long, short)]
    pub verbose: bool,
    /// Re-apply this clone's operations that the remote does not have yet on top of
    /// its shared ref instead of merging them, as `git pull --rebase` does with unpushed
    /// commits (their commit ids change); default from `milestone.syncRebase`.
    #[arg(long, overrides_with = "no_rebase")]
    pub rebase: bool,
    /// Merge, whatever `milestone.syncRebase` says.
    #[arg(long)]
    pub no_rebase: bool,
}

/// Refuses a remote name that is not configured, in one line, with the remotes that
/// are; a URL or a path is left to git.
fn check_remote(names: &[String], remote: &str, from_config: bool) -> Result<(), CliError> {
    let is_name = !remote.contains(['/', ':', '\\']) && remote != "." && remote != "..";
    if !is_name || names.iter().any(|n| n == remote) {
        return Ok(());
    }
    let origin = if from_config {
        " (the name comes from git config milestone.remote)"
    } else {
        ""
    };
    let error = CliError::user(format!("no remote named {remote}{origin}"));
    Err(if names.is_empty() {
        error.hint("this repository has no remotes; add one with `git remote add origin <url>`")
    } else {
        error.hint(format!("the remotes are: {}", names.join(", ")))
    })
}

/// What git said, without its `fatal:`/`error:` prefixes, on one line.
fn git_says(stderr: &str) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .map(|l| {
            l.trim()
                .trim_start_matches("fatal: ")
                .trim_start_matches("error: ")
        })
        .filter(|l| !l.is_empty())
        .collect();
    lines.first().copied().unwrap_or("git failed").to_string()
}

pub fn sync(out: &Output, args: SyncArgs) -> Result<(), CliError> {
    let store = open_store()?;
    let configured = crate::config::get(store.config().as_ref(), "milestone.remote");
    let from_config = args.remote.is_none() && configured.is_some();
    let remote = args
        .remote
        .or(configured)
        .unwrap_or_else(|| "origin".to_string());
    check_remote(&store.remote_names(), &remote, from_config)?;
    let show_progress = !out.json && !out.quiet && std::io::stderr().is_terminal();
    let mut progress = |step: &str| {
        if show_progress {
            eprintln!("{step}…");
        }
    };
    let mode = match (args.rebase, args.no_rebase) {
        (true, _) => sync::Mode::Rebase,
        (_, true) => sync::Mode::Merge,
        _ => sync::Mode::configured(&store),
    };
    let report = sync::sync(&store, &remote, !args.no_push, mode, &mut progress)
        .map_err(|e| sync_error(e, &remote))?;
    if out.json {
        return out.json_value(&report);
    }
    print_report(out, &remote, &report, args.no_push)?;
    // In rebase mode the report already said that the work stayed here.
    if args.verbose && report.shared_behind && report.unpublished == 0 {
        out.note(format!(
            "  {remote}'s {} moved on meanwhile: left for the next sync to carry forward.",
            sync::WIRE_REF
        ))?;
    }
    Ok(())
}

/// What to do when sync failed.
fn sync_error(e: SyncError, remote: &str) -> CliError {
    match e {
        SyncError::Store(e) => CliError::from(e),
        SyncError::Git { ref stderr, .. } => {
            let hint = if refused_credentials(stderr) {
                format!(
                    "{remote} refused the credentials: git's credential helper \
                     (`git config credential.helper`) or your ssh key supplies them; \
                     nothing was written; check with `git fetch {remote}`"
                )
            } else {
                format!("check the remote with `git remote -v` and that `git fetch {remote}` works")
            };
            CliError::user(format!("cannot sync with {remote}: {}", git_says(stderr))).hint(hint)
        }
        SyncError::BadCloneId(_) => CliError::user(e.to_string()).hint(format!(
            "it names this clone's own ref on remotes; remove it with `git config --unset {}` \
             and sync makes a new one",
            sync::CLONE_ID_KEY
        )),
        SyncError::NothingToSync(_) => {
            CliError::user(e.to_string()).hint("run `git milestone init` first")
        }
        SyncError::Contention { .. } => CliError::user(e.to_string()).hint(format!(
            "nothing was lost; run `git milestone sync` again, or give it longer with \
             `git config milestone.syncTimeout <seconds>` (default {})",
            sync::DEFAULT_TIMEOUT_SECS
        )),
    }
}

/// The text report: what came in, what was ignored or overridden, what went out.
fn print_report(
    out: &Output,
    remote: &str,
    report: &sync::SyncReport,
    no_push: bool,
) -> Result<(), CliError> {
    let came_in = if report.rebased > 0 {
        format!(
            "re-applied {} operation(s) of this clone on top of the remote's",
            report.rebased
        )
    } else if report.merged {
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
    for ignored in &report.ignored {
        out.note(format!(
            "  ignored: commit {} by {}: {}",
            &ignored.commit[..ignored.commit.len().min(12)],
            if ignored.author.is_empty() {
                "unknown"
            } else {
                &ignored.author
            },
            ignored.reason
        ))?;
    }
    for noop in &report.noops {
        out.note(format!("  no-op: {noop}"))?;
    }
    overridden_lines(out, report)?;
    if report.tags_fetched > 0 {
        out.note(format!("  {} checkpoint(s) came in", report.tags_fetched))?;
    }
    for tag in &report.tag_conflicts {
        out.note(format!("  checkpoint {tag} differs on {remote}; kept ours"))?;
    }
    clash_lines(out, report)?;
    if no_push {
        out.note("Not pushed (--no-push).")
    } else if report.unpublished > 0 {
        out.note(format!(
            "To {remote}: not pushed, its shared ref moved meanwhile; {} operation(s) of \
             this clone stay here until the next `git milestone sync`.",
            report.unpublished
        ))
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

/// What the merges overrode: every value both sides set, and which one was kept.
fn overridden_lines(out: &Output, report: &sync::SyncReport) -> Result<(), CliError> {
    for o in &report.overridden {
        out.note(format!(
            "  overridden: {} {}: kept {} ({}), dropped {} ({})",
            o.milestone_id, o.what, o.kept, o.kept_by, o.dropped, o.dropped_by
        ))?;
    }
    Ok(())
}

/// Checkpoint names made in two clones: which keeps the name, and the other's new one.
fn clash_lines(out: &Output, report: &sync::SyncReport) -> Result<(), CliError> {
    for clash in &report.checkpoint_clashes {
        let short = clash.kept_commit.get(..12).unwrap_or(&clash.kept_commit);
        let whose = if clash.kept_ours {
            "this clone's"
        } else {
            "the other clone's"
        };
        let other = match &clash.renamed_to {
            Some(new) => format!("the other one is now {new}"),
            None => "both were of the same commit".to_string(),
        };
        out.note(format!(
            "  checkpoint {} was made in two clones: {whose} (of {short}, earlier in merge order) keeps the name; {other}",
            clash.checkpoint
        ))?;
    }
    Ok(())
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
