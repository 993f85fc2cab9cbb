//! Kiro spec folders as milestones: reading and rewriting `tasks.md`, the milestone
//! an import makes, and what a sync changes on each side. Pure: the CLI reads and
//! writes the files, the store the ref.

pub mod apply;
pub mod import;
pub mod plan;
#[cfg(test)]
mod props;
pub mod tasks_md;

pub use import::{spec_milestone, PhaseDocuments, DOCUMENTS, SPEC_TASK};
pub use plan::{plan, Conflict, PlanError, SyncPlan};
pub use tasks_md::{SpecItem, TasksFile, Unparsed};
