//! Running the hook that was in place before ours (`<hook>.milestone-legacy`), first,
//! as git would have run it: same arguments, same input, same working directory and
//! environment, its output to the user, its exit status back to git.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::{legacy_name, HookName, RUNNING_LEGACY_ENV};

/// Shells whose `.` (source) keeps `$0` as the caller's: a chained shell hook sourced
/// by them sees the hook's own path as `$0`. zsh is not one (it sets `$0` to the
/// sourced file).
const SOURCING_SHELLS: [&str; 4] = ["sh", "bash", "dash", "ash"];

/// Where the chained hook's path is passed to the sourcing shell.
const LEGACY_PATH_ENV: &str = "GIT_MILESTONE_LEGACY_HOOK";

/// The error returned by [`run_chained`]: the chained hook exists but could not be run.
#[derive(Debug, thiserror::Error)]
#[error("cannot run the chained hook {}: {source}", path.display())]
pub struct ChainError {
    /// The chained hook.
    pub path: PathBuf,
    /// Why.
    #[source]
    pub source: std::io::Error,
}

/// How a chained hook is started.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Runner {
    /// Sourced by this shell (with this option, like `-e`), `$0` set to the hook's name.
    Shell {
        program: String,
        option: Option<String>,
    },
    /// Executed as it is.
    Direct,
}

/// Runs `hooks_dir/<hook>.milestone-legacy`, if it is there and executable (git skips a
/// hook that is not), with `args` and `input` (`None`: this process's stdin), and
/// returns its exit status.
///
/// The chained hook was moved aside from `hooks_dir/<hook>`; scripts that look at `$0`
/// (hook managers such as husky find the user's script from it, dispatchers switch on
/// it) must still see that name. A shell script is therefore sourced by its shell with
/// `$0` set to the original path; any other program is executed directly.
pub fn run_chained(
    hooks_dir: &Path,
    hook: HookName,
    args: &[String],
    input: Option<&[u8]>,
) -> Result<Option<i32>, ChainError> {
    let path = hooks_dir.join(legacy_name(hook));
    if !is_executable(&path) {
        return Ok(None);
    }
    let fail = |source| ChainError {
        path: path.clone(),
        source,
    };
    let runner = runner(&first_line(&path).map_err(fail)?);
    let mut command = match &runner {
        Runner::Shell { program, option } => {
            let mut c = Command::new(program);
            c.args(option)
                .arg("-c")
                .arg(format!(". \"${LEGACY_PATH_ENV}\""))
                .arg(hooks_dir.join(hook.as_str()))
                .env(LEGACY_PATH_ENV, &path);
            c
        }
        Runner::Direct => Command::new(&path),
    };
    command.args(args).env(RUNNING_LEGACY_ENV, "1");
    if input.is_some() {
        command.stdin(Stdio::piped());
    }
    let mut child = command.spawn().map_err(fail)?;
    if let (Some(input), Some(mut stdin)) = (input, child.stdin.take()) {
        // A hook that exits without reading its input closes the pipe: that is its
        // business, not an error.
        let input = input.to_vec();
        std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
    }
    let status = child.wait().map_err(fail)?;
    Ok(Some(exit_code(status)))
}

/// The status a shell reports for `status`: the exit code, or 128 + the signal.
fn exit_code(status: std::process::ExitStatus) -> i32 {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return 128 + signal;
        }
    }
    status.code().unwrap_or(1)
}

fn is_executable(path: &Path) -> bool {
    // `metadata` follows a symlink: a chained hook may be a link to a shared script.
    let Ok(meta) = std::fs::metadata(path) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.is_file() && meta.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        meta.is_file()
    }
}

/// The first line of `path`, at most 256 bytes (a `#!` line is shorter).
fn first_line(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(256);
    std::fs::File::open(path)?
        .take(256)
        .read_to_end(&mut head)?;
    let end = head.iter().position(|&b| b == b'\n').unwrap_or(head.len());
    head.truncate(end);
    Ok(head)
}

/// How to start a hook whose first line is `line`. Without `#!` git runs a hook with
/// `sh`, and so do we.
fn runner(line: &[u8]) -> Runner {
    let shell = |program: &str, option: Option<&str>| Runner::Shell {
        program: program.to_string(),
        option: option.map(str::to_string),
    };
    let Some(rest) = line.strip_prefix(b"#!") else {
        return shell("sh", None);
    };
    let Ok(rest) = std::str::from_utf8(rest) else {
        return Runner::Direct;
    };
    let rest = rest.trim();
    // The kernel splits a `#!` line once: the interpreter, then one argument.
    let (interpreter, argument) = match rest.split_once([' ', '\t']) {
        Some((i, a)) => (i, Some(a.trim()).filter(|a| !a.is_empty())),
        None => (rest, None),
    };
    let name = interpreter.rsplit('/').next().unwrap_or(interpreter);
    match argument {
        _ if SOURCING_SHELLS.contains(&name) => match argument {
            // `#!/bin/sh -e`: the option goes before `-c`.
            Some(option) if option.starts_with('-') && !option.contains(' ') => {
                shell(interpreter, Some(option))
            }
            None => shell(interpreter, None),
            Some(_) => Runner::Direct,
        },
        // `#!/usr/bin/env sh`: env looks the shell up on PATH, and so does Command.
        Some(program) if name == "env" && SOURCING_SHELLS.contains(&program) => {
            shell(program, None)
        }
        _ => Runner::Direct,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_scripts_are_sourced_and_the_rest_executed() {
        let shell = |p: &str, o: Option<&str>| Runner::Shell {
            program: p.into(),
            option: o.map(Into::into),
        };
        let table: &[(&str, Runner)] = &[
            ("#!/bin/sh", shell("/bin/sh", None)),
            ("#!/bin/sh -e", shell("/bin/sh", Some("-e"))),
            ("#! /bin/bash", shell("/bin/bash", None)),
            ("#!/usr/bin/env sh", shell("sh", None)),
            ("#!/usr/bin/env bash", shell("bash", None)),
            ("echo no shebang", shell("sh", None)),
            ("", shell("sh", None)),
            ("#!/usr/bin/env python3", Runner::Direct),
            ("#!/bin/zsh", Runner::Direct),
            ("#!/usr/bin/env -S bash -e", Runner::Direct),
            ("#!/bin/sh -e -u", Runner::Direct),
            ("#!/usr/bin/perl -w", Runner::Direct),
        ];
        for (line, expected) in table {
            assert_eq!(&runner(line.as_bytes()), expected, "{line}");
        }
        assert_eq!(runner(b"#!\xff\xfe"), Runner::Direct);
    }
}
