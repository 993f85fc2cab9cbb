//! Applying the operations that migrate a reference `.milestones/` folder. They bring
//! in what the reference recorded, so they add no events of their own: the reference's
//! event log comes in as it was, through [`import_events`].

use chrono::DateTime;

use crate::model::{
    validate, ApprovalRequest, Event, Milestone, MilestoneFiles, MilestoneId, Session,
};

use super::apply::{Applied, Rejection};

/// A definition that holds nothing but its id: what the folder says of a milestone
/// known only from its state, events or sessions.
pub fn is_bare(definition: &Milestone) -> bool {
    *definition == Milestone::new(definition.id.clone())
}

/// `1 event`, `2 events`: commit subjects are read by people.
fn counted(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

fn applied(files: Option<MilestoneFiles>, summary: String, changed: bool) -> Applied {
    Applied {
        files,
        events: Vec::new(),
        summary,
        changed,
    }
}

/// Creates the milestone, or replaces its definition when the current one is bare (it
/// came from an earlier import that had no file for it) or `replace` is set. A bare
/// definition never replaces anything.
pub fn import_milestone(
    current: Option<MilestoneFiles>,
    definition: &Milestone,
    replace: bool,
    source: Option<&str>,
) -> Result<Applied, Rejection> {
    let problems = validate::milestone_problems(definition);
    if !problems.is_empty() {
        return Err(Rejection::Invalid(problems.join("\n")));
    }
    let id = &definition.id;
    let summary = match source {
        Some(source) => format!("{id}: import {source}"),
        None => format!("{id}: import (known from its other files)"),
    };
    let Some(mut files) = current else {
        let files = MilestoneFiles {
            definition: definition.clone(),
            state: None,
            sessions: None,
            approvals: None,
        };
        return Ok(applied(Some(files), summary, true));
    };
    if files.definition == *definition || is_bare(definition) {
        return Ok(applied(Some(files), summary, false));
    }
    if !(replace || is_bare(&files.definition)) {
        return Err(Rejection::MilestoneExists(id.clone()));
    }
    files.definition = definition.clone();
    Ok(applied(Some(files), summary, true))
}

/// Sets (or, with `None`, removes) the saved state. Always a change, even when the
/// state is the same: each saved version is an operation of its own, which a checkpoint
/// of that version can be tagged on.
pub fn import_state(
    current: Option<MilestoneFiles>,
    milestone: &MilestoneId,
    state: Option<&serde_json::Value>,
    saved_at: Option<&str>,
) -> Result<Applied, Rejection> {
    let mut files = current.ok_or_else(|| Rejection::NoSuchMilestone(milestone.clone()))?;
    files.state = state.cloned();
    let summary = match (state, saved_at) {
        (Some(_), Some(at)) => format!("{milestone}: import state saved {at}"),
        (Some(_), None) => format!("{milestone}: import state"),
        (None, _) => format!("{milestone}: import: no current state"),
    };
    Ok(applied(Some(files), summary, true))
}

/// Adds or replaces session records, by id.
pub fn import_sessions(
    current: Option<MilestoneFiles>,
    milestone: &MilestoneId,
    sessions: &[Session],
) -> Result<Applied, Rejection> {
    let mut files = current.ok_or_else(|| Rejection::NoSuchMilestone(milestone.clone()))?;
    let records = files.sessions.get_or_insert_with(Default::default);
    let mut changed = false;
    for session in sessions {
        if &session.milestone_id != milestone {
            return Err(Rejection::Invalid(format!(
                "session {} belongs to milestone {}, not {milestone}",
                session.session_id, session.milestone_id
            )));
        }
        if records.get(&session.session_id) != Some(session) {
            records.insert(session.session_id.clone(), session.clone());
            changed = true;
        }
    }
    let summary = format!("{milestone}: import {}", counted(sessions.len(), "session"));
    Ok(applied(Some(files), summary, changed))
}

/// Adds or replaces approval requests, by id.
pub fn import_approvals(
    current: Option<MilestoneFiles>,
    milestone: &MilestoneId,
    approvals: &[ApprovalRequest],
) -> Result<Applied, Rejection> {
    let mut files = current.ok_or_else(|| Rejection::NoSuchMilestone(milestone.clone()))?;
    let records = files.approvals.get_or_insert_with(Default::default);
    let mut changed = false;
    for request in approvals {
        if &request.milestone_id != milestone {
            return Err(Rejection::Invalid(format!(
                "approval request {} belongs to milestone {}, not {milestone}",
                request.id, request.milestone_id
            )));
        }
        if records.get(&request.id) != Some(request) {
            records.insert(request.id.clone(), request.clone());
            changed = true;
        }
    }
    let summary = format!(
        "{milestone}: import {}",
        counted(approvals.len(), "approval request")
    );
    Ok(applied(Some(files), summary, changed))
}

/// Records events of the reference's log as they are. Each must name its milestone and
/// carry its own time, so that it reads back as it was recorded.
pub fn import_events(events: &[Event]) -> Result<Applied, Rejection> {
    if events.is_empty() {
        return Err(Rejection::Invalid("no events to import".into()));
    }
    for event in events {
        if event.milestone_id.as_deref().is_none_or(str::is_empty) {
            return Err(Rejection::Invalid(format!(
                "an imported {:?} event names no milestone",
                event.event_type
            )));
        }
        if event.event_type.is_empty() {
            return Err(Rejection::Invalid("an imported event has no type".into()));
        }
        let time = event.timestamp.as_deref().unwrap_or("");
        if DateTime::parse_from_rfc3339(time).is_err() {
            return Err(Rejection::Invalid(format!(
                "an imported {:?} event has no valid timestamp ({time:?})",
                event.event_type
            )));
        }
    }
    let mut milestones: Vec<&str> = events
        .iter()
        .filter_map(|e| e.milestone_id.as_deref())
        .collect();
    milestones.sort_unstable();
    milestones.dedup();
    let summary = format!(
        "import {} of {}",
        counted(events.len(), "event"),
        milestones.join(", ")
    );
    Ok(Applied {
        files: None,
        events: events.to_vec(),
        summary,
        changed: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{SessionStatus, Task, TaskId};
    use serde_json::json;

    fn mid(id: &str) -> MilestoneId {
        MilestoneId::new(id).unwrap()
    }

    fn files(definition: Milestone) -> MilestoneFiles {
        MilestoneFiles {
            definition,
            state: None,
            sessions: None,
            approvals: None,
        }
    }

    fn with_task(id: &str) -> Milestone {
        let mut m = Milestone::new(mid(id));
        m.tasks
            .push(Task::new(TaskId::new("t1").unwrap(), "T".into(), false));
        m
    }

    #[test]
    fn a_definition_creates_and_fills_a_bare_milestone_but_overwrites_nothing_else() {
        let full = with_task("m");
        let bare = Milestone::new(mid("m"));
        let created = import_milestone(None, &full, false, Some("active/m.yaml")).unwrap();
        assert!(created.changed && created.events.is_empty());
        assert_eq!(created.summary, "m: import active/m.yaml");
        // A bare definition adds nothing to an existing milestone.
        let same = import_milestone(Some(files(full.clone())), &bare, false, None).unwrap();
        assert!(!same.changed);
        assert_eq!(same.files.unwrap().definition, full);
        // A full one fills a bare one in.
        let filled = import_milestone(Some(files(bare.clone())), &full, false, None).unwrap();
        assert!(filled.changed);
        assert_eq!(filled.files.unwrap().definition, full);
        // Another full one is refused unless replacing.
        let mut other = full.clone();
        other.title = "other".into();
        assert!(matches!(
            import_milestone(Some(files(full.clone())), &other, false, None),
            Err(Rejection::MilestoneExists(_))
        ));
        let replaced = import_milestone(Some(files(full.clone())), &other, true, None).unwrap();
        assert_eq!(replaced.files.unwrap().definition.title, "other");
        // Importing what is there is no change.
        assert!(
            !import_milestone(Some(files(full.clone())), &full, false, None)
                .unwrap()
                .changed
        );
    }

    #[test]
    fn a_merge_replays_an_import_over_a_different_definition_instead_of_dropping_it() {
        // Two clones: one imported the folder, the other made the milestone itself.
        let mut theirs = with_task("m");
        theirs.title = "made by hand".into();
        let op = crate::model::Op::ImportMilestone {
            definition: Box::new(with_task("m")),
            replace: false,
            source: Some("active/m.yaml".into()),
        };
        let at = "2026-01-01T00:00:00Z".parse().unwrap();
        assert!(super::super::apply(Some(files(theirs.clone())), &op, at).is_err());
        let merged = super::super::replay(Some(files(theirs)), None, &op, at).unwrap();
        assert_eq!(merged.files.unwrap().definition, with_task("m"));
    }

    #[test]
    fn every_state_version_is_a_change_and_none_removes_the_state() {
        let mut current = files(Milestone::new(mid("m")));
        current.state = Some(json!({"step": 1}));
        let state = json!({"step": 1});
        let same = import_state(
            Some(current.clone()),
            &mid("m"),
            Some(&state),
            Some("2026-01-01T00:00:00.000Z"),
        )
        .unwrap();
        assert!(same.changed);
        let removed = import_state(Some(current), &mid("m"), None, None).unwrap();
        assert_eq!(removed.files.unwrap().state, None);
        assert!(matches!(
            import_state(None, &mid("m"), Some(&state), None),
            Err(Rejection::NoSuchMilestone(_))
        ));
    }

    fn session(id: &str, milestone: &str) -> Session {
        Session {
            created_at: "2026-01-01T00:00:00Z".into(),
            user: "alice".into(),
            working_directory: "/w".into(),
            ..Session::sample(id, milestone)
        }
    }

    #[test]
    fn sessions_are_added_or_replaced_and_must_be_of_the_milestone() {
        let current = files(Milestone::new(mid("m")));
        let s = session("session-1", "m");
        let added = import_sessions(Some(current), &mid("m"), std::slice::from_ref(&s)).unwrap();
        assert!(added.changed);
        let again =
            import_sessions(added.files.clone(), &mid("m"), std::slice::from_ref(&s)).unwrap();
        assert!(!again.changed);
        let mut ended = s;
        ended.status = SessionStatus::Completed;
        let replaced = import_sessions(added.files, &mid("m"), &[ended]).unwrap();
        assert!(replaced.changed);
        let foreign = session("session-2", "other");
        assert!(
            import_sessions(Some(files(Milestone::new(mid("m")))), &mid("m"), &[foreign]).is_err()
        );
    }

    #[test]
    fn approvals_must_be_of_the_milestone() {
        let request = ApprovalRequest::sample("other", "t1");
        let current = files(Milestone::new(mid("m")));
        assert!(import_approvals(
            Some(current.clone()),
            &mid("m"),
            std::slice::from_ref(&request)
        )
        .is_err());
        let mut ours = request;
        ours.milestone_id = mid("m");
        let added = import_approvals(Some(current), &mid("m"), &[ours]).unwrap();
        assert!(added.changed);
        assert_eq!(added.files.unwrap().approvals.unwrap().len(), 1);
    }

    #[test]
    fn events_come_in_as_they_are_and_must_carry_their_time_and_milestone() {
        let mut event = Event::new("state_saved", "m", json!({"q": "say \"hi\""}));
        event.timestamp = Some("2026-01-01T00:00:00.000Z".into());
        event.user = Some("alice".into());
        let applied = import_events(std::slice::from_ref(&event)).unwrap();
        assert_eq!(applied.events, vec![event.clone()]);
        assert!(applied.files.is_none() && applied.changed);
        assert!(import_events(&[]).is_err());
        let mut untimed = event.clone();
        untimed.timestamp = None;
        assert!(import_events(&[untimed]).is_err());
        let mut nowhere = event.clone();
        nowhere.milestone_id = None;
        assert!(import_events(&[nowhere]).is_err());
        let mut untyped = event;
        untyped.event_type.clear();
        assert!(import_events(&[untyped]).is_err());
    }
}
