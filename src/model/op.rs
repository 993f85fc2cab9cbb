//! Operations: what one command asks the store to do, stored in the commit message
//! with every argument, so that it can be re-applied elsewhere (merges).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::approval::{ApprovalRequest, Decision};
use super::binding::Binding;
use super::event::Event;
use super::id::{MilestoneId, TaskId};
use super::kiro::SpecChanges;
use super::milestone::{Milestone, Phase, PhaseStatus, TaskStatus};
use super::session::{RewriteKind, RewrittenCommit, Session, SessionCommit, SessionId};
use super::trust::TrustChange;

/// One operation; one commit on `refs/milestones`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Op {
    /// Creates the ref.
    Init,
    /// Creates a milestone.
    NewMilestone {
        /// The new milestone.
        milestone: MilestoneId,
        /// Its title.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        title: Option<String>,
        /// Its description.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        description: Option<String>,
        /// Its due date.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        due: Option<String>,
    },
    /// Replaces a milestone's definition (import, edit).
    PutMilestone {
        /// The whole new definition.
        definition: Box<Milestone>,
        /// Why: `import` or `edit`.
        reason: PutReason,
    },
    /// Adds a task.
    AddTask {
        /// The milestone.
        milestone: MilestoneId,
        /// The new task.
        task: TaskId,
        /// Its title.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        title: String,
        /// Whether it follows design → spec → task → execute.
        #[serde(default)]
        kiro: bool,
        /// Its size, for progress weighed by points.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        points: Option<f64>,
    },
    /// Sets or clears a task's points.
    SetTaskPoints {
        /// The milestone.
        milestone: MilestoneId,
        /// The task.
        task: TaskId,
        /// The new size; none clears it (the task counts 1 again).
        #[serde(default)]
        points: Option<f64>,
    },
    /// Sets a task's status.
    SetTaskStatus {
        /// The milestone.
        milestone: MilestoneId,
        /// The task.
        task: TaskId,
        /// The new status.
        status: TaskStatus,
        /// Why a workflow task's status is forced past its phases (`--force --reason`);
        /// without it a workflow task's status is refused.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Saves a milestone's state document.
    SaveState {
        /// The milestone.
        milestone: MilestoneId,
        /// Any JSON value.
        state: Value,
    },
    /// Records a custom event.
    AddEvent {
        /// The milestone.
        milestone: MilestoneId,
        /// The event's type.
        event_type: String,
        /// The event's data.
        #[serde(default)]
        data: Value,
    },
    /// Records that a checkpoint tag was made.
    CreateCheckpoint {
        /// The milestone.
        milestone: MilestoneId,
        /// The checkpoint's name.
        name: String,
        /// The commit the tag points at.
        commit: String,
    },
    /// Puts a milestone's files back as they were at `commit`.
    Restore {
        /// The milestone.
        milestone: MilestoneId,
        /// The commit of `refs/milestones` whose version comes back.
        commit: String,
        /// Why: a checkpoint restore or a recovery.
        source: RestoreSource,
    },
    /// Starts a work session.
    StartSession {
        /// The whole session record as it starts.
        session: Box<Session>,
    },
    /// Ends a work session.
    EndSession {
        /// The milestone.
        milestone: MilestoneId,
        /// The session.
        session: SessionId,
        /// HEAD at the end.
        #[serde(default)]
        head: Option<String>,
        /// Commits made on the session's branch since it started.
        #[serde(default)]
        commits: Vec<SessionCommit>,
    },
    /// Sets one phase's status.
    SetPhase {
        /// The milestone.
        milestone: MilestoneId,
        /// The task.
        task: TaskId,
        /// The phase.
        phase: Phase,
        /// The new status.
        status: PhaseStatus,
    },
    /// Moves a task to its next phase, or asks for approval when the move is gated.
    AdvancePhase {
        /// The milestone.
        milestone: MilestoneId,
        /// The task.
        task: TaskId,
        /// Who asks, recorded on an approval request ("Name <email>").
        by: String,
        /// Made once where the command runs and kept in the operation, so that a
        /// request's id is unique across clones and the same on every replay.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        nonce: Option<String>,
        /// The phase the task left (or asked to leave) where the command ran, recorded
        /// when the operation is written: a merge that replays it after the task moved
        /// on knows it no longer fits. Absent in operations written before.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<Phase>,
        /// The approval request it opened there, if any, recorded with `from`: a merge
        /// keeps it under this id (superseded when it no longer fits) with the
        /// decisions its clone made on it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        request: Option<String>,
    },
    /// One approver's decision on a request.
    DecideApproval {
        /// The milestone.
        milestone: MilestoneId,
        /// The request.
        approval: String,
        /// The deciding role.
        role: String,
        /// Approved or rejected.
        decision: Decision,
        /// An optional comment.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
        /// Who decided ("Name <email>").
        by: String,
        /// What the decider examined; kept on the approver, so the commit's
        /// signature covers it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        binding: Option<Binding>,
        /// Decides again, as an approver that already approved a granted request,
        /// binding the current content (`approval renew`).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        renew: bool,
    },
    /// Performs every ready transition of every workflow task.
    Monitor {
        /// The milestone.
        milestone: MilestoneId,
        /// Who asks, recorded on approval requests.
        by: String,
        /// As for `AdvancePhase`: the unique part of the requests' ids.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        nonce: Option<String>,
        /// Each advance it made where it ran, in order, recorded when the operation
        /// is written: a merge replays these, each like a `phase advance`, rather
        /// than whatever is ready in the merged state. Empty in operations written
        /// before (replayed as "every ready transition").
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        advanced: Vec<Advanced>,
    },
    /// Joins two histories (`sync`); the merge commit's parents carry the operations,
    /// and this records how each was resolved.
    Merge {
        /// Our tip.
        ours: String,
        /// Their tip.
        theirs: String,
        /// The merge base, none for unrelated histories.
        #[serde(default)]
        base: Option<String>,
        /// The operations replayed, in order, and what became of each.
        resolved: Vec<Resolution>,
        /// Fetched commits whose tree or events their operation does not produce: not
        /// taken as state (their operations are replayed), their recorded events not
        /// shown; the events their replay caused are this merge's.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        ignored: Vec<String>,
    },
    /// Removes ended sessions and automatic checkpoints older than the retention.
    Cleanup {
        /// The milestone.
        milestone: MilestoneId,
        /// The retention in days.
        retention_days: u32,
        /// Sessions that ended before this time are removed (RFC 3339).
        cutoff: String,
        /// The automatic checkpoint tags removed with it.
        #[serde(default)]
        checkpoints: Vec<String>,
    },
    /// A git commit seen by the post-commit hook: a `commit` event when it was made in
    /// a session of this milestone, and the task moves its trailers ask for.
    RecordCommit {
        /// The milestone.
        milestone: MilestoneId,
        /// The session the commit was made in, if it belongs to this milestone.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        session: Option<SessionId>,
        /// The commit id.
        commit: String,
        /// The branch it was made on ("none" when detached).
        branch: String,
        /// Its subject line.
        subject: String,
        /// What its `Task:` / `Completes:` trailers ask for this milestone.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        moves: Vec<TaskMove>,
    },
    /// A `git merge` or `git pull` seen by the post-merge hook: a `merge` event in a
    /// session of this milestone, and the task moves of the merged commits' trailers.
    RecordMerge {
        /// The milestone.
        milestone: MilestoneId,
        /// The session the merge was made in, if it belongs to this milestone.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        session: Option<SessionId>,
        /// HEAD after the merge.
        head: String,
        /// The branch merged into ("none" when detached).
        branch: String,
        /// Whether it was `git merge --squash` (HEAD did not move).
        #[serde(default)]
        squash: bool,
        /// The merged commits, oldest first (at most a bounded number of them).
        #[serde(default)]
        commits: Vec<String>,
        /// How many commits were merged, including those not listed.
        #[serde(default)]
        total: usize,
        /// What the merged commits' trailers ask for this milestone.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        moves: Vec<TaskMove>,
    },
    /// A `git checkout` / `git switch` of a branch during a session.
    SessionBranch {
        /// The milestone.
        milestone: MilestoneId,
        /// The session.
        session: SessionId,
        /// The branch now checked out.
        branch: String,
        /// HEAD after the checkout.
        #[serde(default)]
        head: Option<String>,
    },
    /// `git commit --amend` or `git rebase` seen by the post-rewrite hook: the rewritten
    /// commit ids on the session, and the task moves of the new commits' trailers.
    RecordRewrite {
        /// The milestone.
        milestone: MilestoneId,
        /// The session the rewrite was made in, if it belongs to this milestone.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        session: Option<SessionId>,
        /// Amend or rebase.
        kind: RewriteKind,
        /// Old and new ids (at most a bounded number of them).
        #[serde(default)]
        rewrites: Vec<RewrittenCommit>,
        /// How many commits were rewritten, including those not listed.
        #[serde(default)]
        total: usize,
        /// What the new commits' trailers ask for this milestone.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        moves: Vec<TaskMove>,
    },
    /// Removes a milestone from the current state; its history, `--at` and its
    /// checkpoints keep it.
    RemoveMilestone {
        /// The milestone.
        milestone: MilestoneId,
    },
    /// Removes a task from its milestone.
    RemoveTask {
        /// The milestone.
        milestone: MilestoneId,
        /// The task.
        task: TaskId,
    },
    /// Gives a task a new id; the old one keeps resolving to it.
    RenameTask {
        /// The milestone.
        milestone: MilestoneId,
        /// The task's id now.
        task: TaskId,
        /// Its new id.
        new_task: TaskId,
    },
    /// `kiro sync`: what the spec folder's `tasks.md` changed in the milestone made by
    /// `kiro import`, set by id.
    KiroSync {
        /// The milestone.
        milestone: MilestoneId,
        /// Removed, renumbered, updated and added tasks, statuses and the new base.
        changes: Box<SpecChanges>,
    },
    // The operations below migrate a reference `.milestones/` folder. They bring in
    // what the reference recorded, so they cause no events of their own.
    /// Brings in a milestone's definition: creates the milestone, or replaces a
    /// definition that is empty (or any, with `replace`).
    ImportMilestone {
        /// The definition; only an id for a milestone the folder knows from its other
        /// files alone.
        definition: Box<Milestone>,
        /// Replace a different definition instead of refusing.
        #[serde(default)]
        replace: bool,
        /// The file it came from, relative to the folder.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        source: Option<String>,
    },
    /// Sets a milestone's saved state as the reference had it at one time: its current
    /// state, a backup or a checkpoint.
    ImportState {
        /// The milestone.
        milestone: MilestoneId,
        /// The state; none when the reference has no current state, which removes it.
        #[serde(default)]
        state: Option<Value>,
        /// When the reference saved it (its envelope's `timestamp`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        saved_at: Option<String>,
        /// Its envelope's `version`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        version: Option<String>,
        /// The files it came from, relative to the folder.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        sources: Vec<String>,
    },
    /// Adds or replaces session records.
    ImportSessions {
        /// The milestone.
        milestone: MilestoneId,
        /// The sessions, each of this milestone.
        sessions: Vec<Session>,
    },
    /// Adds or replaces approval requests.
    ImportApprovals {
        /// The milestone.
        milestone: MilestoneId,
        /// The requests, each of this milestone.
        approvals: Vec<ApprovalRequest>,
    },
    /// Changes the trust list or a role's members; counts only when signed by an
    /// owner (or, for the very first key, by anyone: they become the owner).
    Trust(TrustChange),
    /// Records events of the reference's log, each with its own time, user and session,
    /// of any milestones.
    ImportEvents {
        /// The events, oldest first.
        events: Vec<Event>,
    },
}

