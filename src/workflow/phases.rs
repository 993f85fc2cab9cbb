//! The four-phase workflow: phase status changes, transitions, approval gates and
//! decisions. Pure functions over a milestone's files; the time is passed in.

use std::collections::BTreeMap;

use crate::model::{
    ApprovalRequest, Approver, Decision, Event, EventKind, KiroConfiguration, Milestone,
    MilestoneFiles, Phase, PhaseStatus, TaskId, TaskStatus,
};

use super::{gates, Rejection};

/// Whether leaving `from` for `to` needs approval: the task's
/// `phases.<from>.approval_required` if set, else the milestone's
/// `approval_gates.<from>_to_<to>.required` if set, else true for design and spec,
/// false for task and execute.
pub fn approval_required(
    task_setting: Option<bool>,
    config: Option<&KiroConfiguration>,
    from: Phase,
    to: Phase,
) -> bool {
    let milestone_setting = config
        .and_then(|c| c.approval_gates.get(&gate_name(from, to)))
        .and_then(|g| g.required);
    task_setting
        .or(milestone_setting)
        .unwrap_or(matches!(from, Phase::Design | Phase::Spec))
}

/// `design_to_spec`.
pub fn gate_name(from: Phase, to: Phase) -> String {
    format!("{from}_to_{to}")
}

/// The approval requests of a milestone's files, read or empty.
fn approvals(files: &mut MilestoneFiles) -> &mut BTreeMap<String, ApprovalRequest> {
    files.approvals.get_or_insert_with(BTreeMap::new)
}

/// A phase status change with its timestamp, and the event recording it.
fn set_phase_status(
    definition: &mut Milestone,
    task: &TaskId,
    phase: Phase,
    status: PhaseStatus,
    at: &str,
) -> Result<Event, Rejection> {
    let milestone = definition.id.to_string();
    let workflow = workflow_mut(definition, task)?;
    let state = workflow.phases.get_mut(phase);
    let previous = state.status;
    state.status = status;
    let stamp = Some(at.to_string());
    match status {
        PhaseStatus::InProgress => state.started_at = stamp,
        PhaseStatus::Completed => state.completed_at = stamp,
        PhaseStatus::Approved => state.approved_at = stamp,
        PhaseStatus::Blocked | PhaseStatus::WaitingApproval => state.blocked_at = stamp,
        PhaseStatus::NotStarted => {}
    }
    Ok(Event::of(
        &milestone,
        EventKind::KiroPhaseUpdated {
            task_id: task.clone(),
            phase,
            status,
            previous_status: previous,
        },
    ))
}

fn workflow_mut<'a>(
    definition: &'a mut Milestone,
    task: &TaskId,
) -> Result<&'a mut crate::model::KiroWorkflow, Rejection> {
    let milestone = definition.id.clone();
    let entry = definition
        .task_mut(task)
        .ok_or_else(|| Rejection::NoSuchTask {
            milestone: milestone.clone(),
            task: task.clone(),
        })?;
    match entry.kiro_workflow.as_mut().filter(|w| w.enabled) {
        Some(workflow) => Ok(workflow),
        None => Err(Rejection::NotAWorkflowTask {
            milestone,
            task: task.clone(),
        }),
    }
}

/// A pending task starts when any of its phases does.
fn start_task_if_pending(definition: &mut Milestone, task: &TaskId, events: &mut Vec<Event>) {
    let milestone = definition.id.to_string();
    if let Some(entry) = definition.task_mut(task) {
        if entry.status == TaskStatus::Pending {
            entry.status = TaskStatus::InProgress;
            events.push(task_status_event(
                &milestone,
                task,
                TaskStatus::Pending,
                TaskStatus::InProgress,
            ));
        }
    }
}

fn task_status_event(milestone: &str, task: &TaskId, from: TaskStatus, to: TaskStatus) -> Event {
    Event::of(
        milestone,
        EventKind::TaskStatusChanged {
            task_id: task.clone(),
            previous_status: from,
            new_status: to,
            trailer: None,
            target: None,
            commit: None,
            forced: None,
        },
    )
}

/// `phase set`: one phase's status, as given.
pub fn set_phase(
    files: &mut MilestoneFiles,
    task: &TaskId,
    phase: Phase,
    status: PhaseStatus,
    at: &str,
) -> Result<Vec<Event>, Rejection> {
    let mut events = vec![set_phase_status(
        &mut files.definition,
        task,
        phase,
        status,
        at,
    )?];
    // The transition a pending request asks for is no longer the one waiting.
    events.extend(gates::supersede(files, task, phase, at));
    if status != PhaseStatus::NotStarted {
        start_task_if_pending(&mut files.definition, task, &mut events);
    }
    reopen_if_execute_undone(&mut files.definition, task, phase, status, &mut events);
    Ok(events)
}

