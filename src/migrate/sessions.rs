//! A session of the reference, `state/sessions/<session-id>.json`: `{session_id,
//! milestone_id, created_at, pid, user, working_directory, git_branch, status}`, and
//! once ended (rewritten by Python's `json.dump`) `ended_at` too.

use crate::clock;
use crate::model::Session;

use super::{reference_time, Invalid};

/// Reads the session file named `stem` (without `.json`).
pub fn parse_session(text: &str, stem: &str) -> Result<Session, Invalid> {
    let mut session: Session = serde_json::from_str(text).map_err(|e| {
        if e.is_data() {
            Invalid::at(e.line().max(1), format!("not a session: {e}"))
        } else {
            Invalid::json(&e)
        }
    })?;
    if session.session_id.as_str() != stem {
        return Err(Invalid::new(format!(
            "the file holds session {}, but its name says {stem}",
            session.session_id
        )));
    }
    session.created_at = normalized("created_at", &session.created_at)?;
    session.ended_at = match &session.ended_at {
        Some(t) => Some(normalized("ended_at", t)?),
        None => None,
    };
    Ok(session)
}

/// A time in the form every other time of the store has.
fn normalized(field: &str, value: &str) -> Result<String, Invalid> {
    reference_time(value)
        .map(clock::format_time)
        .ok_or_else(|| Invalid::new(format!("{field:?} {value:?} is not a time")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SessionStatus;

    const STARTED: &str = r#"{
  "session_id": "session-20260105-091500-4242",
  "milestone_id": "launch",
  "created_at": "2026-01-05T09:15:00Z",
  "pid": 4242,
  "user": "alice",
  "working_directory": "/home/alice/launch",
  "git_branch": "",
  "status": "active"
}
"#;

    #[test]
    fn started_and_ended_sessions_read() {
        let s = parse_session(STARTED, "session-20260105-091500-4242").unwrap();
        assert_eq!(s.status, SessionStatus::Active);
        assert_eq!(s.created_at, "2026-01-05T09:15:00.000Z");
        // `git branch --show-current` prints nothing on a detached HEAD.
        assert_eq!(s.git_branch, "");
        let ended = r#"{"session_id": "session-1", "milestone_id": "launch", "created_at": "2026-01-03T14:00:00Z", "pid": 1111, "user": "bob", "working_directory": "/w", "git_branch": "main", "status": "completed", "ended_at": "2026-01-03T17:30:00Z"}"#;
        let s = parse_session(ended, "session-1").unwrap();
        assert_eq!(s.status, SessionStatus::Completed);
        assert_eq!(s.ended_at.as_deref(), Some("2026-01-03T17:30:00.000Z"));
    }

    #[test]
    fn broken_sessions_say_why() {
        let cases = [
            // A quote in the working directory breaks the heredoc's JSON.
            (
                STARTED.replace("/home/alice/launch", "/home/\"al\""),
                "not valid JSON",
            ),
            (STARTED.replace("\"active\"", "\"paused\""), "not a session"),
            (
                STARTED.replace("  \"user\": \"alice\",\n", ""),
                "missing field `user`",
            ),
            (STARTED.replace("2026-01-05T09:15:00Z", "now"), "not a time"),
            (
                STARTED.replace("\"launch\"", "\"../x\""),
                "invalid milestone id",
            ),
        ];
        for (text, expected) in cases {
            let err = parse_session(&text, "session-20260105-091500-4242").unwrap_err();
            assert!(err.message.contains(expected), "{expected}: {err}");
        }
        let err = parse_session(STARTED, "session-other").unwrap_err();
        assert!(err.message.contains("its name says"), "{err}");
    }
}
