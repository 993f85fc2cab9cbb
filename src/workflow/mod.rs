//! Pure rules: applying an operation, derived status and progress. No git, no I/O, no
//! clock (time is passed in).

pub mod apply;
pub mod burnup;
pub mod checkpoints;
pub mod compare;
pub mod due;
pub mod freshness;
pub mod gates;
pub mod glob;
pub mod import;
pub mod kiro;
pub mod overrides;
pub mod phases;
pub mod points;
pub mod progress;
pub mod redefine;
pub mod rejection;
pub mod renewal;
pub mod retention;
pub mod summary;
pub mod trailers;
pub mod trust;

pub use apply::{apply, apply_with_source, as_recorded, replay, Applied, Rejection};
pub use progress::{
    display_percentage, milestone_progress, task_progress, MilestoneProgress, MilestoneStatus,
};
