//! The one place that knows which YAML library we use (serde_yaml is no longer
//! maintained; replacing it must touch this file only). It also holds the checks the
//! library lacks: duplicate keys, numbers JSON cannot carry, and nesting so deep that
//! the parser would take minutes before refusing it.

use serde::{de::DeserializeOwned, Serialize};

/// How deeply flow collections (`[…]`, `{…}`) may nest. serde_yaml refuses 128 levels
/// only after the scanner has gone through the whole document, in quadratic time.
const MAX_FLOW_DEPTH: usize = 100;

/// A YAML document that could not be read or written.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct YamlError {
    message: String,
    line: Option<usize>,
}

impl YamlError {
    fn new(message: String) -> Self {
        YamlError {
            message,
            line: None,
        }
    }

    fn of(e: serde_yaml::Error) -> Self {
        YamlError {
            line: e.location().map(|l| l.line()),
            message: e.to_string(),
        }
    }

    /// The line (from 1) where reading failed, when the library knows it; migration
    /// reports list problems as `file:line`.
    pub fn line(&self) -> Option<usize> {
        self.line
    }
}

/// Reads one YAML document into `T`: refused when it nests too deeply, repeats a key,
/// or holds a number that is not finite (`.nan`, `.inf`).
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    check_flow_depth(text)?;
    // Parsing into the library's own value first catches duplicate keys, which a
    // map of serde_json (or a struct) would silently resolve to the last one. The
    // typed read then parses again, so that its errors keep their line.
    let value: serde_yaml::Value = serde_yaml::from_str(text).map_err(YamlError::of)?;
    check_finite(&value, "")?;
    serde_yaml::from_str(text).map_err(YamlError::of)
}

/// Writes `value` as a YAML document.
pub fn to_string<T: Serialize>(value: &T) -> Result<String, YamlError> {
    serde_yaml::to_string(value).map_err(YamlError::of)
}

/// Refuses flow collections nested deeper than [`MAX_FLOW_DEPTH`], skipping quoted
/// text and comments.
fn check_flow_depth(text: &str) -> Result<(), YamlError> {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut previous = '\n';
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match quote {
            Some('"') if c == '\\' => {
                chars.next();
            }
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '"' | '\'' => quote = Some(c),
                '#' if previous.is_whitespace() => {
                    for c in chars.by_ref() {
                        if c == '\n' {
                            break;
                        }
                    }
                }
                '[' | '{' => {
                    depth += 1;
                    if depth > MAX_FLOW_DEPTH {
                        return Err(YamlError::new(format!(
                            "collections are nested more than {MAX_FLOW_DEPTH} levels deep"
                        )));
                    }
                }
                ']' | '}' => depth = depth.saturating_sub(1),
                _ => {}
            },
        }
        previous = c;
    }
    Ok(())
}

fn check_finite(value: &serde_yaml::Value, path: &str) -> Result<(), YamlError> {
    match value {
        serde_yaml::Value::Number(n) if n.as_f64().is_some_and(|f| !f.is_finite()) => {
            Err(YamlError::new(format!(
                "{}: {n} is not a finite number",
                path.trim_start_matches('.')
            )))
        }
        serde_yaml::Value::Sequence(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, item)| check_finite(item, &format!("{path}[{i}]"))),
        serde_yaml::Value::Mapping(map) => map.iter().try_for_each(|(key, item)| {
            let key = key
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| format!("{key:?}"));
            check_finite(item, &format!("{path}.{key}"))
        }),
        serde_yaml::Value::Tagged(tagged) => check_finite(&tagged.value, path),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alias_bombs_are_refused_quickly() {
        let mut doc = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x]\n");
        for i in 1..40 {
            let prev = i - 1;
            doc.push_str(&format!(
                "a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
            ));
        }
        let parsed: Result<serde_json::Value, _> = from_str(&doc);
        assert!(parsed.is_err());
    }

    #[test]
    fn deep_flow_nesting_is_refused_before_parsing() {
        let deep = format!("description: {}{}", "[".repeat(50_000), "]".repeat(50_000));
        let started = std::time::Instant::now();
        let err = from_str::<serde_json::Value>(&deep).unwrap_err();
        assert!(err.to_string().contains("nested"), "{err}");
        assert!(started.elapsed().as_secs() < 1);
        // Brackets inside quotes and comments do not count.
        let quoted = format!(
            "a: \"{}\"\nb: '{}' # {}\n",
            "[".repeat(500),
            "{".repeat(500),
            "[".repeat(500)
        );
        assert!(from_str::<serde_json::Value>(&quoted).is_ok());
        assert!(from_str::<serde_json::Value>("a: [[1, 2], {b: [3]}]").is_ok());
    }

    #[test]
    fn duplicate_keys_are_refused() {
        for doc in ["id: first\nid: second\n", "t:\n  a: 1\n  a: 2\n"] {
            let err = from_str::<serde_json::Value>(doc).unwrap_err();
            assert!(err.to_string().contains("duplicate"), "{doc:?}: {err}");
        }
    }

    #[test]
    fn numbers_json_cannot_carry_are_refused() {
        for doc in ["w: .nan\n", "x: {y: [1, .inf]}\n", "z: -.inf\n"] {
            let err = from_str::<serde_json::Value>(doc).unwrap_err();
            assert!(
                err.to_string().contains("not a finite number"),
                "{doc:?}: {err}"
            );
        }
        assert!(from_str::<serde_json::Value>("w: 1.5\n").is_ok());
    }

    #[test]
    fn errors_know_their_line() {
        let err = from_str::<serde_json::Value>("a: 1\nb: [unclosed\n").unwrap_err();
        assert!(
            err.line().is_some_and(|l| l >= 2),
            "{err}: {:?}",
            err.line()
        );
        assert!(err.to_string().contains("line"), "{err}");
    }
}
