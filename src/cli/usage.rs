//! Usage errors that say what is wrong in plain words: a negative number is "must be a
//! positive number" (not the parser's "use '-- -1'"), and an unknown flag is not met
//! with a suggestion of an unrelated one.

use clap::error::{ContextKind, ContextValue, ErrorKind};

/// A count given on the command line (`--limit`, `--retention-days`): a whole
/// number, 0 or more.
pub fn count<T: std::str::FromStr>(value: &str) -> Result<T, String> {
    if value.trim_start().starts_with('-') {
        return Err("must be a positive number".into());
    }
    value
        .trim()
        .parse()
        .map_err(|_| "must be a positive number, like 20".to_string())
}

/// `error` without advice that does not fit: for an unknown argument, the tip to pass
/// it after `--` (it never was meant as a value) and a suggested flag that is not near
/// the one typed.
pub fn tidy(error: clap::Error) -> clap::Error {
    if error.kind() != ErrorKind::UnknownArgument {
        return error;
    }
    let typed = match error.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(typed)) => typed.clone(),
        _ => return error,
    };
    let near = match error.get(ContextKind::SuggestedArg) {
        Some(ContextValue::String(suggested)) => super::suggest::closest(
            typed.trim_start_matches('-'),
            [suggested.trim_start_matches('-')],
        )
        .map(|_| suggested.clone()),
        _ => None,
    };
    let mut tidy =
        clap::Error::new(ErrorKind::UnknownArgument).with_cmd(&super::Cli::command_for_errors());
    tidy.insert(ContextKind::InvalidArg, ContextValue::String(typed));
    if let Some(near) = near {
        tidy.insert(ContextKind::SuggestedArg, ContextValue::String(near));
    }
    if let Some(usage) = error.get(ContextKind::Usage) {
        tidy.insert(ContextKind::Usage, usage.clone());
    }
    tidy
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts() {
        assert_eq!(count::<usize>("20"), Ok(20));
        assert_eq!(count::<usize>("0"), Ok(0));
        assert_eq!(count::<u32>("-1"), Err("must be a positive number".into()));
        assert_eq!(
            count::<u32>("x"),
            Err("must be a positive number, like 20".into())
        );
    }
}