/// What a commit message trailer asks of a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrailerAction {
    /// `Task: [<m>/]<t>`: pending → in_progress.
    Start,
    /// `Completes: [<m>/]<t>`: → completed.
    Complete,
}

impl TrailerAction {
    /// The trailer key as users write it.
    pub fn key(self) -> &'static str {
        match self {
            TrailerAction::Start => "Task",
            TrailerAction::Complete => "Completes",
        }
    }
}

/// A task move asked for by a trailer of a git commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskMove {
    /// The task.
    pub task: TaskId,
    /// Start or complete.
    pub action: TrailerAction,
    /// The commit whose message holds the trailer.
    pub commit: String,
}

/// One advance of a task as it was made: the phase it left and the approval request
/// it opened, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Advanced {
    /// The task.
    pub task: TaskId,
    /// The phase it left, or asked to leave.
    pub from: Phase,
    /// The request it opened, if the move was gated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<String>,
}

/// What a merge did with one operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resolution {
    /// The operation's commit.
    pub commit: String,
    /// The operation's type.
    pub op: String,
    /// `applied`, `unchanged` or `no-op`.
    pub outcome: String,
    /// Why it became a no-op.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Why a milestone's files are put back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RestoreSource {
    /// `checkpoint restore`.
    Checkpoint {
        /// The checkpoint's name.
        name: String,
    },
    /// `recover`: the tip's files could not be read.
    Recover,
}

