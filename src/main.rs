use clap::Parser;
use git_milestone::cli::{self, Cli};

fn main() {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help and version on stdout (exit 0), usage errors on stderr (2).
            let _ = e.print();
            std::process::exit(if e.use_stderr() { 2 } else { 0 });
        }
    };
    if let Err(e) = cli::run(cli) {
        if e.kind.is_reported() {
            eprintln!("{e}");
        }
        std::process::exit(e.exit_code());
    }
}
