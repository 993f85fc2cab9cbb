//! Removed milestones, for `list --all`: found from their `milestone_removed` events,
//! each with the commit that still holds it.

use crate::model::MilestoneId;
use crate::store::{EventFilter, Store};

use super::terminal_text::TerminalText;
use super::view::{self, SummaryView};
use super::{CliError, Output};

/// A milestone `rm` took out of the current state.
pub struct RemovedMilestone {
    /// As it was just before it was removed (its id alone if that cannot be read).
    pub summary: Option<SummaryView>,
    /// Its id.
    pub id: String,
    /// When it was removed (RFC 3339).
    pub at: String,
    /// Who removed it.
    pub by: String,
    /// The removing commit; its parent still holds the milestone.
    pub commit: String,
}

/// The milestones removed and not there now (not restored or created again), newest
/// removal first, one entry per id.
pub fn removed_milestones(
    store: &Store,
    current: &[&str],
) -> Result<Vec<RemovedMilestone>, CliError> {
    let filter = EventFilter {
        event_type: Some("milestone_removed".into()),
        ..EventFilter::default()
    };
    let mut removed: Vec<RemovedMilestone> = Vec::new();
    for record in store.events(store.tip()?, &filter, None)? {
        let Some(id) = record.milestone_id else {
            continue;
        };
        if current.contains(&id.as_str()) || removed.iter().any(|r| r.id == id) {
            continue;
        }
        removed.push(RemovedMilestone {
            summary: before_removal(store, &id, &record.commit),
            id,
            at: record.timestamp,
            by: record.user,
            commit: record.commit,
        });
    }
    Ok(removed)
}

/// The milestone as the parent of its removing commit has it.
fn before_removal(store: &Store, id: &str, commit: &str) -> Option<SummaryView> {
    let id = MilestoneId::new(id).ok()?;
    let commit = git2::Oid::from_str(commit).ok()?;
    let parent = store.worktree().first_parent(commit).ok()??;
    let files = store.snapshot_at(parent).ok()?.milestone(&id).ok()??;
    Some(view::summary(&files.definition))
}

impl RemovedMilestone {
    fn short(&self) -> &str {
        self.commit.get(..12).unwrap_or(&self.commit)
    }

    /// Appends its line in `list --all` to `text`.
    pub fn push_line(&self, out: &Output, text: &mut TerminalText) {
        text.field_padded(&self.id, 16).ours(" ");
        out.push_paint(text, "removed", super::output::Paint::Dim);
        text.ours(" ")
            // An unreadable time is shown as recorded.
            .field(&super::time::relative_time(&self.at, crate::clock::now()))
            .ours(" by ")
            .field(&self.by)
            .ours("; `git milestone show ")
            .field(&self.id)
            .ours(" --at ")
            .field(self.short())
            .ours("^`");
        let title = self.summary.as_ref().map(|s| s.title.as_str());
        if let Some(title) = title.filter(|t| !t.is_empty()) {
            text.ours("  ").field(title);
        }
    }

    /// Its entry in `list --all --json`: the fields of `list` as it was, with status
    /// `removed` and when, by whom and in which commit.
    pub fn json(&self) -> serde_json::Value {
        let mut value = self
            .summary
            .as_ref()
            .and_then(|s| serde_json::to_value(s).ok())
            .unwrap_or_else(|| serde_json::json!({ "id": self.id, "title": "" }));
        value["status"] = "removed".into();
        value["overdue"] = false.into();
        value["removed"] = serde_json::json!({
            "at": self.at,
            "by": self.by,
            "commit": self.commit,
        });
        value
    }
}
