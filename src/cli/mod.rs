//! The command line: clap definitions, one module per command group, text and JSON
//! rendering. Never builds a git tree; that is the store's job.

mod approval_check;
mod approval_show;
mod chart;
mod checkpoint;
mod completion;
mod demo;
mod edit;
pub mod error;
mod events;
mod freshness;
pub mod help;
mod hooks;
mod kiro;
pub mod manual;
mod migrate;
mod milestone;
mod milestone_row;
mod output;
mod overrides_shown;
mod phase;
pub mod reference;
mod removed;
mod report;
mod session;
mod state;
mod suggest;
mod sync;
mod task;
mod terminal_text;
mod time;
mod trust;
mod usage;
mod view;
mod watch;
mod when;

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
    /// Color the output: auto (on a terminal, unless NO_COLOR is set), always, never.
    #[arg(long, global = true, value_name = "WHEN", default_value = "auto")]
    pub color: output::ColorChoice,
    /// Do not send long listings through the pager.
    #[arg(long, global = true)]
    pub no_pager: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands of CLI.md.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create refs/milestones in this repository (safe to run again).
    Init(milestone::InitArgs),
    /// Create a milestone.
    New(milestone::NewArgs),
    /// Bring in a milestone YAML file, or migrate a reference .milestones/ folder.
    Import(milestone::ImportArgs),
    /// Print a milestone as YAML in the reference format, derived values included.
    Export(milestone::ReadArgs),
    /// Edit a milestone's YAML in your editor; validated before anything is written.
    Edit(milestone::IdArgs),
    /// List milestones with their status and progress.
    List(milestone::ListArgs),
    /// Remove a milestone: gone from `list` and `status`; history, `--at` and its
    /// checkpoints keep it (`checkpoint restore` brings it back).
    Rm(milestone::IdArgs),
    /// Show a milestone with its tasks.
    Show(milestone::ShowArgs),
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
    ///
    /// Newest first in merge order, the timeline's order reversed: see `timeline`.
    Events(events::EventsArgs),
    /// Every event, oldest first, in merge order.
    ///
    /// Merge order is the order in which `sync` replays operations: by lamport clock
    /// (an operation always comes after the ones it was made on), then time, then
    /// commit id. It is the same in every clone that has the same operations; times
    /// written by clones with different clocks may therefore look out of order.
    Timeline(events::TimelineArgs),
    /// Move workflow tasks through design → spec → task → execute.
    #[command(subcommand)]
    Phase(phase::PhaseCommand),
    /// List and decide approval requests of gated phase transitions.
    #[command(subcommand)]
    Approval(phase::ApprovalCommand),
    /// Perform every ready phase transition of the workflow tasks.
    Monitor(phase::MonitorArgs),
    /// A milestone's burn-up chart in the terminal, with a forecast.
    Chart(chart::ChartArgs),
    /// Write a static HTML site of the milestones' progress (charts, approvals, events).
    Report(report::ReportArgs),
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
    /// Trusted public keys per email: who can sign decisions that count.
    #[command(subcommand)]
    Trust(trust::TrustCommand),
    /// Role members: who decides for which approver role.
    #[command(subcommand)]
    Roles(trust::RolesCommand),
    /// Check the signatures of operations and the authority of each decision; exit 1
    /// when any does not hold.
    Verify(trust::VerifyArgs),
    /// Walk through the whole flow in a throw-away repository.
    Demo(demo::DemoArgs),
    /// Print each new event as it lands (from commands, hooks or a sync), and
    /// optionally run a command for it.
    Watch(watch::WatchArgs),
    /// Kiro spec folders (.kiro/specs/<feature>) as milestones, kept in step with
    /// their tasks.md.
    #[command(subcommand)]
    Kiro(kiro::KiroCommand),
    /// Install, remove or inspect the git hooks that record commits, merges, checkouts
    /// and rewrites, and move tasks named in `Task:` / `Completes:` trailers.
    #[command(subcommand)]
    Hooks(hooks::HooksCommand),
    /// What the installed git hooks run (not for use by hand).
    #[command(hide = true)]
    Hook(hooks::HookArgs),
    /// Print a completion script for bash (with git's completion), zsh or fish.
    Completions(completion::CompletionsArgs),
    /// Install the man pages where `man` and `git milestone --help` find them.
    InstallMan(help::InstallManArgs),
    /// Print the man page (roff) on stdout.
    #[command(hide = true)]
    Man,
    /// Ids for the completion scripts.
    #[command(subcommand, hide = true, name = "__complete")]
    Complete(completion::CompleteCommand),
}

impl Cli {
    /// The definition, for rendering a usage error.
    fn command_for_errors() -> clap::Command {
        <Cli as clap::CommandFactory>::command()
    }
}

