//! Approval requests for gated phase transitions, stored as
//! `approvals/<approval-id>.yaml` under the milestone, in the reference's terms.

use serde::{Deserialize, Serialize};

use super::binding::Binding;
use super::id::{MilestoneId, TaskId};
use super::milestone::Phase;
use super::trust::{IgnoredDecision, Verification};

/// Where a request, or one approver's part of it, stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Not decided yet.
    #[default]
    Pending,
    /// Approved.
    Approved,
    /// Rejected.
    Rejected,
    /// A request only: its transition already happened, or its phase was set again,
    /// before it was decided. Deciding it is refused.
    Superseded,
}

impl Decision {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Pending => "pending",
            Decision::Approved => "approved",
            Decision::Rejected => "rejected",
            Decision::Superseded => "superseded",
        }
    }
}

/// One approver role's part of a request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Approver {
    /// The role, as the gate lists it.
    pub role: String,
    /// Its decision.
    #[serde(default)]
    pub status: Decision,
    /// The git identity that decided ("Name <email>").
    #[serde(default)]
    pub decided_by: Option<String>,
    /// When (RFC 3339).
    #[serde(default)]
    pub decided_at: Option<String>,
    /// What they said.
    #[serde(default)]
    pub comments: Option<String>,
    /// How the decision stands against the trust list (absent: decided before
    /// decisions were checked, or not decided).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification: Option<Verification>,
    /// The fingerprint of the key that signed the decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// What the decision examined (absent: decided before decisions were bound, or
    /// not decided).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binding: Option<Binding>,
}

impl Approver {
    /// A role that has not decided.
    pub fn pending(role: &str) -> Self {
        Approver {
            role: role.to_string(),
            status: Decision::Pending,
            decided_by: None,
            decided_at: None,
            comments: None,
            verification: None,
            key: None,
            binding: None,
        }
    }
}

/// A request to approve the transition `from_phase → to_phase` of one task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApprovalRequest {
    /// Unique per request and across clones: `approval-<m>-<t>-<from>-<to>-<n>-<nonce>`.
    pub id: String,
    /// The milestone.
    pub milestone_id: MilestoneId,
    /// The task.
    pub task_id: TaskId,
    /// The phase being left.
    pub from_phase: Phase,
    /// The phase being entered.
    pub to_phase: Phase,
    /// The whole request's state.
    #[serde(default)]
    pub status: Decision,
    /// When it was asked (RFC 3339).
    pub requested_at: String,
    /// Who asked ("Name <email>").
    #[serde(default)]
    pub requested_by: Option<String>,
    /// When it was decided.
    #[serde(default)]
    pub decided_at: Option<String>,
    /// The roles that must decide; empty means anyone may, once.
    #[serde(default)]
    pub approvers: Vec<Approver>,
    /// Whether anyone may decide (the gate listed no approvers).
    #[serde(default)]
    pub open_to_anyone: bool,
    /// What the approvers check.
    #[serde(default)]
    pub criteria: Vec<String>,
    /// What the phase produced.
    #[serde(default)]
    pub deliverables: Vec<String>,
    /// Decisions kept in history that did not count (not signed by a trusted key of
    /// the decider, or the decider is not a member of the role).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignored: Vec<IgnoredDecision>,
}

impl ApprovalRequest {
    /// `design → spec`.
    pub fn transition(&self) -> String {
        format!("{} → {}", self.from_phase, self.to_phase)
    }

    /// The roles that still have to decide.
    pub fn pending_roles(&self) -> Vec<&str> {
        self.approvers
            .iter()
            .filter(|a| a.status == Decision::Pending)
            .map(|a| a.role.as_str())
            .collect()
    }
}
