//! The reference's milestone YAML, the format of `import`, `export` and `edit`: pure
//! functions, no files and no store, so that they can be tested and fuzzed alone.

use serde_json::Value;

use crate::model::milestone::DERIVED_FIELDS;
use crate::model::{validate, Milestone};
use crate::workflow::{display_percentage, milestone_progress};
use crate::yaml;

/// Why a document was refused, with the line when it is known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Invalid {
    /// The line (from 1) the problem is on, if known.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl Invalid {
    /// A problem of the whole document.
    pub fn new(message: impl Into<String>) -> Self {
        Invalid {
            line: None,
            message: message.into(),
        }
    }

    /// A problem on `line`.
    pub fn at(line: usize, message: impl Into<String>) -> Self {
        Invalid {
            line: Some(line),
            message: message.into(),
        }
    }

    /// A JSON document serde_json refused, at the line it names.
    pub fn json(e: &serde_json::Error) -> Self {
        Invalid::at(e.line().max(1), format!("not valid JSON: {e}"))
    }
}

/// Parses and validates a milestone definition (the reader migration uses too, so that
/// `import`, `edit` and a migrated folder accept exactly the same files): derived fields (`status`, `progress`)
/// are dropped, and `default_id` is used when the document has no `id`. The error lists
/// every problem found.
pub fn parse_milestone_yaml(text: &str, default_id: Option<&str>) -> Result<Milestone, Invalid> {
    let mut value: Value = yaml::from_str(text).map_err(|e| Invalid {
        line: e.line(),
        message: e.to_string(),
    })?;
    let Value::Object(map) = &mut value else {
        return Err(Invalid::new(
            "expected a mapping with the milestone's fields (id, title, tasks, …)",
        ));
    };
    for field in DERIVED_FIELDS {
        map.remove(field);
    }
    if !map.contains_key("id") {
        match default_id {
            Some(id) => {
                map.insert("id".into(), Value::from(id));
            }
            // The first line is where the id belongs: a file name is no id (it
            // differs between machines and copies), so nothing is guessed.
            None => {
                return Err(Invalid::at(
                    1,
                    "missing field `id`: nothing says which milestone this is",
                ))
            }
        }
    }
    let milestone: Milestone =
        serde_json::from_value(value).map_err(|e| Invalid::new(e.to_string()))?;
    let problems = validate::milestone_problems(&milestone);
    if problems.is_empty() {
        Ok(milestone)
    } else {
        Err(Invalid::new(problems.join("; ")))
    }
}

/// The reference's document with the derived values included (`export`).
pub fn export_value(milestone: &Milestone) -> Result<Value, serde_json::Error> {
    let mut value = serde_json::to_value(milestone)?;
    let progress = milestone_progress(milestone);
    if let Value::Object(map) = &mut value {
        map.insert("status".into(), Value::from(progress.status.as_str()));
        map.insert(
            "progress".into(),
            serde_json::json!({
                "percentage": display_percentage(progress.percentage),
                "completed_tasks": progress.completed_tasks,
                "total_tasks": progress.total_tasks,
            }),
        );
    }
    Ok(value)
}

/// The text `export` prints: [`export_value`] as YAML.
pub fn export_yaml(milestone: &Milestone) -> Result<String, String> {
    let value = export_value(milestone).map_err(|e| e.to_string())?;
    yaml::to_string(&value).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_export_imports_back_equal() {
        let text = "id: m\ntitle: T\nowner: alice\ntasks: [{id: a, status: in_progress}]\n";
        let m = parse_milestone_yaml(text, None).unwrap();
        let exported = export_yaml(&m).unwrap();
        assert!(exported.contains("status: in_progress"), "{exported}");
        assert_eq!(parse_milestone_yaml(&exported, None).unwrap(), m);
    }

    #[test]
    fn reference_yaml_parses_with_derived_fields_dropped() {
        let text = r#"
title: "Launch"
status: in_progress
progress: { percentage: 40, last_update: "2026-01-01T00:00:00Z" }
owner: alice
tasks:
  - id: t1
    status: completed
    estimate: 3
  - id: t2
    kiro_workflow:
      enabled: true
      current_phase: spec
      phases:
        design: { status: approved, deliverables: [doc.md] }
"#;
        let m = parse_milestone_yaml(text, Some("launch")).unwrap();
        assert_eq!(m.id.as_str(), "launch");
        assert!(!m.extra.contains_key("status"));
        assert_eq!(m.extra["owner"], "alice");
        assert_eq!(m.tasks[0].extra["estimate"], 3);
        let w = m.tasks[1].workflow().unwrap();
        assert_eq!(w.current_phase, crate::model::Phase::Spec);
    }

    #[test]
    fn bad_documents_say_what_is_wrong() {
        let cases = [
            ("- a list", "mapping"),
            ("id: ../x", "invalid milestone id"),
            ("id: m\ntasks: [{id: t, status: done}]", "unknown variant"),
            ("id: m\ndue: someday", "invalid date"),
            ("id: m\ntasks: [{id: t}, {id: t}]", "more than once"),
            ("title: x", "missing field `id`"),
        ];
        for (text, expected) in cases {
            let err = parse_milestone_yaml(text, None).unwrap_err();
            assert!(err.message.contains(expected), "{text:?}: {err}");
        }
    }

    #[test]
    fn a_syntax_error_names_its_line() {
        let err =
            parse_milestone_yaml("id: m\ntitle: ok\ntasks: [\n  - id: t\n", None).unwrap_err();
        assert!(err.line.is_some(), "{err:?}");
    }
}
