//! The help that git users expect: an example under every command's help, the man
//! page (so `git milestone --help`, which git turns into `git help milestone`, works),
//! all generated from the one clap definition.

use std::path::PathBuf;

use clap::{Args, CommandFactory};

use super::{Cli, CliError, Output};

/// One example per command, by the command's path. Kept beside each other so that a
/// new command without an example shows up in review (and fails a test).
const EXAMPLES: &[(&str, &str)] = &[
    ("init", "git milestone init"),
    ("new", "git milestone new v1.0 --title \"First release\" --due 2026-12-31"),
    ("import", "git milestone import v1.0.yaml"),
    ("export", "git milestone export v1.0 > v1.0.yaml"),
    ("edit", "GIT_EDITOR=nano git milestone edit v1.0"),
    ("list", "git milestone list --all"),
    ("show", "git milestone show v1.0 --at before-rewrite"),
    ("status", "git milestone status"),
    ("task", "git milestone task add v1.0 api --title \"Build the API\""),
    ("task add", "git milestone task add v1.0 search --kiro"),
    ("task set", "git milestone task set v1.0 api blocked"),
    ("task start", "git milestone task start v1.0 api"),
    ("task complete", "git milestone task complete v1.0 api"),
    ("task set-points", "git milestone task set-points v1.0 api 5"),
    ("chart", "git milestone chart v1.0 --by points"),
    ("report", "git milestone report --out public/milestones && open public/milestones/index.html"),
    ("task rm", "git milestone task rm v1.0 spike"),
    ("task mv", "git milestone task mv v1.0 api rest-api"),
    ("rm", "git milestone rm v1.0-typo"),
    ("state", "git milestone state save v1.0 '{\"sprint\": 2}'"),
    ("state save", "echo '{\"sprint\": 2}' | git milestone state save v1.0"),
    ("state load", "git milestone state load v1.0 --at HEAD~3"),
    ("event", "git milestone event add v1.0 review_held --data '{\"attendees\": 4}'"),
    ("event add", "git milestone event add v1.0 deployed --data '{\"env\": \"staging\"}'"),
    ("events", "git milestone events v1.0 --type task_status_changed --since 2026-01-01 -n 20"),
    ("timeline", "git milestone timeline v1.0 --json"),
    ("phase", "git milestone phase advance v1.0 search"),
    ("phase set", "git milestone phase set v1.0 search design completed"),
    ("phase advance", "git milestone phase advance v1.0 search"),
    ("approval", "git milestone approval list --pending"),
    ("approval list", "git milestone approval list v1.0 --pending"),
    ("approval show", "git milestone approval show approval-v1.0-search-design-spec-1-3fa9c2 --json"),
    ("approval approve", "git milestone approval approve approval-v1.0-search-design-spec-1-3fa9c2 --role lead"),
    ("approval check", "git milestone approval check v1.0 --at origin/main"),
    ("approval diff", "git milestone approval diff approval-v1.0-search-design-spec-1-3fa9c2"),
    ("approval renew", "git milestone approval renew approval-v1.0-search-design-spec-1-3fa9c2 --role lead"),
    ("approval reject", "git milestone approval reject approval-v1.0-search-design-spec-1-3fa9c2 --role qa --comment \"needs a threat model\""),
    ("monitor", "git milestone monitor v1.0"),
    ("checkpoint", "git milestone checkpoint create v1.0 before-rewrite"),
    ("checkpoint create", "git milestone checkpoint create v1.0 before-rewrite -m \"before the API rewrite\""),
    ("checkpoint list", "git milestone checkpoint list v1.0"),
    ("checkpoint restore", "git milestone checkpoint restore v1.0 before-rewrite"),
    ("recover", "git milestone recover v1.0"),
    ("session", "git milestone session start v1.0"),
    ("session start", "git milestone session start v1.0"),
    ("session end", "git milestone session end"),
    ("session current", "git milestone session current"),
    ("session list", "git milestone session list v1.0"),
    ("session show", "git milestone session show session-20260101-090000-1a2b"),
    ("cleanup", "git milestone cleanup --retention-days 30"),
    ("sync", "git milestone sync origin"),
    ("watch", "git milestone watch v1.0 --exec 'notify-send \"$MILESTONE_ID: $EVENT_TYPE\"'"),
    ("hooks", "git milestone hooks install"),
    ("hooks install", "git milestone hooks install"),
    ("hooks uninstall", "git milestone hooks uninstall"),
    ("hooks status", "git milestone hooks status --json"),
    ("trust", "git milestone trust add alice@example.com --key ~/.ssh/id_ed25519.pub"),
    ("trust add", "git milestone trust add bob@example.com --key bob.pub"),
    ("trust rm", "git milestone trust rm carol@example.com --key carol-old.pub"),
    ("trust list", "git milestone trust list --json"),
    ("roles", "git milestone roles add lead bob@example.com"),
    ("roles add", "git milestone roles add lead bob@example.com"),
    ("roles rm", "git milestone roles rm lead bob@example.com"),
    ("roles list", "git milestone roles list"),
    ("kiro", "git milestone kiro import .kiro/specs/user-auth"),
    ("kiro import", "git milestone kiro import .kiro/specs/user-auth --design-first"),
    ("kiro sync", "git milestone kiro sync user-auth --check"),
    ("verify", "git milestone verify refs/milestones@{1}..refs/milestones --strict"),
    ("demo", "git milestone demo /tmp/milestone-demo"),
    ("completions", "git milestone completions bash > ~/.local/share/bash-completion/completions/git-milestone"),
    ("install-man", "git milestone install-man"),
];

