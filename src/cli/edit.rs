//! `edit`: the milestone's YAML in the editor git would use, validated before anything
//! is written.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;
use std::process::Command;

use crate::exchange::parse_milestone_yaml;
use crate::model::{Milestone, Op, PutReason};
use crate::store::Store;
use crate::workflow::Rejection;
use crate::yaml;

use super::milestone::{load, IdArgs};
use super::{milestone_id, open_store, CliError, Output};

const HEADER: &str = "\
# Edit this milestone, save and close the editor. Lines starting with '#' are ignored.
# status and progress are computed from the tasks and cannot be set here.
# An invalid file is not written: you are offered to edit it again.
";

pub fn edit(out: &Output, args: IdArgs) -> Result<(), CliError> {
    let id = milestone_id(&args.milestone)?;
    let store = open_store()?;
    let original = load(&store, &id)?.definition;
    let dir = store.local_dir();
    std::fs::create_dir_all(&dir)
        .map_err(|e| CliError::user(format!("cannot create {}: {e}", dir.display())))?;
    let file = dir.join(format!("EDIT_{id}.yaml"));
    let text = yaml::to_string(&original).map_err(|e| CliError::user(e.to_string()))?;
    std::fs::write(&file, format!("{HEADER}{text}"))
        .map_err(|e| CliError::user(format!("cannot write {}: {e}", file.display())))?;

    let edited = loop {
        run_editor(&store, &file)?;
        let text = std::fs::read_to_string(&file)
            .map_err(|e| CliError::user(format!("cannot read {}: {e}", file.display())))?;
        match parse_milestone_yaml(&strip_comments(&text), Some(id.as_str())) {
            Ok(m) if m.id == id => break m,
            Ok(m) => report(&format!(
                "the id cannot be changed here (it became {:?})",
                m.id.as_str()
            )),
            Err(problem) => report(&problem.to_string()),
        }
        if !ask_to_edit_again()? {
            return Err(
                CliError::user("the edit was not valid; nothing was written")
                    .hint(format!("your text is kept in {}", file.display())),
            );
        }
    };
    if edited == original {
        let _ = std::fs::remove_file(&file);
        return out.note(format!("No changes to {id}."));
    }
    let outcome = store
        .transact_checked(
            Op::PutMilestone {
                definition: Box::new(edited),
                reason: PutReason::Edit,
            },
            |current| changed_meanwhile(current.map(|f| &f.definition), &original),
        )
        .map_err(|e| CliError::from(e).hint(format!("your text is kept in {}", file.display())))?;
    let _ = std::fs::remove_file(&file);
    out.outcome(&outcome, &format!("Updated milestone {id}."))
}

/// Refuses to overwrite changes that others made while the editor was open.
fn changed_meanwhile(current: Option<&Milestone>, original: &Milestone) -> Result<(), Rejection> {
    if current == Some(original) {
        Ok(())
    } else {
        Err(Rejection::Invalid(format!(
            "milestone {} was changed by someone else while you were editing it; nothing was written",
            original.id
        )))
    }
}

fn report(problem: &str) {
    eprintln!("error: the edited milestone is not valid: {problem}");
}

/// On a terminal, asks whether to edit again; elsewhere there is nobody to ask.
fn ask_to_edit_again() -> Result<bool, CliError> {
    if !std::io::stdin().is_terminal() {
        return Ok(false);
    }
    eprint!("Edit again? [Y/n] ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(!matches!(answer.trim(), "n" | "N" | "no" | "No"))
}

fn strip_comments(text: &str) -> String {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The editor git would use: `GIT_EDITOR`, `core.editor`, `VISUAL`, `EDITOR`, then vi.
fn editor(store: &Store) -> String {
    let non_empty = |v: String| (!v.trim().is_empty()).then_some(v);
    std::env::var("GIT_EDITOR")
        .ok()
        .and_then(non_empty)
        .or_else(|| crate::config::get(store.config().as_ref(), "core.editor").and_then(non_empty))
        .or_else(|| std::env::var("VISUAL").ok().and_then(non_empty))
        .or_else(|| std::env::var("EDITOR").ok().and_then(non_empty))
        .unwrap_or_else(|| "vi".to_string())
}

fn run_editor(store: &Store, file: &Path) -> Result<(), CliError> {
    let editor = editor(store);
    // Like git, the editor setting is a shell snippet ("code --wait", "vim -f").
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$@\""))
        .arg(&editor)
        .arg(file)
        .status()
        .map_err(|e| CliError::user(format!("cannot run the editor {editor:?}: {e}")))?;
    if status.success() {
        Ok(())
    } else {
        Err(CliError::user(format!(
            "the editor {editor:?} failed ({status}); nothing was written"
        ))
        .hint(format!("your text is kept in {}", file.display())))
    }
}