/// A completed workflow task whose execute phase is set back to anything but done is
/// in progress again: it is completed only while its execute phase is.
fn reopen_if_execute_undone(
    definition: &mut Milestone,
    task: &TaskId,
    phase: Phase,
    status: PhaseStatus,
    events: &mut Vec<Event>,
) {
    if phase != Phase::Execute || ready_to_advance(status) {
        return;
    }
    let milestone = definition.id.to_string();
    if let Some(entry) = definition.task_mut(task) {
        if entry.status == TaskStatus::Completed {
            entry.status = TaskStatus::InProgress;
            events.push(task_status_event(
                &milestone,
                task,
                TaskStatus::Completed,
                TaskStatus::InProgress,
            ));
        }
    }
}

/// Whether a task's current phase is ready to move on (completed or approved).
pub fn ready_to_advance(status: PhaseStatus) -> bool {
    matches!(status, PhaseStatus::Completed | PhaseStatus::Approved)
}

/// Who asks for a transition: recorded on an approval request it opens.
#[derive(Debug, Clone, Copy)]
pub struct Asker<'a> {
    /// "Name <email>".
    pub by: &'a str,
    /// The operation's unique part of request ids (see [`gates::request_id`]).
    pub nonce: Option<&'a str>,
    /// "manual" or "automatic".
    pub transition_type: &'a str,
    /// The phase the task left where the operation was made (see
    /// [`crate::model::Op::AdvancePhase`]): a task at another phase now refuses the
    /// advance. None: whatever phase it is at.
    pub from: Option<Phase>,
    /// The id of the request the operation opened where it was made: the request
    /// it opens gets this id rather than a new one.
    pub request: Option<&'a str>,
}

/// `phase advance`: moves a completed (or approved) current phase to the next one, or
/// opens an approval request when the move is gated and not yet approved. After
/// execute, the task is completed. A phase not completed is refused.
pub fn advance(
    files: &mut MilestoneFiles,
    task: &TaskId,
    at: &str,
    asker: Asker<'_>,
) -> Result<Vec<Event>, Rejection> {
    let Asker {
        by,
        nonce,
        transition_type,
        ..
    } = asker;
    let milestone = files.definition.id.clone();
    let config = files.definition.kiro_configuration.clone();
    let workflow = workflow_mut(&mut files.definition, task)?;
    let from = workflow.current_phase;
    let state = workflow.phases.get(from).clone();
    if let Some(left) = asker.from.filter(|left| *left != from) {
        return Err(gates::moved_on(
            milestone.as_str(),
            task,
            left,
            (from, state.status),
        ));
    }
    if state.status == PhaseStatus::WaitingApproval {
        let pending = files
            .approvals
            .iter()
            .flat_map(|a| a.values())
            .find(|r| r.task_id == *task && r.from_phase == from && r.status == Decision::Pending)
            .map(|r| r.id.clone())
            .unwrap_or_default();
        return Err(Rejection::WaitingForApproval {
            task: task.clone(),
            approval: pending,
            from,
            to: from.next(),
        });
    }
    gates::check_advance(milestone.as_str(), task, from, state.status)?;
    let mut events = Vec::new();
    let Some(to) = from.next() else {
        // The last phase: finishing it finishes the task.
        return finish_task(files, task, from, state.status, at);
    };
    let gated = approval_required(state.approval_required, config.as_ref(), from, to);
    if gated && state.status != PhaseStatus::Approved {
        let id = next_request_id(files, task, (from, to), nonce, asker.request)?;
        let request = new_request(files, task, (from, to), (at, by, id), config.as_ref());
        events.push(Event::of(
            milestone.as_str(),
            EventKind::KiroApprovalRequested {
                task_id: task.clone(),
                approval_id: request.id.clone(),
                transition: request.transition(),
                from_phase: from,
                to_phase: to,
                approvers: request.approvers.iter().map(|a| a.role.clone()).collect(),
            },
        ));
        approvals(files).insert(request.id.clone(), request);
        events.push(set_phase_status(
            &mut files.definition,
            task,
            from,
            PhaseStatus::WaitingApproval,
            at,
        )?);
        start_task_if_pending(&mut files.definition, task, &mut events);
        return Ok(events);
    }
    events.extend(complete_phase(files, task, from, state.status, at)?);
    events.extend(move_to(files, task, from, to, at, transition_type)?);
    Ok(events)
}

/// `from` completed, unless it is already completed or approved.
fn complete_phase(
    files: &mut MilestoneFiles,
    task: &TaskId,
    from: Phase,
    status: PhaseStatus,
    at: &str,
) -> Result<Option<Event>, Rejection> {
    if ready_to_advance(status) {
        return Ok(None);
    }
    let event = set_phase_status(
        &mut files.definition,
        task,
        from,
        PhaseStatus::Completed,
        at,
    )?;
    Ok(Some(event))
}

