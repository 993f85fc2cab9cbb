//! The command line: clap definitions, one module per command group, text and JSON
//! rendering. Never builds a git tree; that is the store's job.

mod checkpoint;
mod demo;
mod edit;
pub mod error;
mod events;
mod migrate;
mod milestone;
mod output;
mod phase;
mod session;
mod state;
mod sync;
mod task;
mod view;

use clap::{Parser, Subcommand};

pub use error::{CliError, ErrorKind};
pub use output::Output;

/// Milestones, tasks and their history, kept on refs/milestones in your repository.
#[derive(Debug, Parser)]
#[command(name = "git-milestone", bin_name = "git milestone", version)]
#[command(after_help = "Start with `git milestone demo` to see it all in a throw-away repository.")]
pub struct Cli {
    /// Print machine-readable JSON on stdout.
    #[arg(long, global = true)]
    pub json: bool,
    /// Print only what was asked for (ids, data), no confirmations.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands of CLI.md.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create refs/milestones in this repository (safe to run again).
    Init,
    /// Create a milestone.
    New(milestone::NewArgs),
    /// Bring in a milestone YAML file, or migrate a reference .milestones/ folder.
    Import(milestone::ImportArgs),
    /// Print a milestone as YAML in the reference format, derived values included.
    Export(milestone::ReadArgs),
    /// Edit a milestone's YAML in your editor; validated before anything is written.
    Edit(milestone::IdArgs),
    /// List milestones with their status and progress.
    List,
    /// Show a milestone with its tasks.
    Show(milestone::ReadArgs),
    /// A dashboard of all milestones, or one milestone's progress.
    Status(milestone::StatusArgs),
    /// Add tasks and move them along.
    #[command(subcommand)]
    Task(task::TaskCommand),
    /// Save or load a milestone's state document (JSON).
    #[command(subcommand)]
    State(state::StateCommand),
    /// Record a custom event.
    #[command(subcommand)]
    Event(events::EventCommand),
    /// The event log, newest first, like `git log`.
    Events(events::EventsArgs),
    /// Every event, oldest first.
    Timeline(events::TimelineArgs),
    /// Move workflow tasks through design → spec → task → execute.
    #[command(subcommand)]
    Phase(phase::PhaseCommand),
    /// List and decide approval requests of gated phase transitions.
    #[command(subcommand)]
    Approval(phase::ApprovalCommand),
    /// Perform every ready phase transition of the workflow tasks.
    Monitor(phase::MonitorArgs),
    /// Tag, list and restore versions of a milestone.
    #[command(subcommand)]
    Checkpoint(checkpoint::CheckpointCommand),
    /// Restore the newest readable version of a milestone whose files are broken.
    Recover(checkpoint::RecoverArgs),
    /// Work sessions: who worked on what, where, and which commits they made.
    #[command(subcommand)]
    Session(session::SessionCommand),
    /// Remove ended sessions and automatic checkpoints older than the retention.
    Cleanup(checkpoint::CleanupArgs),
    /// Fetch, merge and push refs/milestones with a remote; nothing is ever lost.
    Sync(sync::SyncArgs),
    /// Walk through the whole flow in a throw-away repository.
    Demo(demo::DemoArgs),
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<(), CliError> {
    let out = Output::new(cli.json, cli.quiet);
    match cli.command {
        Command::Init => milestone::init(&out),
        Command::New(args) => milestone::new(&out, args),
        Command::Import(args) => milestone::import(&out, args),
        Command::Export(args) => milestone::export(&out, args),
        Command::Edit(args) => edit::edit(&out, args),
        Command::List => milestone::list(&out),
        Command::Show(args) => milestone::show(&out, args),
        Command::Status(args) => milestone::status(&out, args),
        Command::Task(command) => task::run(&out, command),
        Command::State(command) => state::run(&out, command),
        Command::Event(command) => events::run_event(&out, command),
        Command::Events(args) => events::events(&out, args),
        Command::Timeline(args) => events::timeline(&out, args),
        Command::Phase(command) => phase::run_phase(&out, command),
        Command::Approval(command) => phase::run_approval(&out, command),
        Command::Monitor(args) => phase::monitor(&out, args),
        Command::Checkpoint(command) => checkpoint::run(&out, command),
        Command::Recover(args) => checkpoint::recover(&out, args),
        Command::Session(command) => session::run(&out, command),
        Command::Cleanup(args) => checkpoint::cleanup(&out, args),
        Command::Sync(args) => sync::sync(&out, args),
        Command::Demo(args) => demo::demo(&out, args),
    }
}

/// Opens the store of the repository git would use here.
fn open_store() -> Result<crate::store::Store, CliError> {
    Ok(crate::store::Store::open_from_env()?)
}

/// Parses a milestone id argument with a clear message.
fn milestone_id(value: &str) -> Result<crate::model::MilestoneId, CliError> {
    crate::model::MilestoneId::new(value).map_err(|e| CliError::user(e.to_string()))
}

/// Parses a task id argument with a clear message.
fn task_id(value: &str) -> Result<crate::model::TaskId, CliError> {
    crate::model::TaskId::new(value).map_err(|e| CliError::user(e.to_string()))
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn command_line_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
