//! `state save|load`.

use std::io::{IsTerminal, Read};

use clap::{Args, Subcommand};

use crate::model::Op;

use super::milestone::load_at;
use super::{milestone_id, open_store, CliError, Output};

/// The `state` commands.
#[derive(Debug, Subcommand)]
pub enum StateCommand {
    /// Save a milestone's state: JSON from the argument, or from stdin.
    Save(SaveArgs),
    /// Print a milestone's saved state.
    Load(LoadArgs),
}

/// `state save`.
#[derive(Debug, Args)]
pub struct SaveArgs {
    /// The milestone.
    pub milestone: String,
    /// The state as JSON; read from stdin when omitted.
    #[arg(value_name = "JSON")]
    pub state: Option<String>,
}

/// `state load`.
#[derive(Debug, Args)]
pub struct LoadArgs {
    /// The milestone.
    pub milestone: String,
    /// The state as it was at this checkpoint or commit of refs/milestones.
    #[arg(long, value_name = "COMMIT|CHECKPOINT")]
    pub at: Option<String>,
}

pub fn run(out: &Output, command: StateCommand) -> Result<(), CliError> {
    match command {
        StateCommand::Save(args) => save(out, args),
        StateCommand::Load(args) => load_state(out, args),
    }
}

fn save(out: &Output, args: SaveArgs) -> Result<(), CliError> {
    let milestone = milestone_id(&args.milestone)?;
    let text = match args.state {
        Some(text) => text,
        None => {
            let mut stdin = std::io::stdin();
            if stdin.is_terminal() {
                return Err(CliError::usage(
                    "give the state as an argument or on stdin, for example: git milestone state save m1 '{\"step\": 3}'",
                ));
            }
            let mut text = String::new();
            stdin
                .read_to_string(&mut text)
                .map_err(|e| CliError::user(format!("cannot read the state from stdin: {e}")))?;
            text
        }
    };
    let state: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        CliError::user(format!("the state is not valid JSON: {e}")).hint(
            "quote it for the shell, for example: git milestone state save m1 '{\"step\": 3}'",
        )
    })?;
    let outcome = open_store()?.transact(Op::SaveState {
        milestone: milestone.clone(),
        state,
    })?;
    out.outcome(&outcome, &format!("Saved the state of {milestone}."))
}

fn load_state(out: &Output, args: LoadArgs) -> Result<(), CliError> {
    let milestone = milestone_id(&args.milestone)?;
    let files = load_at(&open_store()?, &milestone, args.at.as_deref())?;
    let Some(state) = files.state else {
        return Err(
            CliError::user(format!("milestone {milestone} has no saved state")).hint(format!(
                "save one with `git milestone state save {milestone} '<json>'`"
            )),
        );
    };
    out.json_value(&state)
}
