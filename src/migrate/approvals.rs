//! An approval request of the reference, `approvals/<approval-id>.yaml`, as
//! `request_kiro_phase_approval` writes it and `process_kiro_phase_approval` updates it:
//!
//! ```yaml
//! approval_request: {id, milestone_id, task_id, transition: "design → spec",
//!                    requested_at, status, decided_at}
//! approvers: [{role, status, contacted, decided_at, comments}]
//! approval_criteria: [...]
//! phase_deliverables: [...]
//! phase_summary: {...}        # derived from the milestone: not kept
//! ```
//!
//! The script builds the lists with `sed` over `yq` output, so a gate with no approvers,
//! criteria or deliverables gives one empty item (`- role:` with no value, `- `): those
//! are dropped, and a request left with no approvers is open to anyone, as here.

use serde_json::Value;

use crate::clock;
use crate::model::{ApprovalRequest, Approver, Decision, MilestoneId, Phase, TaskId};
use crate::yaml;

use super::{reference_time, scalar_text, Invalid};

/// Reads the approval file named `stem` (without `.yaml`).
pub fn parse_approval(text: &str, stem: &str) -> Result<ApprovalRequest, Invalid> {
    let document: Value = yaml::from_str(text).map_err(|e| Invalid {
        line: e.line(),
        message: e.to_string(),
    })?;
    let Some(Value::Object(request)) = document.get("approval_request") else {
        return Err(Invalid::new(
            "not an approval request: no \"approval_request\" mapping",
        ));
    };
    let text_of = |key: &str| request.get(key).and_then(scalar_text);
    let required = |key: &str| {
        text_of(key).ok_or_else(|| Invalid::new(format!("approval_request.{key} is missing")))
    };
    let id = text_of("id").unwrap_or_else(|| stem.to_string());
    check_file_name(&id)?;
    let milestone_id =
        MilestoneId::new(required("milestone_id")?).map_err(|e| Invalid::new(e.to_string()))?;
    let task_id = TaskId::new(required("task_id")?).map_err(|e| Invalid::new(e.to_string()))?;
    let (from_phase, to_phase) = transition(&required("transition")?)?;
    let requested_at = time("approval_request.requested_at", &required("requested_at")?)?;
    let status = decision(
        "approval_request.status",
        text_of("status").as_deref().unwrap_or("pending"),
    )?;
    let decided_at = text_of("decided_at")
        .map(|t| time("approval_request.decided_at", &t))
        .transpose()?;
    let approvers = approvers(document.get("approvers"))?;
    Ok(ApprovalRequest {
        id,
        milestone_id,
        task_id,
        from_phase,
        to_phase,
        status,
        requested_at,
        requested_by: None,
        decided_at,
        open_to_anyone: approvers.is_empty(),
        approvers,
        criteria: texts(document.get("approval_criteria")),
        deliverables: texts(document.get("phase_deliverables")),
        ignored: Vec::new(),
    })
}

/// The id becomes a file name on the ref; the reference's ids are `approval-<m>-<t>-
/// <from>-<to>`, so ids' characters and a generous length.
fn check_file_name(id: &str) -> Result<(), Invalid> {
    let valid = !id.is_empty()
        && id.len() <= 200
        && !id.starts_with(['.', '-'])
        && !id.contains("..")
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if valid {
        Ok(())
    } else {
        Err(Invalid::new(format!(
            "approval id {id:?} is not usable as a file name: use letters, digits, '.', '_', '-'"
        )))
    }
}

/// `design → spec` (the script's arrow), or `design -> spec`.
fn transition(value: &str) -> Result<(Phase, Phase), Invalid> {
    let refuse = || {
        Invalid::new(format!(
            "approval_request.transition {value:?} is not \"<phase> → <phase>\""
        ))
    };
    let (from, to) = value
        .split_once('→')
        .or_else(|| value.split_once("->"))
        .ok_or_else(refuse)?;
    let phase = |name: &str| {
        Phase::ALL
            .into_iter()
            .find(|p| p.as_str() == name.trim())
            .ok_or_else(refuse)
    };
    Ok((phase(from)?, phase(to)?))
}

fn time(field: &str, value: &str) -> Result<String, Invalid> {
    reference_time(value)
        .map(clock::format_time)
        .ok_or_else(|| Invalid::new(format!("{field} {value:?} is not a time")))
}

fn decision(field: &str, value: &str) -> Result<Decision, Invalid> {
    match value.trim() {
        "pending" => Ok(Decision::Pending),
        "approved" => Ok(Decision::Approved),
        "rejected" => Ok(Decision::Rejected),
        other => Err(Invalid::new(format!(
            "{field} {other:?} is not pending, approved or rejected"
        ))),
    }
}

fn approvers(list: Option<&Value>) -> Result<Vec<Approver>, Invalid> {
    let items = match list {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(Invalid::new("approvers is not a list")),
    };
    let mut approvers = Vec::new();
    for item in items {
        let Value::Object(map) = item else {
            return Err(Invalid::new(format!(
                "an approver is not a mapping: {item}"
            )));
        };
        let Some(role) = map
            .get("role")
            .and_then(scalar_text)
            .map(|r| r.trim().to_string())
            .filter(|r| !r.is_empty())
        else {
            continue;
        };
        let status = match map.get("status").and_then(scalar_text) {
            Some(s) => decision(&format!("approvers[{role}].status"), &s)?,
            None => Decision::Pending,
        };
        let decided_at = map
            .get("decided_at")
            .and_then(scalar_text)
            .map(|t| time(&format!("approvers[{role}].decided_at"), &t))
            .transpose()?;
        approvers.push(Approver {
            role,
            status,
            decided_by: None,
            decided_at,
            comments: map.get("comments").and_then(scalar_text),
            verification: None,
            key: None,
            binding: None,
        });
    }
    Ok(approvers)
}