/// Advancing past the last phase: it is completed, and so is the task.
fn finish_task(
    files: &mut MilestoneFiles,
    task: &TaskId,
    last: Phase,
    status: PhaseStatus,
    at: &str,
) -> Result<Vec<Event>, Rejection> {
    let mut events: Vec<Event> = complete_phase(files, task, last, status, at)?
        .into_iter()
        .collect();
    let milestone = files.definition.id.to_string();
    let Some(entry) = files.definition.task_mut(task) else {
        return Ok(events);
    };
    if entry.status != TaskStatus::Completed {
        let previous = entry.status;
        entry.status = TaskStatus::Completed;
        events.push(task_status_event(
            &milestone,
            task,
            previous,
            TaskStatus::Completed,
        ));
    }
    Ok(events)
}

/// Moves the current phase from `from` to `to` and starts `to`.
fn move_to(
    files: &mut MilestoneFiles,
    task: &TaskId,
    from: Phase,
    to: Phase,
    at: &str,
    transition_type: &str,
) -> Result<Vec<Event>, Rejection> {
    let milestone = files.definition.id.to_string();
    workflow_mut(&mut files.definition, task)?.current_phase = to;
    let mut events = vec![Event::of(
        &milestone,
        EventKind::KiroPhaseTransition {
            task_id: task.clone(),
            from_phase: from,
            to_phase: to,
            transition_type: transition_type.to_string(),
        },
    )];
    events.push(set_phase_status(
        &mut files.definition,
        task,
        to,
        PhaseStatus::InProgress,
        at,
    )?);
    start_task_if_pending(&mut files.definition, task, &mut events);
    Ok(events)
}

/// `approval-<m>-<t>-<from>-<to>-`: what every request of that transition's id
/// starts with.
fn request_prefix(files: &MilestoneFiles, task: &TaskId, (from, to): (Phase, Phase)) -> String {
    format!("approval-{}-{task}-{from}-{to}-", files.definition.id)
}

/// The id of a new request of `task` for `from → to`: `recorded` (the id the
/// operation opened where it was made), which must be one of that transition and not
/// taken; else a new one, numbered after the requests of that transition here.
fn next_request_id(
    files: &MilestoneFiles,
    task: &TaskId,
    transition: (Phase, Phase),
    nonce: Option<&str>,
    recorded: Option<&str>,
) -> Result<String, Rejection> {
    let prefix = request_prefix(files, task, transition);
    if let Some(id) = recorded {
        return recorded_request_id(files, &prefix, id);
    }
    // A new id each time the transition is asked again, so earlier (rejected)
    // requests stay on record.
    let number = files
        .approvals
        .iter()
        .flat_map(|a| a.keys())
        .filter(|id| id.starts_with(&prefix))
        .count()
        + 1;
    Ok(gates::request_id(&prefix, number, nonce))
}

/// A request id an operation recorded, checked: `<prefix><n>[-<nonce>]`, and no
/// request of this milestone has it yet (it names a file, and must never replace
/// another request).
fn recorded_request_id(
    files: &MilestoneFiles,
    prefix: &str,
    id: &str,
) -> Result<String, Rejection> {
    let rest = id.strip_prefix(prefix).unwrap_or_default();
    let (number, nonce) = rest.split_once('-').unwrap_or((rest, "a"));
    let shaped = !number.is_empty()
        && number.bytes().all(|b| b.is_ascii_digit())
        && !nonce.is_empty()
        && nonce.bytes().all(|b| b.is_ascii_alphanumeric());
    let taken = files.approvals.as_ref().is_some_and(|a| a.contains_key(id));
    if !shaped || taken {
        return Err(Rejection::Invalid(format!(
            "the recorded approval request {id:?} is not a new request of {}",
            prefix.trim_end_matches('-')
        )));
    }
    Ok(id.to_string())
}

fn new_request(
    files: &MilestoneFiles,
    task: &TaskId,
    (from, to): (Phase, Phase),
    (at, by, id): (&str, &str, String),
    config: Option<&KiroConfiguration>,
) -> ApprovalRequest {
    let milestone = &files.definition.id;
    let gate = config.and_then(|c| c.approval_gates.get(&gate_name(from, to)));
    let approvers: Vec<Approver> = gate
        .map(|g| g.approvers.iter().map(|r| Approver::pending(r)).collect())
        .unwrap_or_default();
    let deliverables = files
        .definition
        .task(task)
        .and_then(|t| t.kiro_workflow.as_ref())
        .map(|w| w.phases.get(from).deliverables.clone())
        .unwrap_or_default();
    ApprovalRequest {
        id,
        milestone_id: milestone.clone(),
        task_id: task.clone(),
        from_phase: from,
        to_phase: to,
        status: Decision::Pending,
        requested_at: at.to_string(),
        requested_by: Some(by.to_string()),
        decided_at: None,
        open_to_anyone: approvers.is_empty(),
        approvers,
        criteria: gate.map(|g| g.criteria.clone()).unwrap_or_default(),
        deliverables,
        ignored: Vec::new(),
    }
}

