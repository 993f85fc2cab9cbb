//! A decision's binding, and deciding again to bind new content (`approval renew`):
//! the role that approved a granted request approves what the files say now. The
//! request stays granted and the task where it is; only the role's decision (who,
//! when, what was examined) is new.

use crate::model::{Binding, Decision, Event, EventKind, MilestoneFiles};

use super::Rejection;

/// Keeps `binding` on the decision `by` just made as `role` on `approval`.
pub fn attach(files: &mut MilestoneFiles, approval: &str, role: &str, by: &str, binding: &Binding) {
    let request = files.approvals.as_mut().and_then(|a| a.get_mut(approval));
    let decided = request.and_then(|r| {
        r.approvers
            .iter_mut()
            .rev()
            .find(|a| a.role == role && a.decided_by.as_deref() == Some(by))
    });
    if let Some(approver) = decided {
        approver.binding = Some(binding.clone());
    }
}

/// What a renewal carries.
pub struct Renewal<'a> {
    /// The request.
    pub approval: &'a str,
    /// The role that approved it.
    pub role: &'a str,
    /// An optional comment.
    pub comment: Option<&'a str>,
    /// Who renews ("Name <email>").
    pub by: &'a str,
    /// The content examined now.
    pub binding: Option<&'a Binding>,
}

/// `role` approves `approval` again, binding the content examined now. Only a
/// granted request, and only a role that approved it, can be renewed.
pub fn renew(
    files: &mut MilestoneFiles,
    renewal: Renewal<'_>,
    at: &str,
) -> Result<Vec<Event>, Rejection> {
    let milestone = files.definition.id.clone();
    let Renewal {
        approval,
        role,
        comment,
        by,
        binding,
    } = renewal;
    let request = files
        .approvals
        .as_mut()
        .and_then(|a| a.get_mut(approval))
        .ok_or_else(|| Rejection::NoSuchApproval {
            milestone: milestone.clone(),
            approval: approval.to_string(),
        })?;
    if request.status != Decision::Approved {
        return Err(Rejection::Invalid(format!(
            "approval {approval} is {}: only a granted approval is renewed (decide it with `approval approve`)",
            request.status.as_str()
        )));
    }
    let roles: Vec<String> = request.approvers.iter().map(|a| a.role.clone()).collect();
    let Some(approver) = request
        .approvers
        .iter_mut()
        .find(|a| a.role == role && a.status == Decision::Approved)
    else {
        return Err(Rejection::NotAnApprover {
            approval: approval.to_string(),
            role: role.to_string(),
            approvers: roles,
        });
    };
    approver.decided_by = Some(by.to_string());
    approver.decided_at = Some(at.to_string());
    approver.comments = comment.map(str::to_string);
    approver.binding = binding.cloned();
    // A renewal is a new decision: whatever verified the old one does not carry over.
    approver.verification = None;
    approver.key = None;
    let task_id = request.task_id.clone();
    Ok(vec![Event::of(
        milestone.as_str(),
        EventKind::KiroApprovalDecided {
            approval_id: approval.to_string(),
            task_id,
            role: role.to_string(),
            decision: Decision::Approved,
            comments: comment.map(str::to_string),
            pending: Vec::new(),
        },
    )])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{
        ApprovalRequest, Approver, CompareRule, Milestone, MilestoneId, Op, Phase, TaskId,
    };

    const AT: &str = "2026-01-02T00:00:00.000Z";

    fn files(status: Decision) -> MilestoneFiles {
        let mut lead = Approver::pending("lead");
        lead.status = status;
        lead.decided_by = Some("A <a@x>".into());
        let request = ApprovalRequest {
            id: "r1".into(),
            milestone_id: MilestoneId::new("m").unwrap(),
            task_id: TaskId::new("t").unwrap(),
            from_phase: Phase::Design,
            to_phase: Phase::Spec,
            status,
            requested_at: AT.into(),
            requested_by: None,
            decided_at: None,
            approvers: vec![lead],
            open_to_anyone: false,
            criteria: Vec::new(),
            deliverables: vec!["design.md".into()],
            ignored: Vec::new(),
        };
        MilestoneFiles {
            definition: Milestone::new(MilestoneId::new("m").unwrap()),
            state: None,
            sessions: None,
            approvals: Some([("r1".to_string(), request)].into()),
        }
    }

    fn binding(blob: &str) -> Binding {
        Binding {
            commit: "c2".into(),
            rule: CompareRule::Exact,
            deliverables: vec![crate::model::BoundFile {
                path: "design.md".into(),
                blob: blob.into(),
                rule: None,
            }],
            watch: Vec::new(),
            watched: Vec::new(),
        }
    }

    fn renewal<'a>(role: &'a str, bound: &'a Binding) -> Renewal<'a> {
        Renewal {
            approval: "r1",
            role,
            comment: Some("still good"),
            by: "B <b@x>",
            binding: Some(bound),
        }
    }

    #[test]
    fn a_renewal_binds_the_new_content_and_keeps_the_request_granted() {
        let mut f = files(Decision::Approved);
        let bound = binding("b2");
        let events = renew(&mut f, renewal("lead", &bound), AT).unwrap();
        assert_eq!(events[0].event_type, "kiro_approval_decided");
        let request = &f.approvals.as_ref().unwrap()["r1"];
        assert_eq!(request.status, Decision::Approved);
        let lead = &request.approvers[0];
        assert_eq!(lead.binding.as_ref(), Some(&bound));
        assert_eq!(lead.decided_by.as_deref(), Some("B <b@x>"));
        assert_eq!(lead.comments.as_deref(), Some("still good"));
    }

    #[test]
    fn only_a_granted_request_and_a_role_that_approved_it_are_renewed() {
        let bound = binding("b2");
        for status in [Decision::Pending, Decision::Rejected, Decision::Superseded] {
            let mut f = files(status);
            assert!(
                renew(&mut f, renewal("lead", &bound), AT).is_err(),
                "{status:?}"
            );
        }
        let mut f = files(Decision::Approved);
        assert!(matches!(
            renew(&mut f, renewal("qa", &bound), AT),
            Err(Rejection::NotAnApprover { .. })
        ));
    }

    #[test]
    fn a_binding_is_kept_on_the_decision_just_made() {
        let mut f = files(Decision::Approved);
        let bound = binding("b1");
        attach(&mut f, "r1", "lead", "Z <z@x>", &bound);
        assert_eq!(
            f.approvals.as_ref().unwrap()["r1"].approvers[0].binding,
            None
        );
        attach(&mut f, "r1", "lead", "A <a@x>", &bound);
        assert_eq!(
            f.approvals.as_ref().unwrap()["r1"].approvers[0].binding,
            Some(bound)
        );
    }

    #[test]
    fn a_decision_written_before_bindings_still_reads() {
        let old = r#"{"type":"decide_approval","milestone":"m","approval":"r1","role":"lead","decision":"approved","by":"A <a@x>"}"#;
        let op: Result<Op, _> = serde_json::from_str(old);
        match op {
            Ok(Op::DecideApproval { binding, renew, .. }) => {
                assert_eq!(binding, None);
                assert!(!renew);
            }
            other => panic!("{other:?}"),
        }
    }
}
