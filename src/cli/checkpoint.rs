//! `checkpoint create|list|restore`, `recover`, `cleanup`.

use clap::{Args, Subcommand};

use crate::clock;
use crate::model::{EventKind, MilestoneId, Op, RestoreSource};
use crate::store::{Outcome, Store, StoreError};
use crate::workflow::retention;

use super::{milestone_id, open_store, CliError, Output, Unreadable};

/// The `checkpoint` commands.
#[derive(Debug, Subcommand)]
pub enum CheckpointCommand {
    /// Tag the milestone's current version as a checkpoint.
    Create(CreateArgs),
    /// List checkpoints.
    List(ListArgs),
    /// Put a milestone back as it was at a checkpoint (after a pre-restore checkpoint).
    Restore(RestoreArgs),
}

/// `checkpoint create`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The milestone.
    pub milestone: String,
    /// The checkpoint's name; manual-<timestamp> when omitted.
    pub name: Option<String>,
    /// Why, kept in the tag's message.
    #[arg(long, short)]
    pub message: Option<String>,
}

/// `checkpoint list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only this milestone's checkpoints.
    pub milestone: Option<String>,
}

/// `checkpoint restore`.
#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The milestone.
    pub milestone: String,
    /// The checkpoint's name.
    pub name: String,
}

/// `recover`.
#[derive(Debug, Args)]
pub struct RecoverArgs {
    /// The milestone.
    pub milestone: String,
    /// Restore the milestone as it was at this commit of refs/milestones (or
    /// checkpoint) instead of its newest readable version.
    #[arg(long, value_name = "COMMIT")]
    pub to: Option<String>,
}

/// `cleanup`.
#[derive(Debug, Args)]
pub struct CleanupArgs {
    /// Only this milestone; all of them when omitted.
    pub milestone: Option<String>,
    /// Keep what is younger than this many days (default: `milestone.retentionDays`
    /// from git config, else 7).
    #[arg(long, value_name = "N", value_parser = super::usage::count::<u32>,
          allow_negative_numbers = true)]
    pub retention_days: Option<u32>,
}

pub fn run(out: &Output, command: CheckpointCommand) -> Result<(), CliError> {
    match command {
        CheckpointCommand::Create(args) => create(out, args),
        CheckpointCommand::List(args) => list(out, args),
        CheckpointCommand::Restore(args) => restore(out, args),
    }
}

fn stamp() -> String {
    clock::now().format("%Y%m%d-%H%M%S").to_string()
}

fn create(out: &Output, args: CreateArgs) -> Result<(), CliError> {
    let milestone = milestone_id(&args.milestone)?;
    let name = args.name.unwrap_or_else(|| format!("manual-{}", stamp()));
    let why = args
        .message
        .unwrap_or_else(|| "Made with `git milestone checkpoint create`.".into());
    let store = open_store()?;
    let outcome = store.create_checkpoint(&milestone, &name, &why)?;
    out.outcome(
        &outcome,
        &format!("Created checkpoint {name} of {milestone}."),
    )
}

fn list(out: &Output, args: ListArgs) -> Result<(), CliError> {
    let milestone = args.milestone.as_deref().map(milestone_id).transpose()?;
    let store = open_store()?;
    if let Some(m) = &milestone {
        if !store.snapshot()?.has_milestone(m)? {
            return Err(crate::workflow::Rejection::NoSuchMilestone(m.clone()).into());
        }
    }
    let checkpoints = store.checkpoints(milestone.as_ref())?;
    if out.json {
        return out.json_value(&checkpoints);
    }
    if checkpoints.is_empty() {
        return out
            .note("No checkpoints; make one with `git milestone checkpoint create <m> [<name>]`.");
    }
    for c in checkpoints {
        out.line(format!(
            "{:<14} {:<28} {} {}  {}",
            c.milestone_id,
            c.name,
            &c.commit[..12],
            super::time::short_time(&c.created_at),
            c.created_by
        ))?;
    }
    Ok(())
}

fn restore(out: &Output, args: RestoreArgs) -> Result<(), CliError> {
    let milestone = milestone_id(&args.milestone)?;
    let store = open_store()?;
    let Some(checkpoint) = store
        .checkpoints(Some(&milestone))?
        .into_iter()
        .find(|c| c.name == args.name)
    else {
        return Err(CliError::user(format!(
            "milestone {milestone} has no checkpoint {:?}",
            args.name
        ))
        .hint(format!(
            "`git milestone checkpoint list {milestone}` lists them"
        )));
    };
    // A removed milestone has no current version to keep: the restore brings it back.
    if store.snapshot()?.has_milestone(&milestone)? {
        let safety = pre_restore_checkpoint(&store, &milestone, &args.name)?;
        out.note(format!("Saved the current version as checkpoint {safety}."))?;
    }
    let outcome = store.transact(Op::Restore {
        milestone: milestone.clone(),
        commit: checkpoint.commit.clone(),
        source: RestoreSource::Checkpoint {
            name: args.name.clone(),
        },
    })?;
    out.outcome(
        &outcome,
        &format!("Restored {milestone} to checkpoint {}.", args.name),
    )
}

