//! The reference's milestone YAML, the format of `import`, `export` and `edit`: pure
//! functions, no files and no store, so that they can be tested and fuzzed alone.

use serde_json::Value;

use crate::model::Milestone;
use crate::workflow::{display_percentage, milestone_progress};
use crate::yaml;

/// Parses and validates a milestone definition (the reader migration uses too, so that
/// `import`, `edit` and a migrated folder accept exactly the same files).
pub use crate::migrate::milestone::parse_milestone_yaml;

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
}
