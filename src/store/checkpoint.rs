//! Checkpoints: annotated tags `refs/tags/milestone/<m>/<name>` on commits of
//! `refs/milestones`, and resolving `--at` revisions.

use chrono::{DateTime, Utc};
use git2::{ErrorCode, Oid};
use serde::Serialize;

use super::identity::{signature, Role};
use super::{Outcome, Store, StoreError};
use crate::clock;
use crate::model::{id::check_id, MilestoneId, Op};
use crate::workflow::Rejection;

pub use crate::model::checkpoint::tag_ref;
use crate::model::checkpoint::CHECKPOINT_TAGS as TAG_PREFIX;

/// A checkpoint as `checkpoint list` shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Checkpoint {
    /// The milestone.
    pub milestone_id: String,
    /// The checkpoint's name.
    pub name: String,
    /// The commit of `refs/milestones` it points at.
    pub commit: String,
    /// When it was made (RFC 3339).
    pub created_at: String,
    /// Who made it ("Name <email>").
    pub created_by: String,
    /// Why it was made (the tag message's first line).
    pub message: String,
}

impl Checkpoint {
    /// Whether `restore` made it automatically.
    pub fn is_automatic(&self) -> bool {
        self.name.starts_with("pre-restore-")
    }

    /// When it was made, parsed.
    pub fn created(&self) -> Option<DateTime<Utc>> {
        DateTime::parse_from_rfc3339(&self.created_at)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }
}

/// Checks a checkpoint name (it becomes part of a tag name).
pub fn check_name(name: &str) -> Result<(), Rejection> {
    check_id("checkpoint", name)
        .map(|_| ())
        .map_err(|e| Rejection::Invalid(e.to_string()))
}

impl Store {
    /// Tags the tip as checkpoint `name` of `milestone`, and records
    /// `checkpoint_created`. `why` goes into the tag message.
    pub fn create_checkpoint(
        &self,
        milestone: &MilestoneId,
        name: &str,
        why: &str,
    ) -> Result<Outcome, StoreError> {
        check_name(name)?;
        let tip = self.tip()?;
        if !self.snapshot_at(tip)?.has_milestone(milestone)? {
            return Err(Rejection::NoSuchMilestone(milestone.clone()).into());
        }
        let at = clock::now();
        let tagger = signature(&self.repo, Role::Committer, at)?;
        let target = self.repo.find_object(tip, None)?;
        let short_name = &tag_ref(milestone, name)["refs/tags/".len()..];
        let message = format!("Checkpoint {name} of milestone {milestone}\n\n{why}\n");
        match self.repo.tag(short_name, &target, &tagger, &message, false) {
            Ok(_) => {}
            Err(e) if e.code() == ErrorCode::Exists => {
                return Err(Rejection::CheckpointExists {
                    milestone: milestone.clone(),
                    name: name.to_string(),
                }
                .into())
            }
            Err(e) => return Err(e.into()),
        }
        let op = Op::CreateCheckpoint {
            milestone: milestone.clone(),
            name: name.to_string(),
            commit: tip.to_string(),
        };
        self.transact(op).inspect_err(|_| {
            // The event could not be recorded: take the tag back, so that the two
            // never disagree.
            let _ = self.delete_checkpoint(milestone, name);
        })
    }

    /// Removes a checkpoint's tag (the commit it pointed at stays in history).
    pub fn delete_checkpoint(&self, milestone: &MilestoneId, name: &str) -> Result<(), StoreError> {
        match self.repo.find_reference(&tag_ref(milestone, name)) {
            Ok(mut reference) => Ok(reference.delete()?),
            Err(e) if e.code() == ErrorCode::NotFound => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// The checkpoints of `milestone` (all milestones when `None`), oldest first.
    pub fn checkpoints(
        &self,
        milestone: Option<&MilestoneId>,
    ) -> Result<Vec<Checkpoint>, StoreError> {
        let pattern = match milestone {
            Some(m) => format!("{TAG_PREFIX}{m}/*"),
            None => format!("{TAG_PREFIX}*"),
        };
        let mut checkpoints = Vec::new();
        for reference in self.repo.references_glob(&pattern)? {
            let reference = reference?;
            let Some(full) = reference.name() else {
                continue;
            };
            let Some((milestone_id, name)) = full[TAG_PREFIX.len()..].split_once('/') else {
                continue;
            };
            // A tag that names no commit (a blob pushed by hand) is no checkpoint.
            let Ok(commit) = reference.peel_to_commit() else {
                continue;
            };
            let (created, created_by, message) = match reference.peel_to_tag() {
                Ok(tag) => {
                    let tagger = tag.tagger();
                    let who = tagger.as_ref().map(|t| {
                        format!("{} <{}>", t.name().unwrap_or(""), t.email().unwrap_or(""))
                    });
                    let when = tagger.map(|t| t.when().seconds());
                    let why = tag
                        .message()
                        .unwrap_or("")
                        .lines()
                        .nth(2)
                        .unwrap_or("")
                        .to_string();
                    (when, who, why)
                }
                // A lightweight tag someone made by hand: its commit's time will do.
                Err(_) => (Some(commit.time().seconds()), None, String::new()),
            };
            let created_at = created
                .and_then(|s| DateTime::from_timestamp(s, 0))
                .map(clock::format_time)
                .unwrap_or_default();
            checkpoints.push(Checkpoint {
                milestone_id: milestone_id.to_string(),
                name: name.to_string(),
                commit: commit.id().to_string(),
                created_at,
                created_by: created_by.unwrap_or_default(),
                message,
            });
        }
        checkpoints.sort_by(|a, b| {
            (&a.milestone_id, &a.created_at, &a.name).cmp(&(
                &b.milestone_id,
                &b.created_at,
                &b.name,
            ))
        });
        Ok(checkpoints)
    }

    /// The commit of `refs/milestones` that `rev` names: a checkpoint of `milestone`,
    /// or anything git understands (an id, `refs/milestones~3`, a tag).
    pub fn resolve_at(
        &self,
        milestone: Option<&MilestoneId>,
        rev: &str,
    ) -> Result<Oid, StoreError> {
        let unknown = || StoreError::UnknownRevision(rev.to_string());
        let checkpoint = milestone
            .filter(|_| check_name(rev).is_ok())
            .and_then(|m| self.repo.find_reference(&tag_ref(m, rev)).ok())
            .and_then(|r| r.peel_to_commit().ok());
        let commit = match checkpoint {
            Some(commit) => commit.id(),
            None => self
                .repo
                .revparse_single(rev)
                .and_then(|o| o.peel_to_commit())
                .map_err(|_| unknown())?
                .id(),
        };
        let tip = self.tip()?;
        if commit == tip || self.repo.graph_descendant_of(tip, commit)? {
            Ok(commit)
        } else {
            Err(StoreError::NotInHistory(rev.to_string()))
        }
    }
}
