//! `kiro sync [<m>] [--check]`: tasks.md's structure into the milestone, marks merged
//! three ways, the file's marks rewritten, one operation per milestone that changes.

use clap::Args;
use serde_json::{json, Value};

use crate::model::{Milestone, MilestoneId, Op};
use crate::spec_folder::SpecFolder;
use crate::store::Store;
use crate::workflow::kiro::{plan, Conflict, SyncPlan, TasksFile};
use crate::workflow::Rejection;

use super::super::{milestone_id, open_store, CliError, Output};

/// `kiro sync`.
#[derive(Debug, Args)]
pub struct SyncArgs {
    /// The milestone; every milestone made by `kiro import` when omitted.
    pub milestone: Option<String>,
    /// Change nothing: exit 1 when a sync would change the file or the milestone, and
    /// list the lines of tasks.md that are not tasks.
    #[arg(long)]
    pub check: bool,
}

/// One milestone's sync, planned against the files as read.
struct Prepared {
    definition: Milestone,
    folder: SpecFolder,
    read: String,
    file: TasksFile,
    plan: SyncPlan,
}

impl Prepared {
    fn changes_anything(&self) -> bool {
        self.plan.changes_ref || !self.plan.file_marks.is_empty()
    }
}

pub fn sync(out: &Output, args: SyncArgs) -> Result<(), CliError> {
    let store = open_store()?;
    let linked = linked_milestones(&store, args.milestone.as_deref())?;
    let prepared = linked
        .into_iter()
        .map(|definition| prepare(&store, definition))
        .collect::<Result<Vec<_>, _>>()?;
    if args.check {
        for p in &prepared {
            super::warn_unparsed(&p.folder.tasks_path(), &p.file.unparsed);
        }
    }
    let conflicts: Vec<(&MilestoneId, &Conflict)> = prepared
        .iter()
        .flat_map(|p| p.plan.conflicts.iter().map(|c| (&p.definition.id, c)))
        .collect();
    if !conflicts.is_empty() {
        return Err(conflict_error(&conflicts));
    }
    if args.check {
        return check(out, &prepared);
    }
    let mut reports = Vec::new();
    for p in &prepared {
        write(&store, p)?;
        reports.push(report(p));
    }
    if out.json {
        return out.json_value(&reports);
    }
    for p in &prepared {
        out.note(summary(p))?;
    }
    Ok(())
}

/// The milestones to sync: `id`'s (which must be linked), or every linked one.
fn linked_milestones(store: &Store, id: Option<&str>) -> Result<Vec<Milestone>, CliError> {
    let snapshot = store.snapshot()?;
    let Some(id) = id else {
        let mut linked = Vec::new();
        for id in snapshot.milestone_ids()? {
            if let Some(files) = snapshot.milestone(&id)? {
                linked.extend(Some(files.definition).filter(|d| d.kiro_spec.is_some()));
            }
        }
        if linked.is_empty() {
            return Err(
                CliError::user("no milestone is linked to a Kiro spec folder")
                    .hint("make one with `git milestone kiro import .kiro/specs/<feature>`"),
            );
        }
        return Ok(linked);
    };
    let id = milestone_id(id)?;
    let files = snapshot
        .milestone(&id)?
        .ok_or_else(|| CliError::from(Rejection::NoSuchMilestone(id.clone())))?;
    if files.definition.kiro_spec.is_none() {
        return Err(CliError::user(format!(
            "milestone {id} is not linked to a Kiro spec folder"
        ))
        .hint("only milestones made by `git milestone kiro import` can be synced"));
    }
    Ok(vec![files.definition])
}

/// Reads the milestone's tasks.md and plans its sync.
fn prepare(store: &Store, definition: Milestone) -> Result<Prepared, CliError> {
    let path = definition
        .kiro_spec
        .as_ref()
        .map(|link| link.path.clone())
        .unwrap_or_default();
    let folder = SpecFolder::linked(store.worktree().workdir(), &path)?;
    let has_tasks = definition.tasks.iter().any(|t| t.kiro_task.is_some());
    let read = match folder.read_tasks()? {
        Some(text) => text,
        None if !has_tasks => String::new(),
        None => {
            return Err(CliError::user(format!(
                "{} is gone: milestone {} still has its tasks",
                folder.tasks_path(),
                definition.id
            ))
            .hint("restore the file (`git checkout -- <path>`), or remove the milestone with `git milestone rm`"))
        }
    };
    let file = TasksFile::parse(&read);
    let plan = plan(&file, &definition).map_err(|e| {
        CliError::user(format!("{}: {e}", folder.tasks_path()))
            .hint("number each task once, with numbers such as 1, 2, 2.1")
    })?;
    Ok(Prepared {
        definition,
        folder,
        read,
        file,
        plan,
    })
}

