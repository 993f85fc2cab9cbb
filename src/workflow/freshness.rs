//! Whether an approval still covers what it approved, derived on read and never
//! stored, so every clone that has the same objects says the same thing. The store
//! reports each bound file's state at the target revision; these rules turn that into
//! a verdict, choose which files a role's approval follows (`covers`), say which
//! approvals a task relies on, and whether a gate still holds (`on_stale`).

use serde::Serialize;

use crate::model::{
    ApprovalGate, ApprovalRequest, Binding, BoundFile, Decision, MilestoneFiles, OnStale,
    TaskStatus,
};

use super::phases::gate_name;

/// One bound file at the target revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileState {
    /// The same content under the rule.
    Same,
    /// Different content (or, for watched code, a file that appeared).
    Changed,
    /// No longer there.
    Gone,
    /// The bound objects (or the target) are not in this clone.
    Unknown,
}

/// A bound file and its state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileCheck {
    /// Its repository path.
    pub path: String,
    /// Its state at the target.
    pub state: FileState,
}

/// Where one decision stands against the files it bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Freshness {
    /// Every followed file has the approved content.
    Fresh,
    /// A followed file changed.
    Stale,
    /// A followed file is gone.
    Missing,
    /// The bound objects are not in this clone: never counted as fresh.
    Unverifiable,
    /// Decided before decisions were bound: counted, and flagged.
    Unbound,
}

impl Freshness {
    /// The name users and JSON see.
    pub fn as_str(self) -> &'static str {
        match self {
            Freshness::Fresh => "fresh",
            Freshness::Stale => "stale",
            Freshness::Missing => "missing",
            Freshness::Unverifiable => "unverifiable",
            Freshness::Unbound => "unbound",
        }
    }
}

/// A decision's freshness and the files that make it so (those not the same).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// The verdict.
    pub freshness: Freshness,
    /// The files that are not the same, in binding order.
    pub files: Vec<FileCheck>,
}

/// The verdict over the checked files of a binding, `None` for an unbound decision.
/// An unknown file makes the whole unverifiable, before a gone one, before a changed one.
pub fn verdict(checks: Option<Vec<FileCheck>>) -> Verdict {
    let Some(checks) = checks else {
        return Verdict {
            freshness: Freshness::Unbound,
            files: Vec::new(),
        };
    };
    let any = |state| checks.iter().any(|c| c.state == state);
    let freshness = if any(FileState::Unknown) {
        Freshness::Unverifiable
    } else if any(FileState::Gone) {
        Freshness::Missing
    } else if any(FileState::Changed) {
        Freshness::Stale
    } else {
        Freshness::Fresh
    };
    let files = checks
        .into_iter()
        .filter(|c| c.state != FileState::Same)
        .collect();
    Verdict { freshness, files }
}

/// Whether a `covers` entry (a path, a bare file name or a glob) names `path`.
pub fn names(entry: &str, path: &str) -> bool {
    entry == path || path.rsplit('/').next() == Some(entry) || super::glob::matches(entry, path)
}

/// The deliverables of `binding` that `role`'s approval follows: those its `covers`
/// entry names, or all of them when the gate lists no `covers` for the role.
pub fn followed<'a>(
    binding: &'a Binding,
    role: &str,
    gate: Option<&ApprovalGate>,
) -> Vec<&'a BoundFile> {
    let entries = gate.and_then(|g| g.covers.get(role));
    binding
        .deliverables
        .iter()
        .filter(|file| entries.is_none_or(|e| e.iter().any(|entry| names(entry, &file.path))))
        .collect()
}

/// Whether a decision in this state still satisfies its gate: a stale, missing or
/// unverifiable one does not under `on_stale: block`.
pub fn satisfies(freshness: Freshness, on_stale: OnStale) -> bool {
    match freshness {
        Freshness::Fresh | Freshness::Unbound => true,
        Freshness::Stale | Freshness::Missing | Freshness::Unverifiable => {
            on_stale != OnStale::Block
        }
    }
}

/// The gate a request went through, as the milestone configures it now.
pub fn gate_of<'a>(
    files: &'a MilestoneFiles,
    request: &ApprovalRequest,
) -> Option<&'a ApprovalGate> {
    let config = files.definition.kiro_configuration.as_ref()?;
    config
        .approval_gates
        .get(&gate_name(request.from_phase, request.to_phase))
}

