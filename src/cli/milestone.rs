//! `init`, `new`, `import`, `export`, `list`, `show`, `status`.

use std::path::PathBuf;

use clap::Args;

use crate::exchange::parse_milestone_yaml;
use crate::model::{validate, Milestone, MilestoneFiles, MilestoneId, Op, PutReason};
use crate::store::{Outcome, Store, StoreError};
use crate::workflow::Rejection;
use crate::workflow::{display_percentage, task_progress};
use crate::yaml;

use super::chart::By;
use super::milestone_row;
use super::terminal_text::TerminalText;
use super::view;
use super::{milestone_id, open_store, CliError, Output, Unreadable};

/// Arguments naming one milestone.
#[derive(Debug, Args)]
pub struct IdArgs {
    /// The milestone's id.
    pub milestone: String,
}

/// Arguments reading one milestone, now or at an earlier version.
#[derive(Debug, Args)]
pub struct ReadArgs {
    /// The milestone's id.
    pub milestone: String,
    /// Read it as it was at this checkpoint or commit of refs/milestones.
    #[arg(long, value_name = "COMMIT|CHECKPOINT")]
    pub at: Option<String>,
}

/// `new`.
#[derive(Debug, Args)]
pub struct NewArgs {
    /// The new milestone's id: letters, digits, '.', '_', '-'.
    pub milestone: String,
    /// A human title.
    #[arg(long)]
    pub title: Option<String>,
    /// The due date, YYYY-MM-DD or an RFC 3339 time.
    #[arg(long)]
    pub due: Option<String>,
    /// A longer description.
    #[arg(long)]
    pub description: Option<String>,
}

/// `import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// A milestone YAML file in the reference format, `-` for standard input, or a
    /// reference `.milestones/` folder to migrate (milestones, states, events,
    /// sessions, checkpoints, approvals).
    pub path: PathBuf,
    /// Replace a milestone of the same id instead of refusing.
    #[arg(long)]
    pub replace: bool,
    /// Folders: import what is valid and list what was skipped, instead of refusing a
    /// folder with problems.
    #[arg(long)]
    pub skip_invalid: bool,
    /// The largest file read, in bytes (suffixes K, M, G); default 10M.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_size: Option<u64>,
}

/// A size in bytes, with an optional K, M or G suffix (powers of 1024).
fn parse_size(text: &str) -> Result<u64, String> {
    let (digits, unit) = match text.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((at, _)) => text.split_at(at),
        None => (text, ""),
    };
    let shift = match unit.to_ascii_uppercase().as_str() {
        "" | "B" => 0,
        "K" | "KB" | "KIB" => 10,
        "M" | "MB" | "MIB" => 20,
        "G" | "GB" | "GIB" => 30,
        _ => {
            return Err(format!(
                "{text:?} is not a size: use bytes, or a number with K, M or G"
            ))
        }
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(1 << shift))
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("{text:?} is not a size: use bytes, or a number with K, M or G"))
}

/// `status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// One milestone; all of them when omitted.
    pub milestone: Option<String>,
    /// Count tasks, or weigh progress by their points.
    #[arg(long, value_enum, default_value_t = By::Count)]
    pub by: By,
}

/// `show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    #[command(flatten)]
    pub read: ReadArgs,
    /// Count tasks, or weigh progress by their points.
    #[arg(long, value_enum, default_value_t = By::Count)]
    pub by: By,
}

/// The view of `files` in detail, its progress measured as `by` asks.
fn detail_by(files: &MilestoneFiles, by: By) -> view::DetailView<'_> {
    let mut detail = view::detail(files);
    if by == By::Points {
        view::weigh_by_points(&mut detail.summary, &files.definition);
    }
    detail
}

/// `init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Create refs/milestones even in a bare repository.
    #[arg(long)]
    pub bare: bool,
}

pub fn init(out: &Output, args: InitArgs) -> Result<(), CliError> {
    let store = open_store()?;
    // A bare repository is usually the team's remote, where `sync` keeps the
    // milestones under refs/meta/milestones; a refs/milestones there is read by nobody.
    if store.is_bare() && !args.bare && store.tip().is_err() {
        return Err(CliError::user("this is a bare repository, usually a remote: milestones reach it with `git milestone sync` from a clone")
            .hint("in a clone of it: `git milestone init`, then `git milestone sync` pushes them here")
            .hint("to keep milestones in this bare repository itself: `git milestone init --bare`"));
    }
    let outcome = store.init()?;
    out.outcome(&outcome, "Initialized refs/milestones.")
}