/// Nothing written: one line per task on each side of every conflict.
fn conflict_error(conflicts: &[(&MilestoneId, &Conflict)]) -> CliError {
    let lines: Vec<String> = conflicts
        .iter()
        .map(|(m, c)| {
            let base = c.base.map_or("none".to_string(), |b| format!("[{}]", b.as_char()));
            format!(
                "  {m} task {} {:?}: [{}] in tasks.md, {} on the milestone ([{}]); last synced {base}",
                c.number,
                c.title,
                c.file.as_char(),
                c.milestone.status(),
                c.milestone.as_char(),
            )
        })
        .collect();
    CliError::user(format!(
        "kiro sync: {} task(s) changed both in tasks.md and on the milestone, differently; nothing was written:\n{}",
        conflicts.len(),
        lines.join("\n")
    ))
    .hint("make both sides agree: edit the mark in tasks.md, or `git milestone task set <m> <t> <status>`, then sync again")
}

/// `--check`: what would change, and exit 1 if anything would.
fn check(out: &Output, prepared: &[Prepared]) -> Result<(), CliError> {
    let pending: Vec<&Prepared> = prepared.iter().filter(|p| p.changes_anything()).collect();
    if out.json {
        out.json_value(&prepared.iter().map(report).collect::<Vec<_>>())?;
    } else {
        for p in &pending {
            out.line(summary(p))?;
        }
    }
    if pending.is_empty() {
        return out.note("In step: kiro sync would change nothing.");
    }
    Err(CliError::user(format!(
        "kiro sync --check: {} milestone(s) out of step with their tasks.md",
        pending.len()
    ))
    .hint("run `git milestone kiro sync` to bring them in step"))
}

/// Writes the file first, then the ref: if the ref write fails, the next sync sees the
/// file's new marks as the file's own changes and takes them, so nothing is lost.
fn write(store: &Store, p: &Prepared) -> Result<(), CliError> {
    let rendered = p.file.render(&p.plan.file_marks);
    let file_changes = rendered != p.read;
    if file_changes {
        p.folder.write_tasks(&p.read, &rendered)?;
    }
    if !p.plan.changes_ref {
        return Ok(());
    }
    let op = Op::KiroSync {
        milestone: p.definition.id.clone(),
        changes: Box::new(p.plan.changes.clone()),
    };
    let unchanged = |files: Option<&crate::model::MilestoneFiles>| {
        if files.map(|f| &f.definition) == Some(&p.definition) {
            Ok(())
        } else {
            Err(Rejection::Invalid(format!(
                "milestone {} changed while it was being synced",
                p.definition.id
            )))
        }
    };
    if let Err(e) = store.transact_checked(op, unchanged) {
        if file_changes {
            // Put the file back as it was read, unless someone saved it meanwhile.
            let _ = p.folder.write_tasks(&rendered, &p.read);
        }
        return Err(CliError::from(e).hint("run `git milestone kiro sync` again"));
    }
    Ok(())
}

/// One milestone's sync as JSON.
fn report(p: &Prepared) -> Value {
    let c = &p.plan.changes;
    let marks: Vec<Value> = p
        .plan
        .file_marks
        .iter()
        .map(|(number, mark)| json!({"task": number, "mark": mark}))
        .collect();
    json!({
        "milestone_id": p.definition.id,
        "path": p.folder.path,
        "changed": p.changes_anything(),
        "file_marks": marks,
        "added": c.added.iter().map(|a| &a.task).collect::<Vec<_>>(),
        "removed": c.removed,
        "renumbered": c.renumbered,
        "statuses": c.statuses,
        "unparsed": super::unparsed_json(&p.file.unparsed),
    })
}

/// One milestone's sync in a few lines.
fn summary(p: &Prepared) -> String {
    let id = &p.definition.id;
    if !p.changes_anything() {
        return format!("{id}: in step with {}.", p.folder.tasks_path());
    }
    let c = &p.plan.changes;
    let mut lines = vec![format!("{id} ⇄ {}:", p.folder.tasks_path())];
    for (number, mark) in &p.plan.file_marks {
        lines.push(format!("  tasks.md: task {number} → [{}]", mark.as_char()));
    }
    for (task, status) in &c.statuses {
        lines.push(format!("  milestone: task {task} → {status}"));
    }
    for added in &c.added {
        lines.push(format!("  added task {} {:?}", added.task, added.title));
    }
    for moved in &c.renumbered {
        lines.push(format!("  renumbered task {} → {}", moved.from, moved.to));
    }
    for removed in &c.removed {
        lines.push(format!(
            "  removed task {} {:?} (closed, kept on the milestone)",
            removed.task, removed.title
        ));
    }
    lines.join("\n")
}