/// What a subcommand's help says of the global options, instead of listing them.
const GLOBAL_LINE: &str =
    "Global options: --json, -q/--quiet, --color <WHEN>, --no-pager (see `git milestone -h`).";

/// The full command line definition: the clap derive plus the examples, and each
/// subcommand's help listing its own options, with the global ones in one line at the
/// end, as git's does.
pub fn command() -> clap::Command {
    let mut command = Cli::command();
    for (path, example) in EXAMPLES {
        let text = format!("Example:\n  {example}");
        command = with_subcommand(command, &path.split(' ').collect::<Vec<_>>(), &text);
    }
    command = command.mut_subcommand("hooks", |hooks| {
        hooks.mut_subcommand("install", |install| {
            install.long_about(super::manual::HOOKS_INSTALL_LONG)
        })
    });
    // Instead of clap copying the global options into every subcommand's help, each
    // subcommand gets hidden copies (so they still parse) and one line about them.
    let globals: Vec<clap::Arg> = command
        .get_arguments()
        .filter(|a| a.is_global_set())
        .map(|a| a.clone().global(false).hide(true))
        .collect();
    for arg in &globals {
        command = command.mut_arg(arg.get_id().clone(), |a| a.global(false));
    }
    let names: Vec<String> = command
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for name in names {
        let globals = globals.clone();
        command = command.mut_subcommand(name, move |sub| globals_in_one_line(sub, &globals));
    }
    command
}

fn globals_in_one_line(mut command: clap::Command, globals: &[clap::Arg]) -> clap::Command {
    command = command.args(globals.iter().cloned());
    let after = match command.get_after_help() {
        Some(text) => format!("{text}\n\n{GLOBAL_LINE}"),
        None => GLOBAL_LINE.to_string(),
    };
    command = command.after_help(after);
    let names: Vec<String> = command
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for name in names {
        command = command.mut_subcommand(name, |sub| globals_in_one_line(sub, globals));
    }
    command
}

fn with_subcommand(command: clap::Command, path: &[&str], text: &str) -> clap::Command {
    match path {
        [] => command.after_help(text.to_string()),
        [first, rest @ ..] => {
            let (first, rest, text) = (first.to_string(), rest.to_vec(), text.to_string());
            command.mut_subcommand(first, move |sub| with_subcommand(sub, &rest, &text))
        }
    }
}

