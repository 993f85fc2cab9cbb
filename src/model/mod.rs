//! The domain types: milestones, tasks, phases, operations and events, with the
//! validation of their values. No git, no terminal.

pub mod approval;
pub mod binding;
pub mod checkpoint;
pub mod event;
pub mod event_kind;
pub mod id;
pub mod kiro;
pub mod milestone;
pub mod op;
pub mod session;
pub mod tasks;
pub mod trust;
pub mod validate;

pub use approval::{ApprovalRequest, Approver, Decision};
pub use binding::{Binding, BoundFile, CompareRule, OnStale};
pub use event::{Event, EventRecord};
pub use event_kind::{EventKind, Forced};
pub use id::{InvalidId, MilestoneId, TaskId};
pub use kiro::{Mark, SpecChanges, SpecLink, SpecTask};
pub use milestone::{
    ApprovalGate, KiroConfiguration, KiroWorkflow, Milestone, MilestoneStatus, Phase, PhaseState,
    PhaseStatus, PhaseWeights, Phases, Task, TaskStatus, TrailerMoved,
};
pub use op::{Advanced, Op, PutReason, Resolution, RestoreSource, TaskMove, TrailerAction};
pub use session::{
    BranchSwitch, RewriteKind, RewrittenCommit, Session, SessionCommit, SessionId, SessionStatus,
};
pub use tasks::Tasks;
pub use trust::{IgnoredDecision, Signer, TrustChange, TrustList, TrustedKey, Verification};

/// A milestone's stored files, as read from one commit.
#[derive(Debug, Clone, PartialEq)]
pub struct MilestoneFiles {
    /// `milestone.yaml`.
    pub definition: Milestone,
    /// `state.json`, absent until saved.
    pub state: Option<serde_json::Value>,
    /// `sessions/*.json`, by id; `None` when not read (operations that do not need
    /// them leave them as they are).
    pub sessions: Option<std::collections::BTreeMap<SessionId, Session>>,
    /// `approvals/*.yaml`, by id; `None` when not read.
    pub approvals: Option<std::collections::BTreeMap<String, ApprovalRequest>>,
}
