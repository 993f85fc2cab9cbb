//! `event add`, `events`, `timeline`.

use clap::{Args, Subcommand};

use crate::model::{EventRecord, Op};
use crate::store::EventFilter;

use super::output::Paint;
use super::{milestone_id, open_store, CliError, Output};

/// The `event` commands.
#[derive(Debug, Subcommand)]
pub enum EventCommand {
    /// Record a custom event on a milestone.
    Add(AddArgs),
}

/// `event add`.
#[derive(Debug, Args)]
pub struct AddArgs {
    /// The milestone.
    pub milestone: String,
    /// The event's type: letters, digits, '_', '-', '.', ':'.
    pub event_type: String,
    /// The event's data, as JSON.
    #[arg(long, default_value = "{}")]
    pub data: String,
}

/// `events`.
#[derive(Debug, Args)]
pub struct EventsArgs {
    /// Only this milestone's events.
    pub milestone: Option<String>,
    /// Only events of this type.
    #[arg(long = "type", value_name = "TYPE")]
    pub event_type: Option<String>,
    /// When and by whom.
    #[command(flatten)]
    pub log: LogFilterArgs,
    /// At most this many events.
    #[arg(long, short = 'n', default_value_t = 50, value_name = "N",
          value_parser = super::usage::count::<usize>, allow_negative_numbers = true)]
    pub limit: usize,
    /// Oldest first.
    #[arg(long)]
    pub reverse: bool,
    /// The log as it was at this checkpoint or commit of refs/milestones.
    #[arg(long, value_name = "COMMIT|CHECKPOINT")]
    pub at: Option<String>,
}

/// The filters `events` and `timeline` share with `git log`.
#[derive(Debug, Args)]
pub struct LogFilterArgs {
    /// Only events at or after this time, as `git log` takes it: 2026-01-01,
    /// "2026-01-01 12:00", yesterday, 2.weeks.ago.
    #[arg(long, value_name = "WHEN", alias = "after")]
    pub since: Option<String>,
    /// Only events at or before this time (the forms of --since).
    #[arg(long, value_name = "WHEN", alias = "before")]
    pub until: Option<String>,
    /// Only events by users whose name contains this text (ignoring case).
    #[arg(long, value_name = "PATTERN")]
    pub author: Option<String>,
}

/// `timeline`.
#[derive(Debug, Args)]
pub struct TimelineArgs {
    /// Only this milestone's events.
    pub milestone: Option<String>,
    /// When and by whom.
    #[command(flatten)]
    pub log: LogFilterArgs,
}

pub fn run_event(out: &Output, command: EventCommand) -> Result<(), CliError> {
    let EventCommand::Add(args) = command;
    let milestone = milestone_id(&args.milestone)?;
    crate::model::event::check_event_type(&args.event_type).map_err(CliError::user)?;
    let data: serde_json::Value = serde_json::from_str(&args.data).map_err(|e| {
        CliError::user(format!("--data is not valid JSON: {e}"))
            .hint("quote it for the shell, for example: --data '{\"key\": \"value\"}'")
    })?;
    let outcome = open_store()?.transact(Op::AddEvent {
        milestone: milestone.clone(),
        event_type: args.event_type.clone(),
        data,
    })?;
    out.outcome(
        &outcome,
        &format!("Recorded {} on {milestone}.", args.event_type),
    )
}

