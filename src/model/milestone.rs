//! The definition of a milestone as stored in `milestone.yaml`, in the reference's
//! field names (`tasks`, `kiro_workflow`, `kiro_configuration`, …).
//!
//! Fields this version does not know are kept in `extra` and written back, so a file
//! imported from the reference or edited by hand loses nothing.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::binding::{CompareRule, OnStale};
use super::id::{MilestoneId, TaskId};
use super::kiro::{SpecLink, SpecTask};
use super::tasks::Tasks;

/// Unknown fields, kept as they were.
pub type Extra = BTreeMap<String, Value>;

/// Fields the reference stored in the file although they are derived; here they are
/// computed on read, so they are dropped when a file comes in.
pub const DERIVED_FIELDS: [&str; 2] = ["status", "progress"];

/// One milestone's definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Milestone {
    /// The milestone's id.
    pub id: MilestoneId,
    /// A human title.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub title: String,
    /// A longer description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The due date, `YYYY-MM-DD` or an RFC 3339 time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<String>,
    /// The tasks, in their order.
    #[serde(default)]
    pub tasks: Tasks,
    /// Weights and approval gates of the four-phase workflow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kiro_configuration: Option<KiroConfiguration>,
    /// Tasks renamed by `task mv`: old id → new id, so trailers and commands naming
    /// the old id keep finding the task.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub renamed_tasks: BTreeMap<TaskId, TaskId>,
    /// The Kiro spec folder the milestone was imported from (`kiro import`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kiro_spec: Option<SpecLink>,
    /// Fields this version does not interpret.
    #[serde(flatten)]
    pub extra: Extra,
}

impl Milestone {
    /// A milestone with no tasks.
    pub fn new(id: MilestoneId) -> Self {
        Milestone {
            id,
            title: String::new(),
            description: None,
            due: None,
            tasks: Tasks::new(),
            kiro_configuration: None,
            renamed_tasks: BTreeMap::new(),
            kiro_spec: None,
            extra: Extra::new(),
        }
    }

    /// The task with this id, or the one a `task mv` gave a new id.
    pub fn task(&self, id: &TaskId) -> Option<&Task> {
        let id = self.resolve_task(id);
        self.tasks.iter().find(|t| &t.id == id)
    }

    /// The task with this id (or a renamed one's old id), mutable.
    pub fn task_mut(&mut self, id: &TaskId) -> Option<&mut Task> {
        let id = self.resolve_task(id).clone();
        self.tasks.find_mut(|t| t.id == id)
    }

    /// Whether a task has exactly this id now (an old name of a renamed task does not).
    pub fn has_task_id(&self, id: &TaskId) -> bool {
        self.tasks.iter().any(|t| &t.id == id)
    }

    /// The id the task once called `id` has now: `id` itself when a task has it,
    /// else where `task mv` took it (renames are kept flattened, one step each).
    pub fn resolve_task<'a>(&'a self, id: &'a TaskId) -> &'a TaskId {
        if self.has_task_id(id) {
            return id;
        }
        self.renamed_tasks.get(id).unwrap_or(id)
    }
}

/// One task of a milestone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Task {
    /// The task's id, unique in its milestone.
    pub id: TaskId,
    /// A human title.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub title: String,
    /// Where the task stands.
    #[serde(default)]
    pub status: TaskStatus,
    /// The four-phase workflow, for tasks that follow it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kiro_workflow: Option<KiroWorkflow>,
    /// The task's size, for progress weighed by points; none counts as 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points: Option<f64>,
    /// For a numbered task of a Kiro `tasks.md`: optional, requirements.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kiro_task: Option<SpecTask>,
    /// The commit trailers that moved this task, each of which moves it once: the same
    /// commit's trailer recorded again (a teammate's hook, a merge replaying it after
    /// the task was reopened) moves nothing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub moved_by: Vec<TrailerMoved>,
    /// Fields this version does not interpret.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A commit's trailer that moved a task (`Completes: <m>/<t>` of `commit`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrailerMoved {
    /// The commit whose message holds the trailer.
    pub commit: String,
    /// Which trailer.
    pub trailer: super::op::TrailerAction,
}

impl Task {
    /// A pending task, with the workflow when `kiro` is set.
    pub fn new(id: TaskId, title: String, kiro: bool) -> Self {
        Task {
            id,
            title,
            status: TaskStatus::Pending,
            kiro_workflow: kiro.then(KiroWorkflow::default),
            points: None,
            kiro_task: None,
            moved_by: Vec::new(),
            extra: Extra::new(),
        }
    }

    /// The task's weight when progress is weighed by points: its points, else 1.
    pub fn weight(&self) -> f64 {
        self.points.unwrap_or(1.0)
    }

    /// The workflow if the task follows it (present and enabled).
    pub fn workflow(&self) -> Option<&KiroWorkflow> {
        self.kiro_workflow.as_ref().filter(|w| w.enabled)
    }
}

/// The status of a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    /// Not started.
    #[default]
    Pending,
    /// Being worked on.
    InProgress,
    /// Done.
    Completed,
    /// Cannot go on.
    Blocked,
}

impl TaskStatus {
    /// All statuses, in the order users see them.
    pub const ALL: [TaskStatus; 4] = [
        TaskStatus::Pending,
        TaskStatus::InProgress,
        TaskStatus::Completed,
        TaskStatus::Blocked,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Pending => "pending",
            TaskStatus::InProgress => "in_progress",
            TaskStatus::Completed => "completed",
            TaskStatus::Blocked => "blocked",
        }
    }
}

impl fmt::Display for TaskStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for TaskStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        TaskStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| {
                format!("unknown task status {s:?}: expected pending, in_progress, completed or blocked")
            })
    }
}

