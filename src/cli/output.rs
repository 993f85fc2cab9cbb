//! Where a command's output goes: stdout for results (JSON with `--json`), stderr for
//! confirmations; `--quiet` drops the confirmations.

use std::io::Write;

use serde::Serialize;

use crate::store::Outcome;

use super::CliError;

/// The output settings of one command.
pub struct Output {
    /// `--json` was given.
    pub json: bool,
    /// `--quiet` was given.
    pub quiet: bool,
}

impl Output {
    /// Output with these settings.
    pub fn new(json: bool, quiet: bool) -> Self {
        Output { json, quiet }
    }

    /// Prints `text` and a newline on stdout.
    pub fn line(&self, text: impl AsRef<str>) -> Result<(), CliError> {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{}", text.as_ref())?;
        Ok(())
    }

    /// Prints `value` as pretty JSON on stdout.
    pub fn json_value<T: Serialize + ?Sized>(&self, value: &T) -> Result<(), CliError> {
        let text = serde_json::to_string_pretty(value)
            .map_err(|e| CliError::user(format!("cannot write JSON: {e}")))?;
        self.line(text)
    }

    /// A confirmation on stdout, unless `--quiet` or `--json`.
    pub fn note(&self, text: impl AsRef<str>) -> Result<(), CliError> {
        if self.quiet || self.json {
            return Ok(());
        }
        self.line(text)
    }

    /// Reports what a write did: with `--json` the commit and events, otherwise
    /// `text` (or that nothing changed).
    pub fn outcome(&self, outcome: &Outcome, text: &str) -> Result<(), CliError> {
        if self.json {
            let value = match outcome {
                Outcome::Committed { commit, applied } => serde_json::json!({
                    "changed": true,
                    "commit": commit.to_string(),
                    "summary": applied.summary,
                    "events": applied.events,
                }),
                Outcome::Unchanged { applied } => serde_json::json!({
                    "changed": false,
                    "commit": null,
                    "summary": applied.summary,
                    "events": [],
                }),
                Outcome::AlreadyInitialized => serde_json::json!({
                    "changed": false,
                    "commit": null,
                    "summary": "already initialized",
                    "events": [],
                }),
            };
            return self.json_value(&value);
        }
        match outcome {
            Outcome::Committed { applied, .. } => {
                self.note(text)?;
                for event in &applied.events {
                    if event.event_type == "milestone_completed" {
                        let id = event.milestone_id.as_deref().unwrap_or("");
                        self.note(format!("Milestone {id} is completed."))?;
                    }
                }
                Ok(())
            }
            Outcome::Unchanged { .. } => self.note("Nothing to change."),
            Outcome::AlreadyInitialized => self.note("Already initialized."),
        }
    }
}
