//! `task add|set|start|complete`.

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
    /// Mark a task in progress.
    Start(TaskArgs),
    /// Mark a task completed.
    Complete(TaskArgs),
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
}

/// Arguments naming one task.
#[derive(Debug, Args)]
pub struct TaskArgs {
    /// The milestone.
    pub milestone: String,
    /// The task.
    pub task: String,
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
            set(out, &args.milestone, &args.task, status)
        }
        TaskCommand::Start(args) => set(out, &args.milestone, &args.task, TaskStatus::InProgress),
        TaskCommand::Complete(args) => set(out, &args.milestone, &args.task, TaskStatus::Completed),
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
    })?;
    out.outcome(&outcome, &format!("Added task {task} to {milestone}."))
}

fn set(out: &Output, milestone: &str, task: &str, status: TaskStatus) -> Result<(), CliError> {
    let milestone = milestone_id(milestone)?;
    let task = task_id(task)?;
    let outcome = open_store()?.transact(Op::SetTaskStatus {
        milestone: milestone.clone(),
        task: task.clone(),
        status,
    })?;
    out.outcome(&outcome, &format!("Task {milestone}/{task} is {status}."))
}
