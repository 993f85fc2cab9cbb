//! Operations that record on a milestone without touching its tasks: saved state,
//! custom events, checkpoints, restores and cleanup.

use serde_json::Value;

use crate::model::{
    event::check_event_type, Event, EventKind, MilestoneFiles, MilestoneId, RestoreSource,
    SessionStatus,
};

use super::super::retention::session_expired;
use super::{existing, short, Applied, Rejection, BUILT_IN_EVENT_TYPES};
use crate::model::checkpoint::tag_ref;

/// `Op::SaveState`: the state document replaces the saved one.
pub(super) fn save_state(
    current: Option<MilestoneFiles>,
    milestone: &MilestoneId,
    state: &Value,
) -> Result<Applied, Rejection> {
    let mut files = existing(current, milestone)?;
    files.state = Some(state.clone());
    Ok(Applied {
        events: vec![Event::of(
            milestone.as_str(),
            EventKind::StateSaved {
                state_file: format!("milestones/{milestone}/state.json"),
            },
        )],
        summary: format!("{milestone}: save state"),
        files: Some(files),
        changed: true,
    })
}

/// `Op::AddEvent`: a custom event, whose type must be a plain word the tool does not
/// record itself.
pub(super) fn add_event(
    current: Option<MilestoneFiles>,
    milestone: &MilestoneId,
    event_type: &str,
    data: &Value,
) -> Result<Applied, Rejection> {
    check_event_type(event_type).map_err(Rejection::Invalid)?;
    if BUILT_IN_EVENT_TYPES.contains(&event_type) {
        return Err(Rejection::BuiltInEventType(event_type.to_string()));
    }
    let files = existing(current, milestone)?;
    Ok(Applied {
        events: vec![Event::new(event_type, milestone.as_str(), data.clone())],
        summary: format!("{milestone}: event {event_type}"),
        files: Some(files),
        changed: true,
    })
}

/// `Op::CreateCheckpoint`: the tag itself is the store's; this records that it was made.
pub(super) fn create_checkpoint(
    current: Option<MilestoneFiles>,
    milestone: &MilestoneId,
    name: &str,
    commit: &str,
) -> Result<Applied, Rejection> {
    let files = existing(current, milestone)?;
    Ok(Applied {
        events: vec![Event::of(
            milestone.as_str(),
            EventKind::CheckpointCreated {
                checkpoint_name: name.to_string(),
                commit: commit.to_string(),
                tag: tag_ref(milestone, name),
            },
        )],
        summary: format!("{milestone}: checkpoint {name}"),
        files: Some(files),
        changed: true,
    })
}

/// `Op::Restore`: the milestone's files become `source`, its files at `commit`.
pub(super) fn restore(
    source: Option<MilestoneFiles>,
    milestone: &MilestoneId,
    commit: &str,
    why: &RestoreSource,
) -> Result<Applied, Rejection> {
    let restored = source.ok_or_else(|| Rejection::NotAtCommit {
        milestone: milestone.clone(),
        commit: commit.to_string(),
    })?;
    let (event, summary) = match why {
        RestoreSource::Checkpoint { name } => (
            Event::of(
                milestone.as_str(),
                EventKind::StateRestored {
                    checkpoint_name: name.clone(),
                    commit: commit.to_string(),
                },
            ),
            format!("{milestone}: restore checkpoint {name}"),
        ),
        RestoreSource::Recover => (
            Event::of(
                milestone.as_str(),
                EventKind::StateRecovered {
                    commit: commit.to_string(),
                },
            ),
            format!("{milestone}: recover from {}", short(commit)),
        ),
    };
    Ok(Applied {
        events: vec![event],
        summary,
        files: Some(restored),
        changed: true,
    })
}

