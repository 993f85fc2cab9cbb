use clap::error::ErrorKind;
use clap::{CommandFactory, FromArgMatches};
use git_milestone::cli::{self, Cli, CliError};

fn main() {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let Some(result) = cli::run_hook_command(&args) {
        return finish(result);
    }
    // The examples under each command's help are attached only when help is shown:
    // building them cost every command.
    let parsed = Cli::command()
        .try_get_matches_from(&args)
        .map_err(|e| match e.kind() {
            ErrorKind::DisplayHelp | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                cli::help::command()
                    .try_get_matches_from(&args)
                    .err()
                    .unwrap_or(e)
            }
            _ => e,
        })
        .and_then(|matches| Cli::from_arg_matches(&matches));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help and version on stdout (exit 0), usage errors on stderr (2).
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = cli::tidy_usage_error(e).print();
            std::process::exit(code);
        }
    };
    finish(cli::run(cli));
}

fn finish(result: Result<(), CliError>) {
    if let Err(e) = result {
        if e.kind.is_reported() {
            eprintln!("{e}");
        }
        std::process::exit(e.exit_code());
    }
}
