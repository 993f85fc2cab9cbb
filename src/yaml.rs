//! The one place that knows which YAML library we use (serde_yaml is no longer
//! maintained; replacing it must touch this file only).

use serde::{de::DeserializeOwned, Serialize};

/// A YAML document that could not be read or written.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct YamlError {
    message: String,
    line: Option<usize>,
}

impl YamlError {
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

/// Reads one YAML document into `T`.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    serde_yaml::from_str(text).map_err(YamlError::of)
}

/// Writes `value` as a YAML document.
pub fn to_string<T: Serialize>(value: &T) -> Result<String, YamlError> {
    serde_yaml::to_string(value).map_err(YamlError::of)
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
