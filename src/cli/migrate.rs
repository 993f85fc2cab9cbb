//! `import <folder>`: migrating a `.milestones/` folder of the reference's bash scripts.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::migrate::{self, Folder, ImportError, Progress, ReadError, Report};
use crate::workflow::Rejection;

use super::milestone::ImportArgs;
use super::{open_store, CliError, Output};

pub fn import_folder(out: &Output, args: ImportArgs) -> Result<(), CliError> {
    // The repository first: a command run in the wrong place should say so before it
    // reads a hundred thousand lines.
    let store = open_store()?;
    let mut meter = Meter::new(out);
    meter.draw(&format!("Importing: reading {}…", args.path.display()));
    let max_size = args.max_size.unwrap_or(migrate::DEFAULT_MAX_FILE_BYTES);
    let folder = migrate::read_folder_with(&args.path, max_size);
    meter.clear();
    let folder = folder.map_err(read_error)?;
    if !folder.problems.is_empty() && !args.skip_invalid {
        return Err(problems_error(&folder));
    }
    let result = migrate::import(&store, &folder, args.replace, &mut |p| meter.show(p));
    meter.clear();
    let report = result.map_err(import_error)?;
    if args.skip_invalid && !folder.problems.is_empty() {
        // On stderr, like any warning: stdout keeps the result (and --json its JSON).
        let mut stderr = std::io::stderr().lock();
        let _ = writeln!(
            stderr,
            "warning: skipped {} invalid item(s):",
            folder.problems.len()
        );
        for problem in &folder.problems {
            let _ = writeln!(stderr, "  {problem}");
        }
    }
    if out.json {
        return out.json_value(&report_json(&folder, &report));
    }
    render(out, &folder, &report)
}

fn read_error(e: ReadError) -> CliError {
    let error = CliError::user(e.to_string());
    match &e {
        ReadError::NotReference(path) if path.join(".milestones").is_dir() => error.hint(format!(
            "did you mean {}?",
            path.join(".milestones").display()
        )),
        _ => error.hint(
            "give the .milestones folder the bash scripts wrote (it holds active/ and state/)",
        ),
    }
}

fn problems_error(folder: &Folder) -> CliError {
    let count = folder.problems.len();
    let mut message = format!(
        "{} has {count} problem(s); nothing was imported:",
        folder.root.display()
    );
    for problem in &folder.problems {
        message.push_str(&format!("\n  {problem}"));
    }
    CliError::user(message)
        .hint("fix them and import again, or import everything else with --skip-invalid")
}

fn import_error(e: ImportError) -> CliError {
    match e {
        ImportError::Rejected {
            what,
            rejection: Rejection::MilestoneExists(id),
        } => CliError::user(format!(
            "{what}: milestone {id} already exists with a different definition; nothing was imported"
        ))
        .hint("import with --replace to make it as the folder says (its state, sessions and history stay)"),
        ImportError::Rejected { what, rejection } => {
            CliError::user(format!("{what}: {rejection}; nothing was imported"))
        }
        ImportError::KeptMoving { .. } => CliError::user(format!("{e}; nothing was imported"))
            .hint("other commands kept writing; run the import again"),
        ImportError::Store(e) => e.into(),
    }
}

fn report_json(folder: &Folder, report: &Report) -> serde_json::Value {
    let mut value = serde_json::to_value(report).unwrap_or_default();
    value["folder"] = json!(folder.root.display().to_string());
    value["skipped"] = folder
        .problems
        .iter()
        .map(|p| json!({"file": p.file, "line": p.line, "problem": p.message}))
        .collect();
    value["ignored"] = json!(folder.ignored);
    value
}

fn render(out: &Output, folder: &Folder, report: &Report) -> Result<(), CliError> {
    let root = folder.root.display();
    if report.commits == 0 && report.counts.checkpoints == 0 {
        out.note(format!(
            "Nothing to import: everything in {root} is already on refs/milestones."
        ))?;
    } else {
        let c = &report.counts;
        out.note(format!(
            "Imported {root}: {} ({} tasks), {}, {}, {}, {}, {}, in {}.",
            counted(c.milestones, "milestone"),
            c.tasks,
            counted(c.events, "event"),
            counted(c.states, "state"),
            counted(c.sessions, "session"),
            counted(c.checkpoints, "checkpoint"),
            counted(c.approvals, "approval request"),
            counted(report.commits, "commit"),
        ))?;
    }
    if let Some(session) = &report.current_session {
        out.note(format!(
            "Session {session} (the folder's current session) is now this worktree's current session."
        ))?;
    }
    if !folder.ignored.is_empty() {
        out.note(format!(
            "Not part of the reference layout, left aside: {}",
            folder.ignored.join(", ")
        ))?;
    }
    Ok(())
}

fn counted(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// A one-line progress display on stderr, for a person watching a long import: only on
/// a terminal, and never with --json or --quiet.
struct Meter {
    enabled: bool,
    last: Option<Instant>,
    shown: bool,
}

impl Meter {
    fn new(out: &Output) -> Self {
        Meter {
            enabled: std::io::stderr().is_terminal() && !out.json && !out.quiet,
            last: None,
            shown: false,
        }
    }

    fn show(&mut self, progress: Progress) {
        if !self.enabled {
            return;
        }
        let line = match progress {
            Progress::Planning => "Importing: reading what is already imported…".to_string(),
            Progress::Writing {
                events,
                total_events,
                steps,
                total_steps,
            } => {
                let finished = steps == total_steps;
                let now = Instant::now();
                // A redraw per operation would cost more than the operation.
                if !finished
                    && self
                        .last
                        .is_some_and(|t| now - t < Duration::from_millis(100))
                {
                    return;
                }
                self.last = Some(now);
                format!(
                    "Importing: {events} of {total_events} events, {steps} of {total_steps} operations ({}%)",
                    steps * 100 / total_steps.max(1)
                )
            }
            Progress::Packing { objects } => format!("Importing: packing {objects} objects…"),
        };
        self.draw(&line);
    }

    fn draw(&mut self, line: &str) {
        if !self.enabled {
            return;
        }
        let mut stderr = std::io::stderr().lock();
        let _ = write!(stderr, "\r\x1b[K{line}");
        let _ = stderr.flush();
        self.shown = true;
    }

    fn clear(&mut self) {
        if self.shown {
            let mut stderr = std::io::stderr().lock();
            let _ = write!(stderr, "\r\x1b[K");
            let _ = stderr.flush();
            self.shown = false;
        }
    }
}
