//! Item 10: every refusal says what to do next (a `hint:` line), across the commands.

const GATED: &str = "\
id: rel
kiro_configuration:
  approval_gates:
    design_to_spec:
      approvers: [lead]
tasks: []
";

#[test]
fn every_refusal_carries_a_hint() {
    let repo = super::repo();
    repo.ok(["new", "v1"]);
    repo.ok(["task", "add", "v1", "api"]);
    let gated = repo.write_file("rel.yaml", GATED);
    repo.ok(["import", gated.to_str().unwrap()]);
    repo.ok(["task", "add", "rel", "s", "--kiro"]);
    repo.ok(["phase", "set", "rel", "s", "design", "completed"]);
    repo.ok(["phase", "advance", "rel", "s"]);
    let approval = repo.json(["approval", "list"])[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    repo.ok(["approval", "approve", &approval, "--role", "lead"]);
    repo.ok(["checkpoint", "create", "v1", "cp"]);
    let refusals: Vec<Vec<&str>> = vec![
        vec!["new", "bad id"],
        vec!["new", "v1"],
        vec!["new", "v2", "--due", "soon"],
        vec!["show", "nope"],
        vec!["task", "add", "v1", "api"],
        vec!["task", "add", "v1", "..x"],
        vec!["task", "start", "v1", "nope"],
        vec!["task", "set", "v1", "api", "done"],
        vec!["task", "rm", "v1", "nope"],
        vec!["task", "mv", "v1", "nope", "x"],
        vec!["rm", "nope"],
        vec!["state", "save", "v1", "{not json"],
        vec!["state", "load", "v1"],
        vec!["event", "add", "v1", "task_added"],
        vec!["event", "add", "v1", "note", "--data", "{"],
        vec!["events", "--since", "soon"],
        vec!["phase", "set", "v1", "api", "design", "completed"],
        vec!["phase", "advance", "v1", "api"],
        vec!["approval", "approve", &approval, "--role", "lead"],
        vec!["approval", "approve", "nope", "--role", "lead"],
        vec!["approval", "show", "nope"],
        vec!["checkpoint", "create", "v1", "cp"],
        vec!["checkpoint", "restore", "v1", "nope"],
        vec!["show", "v1", "--at", "nope"],
        vec!["session", "end"],
        vec!["session", "show", "nope"],
        vec!["sync", "nope"],
        vec!["import", "missing.yaml"],
        vec!["export", "nope"],
    ];
    let mut missing = Vec::new();
    for args in &refusals {
        let err = repo.fails(args, 1);
        if !err.lines().any(|l| l.starts_with("hint: ")) {
            missing.push(format!("{args:?}: {err}"));
        }
    }
    assert!(
        missing.is_empty(),
        "refusals without a hint:\n{}",
        missing.join("\n")
    );
}
