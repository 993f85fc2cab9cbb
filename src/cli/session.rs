//! `session start|end|current|list|show`.

use clap::{Args, Subcommand};

use crate::clock;
use crate::model::{Op, Session, SessionId, SessionStatus};
use crate::store::{Outcome, Store};

use super::{milestone_id, open_store, CliError, Output, Unreadable};

/// The `session` commands.
#[derive(Debug, Subcommand)]
pub enum SessionCommand {
    /// Start a work session on a milestone in this worktree; prints its id.
    Start(StartArgs),
    /// End a session (this worktree's current one by default).
    End(EndArgs),
    /// Print this worktree's current session id.
    Current,
    /// List sessions.
    List(ListArgs),
    /// Show one session.
    Show(ShowArgs),
}

/// `session start`.
#[derive(Debug, Args)]
pub struct StartArgs {
    /// The milestone.
    pub milestone: String,
}

/// `session end`.
#[derive(Debug, Args)]
pub struct EndArgs {
    /// The session; this worktree's current one when omitted.
    pub session: Option<String>,
}

/// `session list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only this milestone's sessions.
    pub milestone: Option<String>,
}

/// `session show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The session.
    pub session: String,
}

pub fn run(out: &Output, command: SessionCommand) -> Result<(), CliError> {
    match command {
        SessionCommand::Start(args) => start(out, args),
        SessionCommand::End(args) => end(out, args),
        SessionCommand::Current => current(out),
        SessionCommand::List(args) => list(out, args),
        SessionCommand::Show(args) => show(out, args),
    }
}

/// This worktree's current session, if it is still active. A current-session file
/// naming a session that ended elsewhere (or never landed) is stale and is cleared.
fn active_current(store: &Store) -> Result<Option<Session>, CliError> {
    let Some(id) = store.current_session() else {
        return Ok(None);
    };
    let session = match SessionId::new(id) {
        Ok(id) => store.snapshot()?.find_session(&id)?,
        Err(_) => None,
    };
    match session {
        Some(s) if s.status == SessionStatus::Active => Ok(Some(s)),
        _ => {
            store.clear_current_session()?;
            Ok(None)
        }
    }
}

fn start(out: &Output, args: StartArgs) -> Result<(), CliError> {
    let milestone = milestone_id(&args.milestone)?;
    let store = open_store()?;
    if let Some(current) = active_current(&store)? {
        return Err(CliError::user(format!(
            "session {} (milestone {}) is already current in this worktree",
            current.session_id, current.milestone_id
        ))
        .hint("end it first with `git milestone session end`"));
    }
    let mut session = store
        .worktree()
        .new_session(&milestone, store.identity()?, clock::now());
    let config = store.config();
    if crate::config::get_bool(config.as_ref(), "milestone.shareSessionHost") != Some(true) {
        store.keep_session_place_local(&mut session)?;
    }
    let id = session.session_id.clone();
    let outcome = store.transact(Op::StartSession {
        session: Box::new(session),
    })?;
    if let Outcome::Committed { .. } = outcome {
        store.set_current_session(&id)?;
    }
    if out.json {
        return out.outcome(&outcome, "");
    }
    // The id alone, so that scripts can capture it.
    out.line(id.as_str())
}

fn end(out: &Output, args: EndArgs) -> Result<(), CliError> {
    let store = open_store()?;
    let session = match args.session {
        Some(id) => {
            let id = SessionId::new(id).map_err(|e| CliError::user(e.to_string()))?;
            store.snapshot()?.find_session(&id)?.ok_or_else(|| {
                CliError::user(format!("no session {id}"))
                    .hint("`git milestone session list` lists them")
            })?
        }
        None => active_current(&store)?.ok_or_else(|| {
            CliError::user("no session is current in this worktree")
                .hint("name one: `git milestone session end <session>` (see `git milestone session list`)")
        })?,
    };
    let start = session
        .head
        .as_deref()
        .and_then(|h| git2::Oid::from_str(h).ok());
    let worktree = store.worktree();
    let end_head = worktree.branch_tip(&session.git_branch);
    let commits = worktree.commits_between(start, end_head)?;
    let outcome = store.transact(Op::EndSession {
        milestone: session.milestone_id.clone(),
        session: session.session_id.clone(),
        head: end_head.map(|h| h.to_string()),
        commits,
    })?;
    if store.current_session().as_deref() == Some(session.session_id.as_str()) {
        store.clear_current_session()?;
    }
    out.outcome(&outcome, &format!("Ended session {}.", session.session_id))
}

