//! The milestone `kiro import` makes of a spec folder: task `spec` follows the
//! workflow with the three documents as its phases' deliverables, and each numbered
//! task of `tasks.md` is a task whose id is its number.

use std::collections::BTreeMap;

use crate::model::{Milestone, MilestoneId, Phase, SpecLink, SpecTask, Task, TaskId};

use super::tasks_md::TasksFile;

/// The id of the task that follows the spec itself through the workflow.
pub const SPEC_TASK: &str = "spec";

/// The three documents of a spec folder.
pub const DOCUMENTS: [&str; 3] = ["requirements.md", "design.md", "tasks.md"];

/// Which document each of the first three phases produces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhaseDocuments(pub BTreeMap<Phase, String>);

impl PhaseDocuments {
    /// Requirements first (Kiro's default): design → requirements.md, spec →
    /// design.md, task → tasks.md; design first swaps the first two.
    pub fn new(design_first: bool) -> Self {
        let (first, second) = if design_first {
            ("design.md", "requirements.md")
        } else {
            ("requirements.md", "design.md")
        };
        PhaseDocuments(BTreeMap::from([
            (Phase::Design, first.to_string()),
            (Phase::Spec, second.to_string()),
            (Phase::Task, "tasks.md".to_string()),
        ]))
    }

    /// Applies one `--map PHASE=FILE`: the phase takes that file of the folder.
    pub fn set(&mut self, mapping: &str) -> Result<(), String> {
        let (phase, file) = mapping.split_once('=').ok_or_else(|| {
            format!("--map {mapping:?}: expected PHASE=FILE, e.g. design=design.md")
        })?;
        let phase = Phase::ALL
            .into_iter()
            .find(|p| p.as_str() == phase.trim())
            .ok_or_else(|| {
                format!("--map {mapping:?}: unknown phase {phase:?}: expected design, spec, task or execute")
            })?;
        let file = file.trim();
        let plain = !file.is_empty()
            && !file.starts_with('/')
            && file
                .split('/')
                .all(|part| !part.is_empty() && part != "." && part != "..");
        if !plain {
            return Err(format!(
                "--map {mapping:?}: the file must be a path inside the spec folder"
            ));
        }
        self.0.insert(phase, file.to_string());
        Ok(())
    }
}

/// The milestone for the spec folder `path` (repository-relative) whose `tasks.md`
/// reads as `tasks`; a number that cannot be a task id is refused.
pub fn spec_milestone(
    id: MilestoneId,
    path: &str,
    documents: &PhaseDocuments,
    tasks: &TasksFile,
) -> Result<Milestone, String> {
    if let Some(number) = tasks.duplicate_numbers().into_iter().next() {
        return Err(format!("tasks.md numbers more than one task {number}"));
    }
    let mut milestone = Milestone::new(id.clone());
    milestone.title = format!("Kiro spec {id}");
    let mut spec = Task::new(
        TaskId::new(SPEC_TASK).expect("a valid id"),
        format!("Spec {id}: requirements, design, tasks"),
        true,
    );
    if let Some(workflow) = spec.kiro_workflow.as_mut() {
        for (phase, file) in &documents.0 {
            workflow.phases.get_mut(*phase).deliverables = vec![format!("{path}/{file}")];
        }
    }
    milestone.tasks.push(spec);
    let (numbered, link) = numbered_tasks(path, tasks)?;
    milestone.tasks.extend(numbered);
    milestone.kiro_spec = Some(link);
    Ok(milestone)
}

/// A task for each numbered checkbox of `tasks` (its id is its number), and the link
/// to the spec folder `path` with their marks as the base of the next sync; a number
/// that cannot be a task id is refused.
pub fn numbered_tasks(path: &str, tasks: &TasksFile) -> Result<(Vec<Task>, SpecLink), String> {
    let mut numbered = Vec::new();
    let mut base = BTreeMap::new();
    for item in &tasks.items {
        let task_id = TaskId::new(item.number.as_str()).map_err(|e| {
            format!(
                "task number {} cannot be a task id: {}",
                item.number, e.reason
            )
        })?;
        let mut task = Task::new(task_id.clone(), item.title.clone(), false);
        task.status = item.mark.status();
        task.kiro_task = Some(SpecTask {
            optional: item.optional,
            requirements: item.requirements.clone(),
        });
        base.insert(task_id, item.mark);
        numbered.push(task);
    }
    let link = SpecLink {
        path: path.to_string(),
        base,
        removed: Vec::new(),
    };
    Ok((numbered, link))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Mark, TaskStatus};

    #[test]
    fn makes_the_spec_task_and_one_task_per_checkbox() {
        let tasks = TasksFile::parse(
            "- [x] 1. One\n  - [-] 1.1 Sub\n- [ ]* 2. Maybe\n  - _Requirements: 3.1_\n",
        );
        let id = MilestoneId::new("feature").unwrap();
        let m = spec_milestone(
            id,
            ".kiro/specs/feature",
            &PhaseDocuments::new(false),
            &tasks,
        )
        .unwrap();
        let ids: Vec<_> = m.tasks.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["spec", "1", "1.1", "2"]);
        let workflow = m.tasks[0].workflow().unwrap();
        assert_eq!(
            workflow.phases.design.deliverables,
            [".kiro/specs/feature/requirements.md"]
        );
        assert_eq!(
            workflow.phases.task.deliverables,
            [".kiro/specs/feature/tasks.md"]
        );
        assert_eq!(m.tasks[1].status, TaskStatus::Completed);
        assert_eq!(m.tasks[2].status, TaskStatus::InProgress);
        let maybe = m.tasks[3].kiro_task.as_ref().unwrap();
        assert!(maybe.optional);
        assert_eq!(maybe.requirements, ["3.1"]);
        let link = m.kiro_spec.unwrap();
        assert_eq!(
            link.base.get(&TaskId::new("1.1").unwrap()),
            Some(&Mark::InProgress)
        );
    }

    #[test]
    fn design_first_and_maps_choose_the_documents() {
        let mut documents = PhaseDocuments::new(true);
        assert_eq!(documents.0[&Phase::Design], "design.md");
        assert_eq!(documents.0[&Phase::Spec], "requirements.md");
        documents.set("execute=notes/run.md").unwrap();
        assert_eq!(documents.0[&Phase::Execute], "notes/run.md");
        for bad in [
            "design",
            "build=x.md",
            "task=../x.md",
            "task=/etc/passwd",
            "task=",
        ] {
            assert!(documents.set(bad).is_err(), "{bad} accepted");
        }
    }
}
