//! Operations that start and end a work session.

use crate::model::{
    Event, EventKind, MilestoneFiles, MilestoneId, Session, SessionCommit, SessionId, SessionStatus,
};

use super::{existing, Applied, Rejection};

/// `Op::StartSession`: the session record as it starts; its id must be new.
pub(super) fn start_session(
    current: Option<MilestoneFiles>,
    session: &Session,
) -> Result<Applied, Rejection> {
    let milestone = &session.milestone_id;
    let mut files = existing(current, milestone)?;
    let sessions = files.sessions.get_or_insert_with(Default::default);
    if sessions.contains_key(&session.session_id) {
        return Err(Rejection::SessionExists(session.session_id.clone()));
    }
    sessions.insert(session.session_id.clone(), session.clone());
    Ok(Applied {
        events: vec![Event::of(
            milestone.as_str(),
            EventKind::SessionCreated {
                session_id: session.session_id.clone(),
                git_branch: session.git_branch.clone(),
                head: session.head.clone(),
            },
        )],
        summary: format!("{milestone}: start session {}", session.session_id),
        files: Some(files),
        changed: true,
    })
}

/// `Op::EndSession`: an active session ends at `stamp` with the commits made in it.
pub(super) fn end_session(
    current: Option<MilestoneFiles>,
    milestone: &MilestoneId,
    session: &SessionId,
    head: Option<&str>,
    commits: &[SessionCommit],
    stamp: &str,
) -> Result<Applied, Rejection> {
    let mut files = existing(current, milestone)?;
    let record = files
        .sessions
        .as_mut()
        .and_then(|s| s.get_mut(session))
        .ok_or_else(|| Rejection::NoSuchSession {
            milestone: milestone.clone(),
            session: session.clone(),
        })?;
    if record.status != SessionStatus::Active {
        return Err(Rejection::SessionEnded(session.clone()));
    }
    record.status = SessionStatus::Completed;
    record.ended_at = Some(stamp.to_string());
    record.end_head = head.map(str::to_string);
    record.commits = commits.to_vec();
    Ok(Applied {
        events: vec![Event::of(
            milestone.as_str(),
            EventKind::SessionEnded {
                session_id: session.clone(),
                commits: commits.len(),
            },
        )],
        summary: format!("{milestone}: end session {session}"),
        files: Some(files),
        changed: true,
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::{mid, session, types, with_session, with_tasks};
    use super::*;

    const STAMP: &str = "2026-01-02T00:00:00.000Z";

    #[test]
    fn a_session_starts_once() {
        let s = session("s1", SessionStatus::Active);
        let applied = start_session(Some(with_tasks(&[])), &s).unwrap();
        assert_eq!(types(&applied), ["session_created"]);
        assert_eq!(applied.events[0].data["git_branch"], "main");
        assert!(matches!(
            start_session(applied.files, &s),
            Err(Rejection::SessionExists(_))
        ));
    }

    #[test]
    fn a_session_ends_once_with_its_commits() {
        let id = SessionId::new("s1").unwrap();
        let files = Some(with_session(SessionStatus::Active));
        let applied = end_session(files, &mid(), &id, Some("h"), &[], STAMP).unwrap();
        assert_eq!(applied.events[0].data["commits"], 0);
        let files = applied.files.unwrap();
        let record = &files.sessions.as_ref().unwrap()[&id];
        assert_eq!(record.status, SessionStatus::Completed);
        assert_eq!(record.ended_at.as_deref(), Some(STAMP));
        assert_eq!(record.end_head.as_deref(), Some("h"));
        let again = end_session(Some(files), &mid(), &id, None, &[], STAMP);
        assert!(matches!(again, Err(Rejection::SessionEnded(_))));
        let unknown = SessionId::new("zz").unwrap();
        let missing = end_session(Some(with_tasks(&[])), &mid(), &unknown, None, &[], STAMP);
        assert!(matches!(missing, Err(Rejection::NoSuchSession { .. })));
    }
}