/// `install-man`.
#[derive(Debug, Args)]
pub struct InstallManArgs {
    /// Where to write the pages; default: `share/man/man1` beside the folder this
    /// program is installed in (`~/.cargo/share/man/man1` for `cargo install`), which
    /// `man` searches for programs on your PATH.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

fn default_man_dir() -> Result<PathBuf, CliError> {
    let exe = std::env::current_exe()
        .map_err(|e| CliError::user(format!("cannot find this program's path: {e}")))?;
    let bin = exe
        .parent()
        .ok_or_else(|| CliError::user("cannot find the folder this program is in"))?;
    let prefix = bin.parent().unwrap_or(bin);
    Ok(prefix.join("share").join("man").join("man1"))
}

/// `install-man`: writes the man pages.
pub fn install_man(out: &Output, args: InstallManArgs) -> Result<(), CliError> {
    let dir = match args.dir {
        Some(dir) => dir,
        None => default_man_dir()?,
    };
    std::fs::create_dir_all(&dir)
        .map_err(|e| CliError::user(format!("cannot create {}: {e}", dir.display())))?;
    let cannot = |e: std::io::Error| {
        CliError::user(format!(
            "cannot write the man pages to {}: {e}",
            dir.display()
        ))
    };
    // clap_mangen writes a page per command; the main one is then ours, with the
    // manual's sections.
    clap_mangen::generate_to(command(), &dir).map_err(cannot)?;
    std::fs::write(dir.join("git-milestone.1"), man_page()?).map_err(cannot)?;
    out.note(format!(
        "Wrote the man pages to {}; `git milestone --help` and `man git-milestone` show them.",
        dir.display()
    ))?;
    out.note(format!(
        "If man does not find them, add {} to MANPATH.",
        dir.parent().unwrap_or(&dir).display()
    ))
}

/// The man page of the whole command, as roff.
/// git-milestone(1): clap's name, synopsis, options and commands, with the manual's
/// sections (description, hooks and trailers, sync, configuration, files, examples).
pub fn man_page() -> Result<Vec<u8>, CliError> {
    let mut command = command().disable_help_subcommand(true);
    command.build();
    let man = clap_mangen::Man::new(command);
    let mut page = Vec::new();
    let rendered = (|| -> std::io::Result<()> {
        man.render_title(&mut page)?;
        man.render_name_section(&mut page)?;
        man.render_synopsis_section(&mut page)?;
        page.extend_from_slice(super::manual::roff(&super::manual::SECTIONS[..1]).as_bytes());
        man.render_options_section(&mut page)?;
        man.render_subcommands_section(&mut page)?;
        page.extend_from_slice(super::manual::roff(&super::manual::SECTIONS[1..]).as_bytes());
        man.render_extra_section(&mut page)?;
        man.render_version_section(&mut page)
    })();
    rendered.map_err(|e| CliError::user(format!("cannot render the man page: {e}")))?;
    Ok(page)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walk(command: &clap::Command, path: &str, visit: &mut dyn FnMut(&str, &clap::Command)) {
        for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
            let sub_path = format!("{path} {}", sub.get_name()).trim().to_string();
            visit(&sub_path, sub);
            walk(sub, &sub_path, visit);
        }
    }

    #[test]
    fn every_command_has_a_summary_and_an_example() {
        let command = command();
        let mut missing = Vec::new();
        walk(&command, "", &mut |path, sub| {
            if path == "help" || path.ends_with(" help") {
                return;
            }
            let about = sub.get_about().map(|a| a.to_string()).unwrap_or_default();
            let after = sub
                .get_after_help()
                .map(|a| a.to_string())
                .unwrap_or_default();
            if about.is_empty()
                || !after.contains("Example:\n  git milestone")
                    && !after.contains("Example:\n  GIT_EDITOR")
                    && !after.contains("Example:\n  echo")
            {
                missing.push(path.to_string());
            }
        });
        assert!(
            missing.is_empty(),
            "commands without a summary or an example: {missing:?}"
        );
    }

    #[test]
    fn the_man_page_renders_with_every_command() {
        let page = String::from_utf8(man_page().unwrap()).unwrap();
        assert!(page.contains(".TH git-milestone"));
        for name in [
            "sync",
            "checkpoint",
            "approval",
            "events",
            "trust",
            "roles",
            "verify",
        ] {
            assert!(page.contains(name), "{name} missing from the man page");
        }
    }
}
