//! Approvals that follow the files: a decision binds the deliverables' blobs at the
//! examined commit, and whether it still covers them is derived on every read from
//! the code in the same repository (issue 20, items 1–4).

use crate::common::TestRepo;
use serde_json::Value;

const DESIGN: &str = "# Design\n\nThe cache keeps 100 entries.\n";
const REQUIREMENTS: &str = "# Requirements\n\n1. It is fast.\n";
const PLAN: &str = "# Plan\n\n- [ ] 1. Build the cache\n- [ ] 2. Wire it\n  - [ ] 2.1 Reads\n  - [ ] 2.2 Writes\n- [ ]* 3. Benchmarks\n";

/// Writes `files` (path, text) in the work tree and commits them.
fn commit(repo: &TestRepo, files: &[(&str, &str)], message: &str) -> String {
    for (path, text) in files {
        let full = repo.path.join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
        repo.git(["add", path]);
    }
    repo.git(["commit", "-qm", message]);
    repo.git(["rev-parse", "HEAD"]).trim().to_string()
}

/// A milestone `m` whose workflow task `w` has completed design with `deliverables`,
/// gated by `gate` (YAML of `design_to_spec`), the later gates open.
fn milestone(repo: &TestRepo, deliverables: &str, gate: &str) {
    let yaml = format!(
        "id: m\nkiro_configuration:\n  approval_gates:\n    design_to_spec: {gate}\n    spec_to_task: {{required: false}}\ntasks:\n  - id: w\n    kiro_workflow:\n      enabled: true\n      current_phase: design\n      phases:\n        design: {{status: completed, deliverables: {deliverables}}}\n"
    );
    let path = repo.write_file("m.yaml", &yaml);
    repo.ok(["import", path.to_str().unwrap()]);
}

/// Asks for the design → spec approval; its id.
fn request(repo: &TestRepo) -> String {
    repo.ok(["phase", "advance", "m", "w"]);
    let list = repo.json(["approval", "list", "m"]);
    list[0]["id"].as_str().unwrap().to_string()
}

fn approver(repo: &TestRepo, id: &str, role: &str) -> Value {
    let shown = repo.json(["approval", "show", id]);
    let approvers = shown["approvers"].as_array().unwrap();
    approvers
        .iter()
        .find(|a| a["role"] == role)
        .cloned()
        .unwrap_or_else(|| panic!("no {role} in {shown:#}"))
}

fn freshness(repo: &TestRepo, id: &str, role: &str) -> String {
    approver(repo, id, role)["freshness"]
        .as_str()
        .unwrap()
        .to_string()
}