/// The granted requests that the milestone's tasks not yet completed rely on: for
/// each task and transition, the newest one granted.
pub fn relied_on(files: &MilestoneFiles) -> Vec<&ApprovalRequest> {
    let Some(approvals) = &files.approvals else {
        return Vec::new();
    };
    let open = |r: &ApprovalRequest| {
        files
            .definition
            .task(&r.task_id)
            .is_some_and(|t| t.status != TaskStatus::Completed && t.workflow().is_some())
    };
    let mut newest: std::collections::BTreeMap<_, &ApprovalRequest> = Default::default();
    for request in approvals.values() {
        if request.status != Decision::Approved || !open(request) {
            continue;
        }
        let key = (request.task_id.clone(), request.from_phase);
        let newer = newest
            .get(&key)
            .is_none_or(|old| (&old.requested_at, &old.id) < (&request.requested_at, &request.id));
        if newer {
            newest.insert(key, request);
        }
    }
    newest.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::CompareRule;

    fn check(path: &str, state: FileState) -> FileCheck {
        FileCheck {
            path: path.into(),
            state,
        }
    }

    #[test]
    fn the_verdict_names_the_worst_state_and_the_files_in_it() {
        use FileState::*;
        let cases = [
            (vec![], Freshness::Fresh),
            (vec![check("a", Same)], Freshness::Fresh),
            (
                vec![check("a", Same), check("b", Changed)],
                Freshness::Stale,
            ),
            (
                vec![check("a", Gone), check("b", Changed)],
                Freshness::Missing,
            ),
            (
                vec![check("a", Gone), check("b", Unknown)],
                Freshness::Unverifiable,
            ),
        ];
        for (checks, want) in cases {
            let changed = checks.iter().filter(|c| c.state != Same).count();
            let got = verdict(Some(checks));
            assert_eq!(got.freshness, want);
            assert_eq!(got.files.len(), changed);
        }
        assert_eq!(verdict(None).freshness, Freshness::Unbound);
    }

    #[test]
    fn only_block_lets_a_stale_approval_hold_the_gate_back() {
        use Freshness::*;
        for freshness in [Fresh, Stale, Missing, Unverifiable, Unbound] {
            let good = matches!(freshness, Fresh | Unbound);
            assert_eq!(satisfies(freshness, OnStale::Block), good, "{freshness:?}");
            assert!(satisfies(freshness, OnStale::Warn));
            assert!(satisfies(freshness, OnStale::Off));
        }
    }

    fn binding(paths: &[&str]) -> Binding {
        Binding {
            commit: "c".into(),
            rule: CompareRule::Exact,
            deliverables: paths
                .iter()
                .map(|p| BoundFile {
                    path: p.to_string(),
                    blob: "b".into(),
                    rule: None,
                })
                .collect(),
            watch: Vec::new(),
            watched: Vec::new(),
        }
    }

    #[test]
    fn a_role_follows_what_it_covers_or_everything() {
        let bound = binding(&["spec/requirements.md", "spec/design.md", "api/v1.json"]);
        let gate = ApprovalGate {
            covers: [
                ("product".to_string(), vec!["requirements.md".to_string()]),
                ("api".to_string(), vec!["api/*.json".to_string()]),
                ("arch".to_string(), vec!["spec/design.md".to_string()]),
            ]
            .into(),
            ..Default::default()
        };
        let paths = |role| -> Vec<&str> {
            followed(&bound, role, Some(&gate))
                .iter()
                .map(|f| f.path.as_str())
                .collect()
        };
        assert_eq!(paths("product"), ["spec/requirements.md"]);
        assert_eq!(paths("api"), ["api/v1.json"]);
        assert_eq!(paths("arch"), ["spec/design.md"]);
        assert_eq!(paths("qa").len(), 3, "a role not listed follows them all");
        assert_eq!(followed(&bound, "qa", None).len(), 3);
    }

    #[test]
    fn a_task_relies_on_the_newest_granted_request_of_each_transition_until_done() {
        use crate::model::{
            ApprovalRequest, Milestone, MilestoneId, Phase, Task, TaskId, TaskStatus,
        };
        let request =
            |id: &str, task: &str, from: Phase, status: Decision, at: &str| ApprovalRequest {
                id: id.into(),
                from_phase: from,
                to_phase: from.next().unwrap(),
                status,
                requested_at: at.into(),
                ..ApprovalRequest::sample("m", task)
            };
        let mut definition = Milestone::new(MilestoneId::new("m").unwrap());
        for (id, status) in [
            ("w", TaskStatus::InProgress),
            ("done", TaskStatus::Completed),
        ] {
            let mut task = Task::new(TaskId::new(id).unwrap(), String::new(), true);
            task.status = status;
            definition.tasks.push(task);
        }
        definition.tasks.push(Task::new(
            TaskId::new("plain").unwrap(),
            String::new(),
            false,
        ));
        let requests = [
            request("old", "w", Phase::Design, Decision::Approved, "2026-01-01"),
            request("new", "w", Phase::Design, Decision::Approved, "2026-01-02"),
            request("spec", "w", Phase::Spec, Decision::Approved, "2026-01-03"),
            request("no", "w", Phase::Spec, Decision::Rejected, "2026-01-04"),
            request(
                "finished",
                "done",
                Phase::Design,
                Decision::Approved,
                "2026-01-01",
            ),
            request(
                "plain",
                "plain",
                Phase::Design,
                Decision::Approved,
                "2026-01-01",
            ),
        ];
        let files = MilestoneFiles {
            definition,
            state: None,
            sessions: None,
            approvals: Some(requests.into_iter().map(|r| (r.id.clone(), r)).collect()),
        };
        let ids: Vec<&str> = relied_on(&files).iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["new", "spec"]);
    }
}
