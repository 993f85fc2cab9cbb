//! An event log of the reference, `state/events/milestone-<id>.jsonl`: one JSON object a
//! line, `{timestamp, milestone_id, session_id, event_type, data, pid, user}`, except the
//! first line `init_milestone_state` writes, `{timestamp, event: "state_initialized",
//! milestone_id}`.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::clock;
use crate::model::{Event, MilestoneId};

use super::{reference_time, Invalid};

/// One event of a log, with where it was.
#[derive(Debug, Clone, PartialEq)]
pub struct LogEvent {
    /// The event, with its own time, user and session.
    pub event: Event,
    /// Its time, parsed.
    pub at: DateTime<Utc>,
    /// Its line in the file (from 1).
    pub line: usize,
}

/// Reads the log of `milestone`: its events in file order, and the lines that are not
/// events. Blank lines are skipped (an editor or a crash leaves them).
pub fn parse_log(text: &str, milestone: &MilestoneId) -> (Vec<LogEvent>, Vec<Invalid>) {
    let mut events = Vec::new();
    let mut problems = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        match parse_line(line, milestone) {
            Ok((event, at)) => events.push(LogEvent {
                event,
                at,
                line: number,
            }),
            Err(message) => problems.push(Invalid::at(number, message)),
        }
    }
    (events, problems)
}

/// One line: the event and its time, or what is wrong with it.
fn parse_line(line: &str, milestone: &MilestoneId) -> Result<(Event, DateTime<Utc>), String> {
    let value: Value = serde_json::from_str(line).map_err(|e| {
        // Shell interpolation is the usual cause: a quote in a value, or empty data
        // (`"data":,`).
        format!("not valid JSON (column {}): {e}", e.column())
    })?;
    let Value::Object(mut map) = value else {
        return Err("not an event: expected one JSON object on the line".into());
    };
    let timestamp = match map.get("timestamp") {
        Some(Value::String(t)) => t.clone(),
        Some(other) => return Err(format!("\"timestamp\" is not a time: {other}")),
        None => return Err("no \"timestamp\"".into()),
    };
    let at = reference_time(&timestamp)
        .ok_or_else(|| format!("\"timestamp\" {timestamp:?} is not a time"))?;
    // `state_initialized` is written with `event`, every other line with `event_type`.
    let event_type = match map.get("event_type").or_else(|| map.get("event")) {
        Some(Value::String(t)) if !t.trim().is_empty() => t.clone(),
        Some(other) => return Err(format!("\"event_type\" is not a name: {other}")),
        None => return Err("no \"event_type\"".into()),
    };
    match map.get("milestone_id") {
        None => {}
        Some(Value::String(id)) if id == milestone.as_str() => {}
        Some(other) => {
            return Err(format!(
                "the event names milestone {other}, but it is in the log of {milestone}"
            ))
        }
    }
    let user = text_field(&map, "user")?;
    let session_id = text_field(&map, "session_id")?;
    let data = map.remove("data").unwrap_or(Value::Null);
    let event = Event {
        event_type,
        milestone_id: Some(milestone.to_string()),
        data,
        timestamp: Some(clock::format_time(at)),
        user,
        session_id,
    };
    Ok((event, at))
}

/// A text field that may be absent or null.
fn text_field(map: &Map<String, Value>, key: &str) -> Result<Option<String>, String> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(format!("{key:?} is not text: {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn m() -> MilestoneId {
        MilestoneId::new("launch").unwrap()
    }

    #[test]
    fn the_scripts_lines_read_back_with_their_time_user_and_session() {
        let text = concat!(
            r#"{"timestamp":"2026-01-02T08:00:00Z","event":"state_initialized","milestone_id":"launch"}"#,
            "\n",
            r#"{"timestamp":"2026-01-02T08:05:00Z","milestone_id":"launch","session_id":"no-session","event_type":"state_saved","data":{"state_file": ".milestones/state/active/launch.json"},"pid":4242,"user":"alice"}"#,
            "\n\n",
            // cleanup_milestone_state rewrites lines with Python's json.dumps spacing.
            r#"{"timestamp": "2026-01-02T08:06:00Z", "milestone_id": "launch", "session_id": "s1", "event_type": "note", "data": {"text": "say \"hi\" → ok"}, "pid": 1, "user": "bob"}"#,
            "\n",
        );
        let (events, problems) = parse_log(text, &m());
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(events.len(), 3);
        let init = &events[0].event;
        assert_eq!(init.event_type, "state_initialized");
        assert_eq!(init.timestamp.as_deref(), Some("2026-01-02T08:00:00.000Z"));
        assert_eq!(
            (init.user.as_deref(), init.session_id.as_deref()),
            (None, None)
        );
        assert_eq!(init.data, Value::Null);
        let saved = &events[1].event;
        assert_eq!(saved.user.as_deref(), Some("alice"));
        assert_eq!(saved.session_id.as_deref(), Some("no-session"));
        assert_eq!(saved.milestone_id.as_deref(), Some("launch"));
        assert_eq!(events[2].line, 4);
        assert_eq!(events[2].event.data, json!({"text": "say \"hi\" → ok"}));
    }

    #[test]
    fn every_broken_line_is_reported_with_its_number() {
        let text = concat!(
            r#"{"timestamp":"2026-01-02T08:00:00Z","event_type":"ok","milestone_id":"launch"}"#,
            "\n",
            // What log_milestone_event writes for empty data, and for a quote in it.
            r#"{"timestamp":"2026-01-02T08:00:00Z","milestone_id":"launch","event_type":"x","data":,"user":"a"}"#,
            "\n",
            r#"{"timestamp":"2026-01-02T08:00:00Z","milestone_id":"launch","event_type":"x","data":{"t": "a "quoted" word"}}"#,
            "\n",
            r#"[1, 2]"#,
            "\n",
            r#"{"event_type":"x"}"#,
            "\n",
            r#"{"timestamp":"yesterday","event_type":"x"}"#,
            "\n",
            r#"{"timestamp":"2026-01-02T08:00:00Z"}"#,
            "\n",
            r#"{"timestamp":"2026-01-02T08:00:00Z","event_type":"x","milestone_id":"other"}"#,
            "\n",
            r#"{"timestamp":"2026-01-02T08:00:00Z","event_type":"x","user":42}"#,
            "\n",
        );
        let (events, problems) = parse_log(text, &m());
        assert_eq!(events.len(), 1);
        let lines: Vec<Option<usize>> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, (2..=9).map(Some).collect::<Vec<_>>());
        let text: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
        assert!(text[0].starts_with("not valid JSON"), "{text:?}");
        assert!(text[2].contains("JSON object"), "{text:?}");
        assert!(text[3].contains("timestamp"), "{text:?}");
        assert!(text[5].contains("event_type"), "{text:?}");
        assert!(text[6].contains("log of launch"), "{text:?}");
        assert!(text[7].contains("\"user\""), "{text:?}");
    }

    #[test]
    fn an_empty_log_has_no_events_and_no_problems() {
        for text in ["", "\n", "  \n\n"] {
            let (events, problems) = parse_log(text, &m());
            assert!(events.is_empty() && problems.is_empty());
        }
    }
}