/// One role's decision on a request. When no role is pending any more, a rejection
/// rejects the request and blocks the phase; otherwise the request is granted, the
/// phase approved and the next one started.
pub fn decide(
    files: &mut MilestoneFiles,
    approval: &str,
    role: &str,
    decision: Decision,
    comment: Option<&str>,
    by: &str,
    at: &str,
) -> Result<Vec<Event>, Rejection> {
    if decision == Decision::Pending {
        return Err(Rejection::Invalid("a decision is approve or reject".into()));
    }
    let id = files.definition.id.clone();
    let missing = || Rejection::NoSuchApproval {
        milestone: id.clone(),
        approval: approval.to_string(),
    };
    let found = files.approvals.as_ref().and_then(|a| a.get(approval));
    gates::check_decision(files, found.ok_or_else(missing)?)?;
    let event = record_decision(files, approval, (role, decision), comment, by, at)?;
    let request = approvals(files)
        .get(approval)
        .cloned()
        .ok_or_else(missing)?;
    let mut events = vec![event];
    if !request.pending_roles().is_empty() {
        return Ok(events);
    }
    events.extend(close_request(files, &request, at)?);
    Ok(events)
}

/// Records one role's decision on request `approval` (`anyone`'s, once, on a gate
/// without approvers) and returns its event; whether the request closes is the
/// caller's. Each role decides once.
pub fn record_decision(
    files: &mut MilestoneFiles,
    approval: &str,
    (role, decision): (&str, Decision),
    comment: Option<&str>,
    by: &str,
    at: &str,
) -> Result<Event, Rejection> {
    if decision == Decision::Pending {
        return Err(Rejection::Invalid("a decision is approve or reject".into()));
    }
    let milestone = files.definition.id.to_string();
    let missing = Rejection::NoSuchApproval {
        milestone: files.definition.id.clone(),
        approval: approval.to_string(),
    };
    let request = approvals(files).get_mut(approval).ok_or(missing)?;
    let decided = |a: &mut Approver| {
        a.status = decision;
        a.decided_by = Some(by.to_string());
        a.decided_at = Some(at.to_string());
        a.comments = comment.map(str::to_string);
    };
    if request.open_to_anyone {
        // A gate without approvers takes one decision, from anyone.
        if let Some(first) = request.approvers.first() {
            return Err(Rejection::AlreadyDecided {
                approval: approval.to_string(),
                role: first.role.clone(),
                decision: first.status,
            });
        }
        let mut approver = Approver::pending(role);
        decided(&mut approver);
        request.approvers.push(approver);
    } else {
        let roles: Vec<String> = request.approvers.iter().map(|a| a.role.clone()).collect();
        let Some(approver) = request.approvers.iter_mut().find(|a| a.role == role) else {
            return Err(Rejection::NotAnApprover {
                approval: approval.to_string(),
                role: role.to_string(),
                approvers: roles,
            });
        };
        if approver.status != Decision::Pending {
            return Err(Rejection::AlreadyDecided {
                approval: approval.to_string(),
                role: role.to_string(),
                decision: approver.status,
            });
        }
        decided(approver);
    }
    Ok(Event::of(
        &milestone,
        EventKind::KiroApprovalDecided {
            approval_id: approval.to_string(),
            task_id: request.task_id.clone(),
            role: role.to_string(),
            decision,
            comments: comment.map(str::to_string),
            pending: request
                .pending_roles()
                .into_iter()
                .map(str::to_string)
                .collect(),
        },
    ))
}

/// In a merge, the request a concurrent `phase advance` opened in its own clone, for
/// the transition that `pending` (the earlier one in merge order) already asks for:
/// kept on record as `superseded`, under the id its clone gave it (the same number as
/// `pending`, its own nonce), so that its clone's decisions still find it. None when
/// it cannot have its own id (an operation from before nonces). Operations that
/// record the request they opened are kept with [`keep_superseded`] directly.
pub fn twin_request(
    files: &mut MilestoneFiles,
    task: &TaskId,
    pending: &str,
    (at, by, nonce): (&str, &str, &str),
) -> Option<Vec<Event>> {
    let request = files.approvals.as_ref()?.get(pending)?;
    let transition = (request.from_phase, request.to_phase);
    let prefix = request_prefix(files, task, transition);
    let number: usize = pending
        .strip_prefix(&prefix)?
        .split('-')
        .next()?
        .parse()
        .ok()?;
    if nonce.is_empty() {
        return None;
    }
    let id = gates::request_id(&prefix, number, Some(nonce));
    keep_superseded(files, task, transition, &id, (at, by))
}

