//! `docs/cli.md`: the complete command reference, generated from the clap definitions
//! (as jj keeps its CLI reference), with the manual's sections. A test compares it with
//! the file in the repository, so the two cannot drift apart.

use clap::Command;

/// The whole reference as Markdown.
pub fn markdown() -> String {
    let mut command = super::help::command().disable_help_subcommand(true);
    command.build();
    let mut out = String::from(
        "<!-- Generated from the clap definitions by src/cli/reference.rs; do not edit.\n     \
         Regenerate with: GIT_MILESTONE_BLESS=1 cargo test --lib cli_reference -->\n\n\
         # git milestone: command reference\n\n",
    );
    if let Some(about) = command.get_about() {
        out.push_str(&format!("{about}.\n\n"));
    }
    out.push_str("Global options, taken by every command:\n\n");
    push_options(&mut out, &command);
    out.push_str("Commands:\n\n");
    let mut sections = String::new();
    walk(&command, &mut |path, sub| {
        let depth = path.matches(' ').count();
        let anchor = format!("git-milestone-{}", path.replace(' ', "-"));
        out.push_str(&format!(
            "{}- [`git milestone {path}`](#{anchor}): {}\n",
            "  ".repeat(depth),
            sub.get_about().map(|a| a.to_string()).unwrap_or_default()
        ));
        push_command(&mut sections, path, sub);
    });
    out.push('\n');
    out.push_str(&super::manual::markdown(super::manual::SECTIONS));
    out.push_str("# Commands\n\n");
    out.push_str(&sections);
    out.trim_end().to_string() + "\n"
}

/// Calls `visit` with every command that is not hidden, depth first, with its path.
fn walk(command: &Command, visit: &mut dyn FnMut(&str, &Command)) {
    fn go(command: &Command, prefix: &str, visit: &mut dyn FnMut(&str, &Command)) {
        for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
            let path = format!("{prefix} {}", sub.get_name()).trim().to_string();
            visit(&path, sub);
            go(sub, &path, visit);
        }
    }
    go(command, "", visit);
}

fn push_command(out: &mut String, path: &str, command: &Command) {
    out.push_str(&format!("## git milestone {path}\n\n"));
    let about = command.get_long_about().or(command.get_about());
    if let Some(about) = about {
        out.push_str(&format!("{about}\n\n"));
    }
    let usage = command.clone().render_usage().to_string();
    let usage = usage.trim_start_matches("Usage: ");
    out.push_str(&format!("```\n{usage}\n```\n\n"));
    let positionals: Vec<_> = command
        .get_positionals()
        .filter(|a| !a.is_hide_set())
        .collect();
    if !positionals.is_empty() {
        out.push_str("Arguments:\n\n");
        for arg in positionals {
            let name = arg
                .get_value_names()
                .and_then(|v| v.first().map(|n| n.to_string()))
                .unwrap_or_else(|| arg.get_id().to_string().to_uppercase());
            out.push_str(&format!("- `<{name}>`: {}\n", help_of(arg)));
        }
        out.push('\n');
    }
    if command.get_opts().any(|a| !a.is_hide_set()) {
        out.push_str("Options:\n\n");
        push_options(out, command);
    }
    if let Some(after) = command.get_after_help() {
        let after = after.to_string();
        // The global options' line is for the terminal; here they are listed once, above.
        let after = after.split("\n\nGlobal options:").next().unwrap_or("");
        if let Some(example) = after.strip_prefix("Example:\n") {
            out.push_str(&format!("Example:\n\n```\n{}\n```\n\n", example.trim()));
        } else if !after.is_empty() {
            out.push_str(&format!("{after}\n\n"));
        }
    }
}

fn push_options(out: &mut String, command: &Command) {
    for arg in command
        .get_arguments()
        .filter(|a| !a.is_positional() && !a.is_hide_set())
    {
        let mut flag = match (arg.get_short(), arg.get_long()) {
            (Some(short), Some(long)) => format!("-{short}, --{long}"),
            (None, Some(long)) => format!("--{long}"),
            (Some(short), None) => format!("-{short}"),
            (None, None) => continue,
        };
        let takes_value = arg.get_num_args().is_some_and(|n| n.takes_values());
        if takes_value {
            if let Some(names) = arg.get_value_names() {
                flag.push_str(&format!(" <{}>", names.join("> <")));
            }
        }
        let mut text = help_of(arg);
        let defaults: Vec<String> = arg
            .get_default_values()
            .iter()
            .map(|v| v.to_string_lossy().into_owned())
            .collect();
        if takes_value && !defaults.is_empty() {
            text.push_str(&format!(" Default: `{}`.", defaults.join(", ")));
        }
        out.push_str(&format!("- `{flag}`: {text}\n"));
    }
    out.push('\n');
}

/// An argument's help on one line, ending with a full stop.
fn help_of(arg: &clap::Arg) -> String {
    let help = arg
        .get_long_help()
        .or(arg.get_help())
        .map(|h| h.to_string())
        .unwrap_or_default();
    let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
    if help.is_empty() || help.ends_with('.') {
        help
    } else {
        format!("{help}.")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn cli_reference_is_up_to_date() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/cli.md");
        let generated = super::markdown();
        if std::env::var_os("GIT_MILESTONE_BLESS").is_some() {
            std::fs::write(path, &generated).expect("docs/cli.md is written");
            return;
        }
        let stored = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            stored == generated,
            "docs/cli.md is out of date with the clap definitions; regenerate it with\n  \
             GIT_MILESTONE_BLESS=1 cargo test --lib cli_reference\nand review the diff"
        );
    }
}