/// `approval check m`, which must exit 1 without writing; its stdout then stderr.
fn failing_check(repo: &TestRepo) -> String {
    let tip = repo.tip();
    let output = repo.run(["approval", "check", "m"]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert_eq!(repo.tip(), tip);
    let text = |b: &[u8]| String::from_utf8_lossy(b).to_string();
    text(&output.stdout) + &text(&output.stderr)
}

/// Takes task w from spec to an execute phase in progress.
fn to_execute(repo: &TestRepo) {
    repo.ok(["phase", "set", "m", "w", "spec", "completed"]);
    repo.ok(["phase", "advance", "m", "w"]);
    repo.ok(["phase", "set", "m", "w", "task", "completed"]);
    repo.ok(["phase", "advance", "m", "w"]);
}

/// A repository with `files` committed and milestone `m` whose design → spec request
/// (deliverables and gate as for [`milestone`]) the role `lead` approved; its id.
fn approved_by_lead(files: &[(&str, &str)], deliverables: &str, gate: &str) -> (TestRepo, String) {
    let repo = TestRepo::new();
    if !files.is_empty() {
        commit(&repo, files, "start");
    }
    milestone(&repo, deliverables, gate);
    let id = request(&repo);
    repo.ok(["approval", "approve", &id, "--role", "lead"]);
    (repo, id)
}

#[test]
fn a_changed_byte_stales_the_approval_a_revert_freshens_it_and_renew_binds_the_new_blob() {
    let spec = [
        ("spec/design.md", DESIGN),
        ("spec/requirements.md", REQUIREMENTS),
    ];
    let (repo, id) = approved_by_lead(&spec, "[design.md]", "{approvers: [lead]}");

    let lead = approver(&repo, &id, "lead");
    let blob = repo.git(["rev-parse", "HEAD:spec/design.md"]);
    assert_eq!(lead["binding"]["deliverables"][0]["path"], "spec/design.md");
    assert_eq!(lead["binding"]["deliverables"][0]["blob"], blob.trim());
    assert_eq!(lead["binding"]["rule"], "exact");
    assert_eq!(
        lead["binding"]["commit"],
        repo.git(["rev-parse", "HEAD"]).trim()
    );
    assert_eq!(lead["freshness"], "fresh");
    // The binding travels in the operation itself, which a signed commit covers.
    let op = &repo.record("refs/milestones")["op"];
    assert_eq!(op["binding"], lead["binding"], "{op:#}");
    to_execute(&repo);
    repo.ok(["approval", "check", "m"]);

    // One byte of design.md changes, committed.
    let before = repo.tip();
    commit(
        &repo,
        &[("spec/design.md", &DESIGN.replace("100", "101"))],
        "edit",
    );
    let out = failing_check(&repo);
    assert!(
        out.contains("spec/design.md") && out.contains("stale"),
        "{out}"
    );
    let check = repo.run(["approval", "check", "m"]);
    let listed = String::from_utf8_lossy(&check.stdout);
    assert_eq!(listed.lines().count(), 1, "one line per file: {listed}");
    assert_eq!(freshness(&repo, &id, "lead"), "stale");
    let refused = repo.fails(["phase", "set", "m", "w", "execute", "completed"], 1);
    assert!(refused.contains("cannot be completed"), "{refused}");
    assert!(
        refused.contains("approval check") && refused.contains("renew"),
        "{refused}"
    );
    let diff = repo.ok(["approval", "diff", &id]);
    assert!(
        diff.contains("diff --git a/spec/design.md b/spec/design.md"),
        "{diff}"
    );
    assert!(diff.contains("-The cache keeps 100 entries."), "{diff}");
    assert!(diff.contains("+The cache keeps 101 entries."), "{diff}");

    // The byte goes back: fresh again, and nothing about it was ever written.
    commit(&repo, &[("spec/design.md", DESIGN)], "revert");
    repo.ok(["approval", "check", "m"]);
    assert_eq!(freshness(&repo, &id, "lead"), "fresh");
    assert_eq!(repo.tip(), before, "reading freshness writes no operation");

    // Changed again, then renewed: the decision binds the new blob.
    let edited = DESIGN.replace("100", "200");
    commit(&repo, &[("spec/design.md", &edited)], "edit again");
    repo.fails(["approval", "check", "m"], 1);
    repo.ok([
        "approval",
        "renew",
        &id,
        "--role",
        "lead",
        "--comment",
        "200 is fine",
    ]);
    let lead = approver(&repo, &id, "lead");
    let blob = repo.git(["rev-parse", "HEAD:spec/design.md"]);
    assert_eq!(lead["binding"]["deliverables"][0]["blob"], blob.trim());
    assert_eq!(lead["freshness"], "fresh");
    assert_eq!(lead["comments"], "200 is fine");
    repo.ok(["approval", "check", "m"]);
    let out = repo.ok(["approval", "renew", &id, "--role", "lead"]);
    assert!(out.contains("nothing to renew"), "{out}");
    repo.ok(["phase", "set", "m", "w", "execute", "completed"]);
    repo.ok(["phase", "advance", "m", "w"]);
    let task = &repo.json(["show", "m"])["tasks"][0];
    assert_eq!(task["status"], "completed");
}

#[test]
fn ticking_boxes_keeps_the_plan_fresh_and_editing_a_task_stales_it() {
    let plan = [(".kiro/specs/cache/tasks.md", PLAN)];
    let (repo, id) = approved_by_lead(&plan, "[tasks.md]", "{approvers: [lead]}");
    let bound = &approver(&repo, &id, "lead")["binding"]["deliverables"][0];
    assert_eq!(bound["path"], ".kiro/specs/cache/tasks.md");
    assert_eq!(
        bound["rule"], "plan",
        "a Kiro plan defaults to the plan rule"
    );

    let ticked = PLAN
        .replace("- [ ] 1.", "- [x] 1.")
        .replace("- [ ] 2.1", "- [x] 2.1")
        .replace("- [ ] 2.2", "- [-] 2.2");
    commit(
        &repo,
        &[(".kiro/specs/cache/tasks.md", &ticked)],
        "tick three",
    );
    assert_eq!(freshness(&repo, &id, "lead"), "fresh");
    repo.ok(["approval", "check", "m"]);

    let edited = ticked.replace("Wire it", "Wire it twice");
    commit(
        &repo,
        &[(".kiro/specs/cache/tasks.md", &edited)],
        "edit a task",
    );
    assert_eq!(freshness(&repo, &id, "lead"), "stale");
    let out = failing_check(&repo);
    assert!(out.contains(".kiro/specs/cache/tasks.md"), "{out}");
}

#[test]
fn with_covers_an_edit_stales_only_the_roles_that_cover_the_file() {
    let repo = TestRepo::new();
    commit(
        &repo,
        &[
            ("spec/design.md", DESIGN),
            ("spec/requirements.md", REQUIREMENTS),
        ],
        "spec",
    );
    let gate = "{approvers: [product, architect, qa], covers: {product: [requirements.md], architect: [spec/design.md]}}";
    milestone(&repo, "[requirements.md, design.md]", gate);
    let id = request(&repo);
    for role in ["product", "architect", "qa"] {
        repo.ok(["approval", "approve", &id, "--role", role]);
    }
    commit(
        &repo,
        &[(
            "spec/requirements.md",
            "# Requirements\n\n1. It is very fast.\n",
        )],
        "sharper",
    );
    assert_eq!(freshness(&repo, &id, "product"), "stale");
    assert_eq!(freshness(&repo, &id, "architect"), "fresh");
    assert_eq!(freshness(&repo, &id, "qa"), "stale", "qa covers every file");
    let check = repo.run(["approval", "check", "m"]);
    assert_eq!(check.status.code(), Some(1));
    let out = String::from_utf8_lossy(&check.stdout);
    assert!(out.contains("product") && out.contains("qa"), "{out}");
    assert!(!out.contains("architect"), "{out}");
}

#[test]
fn on_stale_warn_reports_without_blocking_and_off_does_not_look() {
    for (on_stale, blocks, listed) in [("warn", false, true), ("off", false, false)] {
        let gate = format!("{{approvers: [lead], on_stale: {on_stale}}}");
        let (repo, id) = approved_by_lead(&[("design.md", DESIGN)], "[design.md]", &gate);
        to_execute(&repo);
        commit(&repo, &[("design.md", "changed\n")], "edit");
        let check = repo.run(["approval", "check", "m"]);
        assert_eq!(
            check.status.code(),
            Some(if blocks { 1 } else { 0 }),
            "{on_stale}"
        );
        let out = String::from_utf8_lossy(&check.stdout);
        assert_eq!(out.contains("design.md"), listed, "{on_stale}: {out}");
        assert_eq!(freshness(&repo, &id, "lead"), "stale", "show tells anyway");
        repo.ok(["phase", "set", "m", "w", "execute", "completed"]);
    }
}

#[test]
fn watched_code_stales_the_approval_when_it_changes_or_appears() {
    let files = [("design.md", DESIGN), ("src/cache.rs", "fn get() {}\n")];
    let gate = "{approvers: [lead], also_watch: ['src/**']}";
    let (repo, id) = approved_by_lead(&files, "[design.md]", gate);
    assert_eq!(
        approver(&repo, &id, "lead")["binding"]["watched"][0]["path"],
        "src/cache.rs"
    );
    commit(&repo, &[("README", "docs\n")], "unwatched");
    assert_eq!(freshness(&repo, &id, "lead"), "fresh");
    commit(&repo, &[("src/evict.rs", "fn evict() {}\n")], "new code");
    assert_eq!(freshness(&repo, &id, "lead"), "stale");
    let out = failing_check(&repo);
    assert!(out.contains("src/evict.rs"), "{out}");
}

#[test]
fn a_bare_name_must_name_one_file_and_a_decision_binds_what_at_names() {
    let repo = TestRepo::new();
    let first = commit(
        &repo,
        &[("a/design.md", DESIGN), ("b/design.md", DESIGN)],
        "two",
    );
    milestone(&repo, "[design.md]", "{approvers: [lead]}");
    let id = request(&repo);
    let tip = repo.tip();
    let err = repo.fails(["approval", "approve", &id, "--role", "lead"], 1);
    assert!(
        err.contains("a/design.md") && err.contains("b/design.md"),
        "{err}"
    );
    assert!(err.contains("hint:"), "{err}");
    assert_eq!(repo.tip(), tip, "nothing written");
    let err = repo.fails(
        ["approval", "approve", &id, "--role", "lead", "--at", "nope"],
        1,
    );
    assert!(err.contains("nope"), "{err}");

    // Made unique later; the decision examines the earlier commit as told.
    repo.git(["rm", "-q", "b/design.md"]);
    repo.git(["commit", "-qm", "one"]);
    repo.fails(
        ["approval", "approve", &id, "--role", "lead", "--at", &first],
        1,
    );
    repo.ok(["approval", "approve", &id, "--role", "lead", "--at", "HEAD"]);
    assert_eq!(freshness(&repo, &id, "lead"), "fresh");
    // milestone.approvalTarget moves what freshness is judged against.
    repo.git(["config", "milestone.approvalTarget", &first]);
    assert_eq!(
        freshness(&repo, &id, "lead"),
        "fresh",
        "same blob at the first commit"
    );
    repo.git(["config", "milestone.approvalTarget", "no-such-branch"]);
    let err = repo.fails(["approval", "check", "m"], 1);
    assert!(err.contains("milestone.approvalTarget"), "{err}");
}

#[test]
fn a_second_clone_computes_the_same_freshness_offline_and_one_without_the_code_cannot() {
    let remote = TestRepo::bare();
    let url = remote.path.to_str().unwrap().to_string();
    let a = TestRepo::clone_of(&url);
    commit(&a, &[("spec/design.md", DESIGN)], "spec");
    a.git(["push", "-q", "origin", "HEAD:main"]);
    a.ok(["init"]);
    milestone(&a, "[design.md]", "{approvers: [lead]}");
    let id = request(&a);
    a.ok(["approval", "approve", &id, "--role", "lead"]);
    commit(&a, &[("spec/design.md", "changed\n")], "edit");
    a.git(["push", "-q", "origin", "HEAD:main"]);
    a.ok(["sync"]);

    let b = TestRepo::clone_of(&url);
    b.ok(["sync"]);
    let (ours, theirs) = (approver(&a, &id, "lead"), approver(&b, &id, "lead"));
    assert_eq!(ours["freshness"], "stale");
    assert_eq!(ours, theirs, "the same binding and verdict in both clones");
    let (ours, theirs) = (
        a.run(["approval", "check", "m"]),
        b.run(["approval", "check", "m"]),
    );
    assert_eq!(ours.stdout, theirs.stdout);
    assert_eq!(theirs.status.code(), Some(1));

    // A clone with the milestones but not the code commit cannot tell.
    let c = TestRepo::uninitialized();
    c.git(["fetch", "-q", &url, "refs/meta/milestones:refs/milestones"]);
    assert_eq!(freshness(&c, &id, "lead"), "unverifiable");
    let out = failing_check(&c);
    assert!(out.contains("unverifiable"), "{out}");
}

#[test]
fn decisions_without_deliverables_or_before_bindings_read_as_unbound() {
    let (repo, id) = approved_by_lead(&[], "[]", "{approvers: [lead]}");
    let lead = approver(&repo, &id, "lead");
    assert_eq!(lead["binding"], Value::Null);
    assert_eq!(lead["freshness"], "unbound");
    to_execute(&repo);
    repo.ok(["approval", "check", "m"]);
    let text = repo.ok(["approval", "show", &id]);
    assert!(text.contains("unbound"), "{text}");
}

#[test]
fn status_show_and_the_report_tell_a_stale_approval() {
    let (repo, id) = approved_by_lead(
        &[("design.md", DESIGN)],
        "[design.md]",
        "{approvers: [lead]}",
    );
    let quiet = repo.ok(["status", "m"]);
    assert!(!quiet.contains("no longer cover"), "{quiet}");
    commit(&repo, &[("design.md", "changed\n")], "edit");
    for command in ["status", "show"] {
        let text = repo.ok([command, "m"]);
        assert!(
            text.contains("no longer cover their files"),
            "{command}: {text}"
        );
        assert!(text.contains("lead  stale  design.md"), "{command}: {text}");
    }
    let text = repo.ok(["approval", "show", &id]);
    assert!(
        text.contains("Freshness:") && text.contains("stale design.md"),
        "{text}"
    );
    let site = repo.root().join("site");
    repo.ok(["report", "--out", site.to_str().unwrap()]);
    let page = std::fs::read_to_string(site.join("milestone-m.html")).unwrap();
    assert!(
        page.contains("<th scope=\"col\">Files</th>"),
        "the trail has the column"
    );
    assert!(
        page.contains("<td>stale</td>"),
        "the lead's decision is stale"
    );
}

/// `git milestone <args>` on a pseudo-terminal (util-linux `script`), `answer` typed.
fn on_terminal(repo: &TestRepo, args: &str, answer: &str) -> String {
    use crate::common::{hermetic, output_of, BIN};
    // Not a silent pass when it is missing: .ci/run installs it on a fresh machine.
    assert!(
        std::process::Command::new("script")
            .arg("--version")
            .output()
            .is_ok(),
        "`script` is missing (it makes a terminal): install the `bsdutils` package"
    );
    let mut cmd = hermetic("script", &repo.home);
    cmd.arg("-qec")
        .arg(format!("{BIN} {args}"))
        .arg("/dev/null")
        .current_dir(&repo.path);
    let output = output_of(&mut cmd, Some(answer));
    assert!(output.status.success(), "{output:?}");
    String::from_utf8_lossy(&output.stdout).to_string()
}

#[test]
fn renew_on_a_terminal_shows_the_diff_and_asks() {
    let (repo, id) = approved_by_lead(
        &[("design.md", DESIGN)],
        "[design.md]",
        "{approvers: [lead]}",
    );
    commit(&repo, &[("design.md", "changed\n")], "edit");
    let tip = repo.tip();
    let declined = on_terminal(&repo, &format!("approval renew {id} --role lead"), "n\n");
    assert!(
        declined.contains("+changed"),
        "the diff is shown: {declined}"
    );
    assert!(
        declined.contains("[y/N]") && declined.contains("Not renewed."),
        "{declined}"
    );
    assert_eq!(repo.tip(), tip, "nothing written");
    assert_eq!(freshness(&repo, &id, "lead"), "stale");
    let accepted = on_terminal(&repo, &format!("approval renew {id} --role lead"), "y\n");
    assert!(accepted.contains("renewed"), "{accepted}");
    assert_eq!(freshness(&repo, &id, "lead"), "fresh");
}

#[test]
fn the_signature_of_a_decision_covers_its_binding() {
    use crate::common::{output_of, COMMITTER_EMAIL};
    let repo = TestRepo::new();
    let key = repo.root().join("key");
    let made = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "me", "-f"])
        .arg(&key)
        .output()
        .expect("ssh-keygen runs (openssh-client is installed by .ci/run)");
    assert!(made.status.success(), "{made:?}");
    repo.git(["config", "gpg.format", "ssh"]);
    repo.git(["config", "user.signingKey", key.to_str().unwrap()]);
    repo.git(["config", "milestone.sign", "true"]);
    let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    let allowed = repo.write_file("allowed", &format!("{COMMITTER_EMAIL} {public}"));
    repo.git([
        "config",
        "gpg.ssh.allowedSignersFile",
        allowed.to_str().unwrap(),
    ]);
    commit(&repo, &[("design.md", DESIGN)], "design");
    milestone(&repo, "[design.md]", "{approvers: [lead]}");
    let id = request(&repo);
    repo.ok(["approval", "approve", &id, "--role", "lead"]);
    repo.git(["verify-commit", "refs/milestones"]);

    // The same commit with another blob in its binding no longer verifies.
    let blob = repo.git(["rev-parse", "HEAD:design.md"]).trim().to_string();
    let raw = repo.git(["cat-file", "commit", "refs/milestones"]);
    assert!(raw.contains(&blob), "the operation names the bound blob");
    let forged = raw.replace(&blob, &"0".repeat(40));
    let forged_id = repo
        .git_stdin(["hash-object", "-t", "commit", "-w", "--stdin"], &forged)
        .trim()
        .to_string();
    let output = output_of(repo.git_cmd().args(["verify-commit", &forged_id]), None);
    assert!(
        !output.status.success(),
        "a forged binding verifies: {output:?}"
    );
}

#[test]
fn monitor_does_not_finish_a_task_whose_approval_went_stale() {
    let spec = [("spec/design.md", DESIGN)];
    let (repo, _id) = approved_by_lead(&spec, "[design.md]", "{approvers: [lead]}");
    to_execute(&repo);
    repo.ok(["phase", "set", "m", "w", "execute", "completed"]);
    commit(
        &repo,
        &[("spec/design.md", &DESIGN.replace("100", "101"))],
        "edit",
    );
    let tip = repo.tip();
    let refused = repo.fails(["monitor", "m"], 1);
    assert!(refused.contains("cannot be completed"), "{refused}");
    assert_eq!(repo.tip(), tip, "a refused monitor writes nothing");
    assert_ne!(repo.json(["show", "m"])["tasks"][0]["status"], "completed");

    commit(&repo, &[("spec/design.md", DESIGN)], "revert");
    repo.ok(["monitor", "m"]);
    assert_eq!(repo.json(["show", "m"])["tasks"][0]["status"], "completed");
}