fn current(out: &Output) -> Result<(), CliError> {
    let store = open_store()?;
    match active_current(&store)? {
        Some(session) if out.json => out.json_value(&session),
        Some(session) => out.line(session.session_id.as_str()),
        None => Err(CliError::user("no session is current in this worktree")
            .hint("start one with `git milestone session start <milestone>`")),
    }
}

fn list(out: &Output, args: ListArgs) -> Result<(), CliError> {
    let store = open_store()?;
    let snapshot = store.snapshot()?;
    let milestones = match args.milestone {
        Some(m) => vec![milestone_id(&m)?],
        None => snapshot.milestone_ids()?,
    };
    let mut sessions = Vec::new();
    let mut unreadable = Unreadable::default();
    for m in &milestones {
        sessions.extend(unreadable.check(snapshot.sessions(m))?.unwrap_or_default());
    }
    sessions.sort_by(|a, b| a.created_at.cmp(&b.created_at));
    for session in &mut sessions {
        store.add_local_session_place(session);
    }
    if out.json {
        out.json_value(&sessions)?;
        return unreadable.finish();
    }
    if sessions.is_empty() {
        out.note("No sessions; start one with `git milestone session start <milestone>`.")?;
        return unreadable.finish();
    }
    let current = store.current_session();
    for s in sessions {
        let marker = if current.as_deref() == Some(s.session_id.as_str()) {
            "*"
        } else {
            " "
        };
        let status = match s.status {
            SessionStatus::Active => "active",
            SessionStatus::Completed => "ended",
        };
        out.line(format!(
            "{marker} {:<32} {:<14} {:<7} {}  {}  {}",
            s.session_id.as_str(),
            s.milestone_id.as_str(),
            status,
            super::time::short_time(&s.created_at),
            s.git_branch,
            s.user
        ))?;
    }
    unreadable.finish()
}

fn show(out: &Output, args: ShowArgs) -> Result<(), CliError> {
    let id = SessionId::new(args.session).map_err(|e| CliError::user(e.to_string()))?;
    let store = open_store()?;
    let mut session = store.snapshot()?.find_session(&id)?.ok_or_else(|| {
        CliError::user(format!("no session {id}")).hint("`git milestone session list` lists them")
    })?;
    store.add_local_session_place(&mut session);
    if out.json {
        return out.json_value(&session);
    }
    out.line(format!("session {}", session.session_id))?;
    out.line(format!("Milestone: {}", session.milestone_id))?;
    let status = match session.status {
        SessionStatus::Active => "active",
        SessionStatus::Completed => "ended",
    };
    out.line(format!("Status:    {status}"))?;
    out.line(format!("User:      {} <{}>", session.user, session.email))?;
    // Another clone's session keeps its place there (milestone.shareSessionHost).
    let or_unshared = |text: &str| match text {
        "" => "(not shared)".to_string(),
        text => text.to_string(),
    };
    out.line(format!("Host:      {}", or_unshared(&session.host)))?;
    out.line(format!(
        "Directory: {}",
        or_unshared(&session.working_directory)
    ))?;
    out.line(format!("Branch:    {}", session.git_branch))?;
    out.line(format!(
        "Started:   {}  at {}",
        super::time::short_time(&session.created_at),
        session.head.as_deref().unwrap_or("(no commit)")
    ))?;
    if let Some(ended) = &session.ended_at {
        out.line(format!(
            "Ended:     {}  at {}",
            super::time::short_time(ended),
            session.end_head.as_deref().unwrap_or("(no commit)")
        ))?;
    }
    if !session.branches.is_empty() {
        let switches: Vec<&str> = session.branches.iter().map(|b| b.branch.as_str()).collect();
        out.line(format!("Switched:  {}", switches.join(" → ")))?;
    }
    if !session.rewrites.is_empty() {
        out.line(format!("Rewritten: {}", session.rewrites.len()))?;
        for r in &session.rewrites {
            let kind = r.kind.map(|k| k.as_str()).unwrap_or("rewrite");
            out.line(format!("  {} → {} ({kind})", short(&r.old), short(&r.new)))?;
        }
    }
    if !session.commits.is_empty() {
        out.line(format!("Commits:   {}", session.commits.len()))?;
        for c in &session.commits {
            out.line(format!("  {} {}", short(&c.id), c.subject))?;
        }
    }
    Ok(())
}

/// The first 12 characters of a commit id (any text, never split inside a character).
fn short(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}