/// In a merge, a request that an operation opened in its own clone, replayed where it
/// no longer opens (the task is waiting on a twin request, has moved on, or moves
/// without a gate now): kept on record as `superseded` under the id its clone gave
/// it, so that the decisions made on it there stay on it. None when the task is gone
/// or the id is not a new one of that transition.
pub fn keep_superseded(
    files: &mut MilestoneFiles,
    task: &TaskId,
    (from, to): (Phase, Phase),
    id: &str,
    (at, by): (&str, &str),
) -> Option<Vec<Event>> {
    files.definition.task(task)?;
    let prefix = request_prefix(files, task, (from, to));
    let id = recorded_request_id(files, &prefix, id).ok()?;
    let config = files.definition.kiro_configuration.clone();
    let mut kept = new_request(files, task, (from, to), (at, by, id), config.as_ref());
    let milestone = files.definition.id.to_string();
    let requested = Event::of(
        &milestone,
        EventKind::KiroApprovalRequested {
            task_id: task.clone(),
            approval_id: kept.id.clone(),
            transition: kept.transition(),
            from_phase: from,
            to_phase: to,
            approvers: kept.approvers.iter().map(|a| a.role.clone()).collect(),
        },
    );
    kept.status = Decision::Superseded;
    kept.decided_at = Some(at.to_string());
    let superseded = Event::of(
        &milestone,
        EventKind::KiroApprovalSuperseded {
            task_id: task.clone(),
            approval_id: kept.id.clone(),
            transition: kept.transition(),
        },
    );
    approvals(files).insert(kept.id.clone(), kept);
    Some(vec![requested, superseded])
}

/// A request every role has decided: any rejection rejects it and blocks the phase;
/// otherwise it is granted, the phase approved and the next one started.
fn close_request(
    files: &mut MilestoneFiles,
    request: &ApprovalRequest,
    at: &str,
) -> Result<Vec<Event>, Rejection> {
    let milestone = files.definition.id.to_string();
    let approval = request.id.as_str();
    let mut events = Vec::new();
    let rejected_by: Vec<&str> = request
        .approvers
        .iter()
        .filter(|a| a.status == Decision::Rejected)
        .map(|a| a.role.as_str())
        .collect();
    let outcome = if rejected_by.is_empty() {
        Decision::Approved
    } else {
        Decision::Rejected
    };
    if let Some(stored) = approvals(files).get_mut(approval) {
        stored.status = outcome;
        stored.decided_at = Some(at.to_string());
    }
    let task = &request.task_id;
    if outcome == Decision::Rejected {
        events.push(Event::of(
            &milestone,
            EventKind::KiroApprovalRejected {
                task_id: task.clone(),
                approval_id: approval.to_string(),
                transition: request.transition(),
                rejected_by: rejected_by.iter().map(|r| r.to_string()).collect(),
            },
        ));
        events.push(set_phase_status(
            &mut files.definition,
            task,
            request.from_phase,
            PhaseStatus::Blocked,
            at,
        )?);
        return Ok(events);
    }
    events.push(Event::of(
        &milestone,
        EventKind::KiroApprovalGranted {
            task_id: task.clone(),
            approval_id: approval.to_string(),
            transition: request.transition(),
        },
    ));
    events.push(set_phase_status(
        &mut files.definition,
        task,
        request.from_phase,
        PhaseStatus::Approved,
        at,
    )?);
    events.extend(move_to(
        files,
        task,
        request.from_phase,
        request.to_phase,
        at,
        "approval",
    )?);
    Ok(events)
}