/// The time a `--since` / `--until` value names, or a clear error.
fn when(
    flag: &str,
    value: Option<&str>,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, CliError> {
    value
        .map(|text| {
            super::when::parse_when(text, crate::clock::now()).map_err(|e| {
                CliError::user(format!("--{flag}: {e}")).hint(format!(
                    "for example `--{flag} 2.weeks.ago` or `--{flag} \"2026-01-01 12:00\"`"
                ))
            })
        })
        .transpose()
}

/// The filter of `events` and `timeline`: milestone, times and author.
fn filter_of(milestone: Option<String>, log: LogFilterArgs) -> Result<EventFilter, CliError> {
    Ok(EventFilter {
        since: when("since", log.since.as_deref())?,
        until: when("until", log.until.as_deref())?,
        author: log.author,
        ..filter(milestone)?
    })
}

pub fn filter(milestone: Option<String>) -> Result<EventFilter, CliError> {
    let milestone = match milestone {
        Some(m) => Some(milestone_id(&m)?.to_string()),
        None => None,
    };
    Ok(EventFilter {
        milestone,
        ..EventFilter::default()
    })
}

/// Refuses a milestone that does not exist and never did, so that a typo is not
/// answered with an empty log; a removed milestone's log is still there.
pub fn check_exists(store: &crate::store::Store, filter: &EventFilter) -> Result<(), CliError> {
    if let Some(m) = &filter.milestone {
        let id = milestone_id(m)?;
        if !store.snapshot()?.has_milestone(&id)? {
            let removal = EventFilter {
                milestone: Some(id.to_string()),
                event_type: Some("milestone_removed".into()),
                ..EventFilter::default()
            };
            if store.events(store.tip()?, &removal, Some(1))?.is_empty() {
                return Err(crate::workflow::Rejection::NoSuchMilestone(id).into());
            }
        }
    }
    Ok(())
}

pub fn events(out: &Output, args: EventsArgs) -> Result<(), CliError> {
    let mut filter = filter_of(args.milestone, args.log)?;
    filter.event_type = args.event_type;
    let store = open_store()?;
    let from = match &args.at {
        Some(rev) => {
            let milestone = filter.milestone.as_deref().map(milestone_id).transpose()?;
            store.resolve_at(milestone.as_ref(), rev)?
        }
        None => store.tip()?,
    };
    check_exists(&store, &filter)?;
    let mut events = store.events(from, &filter, Some(args.limit))?;
    if args.reverse {
        events.reverse();
    }
    out.page(store.config().as_ref());
    if out.json {
        return print_events(out, &events);
    }
    // Signed operations are marked as `git log --format=%G?` marks them: G for a
    // good signature, B for one that does not check out (an OpenPGP key is checked
    // against the trust list's keys).
    let mut commits: Vec<git2::Oid> = events
        .iter()
        .filter_map(|e| git2::Oid::from_str(&e.commit).ok())
        .collect();
    commits.sort();
    commits.dedup();
    let marks: std::collections::HashMap<String, &str> = commits
        .iter()
        .zip(store.signers_of(&commits, store.trust()?.as_ref()))
        .map(|(commit, signer)| {
            let mark = match signer {
                crate::model::Signer::Key { .. } => " G",
                crate::model::Signer::Bad { .. } => " B",
                crate::model::Signer::Unsigned => "",
            };
            (commit.to_string(), mark)
        })
        .collect();
    for e in &events {
        let mark = marks.get(&e.commit).copied().unwrap_or("");
        let line = event_line(out, e);
        out.line(match line.split_once(' ') {
            Some((commit, rest)) if !mark.is_empty() => format!("{commit}{mark} {rest}"),
            _ => line,
        })?;
    }
    Ok(())
}

pub fn timeline(out: &Output, args: TimelineArgs) -> Result<(), CliError> {
    let filter = filter_of(args.milestone, args.log)?;
    let store = open_store()?;
    check_exists(&store, &filter)?;
    out.page(store.config().as_ref());
    // Streamed, oldest first: a long history never sits in memory as a whole. JSON
    // output is one event per line, as stored, so nothing is parsed again.
    let tip = store.tip()?;
    let mut failure = None;
    let mut write = |text: String| match out.line(text) {
        Ok(()) => true,
        Err(e) => {
            failure = Some(e);
            false
        }
    };
    if out.json {
        out.line("[")?;
        let mut first = true;
        store.for_each_event_json(tip, &filter, |json| {
            let separator = if first { "" } else { "," };
            first = false;
            write(format!("{separator}{json}"))
        })?;
    } else {
        store.for_each_event(tip, &filter, |event| write(event_line(out, &event)))?;
    }
    if let Some(e) = failure {
        return Err(e);
    }
    if out.json {
        out.line("]")?;
    }
    Ok(())
}

fn print_events(out: &Output, events: &[EventRecord]) -> Result<(), CliError> {
    if out.json {
        return out.json_value(events);
    }
    for e in events {
        out.line(event_line(out, e))?;
    }
    Ok(())
}

/// One event in text output, like `git log --oneline`.
pub fn event_line(out: &Output, e: &EventRecord) -> String {
    let data = match &e.data {
        serde_json::Value::Null => String::new(),
        serde_json::Value::Object(map) if map.is_empty() => String::new(),
        data => data.to_string(),
    };
    format!(
        "{} {} {:<10} {:<22} {}  {data}",
        out.paint(e.commit.get(..7).unwrap_or(&e.commit), Paint::Commit),
        super::time::short_time(&e.timestamp),
        e.milestone_id.as_deref().unwrap_or("-"),
        e.event_type,
        e.user,
    )
    .trim_end()
    .to_string()
}
