//! `kiro import <folder>`: one operation that creates the milestone of a spec folder.

use std::path::PathBuf;

use clap::Args;
use serde_json::json;

use crate::model::{Op, PutReason};
use crate::spec_folder::SpecFolder;
use crate::store::Outcome;
use crate::workflow::kiro::{spec_milestone, PhaseDocuments, TasksFile};

use super::super::{milestone_id, open_store, CliError, Output};

/// `kiro import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The spec folder, such as `.kiro/specs/user-auth`.
    pub folder: PathBuf,
    /// The spec was written design first: the design phase takes design.md and the
    /// spec phase requirements.md.
    #[arg(long)]
    pub design_first: bool,
    /// Which file of the folder a phase takes, as PHASE=FILE (`--map
    /// execute=notes.md`); repeatable, overrides the defaults.
    #[arg(long, value_name = "PHASE=FILE")]
    pub map: Vec<String>,
}

pub fn import(out: &Output, args: ImportArgs) -> Result<(), CliError> {
    let mut documents = PhaseDocuments::new(args.design_first);
    for mapping in &args.map {
        documents.set(mapping).map_err(CliError::usage)?;
    }
    let store = open_store()?;
    let folder = SpecFolder::find(store.worktree().workdir(), &args.folder)?;
    let id = milestone_id(folder.name())
        .map_err(|e| e.hint("the milestone's id is the spec folder's name: rename the folder"))?;
    if store.snapshot()?.has_milestone(&id)? {
        return Err(
            CliError::user(format!("milestone {id} already exists")).hint(format!(
                "to bring it in step with the folder run `git milestone kiro sync {id}`; to import again, `git milestone rm {id}` first"
            )),
        );
    }
    let tasks = TasksFile::parse(&folder.read_tasks()?.unwrap_or_default());
    let definition = spec_milestone(id.clone(), &folder.path, &documents, &tasks)
        .map_err(|problem| CliError::user(format!("{}: {problem}", folder.tasks_path())))?;
    let count = tasks.items.len();
    let outcome = store.transact(Op::PutMilestone {
        definition: Box::new(definition),
        reason: PutReason::Import,
    })?;
    super::warn_unparsed(&folder.tasks_path(), &tasks.unparsed);
    if out.json {
        let commit = match &outcome {
            Outcome::Committed { commit, .. } => Some(commit.to_string()),
            _ => None,
        };
        return out.json_value(&json!({
            "milestone_id": id,
            "path": folder.path,
            "tasks": count,
            "commit": commit,
            "unparsed": super::unparsed_json(&tasks.unparsed),
        }));
    }
    let phases: Vec<String> = documents
        .0
        .iter()
        .map(|(phase, file)| format!("{phase} → {file}"))
        .collect();
    out.outcome(
        &outcome,
        &format!(
            "Imported {} as milestone {id}: task spec ({}) and {count} tasks from tasks.md.",
            folder.path,
            phases.join(", ")
        ),
    )
}
