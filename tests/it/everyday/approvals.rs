//! Item 3: `approval show <id>`, text and JSON; item 5: `import -`.

use super::{fails_now, ok_now};
use crate::common::{expect_ok, TestRepo};

const GATED: &str = "\
id: rel
title: Release
kiro_configuration:
  approval_gates:
    design_to_spec:
      approvers: [lead, qa]
      criteria: [Design reviewed, Risks listed]
tasks: []
";

/// A repository with one request on rel/search, decided by lead, waiting for qa.
fn with_request() -> (TestRepo, String) {
    let repo = TestRepo::new();
    let mut import = repo.cmd();
    import
        .args(["import", "-"])
        .env("GIT_COMMITTER_DATE", super::NOW);
    let said = expect_ok(
        &crate::common::output_of(&mut import, Some(GATED)),
        "import -",
    );
    assert_eq!(said.trim(), "Imported milestone rel (0 tasks).");
    ok_now(&repo, ["task", "add", "rel", "search", "--kiro"]);
    ok_now(
        &repo,
        ["phase", "set", "rel", "search", "design", "completed"],
    );
    ok_now(&repo, ["phase", "advance", "rel", "search"]);
    let id = repo.json(["approval", "list"])[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    ok_now(
        &repo,
        [
            "approval",
            "approve",
            &id,
            "--role",
            "lead",
            "--comment",
            "looks right",
        ],
    );
    (repo, id)
}

#[test]
fn approval_show_tells_the_whole_request() {
    let (repo, id) = with_request();
    // The id ends in a part unique to the clone and moment that asked: named here.
    assert!(id.starts_with("approval-rel-search-design-spec-1-"), "{id}");
    let text = ok_now(&repo, ["approval", "show", &id]).replace(&id, "<id>");
    insta::assert_snapshot!(text, @r#"
    approval <id>
    Task:        rel/search  design → spec
    Status:      pending
    Requested:   2026-12-05 12:00 by Test Committer <committer@example.com>
    Criteria:    Design reviewed
                 Risks listed

    Approvers:
      lead       approved  by Test Committer <committer@example.com>, 2026-12-05 12:00: "looks right"
      qa         pending

    Freshness:
      lead       unbound

    Decide with `git milestone approval approve <id> --role <role>` (or `reject`).
    "#);
    // The JSON is the entry `approval list` gives for it, field for field.
    let shown = repo.json(["approval", "show", &id]);
    assert_eq!(shown, repo.json(["approval", "list"])[0]);
    assert_eq!(
        shown["approvers"][0]["decided_by"],
        "Test Committer <committer@example.com>"
    );
    assert_eq!(shown["approvers"][0]["comments"], "looks right");
    assert_eq!(shown["approvers"][1]["status"], "pending");
    let err = fails_now(
        &repo,
        ["approval", "show", "approval-rel-search-design-spec-2"],
        1,
    )
    .replace(&id, "<id>");
    insta::assert_snapshot!(err, @r"
    error: no approval request approval-rel-search-design-spec-2
    hint: did you mean <id>?
    ");
}

#[test]
fn import_reads_standard_input() {
    let repo = TestRepo::new();
    ok_now(&repo, ["new", "v1", "--title", "One"]);
    ok_now(&repo, ["task", "add", "v1", "api"]);
    let exported = ok_now(&repo, ["export", "v1"]);
    let copy = exported.replace("id: v1", "id: v2");
    let out = crate::common::output_of(repo.cmd().args(["import", "-"]), Some(&copy));
    expect_ok(&out, "import -");
    assert_eq!(repo.json(["show", "v2"])["tasks"][0]["id"], "api");
    let before = repo.tip();
    let out = crate::common::output_of(repo.cmd().args(["import", "-"]), Some("title: no id\n"));
    let err = crate::common::expect_failure(&out, 1, "import - without id");
    insta::assert_snapshot!(err, @r"
    error: standard input: missing field `id`: nothing says which milestone this is
    hint: a milestone read from standard input needs its `id:` field
    ");
    let err = fails_now(&repo, ["import", "-"], 1);
    assert!(err.contains("standard input is empty"), "{err}");
    assert_eq!(repo.tip(), before);
}
