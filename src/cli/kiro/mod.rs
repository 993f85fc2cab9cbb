//! `kiro import` and `kiro sync`: Kiro spec folders (`.kiro/specs/<feature>/`) as
//! milestones, kept in step with their `tasks.md`.

mod import;
mod sync;

use clap::Subcommand;

use crate::spec_folder::SpecFolderError;
use crate::workflow::kiro::Unparsed;

use super::{CliError, Output};

pub use import::ImportArgs;
pub use sync::SyncArgs;

/// The `kiro` commands.
#[derive(Debug, Subcommand)]
pub enum KiroCommand {
    /// Make a milestone of a Kiro spec folder: its id is the folder's name, task `spec`
    /// follows the spec through the workflow, and each numbered checkbox of tasks.md
    /// is a task whose id is its number (1, 1.1, …).
    Import(ImportArgs),
    /// Bring milestones made by `kiro import` and their tasks.md in step: tasks
    /// follow the file, marks merge three ways with the ref, and only the marks of
    /// the file change.
    Sync(SyncArgs),
}

/// Runs a `kiro` command.
pub fn run(out: &Output, command: KiroCommand) -> Result<(), CliError> {
    match command {
        KiroCommand::Import(args) => import::import(out, args),
        KiroCommand::Sync(args) => sync::sync(out, args),
    }
}

impl From<SpecFolderError> for CliError {
    fn from(e: SpecFolderError) -> Self {
        let error = CliError::user(e.to_string());
        match e {
            SpecFolderError::NotASpec(_) | SpecFolderError::NotAFolder(_) => error.hint(
                "give the folder of one spec, such as `.kiro/specs/<feature>`, which holds its requirements.md, design.md and tasks.md",
            ),
            SpecFolderError::Outside(_) => {
                error.hint("run the command in the repository that holds the spec folder")
            }
            SpecFolderError::ChangedMeanwhile(_) => {
                error.hint("run `git milestone kiro sync` again")
            }
            SpecFolderError::NoWorkTree | SpecFolderError::Unreadable { .. } => error,
        }
    }
}

/// Tells on stderr which lines of tasks.md were kept as they are, unread.
fn warn_unparsed(path: &str, unparsed: &[Unparsed]) {
    use std::io::Write;
    let mut stderr = std::io::stderr().lock();
    for line in unparsed {
        let _ = writeln!(
            stderr,
            "warning: {path}:{}: not a numbered task, kept as it is: {}",
            line.line,
            super::output::escape_controls(&line.text)
        );
    }
}

/// The unparsed lines as JSON.
fn unparsed_json(unparsed: &[Unparsed]) -> serde_json::Value {
    unparsed
        .iter()
        .map(|u| serde_json::json!({"line": u.line, "text": u.text}))
        .collect()
}