pub fn new(out: &Output, args: NewArgs) -> Result<(), CliError> {
    let id = milestone_id(&args.milestone)?;
    if let Some(due) = &args.due {
        validate::parse_date_or_time(due).map_err(|e| {
            CliError::user(e).hint("for example `--due 2026-12-31` or `--due 2026-12-31T17:00:00Z`")
        })?;
    }
    let store = open_store()?;
    let outcome = store.transact(Op::NewMilestone {
        milestone: id.clone(),
        title: args.title,
        description: args.description,
        due: args.due,
    })?;
    out.outcome(&outcome, &format!("Created milestone {id}."))
}

/// Reads a milestone YAML file in the reference format: derived fields are dropped,
/// and a file without `id` is refused (its name is no id: it is not guessed).
pub fn read_milestone_file(path: &std::path::Path, max_size: u64) -> Result<Milestone, CliError> {
    let shown = path.display();
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    if size > max_size {
        return Err(CliError::user(format!(
            "{shown} is {size} bytes, over the limit of {max_size} for one file"
        ))
        .hint("if it really is one milestone, raise the limit with `--max-size`"));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| {
            CliError::user(format!("cannot read {shown}: {e}")).hint(
                "give a milestone YAML file (`git milestone export <m>` writes one), `-` for standard input, or a .milestones/ folder",
            )
        })?;
    parse_milestone_yaml(&text, None).map_err(|problem| {
        let error = match problem.line {
            Some(line) => CliError::user(format!("{shown}:{line}: {}", problem.message)),
            None => CliError::user(format!("{shown}: {problem}")),
        };
        if problem.message.starts_with("missing field `id`") {
            error.hint("add the milestone's id as the file's first line, for example `id: v1.0`")
        } else {
            error
        }
    })
}

/// The most `import -` reads: a pipe has no size to check up front, and a runaway
/// producer must not fill the memory.
const MAX_STDIN_BYTES: u64 = 16 << 20;

/// Reads a milestone YAML document from standard input (`import -`); with no file
/// name to take it from, the document must have its `id`.
fn read_milestone_stdin() -> Result<Milestone, CliError> {
    use std::io::Read;
    let mut text = String::new();
    std::io::stdin()
        .take(MAX_STDIN_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|e| CliError::user(format!("cannot read standard input: {e}")))?;
    if text.len() as u64 > MAX_STDIN_BYTES {
        return Err(CliError::user(format!(
            "standard input holds more than {} bytes, more than a milestone file may",
            MAX_STDIN_BYTES
        )));
    }
    if text.trim().is_empty() {
        return Err(CliError::user("standard input is empty: nothing to import")
            .hint("pipe a milestone's YAML in, for example `git milestone export v1.0 | git milestone import -`"));
    }
    parse_milestone_yaml(&text, None).map_err(|problem| {
        CliError::user(format!("standard input: {problem}"))
            .hint("a milestone read from standard input needs its `id:` field")
    })
}

pub fn import(out: &Output, args: ImportArgs) -> Result<(), CliError> {
    let definition = if args.path.as_os_str() == "-" {
        read_milestone_stdin()?
    } else if args.path.is_dir() {
        return super::migrate::import_folder(out, args);
    } else {
        let max = args
            .max_size
            .unwrap_or(crate::migrate::DEFAULT_MAX_FILE_BYTES);
        read_milestone_file(&args.path, max)?
    };
    let id = definition.id.clone();
    let store = open_store()?;
    let reason = if args.replace {
        PutReason::Replace
    } else {
        PutReason::Import
    };
    let outcome = store
        .transact(Op::PutMilestone {
            definition: Box::new(definition),
            reason,
        })
        .map_err(|e| match e {
            StoreError::Rejected(Rejection::MilestoneExists(_)) => {
                CliError::from(e).hint("use `git milestone import --replace` to replace it")
            }
            e => CliError::from(e),
        })?;
    let tasks = match &outcome {
        Outcome::Committed { applied, .. } | Outcome::Unchanged { applied } => applied
            .files
            .as_ref()
            .map_or(0, |f| f.definition.tasks.len()),
        Outcome::AlreadyInitialized => 0,
    };
    out.outcome(
        &outcome,
        &format!("Imported milestone {id} ({tasks} tasks)."),
    )
}

/// The files of milestone `id` at the tip, or a clear error.
pub fn load(store: &Store, id: &MilestoneId) -> Result<MilestoneFiles, CliError> {
    load_at(store, id, None)
}

