//! `watch`: each new event, as it lands on refs/milestones (from this clone's commands,
//! its hooks, or a sync), printed and optionally handed to a command.

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use git2::Oid;

use crate::model::EventRecord;
use crate::store::{Store, StoreError};

use super::events::{check_exists, event_line, filter};
use super::{open_store, CliError, Output};

/// How often the ref is read while idle: new events show within this, and an idle
/// watch costs one small file read per interval.
const POLL: Duration = Duration::from_millis(200);

/// `watch`.
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Only this milestone's events.
    pub milestone: Option<String>,
    /// For each event, run this shell command (`sh -c`) with the event as JSON on its
    /// stdin and MILESTONE_ID and EVENT_TYPE in its environment.
    #[arg(long, value_name = "CMD")]
    pub exec: Option<String>,
    /// Stop after this many seconds (exit 0); without it, watch until Ctrl-C.
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds, allow_negative_numbers = true)]
    pub timeout: Option<Duration>,
}

fn parse_seconds(value: &str) -> Result<Duration, String> {
    if value.trim_start().starts_with('-') {
        return Err("must be a positive number".into());
    }
    value
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0 && *s < 1e9)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| format!("{value:?} is not a number of seconds (like 5 or 0.5)"))
}

pub fn watch(out: &Output, args: WatchArgs) -> Result<(), CliError> {
    let filter = filter(args.milestone)?;
    let store = open_store()?;
    let mut seen = current_tip(&store)?;
    // Like `events`, a milestone that does not exist is refused rather than watched
    // in silence; before `init` there is nothing to check against yet.
    if seen.is_some() {
        check_exists(&store, &filter)?;
    }
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, Arc::clone(&stop))
            .map_err(|e| CliError::user(format!("cannot watch for Ctrl-C: {e}")))?;
    }
    let deadline = args.timeout.map(|t| Instant::now() + t);
    if !out.quiet {
        // On stderr, so that stdout is only events; it also tells a script that events
        // from now on will be seen.
        let _ = writeln!(
            std::io::stderr(),
            "Watching refs/milestones for new events; Ctrl-C stops."
        );
    }
    loop {
        let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        if stop.load(Ordering::Relaxed) || left == Some(Duration::ZERO) {
            return Ok(());
        }
        std::thread::sleep(left.map_or(POLL, |left| left.min(POLL)));
        let tip = current_tip(&store)?;
        if tip == seen {
            continue;
        }
        if let Some(tip) = tip {
            let mut new = Vec::new();
            store.walk_events_since(tip, seen, &filter, |e| {
                new.push(e);
                true
            })?;
            // Oldest first, as they happened.
            for event in new.iter().rev() {
                show(out, event, args.exec.as_deref())?;
            }
        }
        seen = tip;
    }
}

/// The tip of refs/milestones, none before `init`.
fn current_tip(store: &Store) -> Result<Option<Oid>, CliError> {
    match store.tip() {
        Ok(tip) => Ok(Some(tip)),
        Err(StoreError::NotInitialized) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Prints one event (a line of text, or of JSON) and runs the command for it.
fn show(out: &Output, event: &EventRecord, exec: Option<&str>) -> Result<(), CliError> {
    let json = serde_json::to_string(event)
        .map_err(|e| CliError::user(format!("cannot write the event as JSON: {e}")))?;
    if out.json {
        out.line(&json)?;
    } else {
        out.line(event_line(out, event))?;
    }
    if let Some(command) = exec {
        run(command, event, &json)?;
    }
    Ok(())
}

/// Runs `command` for `event`. Its failure is reported and watching goes on: one bad
/// event must not stop the stream.
fn run(command: &str, event: &EventRecord, json: &str) -> Result<(), CliError> {
    // The environment cannot hold a NUL (spawning would fail and end the watch), and
    // what a teammate pushed may have one: skip that event, say so, go on.
    let milestone = event.milestone_id.as_deref().unwrap_or("");
    if milestone.contains('\0') || event.event_type.contains('\0') {
        let _ = writeln!(
            std::io::stderr(),
            "watch: skipped --exec for the event at {}: its milestone or type holds a NUL, which the environment cannot carry",
            event.commit.get(..7).unwrap_or(&event.commit)
        );
        return Ok(());
    }
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .env("MILESTONE_ID", event.milestone_id.as_deref().unwrap_or(""))
        .env("EVENT_TYPE", &event.event_type)
        .stdin(Stdio::piped())
        .spawn()
        .map_err(|e| {
            CliError::user(format!("cannot run --exec command with sh: {e}"))
                .hint("watch runs it as `sh -c CMD`; check that sh is on PATH")
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        // A command that does not read its input closes the pipe early: not an error.
        let _ = writeln!(stdin, "{json}");
    }
    let status = child.wait()?;
    if !status.success() {
        let _ = writeln!(
            std::io::stderr(),
            "watch: --exec command failed ({status}) for {} event at {}",
            event.event_type,
            event.commit.get(..7).unwrap_or(&event.commit)
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts() {
        assert_eq!(parse_seconds("5"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_seconds("0.25"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_seconds("0"), Ok(Duration::ZERO));
        for bad in ["-1", "NaN", "inf", "", "five", "1e300"] {
            assert!(parse_seconds(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_event_the_environment_cannot_carry_is_skipped_and_the_next_runs() {
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("ran");
        let command = format!("cat >> '{}'", marker.display());
        let event = |event_type: &str| EventRecord {
            timestamp: "2026-01-01T00:00:00.000Z".into(),
            milestone_id: Some("m".into()),
            session_id: None,
            event_type: event_type.into(),
            data: serde_json::json!({}),
            user: "u".into(),
            commit: "0123456789".into(),
        };
        run(&command, &event("bad\0type"), "first").unwrap();
        assert!(!marker.exists(), "the command did not run for it");
        run(&command, &event("note"), "second").unwrap();
        assert_eq!(std::fs::read_to_string(&marker).unwrap(), "second\n");
    }
}
