//! `task add|set|set-points|start|complete`.

use clap::{Args, Subcommand};

use crate::model::{Op, TaskStatus};

use super::{milestone_id, open_store, task_id, CliError, Output};

/// The `task` commands.
#[derive(Debug, Subcommand)]
pub enum TaskCommand {
    /// Add a task to a milestone.
    Add(AddArgs),
    /// Set a task's status: pending, in_progress, completed or blocked.
    Set(SetArgs),
    /// Set a task's size in points (`none` clears it; a task without points counts 1).
    SetPoints(SetPointsArgs),
    /// Mark a task in progress.
    Start(StatusArgs),
    /// Mark a task completed.
    ///
    /// A workflow task completes through its execute phase (`phase set`, `phase
    /// advance`); --force --reason overrides that, on record.
    Complete(StatusArgs),
    /// Remove a task from its milestone (history keeps it).
    Rm(TaskArgs),
    /// Give a task a new id; commands and trailers naming the old id still find it.
    Mv(MvArgs),
}

/// `task mv`.
#[derive(Debug, Args)]
pub struct MvArgs {
    /// The milestone.
    pub milestone: String,
    /// The task's id now.
    pub task: String,
    /// Its new id: letters, digits, '.', '_', '-'.
    pub new_id: String,
}

/// Forcing a workflow task's status past its phases.
#[derive(Debug, Args)]
pub struct Override {
    /// Set the status of a workflow task directly, past its gates (needs --reason).
    #[arg(long, requires = "reason")]
    pub force: bool,
    /// Why the gates are overridden; kept in the task's events.
    #[arg(long, requires = "force", value_name = "TEXT")]
    pub reason: Option<String>,
}

/// `task add`.
#[derive(Debug, Args)]
pub struct AddArgs {
    /// The milestone.
    pub milestone: String,
    /// The new task's id.
    pub task: String,
    /// A human title.
    #[arg(long)]
    pub title: Option<String>,
    /// The task follows design → spec → task → execute.
    #[arg(long)]
    pub kiro: bool,
    /// The task's size, a non-negative number (charts and reports can weigh by it).
    #[arg(long, value_name = "N", value_parser = parse_points, allow_negative_numbers = true)]
    pub points: Option<f64>,
}

/// `task set-points`.
#[derive(Debug, Args)]
pub struct SetPointsArgs {
    /// The milestone.
    pub milestone: String,
    /// The task.
    pub task: String,
    /// A non-negative number, or `none` to clear.
    #[arg(value_name = "N|none", allow_negative_numbers = true)]
    pub points: String,
}

/// A size in points: a non-negative number.
fn parse_points(value: &str) -> Result<f64, String> {
    let points: f64 = value
        .trim()
        .parse()
        .map_err(|_| format!("{value:?} is not a number; give points such as 3 or 0.5"))?;
    crate::model::validate::check_points(points)?;
    Ok(points)
}

/// Arguments naming one task.
#[derive(Debug, Args)]
pub struct TaskArgs {
    /// The milestone.
    pub milestone: String,
    /// The task.
    pub task: String,
}

/// `task start|complete`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The milestone.
    pub milestone: String,
    /// The task.
    pub task: String,
    #[command(flatten)]
    pub force: Override,
}

/// `task set`.
#[derive(Debug, Args)]
pub struct SetArgs {
    /// The milestone.
    pub milestone: String,
    /// The task.
    pub task: String,
    /// pending, in_progress, completed or blocked.
    pub status: String,
    #[command(flatten)]
    pub force: Override,
}

pub fn run(out: &Output, command: TaskCommand) -> Result<(), CliError> {
    match command {
        TaskCommand::Add(args) => add(out, args),
        TaskCommand::Set(args) => {
            let status = args.status.parse().map_err(|e: String| {
                CliError::user(e).hint(format!(
                    "for example `git milestone task set {} {} completed`",
                    args.milestone, args.task
                ))
            })?;
            set(out, &args.milestone, &args.task, status, args.force)
        }
        TaskCommand::SetPoints(args) => set_points(out, args),
        TaskCommand::Start(args) => set(
            out,
            &args.milestone,
            &args.task,
            TaskStatus::InProgress,
            args.force,
        ),
        TaskCommand::Complete(args) => set(
            out,
            &args.milestone,
            &args.task,
            TaskStatus::Completed,
            args.force,
        ),
        TaskCommand::Rm(args) => remove(out, args),
        TaskCommand::Mv(args) => rename(out, args),
    }
}

fn remove(out: &Output, args: TaskArgs) -> Result<(), CliError> {
    let milestone = milestone_id(&args.milestone)?;
    let task = task_id(&args.task)?;
    let outcome = open_store()?.transact(Op::RemoveTask {
        milestone: milestone.clone(),
        task: task.clone(),
    })?;
    out.outcome(&outcome, &format!("Removed task {task} from {milestone}."))
}

fn rename(out: &Output, args: MvArgs) -> Result<(), CliError> {
    let milestone = milestone_id(&args.milestone)?;
    let task = task_id(&args.task)?;
    let new_task = task_id(&args.new_id)?;
    let outcome = open_store()?.transact(Op::RenameTask {
        milestone: milestone.clone(),
        task: task.clone(),
        new_task: new_task.clone(),
    })?;
    out.outcome(
        &outcome,
        &format!("Renamed task {task} of {milestone} to {new_task}."),
    )
}

fn add(out: &Output, args: AddArgs) -> Result<(), CliError> {
    let milestone = milestone_id(&args.milestone)?;
    let task = task_id(&args.task)?;
    let outcome = open_store()?.transact(Op::AddTask {
        milestone: milestone.clone(),
        task: task.clone(),
        title: args.title.unwrap_or_default(),
        kiro: args.kiro,
        points: args.points,
    })?;
    out.outcome(&outcome, &format!("Added task {task} to {milestone}."))
}

fn set(
    out: &Output,
    milestone: &str,
    task: &str,
    status: TaskStatus,
    force: Override,
) -> Result<(), CliError> {
    let milestone = milestone_id(milestone)?;
    let task = task_id(task)?;
    let reason = force.reason.filter(|_| force.force);
    if reason.as_deref().is_some_and(|r| r.trim().is_empty()) {
        return Err(CliError::usage("--reason is empty")
            .hint("say why the gates are overridden: --reason \"…\""));
    }
    let outcome = open_store()?.transact(Op::SetTaskStatus {
        milestone: milestone.clone(),
        task: task.clone(),
        status,
        reason,
    })?;
    out.outcome(&outcome, &format!("Task {milestone}/{task} is {status}."))
}

fn set_points(out: &Output, args: SetPointsArgs) -> Result<(), CliError> {
    let milestone = milestone_id(&args.milestone)?;
    let task = task_id(&args.task)?;
    let points = match args.points.as_str() {
        "none" => None,
        value => Some(parse_points(value).map_err(|e| {
            CliError::user(e).hint("`none` clears the points; the task then counts 1")
        })?),
    };
    let outcome = open_store()?.transact(Op::SetTaskPoints {
        milestone: milestone.clone(),
        task: task.clone(),
        points,
    })?;
    let shown = points.map_or("no points (counts 1)".to_string(), |p| {
        format!("{p} points")
    });
    out.outcome(&outcome, &format!("Task {milestone}/{task} has {shown}."))
}
