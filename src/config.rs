//! Reading git settings as git would for this command, `git -c key=value` included.
//! git hands its `-c` settings (and `--config-env`'s) to the commands it runs, such as
//! this one, in `GIT_CONFIG_PARAMETERS` and `GIT_CONFIG_COUNT`/`GIT_CONFIG_KEY_<n>`/
//! `GIT_CONFIG_VALUE_<n>`; libgit2 reads neither, so every setting this tool reads
//! goes through here, and those settings win over the config files, as in git.

use std::env;

/// The value of `key` (`section.name` or `section.subsection.name`): from the command
/// line of git first, then from `config`. `None` when it is set nowhere. A key given as
/// `-c key` with no value reads as "true", as git's booleans do.
pub fn get(config: Option<&git2::Config>, key: &str) -> Option<String> {
    command_line(key).or_else(|| config?.get_string(key).ok())
}

/// The value git's command line gives `key`, if it does (see [`get`]).
pub fn command_line(key: &str) -> Option<String> {
    from_command_line(key).map(|value| value.unwrap_or_else(|| "true".to_string()))
}

/// A boolean as git reads one: true, yes, on, 1 and the empty value, or false, no,
/// off, 0; `None` when unset or something else.
pub fn get_bool(config: Option<&git2::Config>, key: &str) -> Option<bool> {
    match get(config, key)?.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "1" | "" => Some(true),
        "false" | "no" | "off" | "0" => Some(false),
        _ => None,
    }
}

/// The last value the command line of git gives `key`: `Some(None)` for `-c key`
/// alone.
fn from_command_line(key: &str) -> Option<Option<String>> {
    let wanted = normalize(key)?;
    let parameters = env::var("GIT_CONFIG_PARAMETERS")
        .ok()
        .and_then(|text| parse_parameters(&text))
        .unwrap_or_default();
    // git reads GIT_CONFIG_COUNT's entries first, so GIT_CONFIG_PARAMETERS wins.
    parameters
        .into_iter()
        .rev()
        .chain(counted_entries().into_iter().rev())
        .find(|(k, _)| normalize(k).as_deref() == Some(wanted.as_str()))
        .map(|(_, value)| value)
}

/// `GIT_CONFIG_KEY_<n>` = `GIT_CONFIG_VALUE_<n>` for n below `GIT_CONFIG_COUNT`.
fn counted_entries() -> Vec<(String, Option<String>)> {
    let count: usize = env::var("GIT_CONFIG_COUNT")
        .ok()
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    (0..count)
        .filter_map(|n| {
            let key = env::var(format!("GIT_CONFIG_KEY_{n}")).ok()?;
            Some((key, env::var(format!("GIT_CONFIG_VALUE_{n}")).ok()))
        })
        .collect()
}

/// A key as git compares them: section and name are case-insensitive, a subsection is
/// not. `None` for a key with no dot.
fn normalize(key: &str) -> Option<String> {
    let (section, rest) = key.split_once('.')?;
    let (subsection, name) = match rest.rsplit_once('.') {
        Some((subsection, name)) => (Some(subsection), name),
        None => (None, rest),
    };
    let mut normalized = section.to_ascii_lowercase();
    if let Some(subsection) = subsection {
        normalized.push('.');
        normalized.push_str(subsection);
    }
    normalized.push('.');
    normalized.push_str(&name.to_ascii_lowercase());
    Some(normalized)
}

/// The entries of `GIT_CONFIG_PARAMETERS`: single-quoted words separated by spaces,
/// each `'key=value'` (git before 2.31) or `'key'='value'` / `'key'` (since). `None`
/// when it is not in that form.
fn parse_parameters(text: &str) -> Option<Vec<(String, Option<String>)>> {
    let mut entries = Vec::new();
    let mut rest = text.trim_start();
    while !rest.is_empty() {
        let (first, after) = quoted(rest)?;
        let (entry, after) = match after.strip_prefix('=') {
            // New form: 'key'='value', or 'key'= with nothing after it.
            Some(after) if after.starts_with('\'') => {
                let (value, after) = quoted(after)?;
                ((first, Some(value)), after)
            }
            Some(after) => ((first, Some(String::new())), after),
            None if after.is_empty() || after.starts_with(' ') => {
                // Old form 'key=value', or a new-form 'key' without a value.
                match first.split_once('=') {
                    Some((key, value)) => ((key.to_string(), Some(value.to_string())), after),
                    None => ((first, None), after),
                }
            }
            None => return None,
        };
        entries.push(entry);
        rest = after.trim_start();
    }
    Some(entries)
}

/// The single-quoted word at the start of `text` (`'\''` stands for a quote), and what
/// follows it.
fn quoted(text: &str) -> Option<(String, &str)> {
    let mut word = String::new();
    let mut rest = text.strip_prefix('\'')?;
    loop {
        let end = rest.find('\'')?;
        word.push_str(&rest[..end]);
        rest = &rest[end + 1..];
        match rest.strip_prefix("\\''") {
            Some(after) => {
                word.push('\'');
                rest = after;
            }
            None => return Some((word, rest)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(key: &str, value: Option<&str>) -> (String, Option<String>) {
        (key.to_string(), value.map(str::to_string))
    }

    #[test]
    fn both_forms_of_git_config_parameters_are_read() {
        // What `git -c milestone.remote=up -c 'user.name=O'\''Brien' -c core.x` passes,
        // in the form of git 2.31 and later and in the older one.
        let new = r#"'milestone.remote'='up' 'user.name'='O'\''Brien' 'core.x' 'a.b'='c=d'"#;
        let old = r#"'milestone.remote=up' 'user.name=O'\''Brien' 'core.x' 'a.b=c=d'"#;
        let expected = vec![
            entry("milestone.remote", Some("up")),
            entry("user.name", Some("O'Brien")),
            entry("core.x", None),
            entry("a.b", Some("c=d")),
        ];
        assert_eq!(parse_parameters(new), Some(expected.clone()));
        assert_eq!(parse_parameters(old), Some(expected));
        assert_eq!(parse_parameters(""), Some(vec![]));
        assert_eq!(parse_parameters("'a.b'='"), None);
        assert_eq!(parse_parameters("a.b=c"), None);
        assert_eq!(
            parse_parameters("'a.b'= 'c.d'='e'"),
            Some(vec![entry("a.b", Some("")), entry("c.d", Some("e"))])
        );
    }

    #[test]
    fn keys_compare_as_git_compares_them() {
        assert_eq!(
            normalize("Core.HooksPath").as_deref(),
            Some("core.hookspath")
        );
        assert_eq!(
            normalize("Remote.Origin.URL").as_deref(),
            Some("remote.Origin.url")
        );
        assert_eq!(normalize("nodot"), None);
    }
}
