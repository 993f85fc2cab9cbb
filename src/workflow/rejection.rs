//! Why an operation was refused.

use crate::model::{Decision, MilestoneId, Phase, SessionId, TaskId};

/// The error returned by [`super::apply()`]: the operation does not fit the current
/// state. Each refusal users can meet has its own variant, so that the CLI can say
/// what to do about it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Rejection {
    /// The milestone does not exist.
    #[error("no milestone {0}")]
    NoSuchMilestone(MilestoneId),
    /// The milestone exists already.
    #[error("milestone {0} already exists")]
    MilestoneExists(MilestoneId),
    /// The task does not exist.
    #[error("milestone {milestone} has no task {task}")]
    NoSuchTask {
        /// The milestone.
        milestone: MilestoneId,
        /// The missing task.
        task: TaskId,
    },
    /// The task exists already.
    #[error("milestone {milestone} already has a task {task}")]
    TaskExists {
        /// The milestone.
        milestone: MilestoneId,
        /// The existing task.
        task: TaskId,
    },
    /// A checkpoint of that name exists already.
    #[error("milestone {milestone} already has a checkpoint {name:?}")]
    CheckpointExists {
        /// The milestone.
        milestone: MilestoneId,
        /// The taken name.
        name: String,
    },
    /// The task does not follow the four-phase workflow.
    #[error(
        "task {task} of {milestone} does not follow the design → spec → task → execute workflow"
    )]
    NotAWorkflowTask {
        /// The milestone.
        milestone: MilestoneId,
        /// The task.
        task: TaskId,
    },
    /// The task's current phase waits for a decision on an approval request.
    #[error("task {task} is waiting for approval {approval} of {from} → {}", to.map_or("done", |p| p.as_str()))]
    WaitingForApproval {
        /// The task.
        task: TaskId,
        /// The pending request.
        approval: String,
        /// The phase it waits in.
        from: Phase,
        /// The phase it would move to (none after execute).
        to: Option<Phase>,
    },
    /// The milestone has no approval request of that id.
    #[error("milestone {milestone} has no approval request {approval}")]
    NoSuchApproval {
        /// The milestone.
        milestone: MilestoneId,
        /// The request.
        approval: String,
    },
    /// The request is not waiting for decisions any more.
    #[error("approval {approval} was already {}", status.as_str())]
    RequestClosed {
        /// The request.
        approval: String,
        /// How it ended.
        status: Decision,
    },
    /// The role is not one of the request's approvers.
    #[error("{role:?} is not an approver of {approval}; its approvers are: {}", approvers.join(", "))]
    NotAnApprover {
        /// The request.
        approval: String,
        /// The role that tried to decide.
        role: String,
        /// The request's approver roles.
        approvers: Vec<String>,
    },
    /// The role has decided this request already.
    #[error("{role} has already {} {approval}", decision.as_str())]
    AlreadyDecided {
        /// The request.
        approval: String,
        /// The role.
        role: String,
        /// Its decision.
        decision: Decision,
    },
    /// A session of that id exists already.
    #[error("session {0} exists already")]
    SessionExists(SessionId),
    /// The milestone has no session of that id.
    #[error("milestone {milestone} has no session {session}")]
    NoSuchSession {
        /// The milestone.
        milestone: MilestoneId,
        /// The session.
        session: SessionId,
    },
    /// The session has ended already.
    #[error("session {0} has already ended")]
    SessionEnded(SessionId),
    /// `event add` of a type the tool records itself.
    #[error("{0:?} is recorded by git-milestone itself")]
    BuiltInEventType(String),
    /// A restore from a commit where the milestone did not exist.
    #[error("milestone {milestone} did not exist at commit {commit}")]
    NotAtCommit {
        /// The milestone.
        milestone: MilestoneId,
        /// The commit.
        commit: String,
    },
    /// A value is not acceptable; the message says which and why.
    #[error("{0}")]
    Invalid(String),
    /// The trust list does not allow the operation's author to make it.
    #[error("{0}")]
    NotAuthorized(String),
    /// A workflow gate refuses the move; `hint` names the commands that make it.
    #[error("{message}")]
    Gate {
        /// What is refused and why.
        message: String,
        /// What to do instead.
        hint: String,
    },
}
