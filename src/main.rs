use clap::FromArgMatches;
use git_milestone::cli::{self, Cli, ErrorKind};

fn main() {
    let parsed = cli::help::command()
        .try_get_matches()
        .and_then(|matches| Cli::from_arg_matches(&matches));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help and version on stdout (exit 0), usage errors on stderr (2).
            let _ = e.print();
            std::process::exit(if e.use_stderr() { 2 } else { 0 });
        }
    };
    if let Err(e) = cli::run(cli) {
        if e.kind != ErrorKind::BrokenPipe {
            eprintln!("{e}");
        }
        std::process::exit(e.exit_code());
    }
}
