//! What is wrong with a file of the reference folder, said so that the user can find
//! it (`file:line: what`).

use std::fmt;

pub use crate::exchange::Invalid;

/// A problem of one file (or line) of the folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file, as the user named the folder (`.milestones/state/…`).
    pub file: String,
    /// The line (from 1), if the problem is on one.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl Problem {
    /// `invalid`, found in `file`.
    pub fn of(file: &str, invalid: Invalid) -> Self {
        Problem {
            file: file.to_string(),
            line: invalid.line,
            message: invalid.message,
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_read_like_compiler_messages() {
        let p = Problem::of("f.jsonl", Invalid::at(3, "bad"));
        assert_eq!(p.to_string(), "f.jsonl:3: bad");
        let p = Problem::of("f.yaml", Invalid::new("bad"));
        assert_eq!(p.to_string(), "f.yaml: bad");
        let e = serde_json::from_str::<serde_json::Value>("{\n\"a\": }").unwrap_err();
        assert_eq!(Invalid::json(&e).line, Some(2));
    }
}