/// Tags the current version before a restore, so the restore can be undone.
fn pre_restore_checkpoint(
    store: &Store,
    milestone: &MilestoneId,
    restoring: &str,
) -> Result<String, CliError> {
    let base = format!("pre-restore-{}", stamp());
    let why = format!("Made automatically before restoring checkpoint {restoring}.");
    for attempt in 0..100 {
        let name = if attempt == 0 {
            base.clone()
        } else {
            format!("{base}-{attempt}")
        };
        match store.create_checkpoint(milestone, &name, &why) {
            Ok(_) => return Ok(name),
            Err(StoreError::Rejected(crate::workflow::Rejection::CheckpointExists { .. })) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Err(CliError::user(format!(
        "cannot find a free name for the pre-restore checkpoint ({base}-N)"
    )))
}

pub fn recover(out: &Output, args: RecoverArgs) -> Result<(), CliError> {
    let milestone = milestone_id(&args.milestone)?;
    let store = open_store()?;
    let commit = match &args.to {
        Some(rev) => store.resolve_at(Some(&milestone), rev)?,
        None => match store.snapshot()?.milestone(&milestone) {
            Ok(Some(_)) => {
                return out.note(format!(
                    "Milestone {milestone} is readable; nothing to recover (use --to <commit> to go back to another version)."
                ))
            }
            Ok(None) => {
                return Err(crate::workflow::Rejection::NoSuchMilestone(milestone).into())
            }
            Err(StoreError::Corrupt {
                last_readable: Some(good),
                ..
            }) => git2::Oid::from_str(&good).map_err(StoreError::from)?,
            Err(StoreError::Corrupt { path, .. }) => {
                return Err(CliError::user(format!(
                    "{path} has no readable earlier version"
                ))
                .hint(format!(
                    "`git milestone recover {milestone} --to <commit>` restores the milestone as it was at any commit of refs/milestones"
                )))
            }
            Err(e) => return Err(e.into()),
        },
    };
    let outcome = store.transact(Op::Restore {
        milestone: milestone.clone(),
        commit: commit.to_string(),
        source: RestoreSource::Recover,
    })?;
    out.outcome(
        &outcome,
        &format!("Recovered {milestone} as it was at commit {commit}."),
    )
}

/// What cleanup removed from one milestone, in a sentence:
/// `v1: removed 2 ended sessions (a, b) and 1 automatic checkpoint (pre-restore-x).`
fn cleanup_sentence(milestone: &str, sessions: &[String], checkpoints: &[String]) -> String {
    let part = |names: &[String], what: &str| -> Option<String> {
        let plural = if names.len() == 1 { "" } else { "s" };
        (!names.is_empty())
            .then(|| format!("{} {what}{plural} ({})", names.len(), names.join(", ")))
    };
    let parts: Vec<String> = [
        part(sessions, "ended session"),
        part(checkpoints, "automatic checkpoint"),
    ]
    .into_iter()
    .flatten()
    .collect();
    match parts.as_slice() {
        [] => format!("{milestone}: nothing to remove."),
        parts => format!("{milestone}: removed {}.", parts.join(" and ")),
    }
}

/// `milestone.retentionDays` (from git's `-c` first, then the config files); 7 when it
/// is not set.
fn configured_retention_days(store: &crate::store::Store) -> Result<u32, CliError> {
    const KEY: &str = "milestone.retentionDays";
    let days = match crate::config::command_line(KEY) {
        Some(text) => text
            .trim()
            .parse::<i64>()
            .map_err(|_| format!("{text:?} is not a whole number")),
        None => match store
            .config()
            .map_or(Err(git2::Error::from_str("no configuration")), |c| {
                c.get_i64(KEY)
            }) {
            Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(7),
            read => read.map_err(|e| e.message().to_string()),
        },
    }
    .map_err(|why| {
        CliError::user(format!("{KEY} is not a number of days: {why}"))
            .hint("fix it with `git config milestone.retentionDays 7`")
    })?;
    u32::try_from(days).map_err(|_| {
        CliError::user(format!(
            "{KEY} is {days}; set it to a number of days, 0 or more"
        ))
    })
}

pub fn cleanup(out: &Output, args: CleanupArgs) -> Result<(), CliError> {
    let store = open_store()?;
    let retention_days = match args.retention_days {
        Some(days) => days,
        None => configured_retention_days(&store)?,
    };
    let milestones = match &args.milestone {
        Some(m) => vec![milestone_id(m)?],
        None => store.snapshot()?.milestone_ids()?,
    };
    let cutoff = retention::cutoff(clock::now(), retention_days);
    let mut reports = Vec::new();
    let mut unreadable = Unreadable::default();
    for milestone in milestones {
        let old_checkpoints: Vec<String> = store
            .checkpoints(Some(&milestone))?
            .into_iter()
            .filter(|c| retention::checkpoint_expired(c.is_automatic(), c.created(), cutoff))
            .map(|c| c.name)
            .collect();
        let Some(outcome) = unreadable.check(store.transact(Op::Cleanup {
            milestone: milestone.clone(),
            retention_days,
            cutoff: clock::format_time(cutoff),
            checkpoints: old_checkpoints.clone(),
        }))?
        else {
            continue;
        };
        if let Outcome::Committed { applied, .. } = &outcome {
            for name in &old_checkpoints {
                store.delete_checkpoint(&milestone, name)?;
            }
            if let Some(EventKind::StateCleaned {
                removed_sessions,
                removed_checkpoints,
                ..
            }) = applied.events.first().and_then(|e| e.kind())
            {
                reports.push(serde_json::json!({
                    "milestone_id": milestone.as_str(),
                    "removed_sessions": removed_sessions,
                    "removed_checkpoints": removed_checkpoints,
                }));
            }
        }
    }
    if out.json {
        out.json_value(&reports)?;
        return unreadable.finish();
    }
    if reports.is_empty() {
        out.note(format!(
            "Nothing older than {} days to clean up.",
            retention_days
        ))?;
        return unreadable.finish();
    }
    for report in reports {
        let names = |key: &str| -> Vec<String> {
            report[key]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        };
        out.note(cleanup_sentence(
            report["milestone_id"].as_str().unwrap_or(""),
            &names("removed_sessions"),
            &names("removed_checkpoints"),
        ))?;
    }
    out.note("What was removed stays in history: read it with `--at <commit>`.")?;
    unreadable.finish()
}