/// Why a milestone's definition was replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PutReason {
    /// `git milestone import`: refused if a different milestone of that id exists.
    Import,
    /// `git milestone import --replace`: creates or replaces.
    Replace,
    /// `git milestone edit`.
    Edit,
}

impl Op {
    /// The operation's type name, as stored.
    pub fn type_name(&self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_string))
            .unwrap_or_default()
    }

    /// Whether applying the operation needs the milestone's approval requests.
    pub fn needs_approvals(&self) -> bool {
        matches!(
            self,
            Op::AdvancePhase { .. }
                | Op::SetPhase { .. }
                | Op::SetTaskStatus {
                    reason: Some(_),
                    ..
                }
                | Op::DecideApproval { .. }
                | Op::Monitor { .. }
                | Op::ImportApprovals { .. }
                | Op::RenameTask { .. }
                | Op::PutMilestone { .. }
                | Op::ImportMilestone { .. }
        )
    }

    /// Whether applying the operation needs the milestone's sessions.
    pub fn needs_sessions(&self) -> bool {
        matches!(
            self,
            Op::StartSession { .. }
                | Op::EndSession { .. }
                | Op::Cleanup { .. }
                | Op::SessionBranch { .. }
                | Op::RecordRewrite { .. }
                | Op::ImportSessions { .. }
        )
    }

    /// The milestone the operation touches, if any.
    pub fn milestone(&self) -> Option<&MilestoneId> {
        match self {
            Op::Init | Op::Merge { .. } | Op::ImportEvents { .. } | Op::Trust(_) => None,
            Op::PutMilestone { definition, .. } | Op::ImportMilestone { definition, .. } => {
                Some(&definition.id)
            }
            Op::StartSession { session } => Some(&session.milestone_id),
            Op::NewMilestone { milestone, .. }
            | Op::AddTask { milestone, .. }
            | Op::SetTaskStatus { milestone, .. }
            | Op::SetTaskPoints { milestone, .. }
            | Op::SaveState { milestone, .. }
            | Op::AddEvent { milestone, .. }
            | Op::CreateCheckpoint { milestone, .. }
            | Op::Restore { milestone, .. }
            | Op::EndSession { milestone, .. }
            | Op::Cleanup { milestone, .. }
            | Op::SetPhase { milestone, .. }
            | Op::AdvancePhase { milestone, .. }
            | Op::DecideApproval { milestone, .. }
            | Op::Monitor { milestone, .. }
            | Op::RecordCommit { milestone, .. }
            | Op::RecordMerge { milestone, .. }
            | Op::SessionBranch { milestone, .. }
            | Op::RecordRewrite { milestone, .. }
            | Op::RemoveMilestone { milestone }
            | Op::RemoveTask { milestone, .. }
            | Op::RenameTask { milestone, .. }
            | Op::KiroSync { milestone, .. } => Some(milestone),
            Op::ImportState { milestone, .. }
            | Op::ImportSessions { milestone, .. }
            | Op::ImportApprovals { milestone, .. } => Some(milestone),
        }
    }
}
