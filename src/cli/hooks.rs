//! `hooks install | uninstall | status`, and `hook <name>`, which the installed shims
//! call.

use std::io::{Read, Write};
use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde_json::json;

use crate::hooks::background::Marker;
use crate::hooks::install::{self, HookState, HooksDir, Installed, Uninstalled};
use crate::hooks::{chain, legacy_name, record, HookName};

use super::{open_store, CliError, ErrorKind, Output};

/// The `hooks` commands.
#[derive(Debug, Subcommand)]
pub enum HooksCommand {
    /// Install the hooks into the hooks folder git uses; hooks already there keep
    /// running (first), and `uninstall` puts them back.
    Install(InstallArgs),
    /// Remove the hooks and put back the hooks they chained.
    Uninstall,
    /// Show which hooks are installed, where, and what they chain.
    Status,
}

/// `hooks install`.
#[derive(Debug, Args)]
pub struct InstallArgs {
    /// In a bare repository (the one teammates push to): install a pre-receive guard
    /// that refuses pushes of refs/meta/milestones whose operations fail `verify`.
    #[arg(long)]
    pub server: bool,
}

/// `hook`: what an installed shim runs.
#[derive(Debug, Args)]
pub struct HookArgs {
    /// The folder the shim runs from; the hook it chains is kept there.
    #[arg(long, value_name = "DIR")]
    pub hooks_dir: Option<PathBuf>,
    /// Record in the background: the marker the shim made, removed when done.
    #[arg(long, value_name = "FILE")]
    pub pending: Option<PathBuf>,
    /// HEAD's commit when git ran the hook, as the shim read it.
    #[arg(long, value_name = "COMMIT", requires = "branch")]
    pub head: Option<String>,
    /// HEAD's branch then ("none" when detached).
    #[arg(long, value_name = "BRANCH", requires = "head")]
    pub branch: Option<String>,
    /// post-commit, post-merge, post-checkout or post-rewrite.
    pub name: String,
    /// The arguments git gave the hook.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<String>,
}

pub fn run(out: &Output, command: HooksCommand) -> Result<(), CliError> {
    let store = open_store()?;
    let dir = install::hooks_dir(&store)?;
    match command {
        HooksCommand::Install(InstallArgs { server: true }) => {
            let binary = this_binary()?;
            let path = crate::hooks::server::install(&store, &dir.path, &binary)
                .map_err(|e| CliError::user(e.to_string()).hint("run it in the bare repository (`git -C <repo.git> milestone hooks install --server`); move a pre-receive hook of your own aside first"))?;
            if out.json {
                return out
                    .json_value(&json!({"installed": [crate::hooks::server::HOOK], "path": path}));
            }
            out.note(format!("Installed the server guard: {}", path.display()))
        }
        HooksCommand::Install(_) => {
            // The post-commit shim records in the background only where this
            // worktree's git-milestone folder is there for its marker.
            let _ = std::fs::create_dir_all(store.local_dir());
            install_hooks(out, &dir)
        }
        HooksCommand::Uninstall => uninstall_hooks(out, &dir),
        HooksCommand::Status => status(out, &dir),
    }
}

/// This binary, which the shims will call.
fn this_binary() -> Result<PathBuf, CliError> {
    std::env::current_exe()
        .map_err(|e| CliError::user(format!("cannot find this program's own path: {e}")))
}

fn where_line(dir: &HooksDir) -> String {
    match &dir.hooks_path {
        Some(value) => format!(
            "Hooks folder: {} (core.hooksPath = {value})",
            dir.path.display()
        ),
        None => format!("Hooks folder: {}", dir.path.display()),
    }
}

fn install_hooks(out: &Output, dir: &HooksDir) -> Result<(), CliError> {
    let binary = this_binary()?;
    let done = install::install(dir, &binary)?;
    report_hooks(
        out,
        dir,
        &done,
        &[("binary", json!(binary))],
        installed_text,
    )
}

fn installed_text(hook: HookName, action: &Installed) -> String {
    match action {
        Installed::Created => "installed".to_string(),
        Installed::Chained => format!(
            "installed; the hook that was there runs first (kept as {})",
            legacy_name(hook)
        ),
        Installed::Updated => "updated".to_string(),
        Installed::Unchanged => "already installed".to_string(),
    }
}

fn uninstall_hooks(out: &Output, dir: &HooksDir) -> Result<(), CliError> {
    let done = install::uninstall(dir)?;
    report_hooks(out, dir, &done, &[], uninstalled_text)
}

fn uninstalled_text(hook: HookName, action: &Uninstalled) -> String {
    match action {
        Uninstalled::Removed => "removed".to_string(),
        Uninstalled::Restored => "removed; the hook it chained is back in place".to_string(),
        Uninstalled::LeftForeign => "left alone: it is not git-milestone's".to_string(),
        Uninstalled::LeftForeignAndChained => format!(
            "left alone: it is not git-milestone's; {} is still there, move it back by hand if you want it",
            legacy_name(hook)
        ),
        Uninstalled::NotInstalled => "not installed".to_string(),
    }
}

/// Says what install or uninstall did to each hook: as JSON, the folder, the `extra`
/// fields and the list; as text, the folder and a line per hook.
fn report_hooks<A: serde::Serialize>(
    out: &Output,
    dir: &HooksDir,
    done: &[(HookName, A)],
    extra: &[(&str, serde_json::Value)],
    describe: impl Fn(HookName, &A) -> String,
) -> Result<(), CliError> {
    if out.json {
        let mut report = json!({ "hooks_dir": dir.path, "hooks_path": dir.hooks_path });
        for (key, value) in extra {
            report[*key] = value.clone();
        }
        report["hooks"] = done
            .iter()
            .map(|(hook, action)| json!({ "name": hook.as_str(), "action": action }))
            .collect();
        return out.json_value(&report);
    }
    out.note(where_line(dir))?;
    for (hook, action) in done {
        out.note(format!(
            "  {:<14} {}",
            hook.as_str(),
            describe(*hook, action)
        ))?;
    }
    Ok(())
}