/// `Op::Cleanup`: sessions that ended before `cutoff` go; the checkpoint tags are the
/// store's, named here so the event lists them.
pub(super) fn cleanup(
    current: Option<MilestoneFiles>,
    milestone: &MilestoneId,
    retention_days: u32,
    cutoff: &str,
    checkpoints: &[String],
) -> Result<Applied, Rejection> {
    let mut files = existing(current, milestone)?;
    let sessions = files.sessions.get_or_insert_with(Default::default);
    let removed: Vec<String> = sessions
        .values()
        .filter(|s| s.status == SessionStatus::Completed)
        .filter(|s| {
            s.ended_at
                .as_deref()
                .is_some_and(|end| session_expired(end, cutoff))
        })
        .map(|s| s.session_id.to_string())
        .collect();
    sessions.retain(|id, _| !removed.contains(&id.to_string()));
    Ok(Applied {
        summary: format!(
            "{milestone}: clean up {} sessions, {} checkpoints",
            removed.len(),
            checkpoints.len()
        ),
        changed: !removed.is_empty() || !checkpoints.is_empty(),
        events: vec![Event::of(
            milestone.as_str(),
            EventKind::StateCleaned {
                retention_days,
                removed_sessions: removed,
                removed_checkpoints: checkpoints.to_vec(),
            },
        )],
        files: Some(files),
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::{mid, session, types, with_tasks};
    use super::*;
    use serde_json::json;

    #[test]
    fn save_state_replaces_the_document() {
        let applied = save_state(Some(with_tasks(&[])), &mid(), &json!({"k": 2})).unwrap();
        assert_eq!(applied.files.unwrap().state, Some(json!({"k": 2})));
        assert_eq!(
            applied.events[0].data["state_file"],
            "milestones/m1/state.json"
        );
        assert!(save_state(None, &mid(), &Value::Null).is_err());
    }

    #[test]
    fn add_event_refuses_built_in_and_odd_types() {
        let files = || Some(with_tasks(&[]));
        let applied = add_event(files(), &mid(), "deploy", &json!({"env": "prod"})).unwrap();
        assert_eq!(types(&applied), ["deploy"]);
        assert_eq!(applied.events[0].data["env"], "prod");
        for bad in ["has space", ""] {
            let refused = add_event(files(), &mid(), bad, &Value::Null);
            assert!(matches!(refused, Err(Rejection::Invalid(_))), "{bad:?}");
        }
        let forged = add_event(files(), &mid(), "milestone_completed", &Value::Null);
        assert!(matches!(forged, Err(Rejection::BuiltInEventType(_))));
    }

    #[test]
    fn a_checkpoint_names_its_tag() {
        let applied = create_checkpoint(Some(with_tasks(&[])), &mid(), "v1", "abc").unwrap();
        assert_eq!(applied.events[0].data["tag"], "refs/tags/milestone/m1/v1");
        assert_eq!(applied.summary, "m1: checkpoint v1");
    }

    #[test]
    fn restore_needs_the_milestone_at_that_commit() {
        let why = RestoreSource::Checkpoint { name: "v1".into() };
        assert!(matches!(
            restore(None, &mid(), "abc", &why),
            Err(Rejection::NotAtCommit { .. })
        ));
        let applied = restore(Some(with_tasks(&["a"])), &mid(), "abc", &why).unwrap();
        assert_eq!(types(&applied), ["state_restored"]);
        assert_eq!(applied.files.unwrap().definition.tasks.len(), 1);
        let recovered = restore(
            Some(with_tasks(&[])),
            &mid(),
            "abc",
            &RestoreSource::Recover,
        );
        assert_eq!(types(&recovered.unwrap()), ["state_recovered"]);
    }

    #[test]
    fn cleanup_removes_only_sessions_that_ended_before_the_cutoff() {
        let mut files = with_tasks(&[]);
        let mut old = session("old", SessionStatus::Completed);
        old.ended_at = Some("2026-01-01T00:00:00.000Z".into());
        let mut recent = session("recent", SessionStatus::Completed);
        recent.ended_at = Some("2026-03-01T00:00:00.000Z".into());
        let active = session("active", SessionStatus::Active);
        files.sessions = Some(
            [old, recent, active]
                .into_iter()
                .map(|s| (s.session_id.clone(), s))
                .collect(),
        );
        let cutoff = "2026-02-01T00:00:00Z";
        let applied = cleanup(Some(files), &mid(), 30, cutoff, &[]).unwrap();
        assert!(applied.changed);
        assert_eq!(applied.events[0].data["removed_sessions"], json!(["old"]));
        let left = applied.files.unwrap().sessions.unwrap();
        assert_eq!(left.len(), 2);
        let again = cleanup(Some(with_tasks(&[])), &mid(), 30, cutoff, &[]).unwrap();
        assert!(!again.changed);
    }
}