/// The phases of the workflow, in order.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Design.
    #[default]
    Design,
    /// Specification.
    Spec,
    /// Task breakdown.
    Task,
    /// Execution.
    Execute,
}

impl Phase {
    /// The phases in workflow order.
    pub const ALL: [Phase; 4] = [Phase::Design, Phase::Spec, Phase::Task, Phase::Execute];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Design => "design",
            Phase::Spec => "spec",
            Phase::Task => "task",
            Phase::Execute => "execute",
        }
    }

    /// The phase after this one, none after execute.
    pub fn next(self) -> Option<Phase> {
        match self {
            Phase::Design => Some(Phase::Spec),
            Phase::Spec => Some(Phase::Task),
            Phase::Task => Some(Phase::Execute),
            Phase::Execute => None,
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The status of one phase of a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhaseStatus {
    /// Not started.
    #[default]
    NotStarted,
    /// Being worked on.
    InProgress,
    /// Done, and needs no approval or has not asked yet.
    Completed,
    /// An approval request is open.
    WaitingApproval,
    /// Approved by every approver.
    Approved,
    /// Rejected or stopped.
    Blocked,
}

impl PhaseStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            PhaseStatus::NotStarted => "not_started",
            PhaseStatus::InProgress => "in_progress",
            PhaseStatus::Completed => "completed",
            PhaseStatus::WaitingApproval => "waiting_approval",
            PhaseStatus::Approved => "approved",
            PhaseStatus::Blocked => "blocked",
        }
    }
}

impl fmt::Display for PhaseStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A task's four-phase workflow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KiroWorkflow {
    /// Whether the task follows the workflow.
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
    /// The phase the task is in.
    #[serde(default)]
    pub current_phase: Phase,
    /// Each phase's record.
    #[serde(default)]
    pub phases: Phases,
    /// Fields this version does not interpret.
    #[serde(flatten)]
    pub extra: Extra,
}

fn enabled_by_default() -> bool {
    true
}

impl Default for KiroWorkflow {
    fn default() -> Self {
        KiroWorkflow {
            enabled: true,
            current_phase: Phase::Design,
            phases: Phases::default(),
            extra: Extra::new(),
        }
    }
}

/// The record of each phase.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Phases {
    /// Design.
    #[serde(default)]
    pub design: PhaseState,
    /// Specification.
    #[serde(default)]
    pub spec: PhaseState,
    /// Task breakdown.
    #[serde(default)]
    pub task: PhaseState,
    /// Execution.
    #[serde(default)]
    pub execute: PhaseState,
}

impl Phases {
    /// The record of `phase`.
    pub fn get(&self, phase: Phase) -> &PhaseState {
        match phase {
            Phase::Design => &self.design,
            Phase::Spec => &self.spec,
            Phase::Task => &self.task,
            Phase::Execute => &self.execute,
        }
    }

    /// The record of `phase`, mutable.
    pub fn get_mut(&mut self, phase: Phase) -> &mut PhaseState {
        match phase {
            Phase::Design => &mut self.design,
            Phase::Spec => &mut self.spec,
            Phase::Task => &mut self.task,
            Phase::Execute => &mut self.execute,
        }
    }
}

/// One phase of one task.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct PhaseState {
    /// Where the phase stands.
    #[serde(default)]
    pub status: PhaseStatus,
    /// Overrides the milestone's gate for leaving this phase.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval_required: Option<bool>,
    /// What the phase produces, listed in approval requests.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deliverables: Vec<String>,
    /// When it went in progress.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    /// When it completed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<String>,
    /// When it was approved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_at: Option<String>,
    /// When it was blocked or began waiting for approval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocked_at: Option<String>,
    /// Fields this version does not interpret.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Milestone-wide settings of the workflow.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct KiroConfiguration {
    /// Each phase's share of a task's progress.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase_weights: Option<PhaseWeights>,
    /// Gates by transition name, `<from>_to_<to>`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub approval_gates: BTreeMap<String, ApprovalGate>,
    /// Fields this version does not interpret.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Phase weights; a missing one takes its default.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct PhaseWeights {
    /// Design's weight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub design: Option<f64>,
    /// Spec's weight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<f64>,
    /// Task's weight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<f64>,
    /// Execute's weight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execute: Option<f64>,
}

impl PhaseWeights {
    /// The weight set for `phase`, if any.
    pub fn get(&self, phase: Phase) -> Option<f64> {
        match phase {
            Phase::Design => self.design,
            Phase::Spec => self.spec,
            Phase::Task => self.task,
            Phase::Execute => self.execute,
        }
    }
}

/// An approval gate between two phases.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ApprovalGate {
    /// Whether the transition needs approval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required: Option<bool>,
    /// The roles that must decide.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub approvers: Vec<String>,
    /// What the approvers check.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub criteria: Vec<String>,
    /// What a stale approval does to the gate (default block).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_stale: Option<OnStale>,
    /// How bound content is compared (default exact; a `tasks.md` defaults to plan).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<CompareRule>,
    /// Which deliverables each role's approval follows (paths, bare names or globs);
    /// a role not listed follows them all.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub covers: BTreeMap<String, Vec<String>>,
    /// Globs of other files (code) whose change stales the approval too.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also_watch: Vec<String>,
    /// Fields this version does not interpret.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A milestone's derived status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MilestoneStatus {
    /// Nothing has progressed.
    Planned,
    /// Some task has progressed.
    InProgress,
    /// Every task (at least one) is completed.
    Completed,
}

impl MilestoneStatus {
    /// The name users and JSON see.
    pub fn as_str(self) -> &'static str {
        match self {
            MilestoneStatus::Planned => "planned",
            MilestoneStatus::InProgress => "in_progress",
            MilestoneStatus::Completed => "completed",
        }
    }
}

impl fmt::Display for MilestoneStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
