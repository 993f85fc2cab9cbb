//! What a decision examined: the code commit, the comparison rule and each
//! deliverable's blob. Stored on the approver (so it is part of the operation's tree,
//! and of its signed commit); whether it still holds is derived on read, never stored.

use serde::{Deserialize, Serialize};

/// How a bound file is compared with its current content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CompareRule {
    /// The same bytes (the same blob).
    #[default]
    Exact,
    /// The same text, ignoring CRLF against LF and trailing spaces.
    Text,
    /// As `text`, also ignoring the mark inside `- [ ]`, `- [x]`, `- [-]`: ticking
    /// the boxes of a plan does not change the plan.
    Plan,
}

impl CompareRule {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            CompareRule::Exact => "exact",
            CompareRule::Text => "text",
            CompareRule::Plan => "plan",
        }
    }
}

/// What a stale approval does to its gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnStale {
    /// A stale approval does not satisfy the gate; completing the task is refused.
    #[default]
    Block,
    /// Shown, but the gate holds.
    Warn,
    /// Not looked at.
    Off,
}

impl OnStale {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            OnStale::Block => "block",
            OnStale::Warn => "warn",
            OnStale::Off => "off",
        }
    }
}

/// One file as a decision saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoundFile {
    /// Its path in the repository.
    pub path: String,
    /// Its blob id at the examined commit.
    pub blob: String,
    /// Its own rule, when it differs from the binding's (a Kiro `tasks.md` is a plan).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<CompareRule>,
}

/// What one decision examined.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Binding {
    /// The code commit examined.
    pub commit: String,
    /// The comparison rule of the gate at the time.
    #[serde(default)]
    pub rule: CompareRule,
    /// Each deliverable's path and blob.
    #[serde(default)]
    pub deliverables: Vec<BoundFile>,
    /// The gate's `also_watch` globs at the time.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub watch: Vec<String>,
    /// The files those globs matched, with their blobs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub watched: Vec<BoundFile>,
}

impl BoundFile {
    /// The rule this file is compared under.
    pub fn rule_in(&self, binding: &Binding) -> CompareRule {
        self.rule.unwrap_or(binding.rule)
    }
}