/// Every ready transition of every workflow task: a completed or approved current
/// phase moves on (or asks for approval), a finished execute phase completes the task.
pub fn monitor(
    files: &mut MilestoneFiles,
    at: &str,
    by: &str,
    nonce: Option<&str>,
) -> Result<Vec<Event>, Rejection> {
    let ready: Vec<TaskId> = files
        .definition
        .tasks
        .iter()
        .filter(|t| t.status != TaskStatus::Completed)
        .filter_map(|t| {
            let w = t.workflow()?;
            ready_to_advance(w.phases.get(w.current_phase).status).then(|| t.id.clone())
        })
        .collect();
    let mut events = Vec::new();
    for task in ready {
        let asker = Asker {
            by,
            nonce,
            transition_type: "automatic",
            from: None,
            request: None,
        };
        events.extend(advance(files, &task, at, asker)?);
    }
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ApprovalGate, MilestoneId, Task};

    const AT: &str = "2026-01-01T00:00:00.000Z";

    #[test]
    fn approval_required_table() {
        // (from, to, task setting, milestone setting, expected)
        let transitions = [
            (Phase::Design, Phase::Spec, true),
            (Phase::Spec, Phase::Task, true),
            (Phase::Task, Phase::Execute, false),
        ];
        let settings = [None, Some(true), Some(false)];
        for (from, to, default) in transitions {
            for task_setting in settings {
                for milestone_setting in settings {
                    let mut config = KiroConfiguration::default();
                    if let Some(required) = milestone_setting {
                        config.approval_gates.insert(
                            gate_name(from, to),
                            ApprovalGate {
                                required: Some(required),
                                ..Default::default()
                            },
                        );
                    }
                    let expected = task_setting.or(milestone_setting).unwrap_or(default);
                    assert_eq!(
                        approval_required(task_setting, Some(&config), from, to),
                        expected,
                        "{from}→{to} task={task_setting:?} milestone={milestone_setting:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn defaults_apply_without_any_configuration() {
        // The reference's `yq … || echo default` never fell back: here it does.
        assert!(approval_required(None, None, Phase::Design, Phase::Spec));
        assert!(approval_required(None, None, Phase::Spec, Phase::Task));
        assert!(!approval_required(None, None, Phase::Task, Phase::Execute));
        let gate_without_required = KiroConfiguration {
            approval_gates: [(
                "design_to_spec".to_string(),
                ApprovalGate {
                    approvers: vec!["lead".into()],
                    ..Default::default()
                },
            )]
            .into(),
            ..Default::default()
        };
        assert!(approval_required(
            None,
            Some(&gate_without_required),
            Phase::Design,
            Phase::Spec
        ));
    }

    fn files(approvers: &[&str]) -> MilestoneFiles {
        let mut definition = Milestone::new(MilestoneId::new("m").unwrap());
        definition
            .tasks
            .push(Task::new(TaskId::new("t").unwrap(), String::new(), true));
        let mut config = KiroConfiguration::default();
        config.approval_gates.insert(
            "design_to_spec".into(),
            ApprovalGate {
                approvers: approvers.iter().map(|s| s.to_string()).collect(),
                criteria: vec!["reviewed".into()],
                ..Default::default()
            },
        );
        definition.kiro_configuration = Some(config);
        MilestoneFiles {
            definition,
            state: None,
            sessions: None,
            approvals: None,
        }
    }

    fn t() -> TaskId {
        TaskId::new("t").unwrap()
    }

    fn phase(files: &MilestoneFiles, p: Phase) -> PhaseStatus {
        files.definition.tasks[0]
            .workflow()
            .unwrap()
            .phases
            .get(p)
            .status
    }

    /// `phase advance` as "me", with no nonce (the ids of the tests stay readable).
    fn adv(f: &mut MilestoneFiles) -> Result<Vec<Event>, Rejection> {
        let asker = Asker {
            by: "me",
            nonce: None,
            transition_type: "manual",
            from: None,
            request: None,
        };
        advance(f, &t(), AT, asker)
    }

    /// `phase set … completed` of the task's current phase.
    fn complete_current(f: &mut MilestoneFiles) {
        let phase = current(f);
        set_phase(f, &t(), phase, PhaseStatus::Completed, AT).unwrap();
    }

    fn current(files: &MilestoneFiles) -> Phase {
        files.definition.tasks[0].workflow().unwrap().current_phase
    }

    #[test]
    fn gated_advance_opens_a_request_and_waits() {
        let mut f = files(&["lead", "qa"]);
        assert!(
            matches!(adv(&mut f), Err(Rejection::Gate { .. })),
            "design not completed"
        );
        complete_current(&mut f);
        let events = adv(&mut f).unwrap();
        assert_eq!(events[0].event_type, "kiro_approval_requested");
        assert_eq!(phase(&f, Phase::Design), PhaseStatus::WaitingApproval);
        assert_eq!(f.definition.tasks[0].status, TaskStatus::InProgress);
        let request = f.approvals.as_ref().unwrap().values().next().unwrap();
        assert_eq!(request.id, "approval-m-t-design-spec-1");
        assert_eq!(request.pending_roles(), ["lead", "qa"]);
        assert_eq!(request.criteria, ["reviewed"]);
        assert!(adv(&mut f).is_err(), "still waiting");
    }

    #[test]
    fn all_approvals_grant_and_start_the_next_phase() {
        let mut f = files(&["lead", "qa"]);
        complete_current(&mut f);
        adv(&mut f).unwrap();
        let id = "approval-m-t-design-spec-1";
        let first = decide(&mut f, id, "lead", Decision::Approved, None, "a", AT).unwrap();
        assert_eq!(first.len(), 1, "waits for qa");
        assert!(
            decide(&mut f, id, "lead", Decision::Approved, None, "a", AT).is_err(),
            "once per role"
        );
        assert!(
            decide(&mut f, id, "dev", Decision::Approved, None, "a", AT).is_err(),
            "unlisted role"
        );
        let last = decide(&mut f, id, "qa", Decision::Approved, Some("ok"), "b", AT).unwrap();
        let types: Vec<_> = last.iter().map(|e| e.event_type.as_str()).collect();
        assert_eq!(
            types,
            [
                "kiro_approval_decided",
                "kiro_approval_granted",
                "kiro_phase_updated",
                "kiro_phase_transition",
                "kiro_phase_updated"
            ]
        );
        assert_eq!(phase(&f, Phase::Design), PhaseStatus::Approved);
        assert_eq!(phase(&f, Phase::Spec), PhaseStatus::InProgress);
        assert_eq!(current(&f), Phase::Spec);
        let request = &f.approvals.as_ref().unwrap()[id];
        assert_eq!(request.status, Decision::Approved);
        assert_eq!(request.approvers[1].comments.as_deref(), Some("ok"));
        assert_eq!(request.approvers[1].decided_by.as_deref(), Some("b"));
    }

    #[test]
    fn a_rejection_blocks_and_a_re_request_gets_a_new_id() {
        let mut f = files(&["lead", "qa"]);
        complete_current(&mut f);
        adv(&mut f).unwrap();
        let id = "approval-m-t-design-spec-1";
        decide(&mut f, id, "lead", Decision::Rejected, Some("no"), "a", AT).unwrap();
        let events = decide(&mut f, id, "qa", Decision::Approved, None, "b", AT).unwrap();
        assert!(events
            .iter()
            .any(|e| e.event_type == "kiro_approval_rejected"));
        assert_eq!(phase(&f, Phase::Design), PhaseStatus::Blocked);
        assert_eq!(current(&f), Phase::Design);
        assert!(
            adv(&mut f).is_err(),
            "a blocked phase is completed again first"
        );
        complete_current(&mut f);
        adv(&mut f).unwrap();
        let approvals = f.approvals.as_ref().unwrap();
        assert_eq!(approvals.len(), 2, "the rejected request stays on record");
        assert_eq!(approvals[id].status, Decision::Rejected);
        assert!(approvals.contains_key("approval-m-t-design-spec-2"));
    }

    #[test]
    fn a_gate_without_approvers_takes_one_decision_from_anyone() {
        let mut f = files(&[]);
        complete_current(&mut f);
        adv(&mut f).unwrap();
        let events = decide(
            &mut f,
            "approval-m-t-design-spec-1",
            "anyone",
            Decision::Approved,
            None,
            "x",
            AT,
        )
        .unwrap();
        assert!(events
            .iter()
            .any(|e| e.event_type == "kiro_approval_granted"));
        assert_eq!(current(&f), Phase::Spec);
    }

    #[test]
    fn ungated_phases_move_directly_and_execute_completes_the_task() {
        let mut f = files(&[]);
        let w = f.definition.tasks[0].kiro_workflow.as_mut().unwrap();
        w.current_phase = Phase::Task;
        w.phases.task.status = PhaseStatus::Completed;
        let events = adv(&mut f).unwrap();
        assert_eq!(events[0].event_type, "kiro_phase_transition");
        assert_eq!(current(&f), Phase::Execute);
        assert!(adv(&mut f).is_err(), "execute is not completed yet");
        complete_current(&mut f);
        adv(&mut f).unwrap();
        assert_eq!(phase(&f, Phase::Execute), PhaseStatus::Completed);
        assert_eq!(f.definition.tasks[0].status, TaskStatus::Completed);
    }

    #[test]
    fn monitor_moves_only_ready_tasks() {
        let mut f = files(&[]);
        let mut second = Task::new(TaskId::new("u").unwrap(), String::new(), true);
        second.kiro_workflow.as_mut().unwrap().phases.design.status = PhaseStatus::InProgress;
        f.definition.tasks.push(second);
        f.definition.tasks[0]
            .kiro_workflow
            .as_mut()
            .unwrap()
            .phases
            .design
            .status = PhaseStatus::Completed;
        let events = monitor(&mut f, AT, "me", None).unwrap();
        assert!(events.iter().all(|e| e.data["task_id"] != "u"));
        assert_eq!(phase(&f, Phase::Design), PhaseStatus::WaitingApproval);
        assert!(
            monitor(&mut f, AT, "me", None).unwrap().is_empty(),
            "nothing ready now"
        );
    }

    #[test]
    fn a_request_whose_phase_was_set_again_is_superseded_and_cannot_be_decided() {
        let mut f = files(&[]);
        complete_current(&mut f);
        adv(&mut f).unwrap();
        let first = "approval-m-t-design-spec-1";
        complete_current(&mut f);
        assert_eq!(
            f.approvals.as_ref().unwrap()[first].status,
            Decision::Superseded
        );
        adv(&mut f).unwrap();
        let second = "approval-m-t-design-spec-2";
        decide(&mut f, second, "anyone", Decision::Approved, None, "x", AT).unwrap();
        assert_eq!(current(&f), Phase::Spec);
        // Deciding the old request would take the task back to spec from wherever it
        // is; it is refused, and nothing moves.
        let before = f.clone();
        assert!(matches!(
            decide(&mut f, first, "anyone", Decision::Approved, None, "x", AT),
            Err(Rejection::Gate { .. })
        ));
        assert_eq!(f, before);
    }

    #[test]
    fn undoing_execute_reopens_a_completed_task() {
        let mut f = files(&[]);
        let w = f.definition.tasks[0].kiro_workflow.as_mut().unwrap();
        w.current_phase = Phase::Execute;
        f.definition.tasks[0].status = TaskStatus::Completed;
        set_phase(&mut f, &t(), Phase::Design, PhaseStatus::InProgress, AT).unwrap();
        assert_eq!(
            f.definition.tasks[0].status,
            TaskStatus::Completed,
            "not execute"
        );
        set_phase(&mut f, &t(), Phase::Execute, PhaseStatus::InProgress, AT).unwrap();
        assert_eq!(f.definition.tasks[0].status, TaskStatus::InProgress);
    }

    #[test]
    fn a_nonce_makes_the_request_id_unique() {
        let mut f = files(&[]);
        complete_current(&mut f);
        let asker = Asker {
            by: "me",
            nonce: Some("a1b2c3"),
            transition_type: "manual",
            from: None,
            request: None,
        };
        advance(&mut f, &t(), AT, asker).unwrap();
        assert!(f
            .approvals
            .as_ref()
            .unwrap()
            .contains_key("approval-m-t-design-spec-1-a1b2c3"));
    }

    #[test]
    fn a_twin_request_is_kept_superseded_under_its_own_id_and_keeps_its_decisions() {
        let mut f = files(&["lead", "qa"]);
        complete_current(&mut f);
        let asker = Asker {
            by: "alice",
            nonce: Some("aaaaaa"),
            transition_type: "manual",
            from: None,
            request: None,
        };
        advance(&mut f, &t(), AT, asker).unwrap();
        let first = "approval-m-t-design-spec-1-aaaaaa";
        let events = twin_request(&mut f, &t(), first, (AT, "bob", "bbbbbb")).unwrap();
        let types: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
        assert_eq!(
            types,
            ["kiro_approval_requested", "kiro_approval_superseded"]
        );
        let twin = "approval-m-t-design-spec-1-bbbbbb";
        let stored = &f.approvals.as_ref().unwrap()[twin];
        assert_eq!(stored.status, Decision::Superseded);
        assert_eq!(stored.requested_by.as_deref(), Some("bob"));
        assert_eq!(stored.pending_roles(), ["lead", "qa"]);
        // The same twin twice, or one without its own nonce, is not made again.
        assert!(twin_request(&mut f, &t(), first, (AT, "bob", "bbbbbb")).is_none());
        assert!(twin_request(&mut f, &t(), first, (AT, "bob", "")).is_none());
        assert!(twin_request(&mut f, &t(), "no-such-request", (AT, "bob", "cccccc")).is_none());

        // Its clone's decision stays on it, once per role; the task does not move.
        let ballot = (("lead", Decision::Approved), Some("ok"), "bob");
        let (role, comment, by) = ballot;
        let event = record_decision(&mut f, twin, role, comment, by, AT).unwrap();
        assert_eq!(event.event_type, "kiro_approval_decided");
        assert_eq!(event.data["pending"], serde_json::json!(["qa"]));
        assert!(matches!(
            record_decision(&mut f, twin, role, comment, by, AT),
            Err(Rejection::AlreadyDecided { .. })
        ));
        let stored = &f.approvals.as_ref().unwrap()[twin];
        assert_eq!(stored.status, Decision::Superseded);
        assert_eq!(stored.approvers[0].comments.as_deref(), Some("ok"));
        assert_eq!(phase(&f, Phase::Design), PhaseStatus::WaitingApproval);
        assert_eq!(current(&f), Phase::Design);
    }

    #[test]
    fn phase_timestamps_are_recorded() {
        let mut f = files(&[]);
        set_phase(&mut f, &t(), Phase::Design, PhaseStatus::InProgress, AT).unwrap();
        set_phase(&mut f, &t(), Phase::Design, PhaseStatus::Completed, "later").unwrap();
        let design = &f.definition.tasks[0].workflow().unwrap().phases.design;
        assert_eq!(design.started_at.as_deref(), Some(AT));
        assert_eq!(design.completed_at.as_deref(), Some("later"));
    }

    #[test]
    fn plain_tasks_are_refused() {
        let mut f = files(&[]);
        f.definition.tasks[0].kiro_workflow = None;
        assert!(adv(&mut f).is_err());
        assert!(set_phase(&mut f, &t(), Phase::Spec, PhaseStatus::Completed, AT).is_err());
    }
}