/// The files of milestone `id` at `at` (a checkpoint or commit; the tip when `None`).
pub fn load_at(
    store: &Store,
    id: &MilestoneId,
    at: Option<&str>,
) -> Result<MilestoneFiles, CliError> {
    let commit = match at {
        Some(rev) => store.resolve_at(Some(id), rev)?,
        None => store.tip()?,
    };
    let parts = crate::store::Parts {
        sessions: false,
        approvals: true,
    };
    store
        .snapshot_at(commit)?
        .milestone_with(id, parts)?
        .ok_or_else(|| {
            let error: CliError = crate::workflow::Rejection::NoSuchMilestone(id.clone()).into();
            match at {
                Some(rev) => CliError::user(format!("milestone {id} did not exist at {rev}")),
                None => error,
            }
        })
}

pub fn export(out: &Output, args: ReadArgs) -> Result<(), CliError> {
    let id = milestone_id(&args.milestone)?;
    let files = load_at(&open_store()?, &id, args.at.as_deref())?;
    let value = crate::exchange::export_value(&files.definition)
        .map_err(|e| CliError::user(format!("cannot export: {e}")))?;
    if out.json {
        return out.json_value(&value);
    }
    let text =
        yaml::to_string(&value).map_err(|e| CliError::user(format!("cannot export: {e}")))?;
    out.line(text.trim_end())
}

/// The summary of every readable milestone at the tip, sorted by id, and the
/// milestones that cannot be read: one broken milestone must not hide the others.
fn all_summaries(store: &Store) -> Result<(Vec<view::SummaryView>, Unreadable), CliError> {
    let snapshot = store.snapshot()?;
    let mut summaries = Vec::new();
    let mut unreadable = Unreadable::default();
    let today = crate::clock::now().date_naive();
    for read in store.milestone_summaries(&snapshot)? {
        if let Some(summary) = unreadable.check(read)? {
            summaries.push(view::summary_view(summary, today));
        }
    }
    Ok((summaries, unreadable))
}

/// `list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Also list removed milestones (`git milestone rm`), with the commit that still
    /// holds each.
    #[arg(long)]
    pub all: bool,
}

pub fn list(out: &Output, args: ListArgs) -> Result<(), CliError> {
    let store = open_store()?;
    let (summaries, broken) = all_summaries(&store)?;
    let removed = if args.all {
        let current: Vec<&str> = summaries.iter().map(|s| s.id.as_str()).collect();
        super::removed::removed_milestones(&store, &current)?
    } else {
        Vec::new()
    };
    if out.json {
        let mut values =
            serde_json::to_value(&summaries).map_err(|e| CliError::user(e.to_string()))?;
        if let Some(list) = values.as_array_mut() {
            list.extend(removed.iter().map(super::removed::RemovedMilestone::json));
        }
        out.json_value(&values)?;
        return broken.finish();
    }
    if summaries.is_empty() && removed.is_empty() && broken.is_empty() {
        return out.note("No milestones yet; create one with `git milestone new <id>`.");
    }
    // One write for the whole listing: a thousand lines are a thousand writes otherwise.
    let mut text = milestone_row::rows(out, &summaries);
    for r in &removed {
        if !text.is_empty() {
            text.newline();
        }
        r.push_line(out, &mut text);
    }
    if !text.is_empty() {
        out.print(&text)?;
    }
    broken.finish()
}

/// `rm`.
pub fn remove(out: &Output, args: IdArgs) -> Result<(), CliError> {
    let id = milestone_id(&args.milestone)?;
    let store = open_store()?;
    let outcome = store.transact(Op::RemoveMilestone {
        milestone: id.clone(),
    })?;
    let before = match &outcome {
        Outcome::Committed { commit, .. } => format!("{}^", &commit.to_string()[..12]),
        _ => "<commit>".into(),
    };
    out.outcome(
        &outcome,
        &format!(
            "Removed milestone {id}; `git milestone show {id} --at {before}` still shows it, and `git milestone list --all` lists it."
        ),
    )
}