fn texts(list: Option<&Value>) -> Vec<String> {
    match list {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(scalar_text)
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .collect(),
        Some(single) => scalar_text(single).into_iter().collect(),
        None => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `approval_request:` block of milestone `launch` as the script writes it,
    /// up to its line of two spaces.
    fn request(id: &str, task: &str, transition: &str, requested_at: &str, status: &str) -> String {
        format!(
            "approval_request:\n  id: \"{id}\"\n  milestone_id: \"launch\"\n  task_id: \"{task}\"\n  transition: \"{transition}\"\n  requested_at: \"{requested_at}\"\n  status: \"{status}\"\n  \n"
        )
    }

    // As the script writes it: trailing spaces after roles, a blank line after the
    // request, `yq`'s "null" for a missing time in the summary.
    fn decided() -> String {
        let request = request(
            "approval-launch-design-design-spec",
            "design",
            "design → spec",
            "2026-01-06T10:00:00Z",
            "approved",
        );
        request + DECIDED_REST
    }

    const DECIDED_REST: &str = "  decided_at: \"2026-01-06T15:00:00Z\"

approvers:
  - role: tech_lead 
    status: approved
    contacted: true
    decided_at: \"2026-01-06T12:00:00Z\"
    comments: \"looks good, \\\"ship it\\\"\"
  - role: architect 
    status: approved
    contacted: true
    decided_at: \"2026-01-06T15:00:00Z\"

approval_criteria:
  - Architecture reviewed
  - Security considered

phase_deliverables:
  - docs/design.md

phase_summary:
  phase: \"design\"
  started_at: \"2026-01-05T09:30:00Z\"
  completed_at: \"null\"
  deliverables_path: \".milestones/deliverables/design/design/\"
";

    #[test]
    fn a_decided_request_reads() {
        let r = parse_approval(&decided(), "approval-launch-design-design-spec").unwrap();
        assert_eq!(r.id, "approval-launch-design-design-spec");
        assert_eq!((r.from_phase, r.to_phase), (Phase::Design, Phase::Spec));
        assert_eq!(r.status, Decision::Approved);
        assert_eq!(r.requested_at, "2026-01-06T10:00:00.000Z");
        assert_eq!(r.decided_at.as_deref(), Some("2026-01-06T15:00:00.000Z"));
        let roles: Vec<&str> = r.approvers.iter().map(|a| a.role.as_str()).collect();
        assert_eq!(roles, ["tech_lead", "architect"]);
        assert_eq!(
            r.approvers[0].comments.as_deref(),
            Some("looks good, \"ship it\"")
        );
        assert!(!r.open_to_anyone);
        assert_eq!(r.criteria, ["Architecture reviewed", "Security considered"]);
        assert_eq!(r.deliverables, ["docs/design.md"]);
    }

    #[test]
    fn a_gate_without_approvers_criteria_or_deliverables_is_open_to_anyone() {
        let request = request(
            "approval-launch-api-spec-task",
            "api",
            "spec → task",
            "2026-01-07T09:00:00Z",
            "pending",
        );
        let text = request
            + "approvers:
  - role:  
    status: pending
    contacted: false

approval_criteria:
  - 

phase_deliverables:
  - 
";
        let r = parse_approval(&text, "approval-launch-api-spec-task").unwrap();
        assert!(r.approvers.is_empty() && r.open_to_anyone);
        assert!(r.criteria.is_empty() && r.deliverables.is_empty());
        assert_eq!(r.status, Decision::Pending);
    }

    #[test]
    fn broken_requests_say_why() {
        let whole = [
            ("approval_request: [unclosed", "line"),
            ("approvers: []", "no \"approval_request\""),
        ];
        // (what in decided(), replaced by, what the error says)
        let edits = [
            ("design → spec", "design to spec", "transition"),
            ("  task_id: \"design\"\n", "", "task_id is missing"),
            ("\"launch\"", "\"la unch\"", "invalid milestone id"),
            ("status: \"approved\"", "status: \"maybe\"", "not pending"),
            ("2026-01-06T10:00:00Z", "soon", "not a time"),
            ("approval-launch-design-design-spec", "../x", "file name"),
        ];
        let edited = edits
            .iter()
            .map(|(from, to, expected)| (decided().replace(from, to), *expected));
        let cases = whole
            .map(|(t, e)| (t.to_string(), e))
            .into_iter()
            .chain(edited);
        for (text, expected) in cases {
            let err = parse_approval(&text, "approval-launch-design-design-spec").unwrap_err();
            assert!(err.message.contains(expected), "{expected}: {err}");
        }
        let err = parse_approval("a: 1\napproval_request: {\n", "x").unwrap_err();
        assert!(err.line.is_some(), "{err:?}");
    }
}
