//! A milestone file of the reference (`.milestones/active/<id>.yaml`). It is also the
//! format of `export`, `import <file>` and `edit`.

use serde_json::Value;

use crate::model::milestone::DERIVED_FIELDS;
use crate::model::{validate, Milestone};
use crate::yaml;

use super::problem::Invalid;

/// Parses and validates a milestone definition: derived fields (`status`, `progress`)
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
                    "missing field `id`: the file does not say which milestone it is",
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

#[cfg(test)]
mod tests {
    use super::*;

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