pub fn show(out: &Output, args: ShowArgs) -> Result<(), CliError> {
    let id = milestone_id(&args.read.milestone)?;
    let store = open_store()?;
    let files = load_at(&store, &id, args.read.at.as_deref())?;
    out.page(store.config().as_ref());
    let detail = detail_by(&files, args.by);
    if out.json {
        return out.json_value(&detail);
    }
    let m = &files.definition;
    let s = &detail.summary;
    let title = if m.title.is_empty() {
        String::new()
    } else {
        format!(": {}", m.title)
    };
    out.line(format!("milestone {}{title}", m.id))?;
    out.line(format!("Status:   {}", out.status(s.status.as_str(), 0)))?;
    let points = match (s.progress.completed_points, s.progress.total_points) {
        (Some(done), Some(total)) => format!(
            "; {} of {} points",
            crate::report::amount(done),
            crate::report::amount(total)
        ),
        _ => String::new(),
    };
    out.line(format!(
        "Progress: {}  ({} of {} tasks completed{points})",
        out.bar(s.progress.percentage),
        s.progress.completed_tasks,
        s.progress.total_tasks
    ))?;
    if let Some(due) = view::due_text(out, s) {
        out.line(format!("Due:      {due}"))?;
    }
    out.line(format!(
        "State:    {}",
        if files.state.is_some() {
            "saved"
        } else {
            "none saved"
        }
    ))?;
    if let Some(description) = &m.description {
        out.line("")?;
        for line in description.lines() {
            out.line(format!("    {line}"))?;
        }
    }
    out.line("")?;
    print_tasks(out, m)?;
    print_pending_approvals(out, &files)?;
    super::freshness::print_problems(out, &store, &files)?;
    super::trust::note_unverified(out, &store, &files)
}

fn print_pending_approvals(out: &Output, files: &MilestoneFiles) -> Result<(), CliError> {
    let pending: Vec<_> = files
        .approvals
        .iter()
        .flat_map(|a| a.values())
        .filter(|r| r.status == crate::model::Decision::Pending)
        .collect();
    if pending.is_empty() {
        return Ok(());
    }
    out.line("")?;
    out.line("Pending approvals:")?;
    for r in pending {
        let who = if r.open_to_anyone {
            "anyone".to_string()
        } else {
            r.pending_roles().join(", ")
        };
        out.line(format!(
            "  {}  {} {}  waiting for {who}",
            r.id,
            r.task_id,
            r.transition()
        ))?;
    }
    Ok(())
}

fn print_tasks(out: &Output, m: &Milestone) -> Result<(), CliError> {
    if m.tasks.is_empty() {
        return out.line(format!(
            "No tasks; add one with `git milestone task add {} <id>`.",
            m.id
        ));
    }
    out.line("Tasks:")?;
    let config = m.kiro_configuration.as_ref();
    for task in &m.tasks {
        out.line(view::task_line(
            out,
            task,
            display_percentage(task_progress(task, config)),
        ))?;
    }
    Ok(())
}

pub fn status(out: &Output, args: StatusArgs) -> Result<(), CliError> {
    let Some(id) = args.milestone else {
        return dashboard(out, args.by);
    };
    let id = milestone_id(&id)?;
    let store = open_store()?;
    let files = load(&store, &id)?;
    let m = &files.definition;
    let detail = detail_by(&files, args.by);
    if out.json {
        return out.json_value(&detail);
    }
    let mut line = TerminalText::default();
    milestone_row::push_row(out, &detail.summary, &mut line);
    out.print(&line)?;
    out.line("")?;
    print_tasks(out, m)?;
    print_pending_approvals(out, &files)?;
    super::freshness::print_problems(out, &store, &files)?;
    super::trust::note_unverified(out, &store, &files)
}

fn dashboard(out: &Output, by: By) -> Result<(), CliError> {
    let store = open_store()?;
    let (mut summaries, broken) = all_summaries(&store)?;
    if by == By::Points {
        // The cached summaries count tasks; weighing needs each definition.
        let snapshot = store.snapshot()?;
        for summary in &mut summaries {
            let id = milestone_id(&summary.id)?;
            if let Some(files) = snapshot.milestone(&id)? {
                view::weigh_by_points(summary, &files.definition);
            }
        }
    }
    if out.json {
        out.json_value(&summaries)?;
        return broken.finish();
    }
    if summaries.is_empty() && broken.is_empty() {
        return out.note("No milestones yet; create one with `git milestone new <id>`.");
    }
    let count = |status: &str| {
        summaries
            .iter()
            .filter(|s| s.status.as_str() == status)
            .count()
    };
    out.line(format!(
        "milestones: {}, {} completed, {} in progress, {} planned, {} overdue",
        summaries.len(),
        count("completed"),
        count("in_progress"),
        count("planned"),
        summaries.iter().filter(|s| s.overdue).count()
    ))?;
    out.line("")?;
    if !summaries.is_empty() {
        out.print(&milestone_row::rows(out, &summaries))?;
    }
    broken.finish()
}
