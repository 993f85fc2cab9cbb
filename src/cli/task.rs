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
            let status = args.status.parse().map_err(CliError::user)?;
            set(out, &args.milestone, &args.task, status)
        }
        TaskCommand::Start(args) => set(out, &args.milestone, &args.task, TaskStatus::InProgress),
        TaskCommand::Complete(args) => set(out, &args.milestone, &args.task, TaskStatus::Completed),
    }
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