fn status(out: &Output, dir: &HooksDir) -> Result<(), CliError> {
    let hooks = install::status(dir, &this_binary()?)?;
    if out.json {
        return out.json_value(&json!({
            "hooks_dir": dir.path,
            "hooks_path": dir.hooks_path,
            "hooks": hooks,
        }));
    }
    out.line(where_line(dir))?;
    for hook in &hooks {
        let mut text = match hook.state {
            HookState::Installed => "installed".to_string(),
            HookState::Outdated => format!(
                "installed for {}; `git milestone hooks install` updates it",
                hook.binary.as_deref().unwrap_or("another version")
            ),
            HookState::Foreign => "not installed: another hook is there (install chains it)".into(),
            HookState::Absent => "not installed".to_string(),
        };
        if let Some(chained) = &hook.chained {
            let name = chained.file_name().unwrap_or_default().to_string_lossy();
            text.push_str(&format!("; chains {name}"));
        }
        out.line(format!("  {:<14} {text}", hook.name))?;
    }
    Ok(())
}

/// Runs the hook a shim stands for: first the hook it chains, then the recording. It
/// exits with the chained hook's status (git passes post-checkout's on to the user)
/// and otherwise 0: recording never fails the user's git command. It prints at most
/// one line, unless something went wrong. In the background (`--pending`) it prints
/// nothing: its problems are kept for the next command to report.
pub fn hook(args: HookArgs) -> Result<(), CliError> {
    if args.name == crate::hooks::server::HOOK {
        return guard_push();
    }
    let marker = args.pending.clone().map(Marker::adopt);
    let head = args
        .head
        .as_deref()
        .and_then(|head| git2::Oid::from_str(head).ok())
        .map(|head| (args.branch.clone().unwrap_or_default(), head));
    let invocation = record::Invocation {
        marker: marker.as_ref().map(Marker::path),
        head,
    };
    // Said on stderr, or kept for the next command when recording in the background.
    let tell = |line: &str| match &marker {
        Some(marker) => marker.keep_problem(line),
        None => say(&format!("git-milestone: {line}")),
    };
    let hook = HookName::from_name(&args.name);
    let input = match hook {
        Some(h) if h.reads_stdin() => {
            let mut input = Vec::new();
            let _ = std::io::stdin().lock().read_to_end(&mut input);
            input
        }
        _ => Vec::new(),
    };
    let mut status = 0;
    if let (Some(dir), Some(hook)) = (&args.hooks_dir, hook) {
        let input = hook.reads_stdin().then_some(input.as_slice());
        match chain::run_chained(dir, hook, &args.args, input) {
            Ok(code) => status = code.unwrap_or(0),
            Err(e) => tell(&e.to_string()),
        }
    }
    match hook {
        None => tell(&format!(
            "unknown hook {:?}: the hooks are post-commit, post-merge, post-checkout and post-rewrite",
            args.name
        )),
        Some(hook) => {
            let recorded = record::record(hook, &args.args, &input, &invocation);
            if let (Some(marker), Some((branch, head))) = (&marker, &invocation.head) {
                keep_for_retry(hook, &recorded, marker, branch, *head);
            }
            report(hook, recorded, marker.is_none(), tell);
        }
    }
    if status == 0 {
        Ok(())
    } else {
        Err(CliError {
            kind: ErrorKind::Silent(status),
            message: String::new(),
            hints: Vec::new(),
        })
    }
}

/// The server guard: refuses the push, saying why to the pusher (receive-pack sends
/// the hook's stderr back), when its new operations do not hold.
fn guard_push() -> Result<(), CliError> {
    let mut input = String::new();
    let _ = std::io::stdin().lock().read_to_string(&mut input);
    let store = crate::store::Store::open_from_env()?;
    let refusals = crate::hooks::server::check_push(&store, &input)?;
    if refusals.is_empty() {
        return Ok(());
    }
    for refusal in &refusals {
        say(&format!("git-milestone: refused: {refusal}"));
    }
    Err(CliError::user("push refused by the git-milestone server guard")
        .hint("sign your operations with a trusted key (`git milestone trust list`), then `git milestone sync`"))
}

/// A post-commit recording in the background that wrote nothing, having failed, is
/// kept for the next command to try again.
fn keep_for_retry(
    hook: HookName,
    recorded: &Result<record::Recorded, crate::store::StoreError>,
    marker: &Marker,
    branch: &str,
    head: git2::Oid,
) {
    let failed = match recorded {
        Ok(r) => r.operations == 0 && !r.errors.is_empty(),
        Err(_) => true,
    };
    if let (HookName::PostCommit, true, Some(dir)) = (hook, failed, marker.path().parent()) {
        crate::hooks::retry::keep(dir, branch, head);
    }
}

/// Says what a recording did (the tasks it moved, only when someone sees it) and what
/// went wrong.
fn report(
    hook: HookName,
    recorded: Result<record::Recorded, crate::store::StoreError>,
    seen: bool,
    say: impl Fn(&str),
) {
    match recorded {
        Ok(recorded) => {
            if seen && !recorded.moved.is_empty() {
                say(&recorded.moved.join(", "));
            }
            for warning in recorded.warnings {
                say(&warning);
            }
            for e in recorded.errors {
                say(&format!("{hook} hook: {e}"));
            }
        }
        Err(e) => say(&format!("{hook} hook: {e}")),
    }
}

/// One line on stderr. A hook must not fail, or panic, because stderr is gone.
fn say(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}