pub use usage::tidy as tidy_usage_error;

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<(), CliError> {
    let out = Output::new(cli.json, cli.quiet, cli.color, !cli.no_pager);
    match cli.command {
        Command::Init(args) => milestone::init(&out, args),
        Command::New(args) => milestone::new(&out, args),
        Command::Import(args) => milestone::import(&out, args),
        Command::Export(args) => milestone::export(&out, args),
        Command::Edit(args) => edit::edit(&out, args),
        Command::List(args) => milestone::list(&out, args),
        Command::Rm(args) => milestone::remove(&out, args),
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
        Command::Chart(args) => chart::chart(&out, args),
        Command::Report(args) => report::report(&out, args),
        Command::Checkpoint(command) => checkpoint::run(&out, command),
        Command::Recover(args) => checkpoint::recover(&out, args),
        Command::Session(command) => session::run(&out, command),
        Command::Cleanup(args) => checkpoint::cleanup(&out, args),
        Command::Sync(args) => sync::sync(&out, args),
        Command::Trust(command) => trust::run_trust(&out, command),
        Command::Roles(command) => trust::run_roles(&out, command),
        Command::Verify(args) => trust::verify(&out, args),
        Command::Demo(args) => demo::demo(&out, args),
        Command::Kiro(command) => kiro::run(&out, command),
        Command::Watch(args) => watch::watch(&out, args),
        Command::Hooks(command) => hooks::run(&out, command),
        Command::Hook(args) => hooks::hook(args),
        Command::Completions(args) => completion::completions(&out, args),
        Command::InstallMan(args) => help::install_man(&out, args),
        Command::Man => {
            use std::io::Write;
            std::io::stdout().write_all(&help::man_page()?)?;
            Ok(())
        }
        Command::Complete(command) => completion::complete(&out, command),
    }
}

/// The milestones a command that goes over all of them could not read. It carries on
/// with the others, then reports these and fails, so that scripts notice.
#[derive(Default)]
pub struct Unreadable(Vec<CliError>);

impl Unreadable {
    /// Passes a read through; a milestone whose files cannot be read is remembered and
    /// gives `None`; any other error stops the command.
    pub fn check<T>(
        &mut self,
        read: Result<T, crate::store::StoreError>,
    ) -> Result<Option<T>, CliError> {
        match read {
            Ok(value) => Ok(Some(value)),
            Err(e @ crate::store::StoreError::Corrupt { .. }) => {
                self.0.push(e.into());
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Whether every milestone could be read.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Ok when every milestone could be read; otherwise prints all but the last error
    /// and returns that one.
    pub fn finish(self) -> Result<(), CliError> {
        let count = self.0.len();
        let mut errors = self.0.into_iter();
        let Some(last) = errors.next_back() else {
            return Ok(());
        };
        for e in errors {
            eprintln!("{e}");
        }
        Err(CliError {
            message: format!("{} ({count} milestone(s) could not be read)", last.message),
            ..last
        })
    }
}

/// `git milestone hook …` alone, parsed without the rest of the command line.
#[derive(Debug, Parser)]
#[command(name = "git-milestone hook", bin_name = "git milestone hook")]
struct HookLine {
    #[command(flatten)]
    args: hooks::HookArgs,
}

/// Runs a `git milestone hook …` command line (`args` as the process got them) without
/// building the definition of every command: the hooks run inside every git commit,
/// checkout and merge, so their start-up is kept short. `None` for any other command
/// line, or one the short parse does not take (such as `hook --help`), which the full
/// parser then handles.
pub fn run_hook_command(args: &[std::ffi::OsString]) -> Option<Result<(), CliError>> {
    if args.get(1).map(|a| a.as_os_str()) != Some(std::ffi::OsStr::new("hook")) {
        return None;
    }
    let line = HookLine::try_parse_from(&args[1..]).ok()?;
    Some(hooks::hook(line.args))
}

/// Opens the store of the repository git would use here, once the hooks recording in
/// the background are done (what they record comes before this command), and reports
/// what went wrong in them.
fn open_store() -> Result<crate::store::Store, CliError> {
    use std::io::Write;
    let store = crate::store::Store::open_from_env()?;
    for dir in store.every_worktree_local_dir() {
        if !crate::hooks::background::wait_for_recordings(&dir, None) {
            let _ = writeln!(
                std::io::stderr(),
                "warning: gave up waiting for the hooks recording in the background (markers in {})",
                dir.display()
            );
        }
    }
    let local = store.local_dir();
    for problem in crate::hooks::background::take_problems(&local) {
        let _ = writeln!(std::io::stderr(), "warning: in the background, {problem}");
    }
    for line in crate::hooks::retry::retry_kept(&local) {
        let _ = writeln!(std::io::stderr(), "warning: {line}");
    }
    Ok(store)
}

/// What an id may be, for the hint of an invalid one.
const ID_RULE: &str =
    "ids are 1 to 64 of A-Z a-z 0-9 . _ -, not starting with '.' or '-', without '..'";

/// Parses a milestone id argument with a clear message.
fn milestone_id(value: &str) -> Result<crate::model::MilestoneId, CliError> {
    crate::model::MilestoneId::new(value).map_err(|e| CliError::user(e.to_string()).hint(ID_RULE))
}

/// Parses a task id argument with a clear message.
fn task_id(value: &str) -> Result<crate::model::TaskId, CliError> {
    crate::model::TaskId::new(value).map_err(|e| CliError::user(e.to_string()).hint(ID_RULE))
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn command_line_definition_is_consistent() {
        super::Cli::command().debug_assert();
        super::help::command().debug_assert();
    }
}
