//! Malformed input of every kind, beyond the table in `refusals.rs`: ids with control
//! characters and unicode, hostile YAML (alias bombs, deep nesting, binary data), bad
//! JSON, dates, limits, checkpoint names, phases, approvals. Each is refused with exit
//! 1 or 2 and a message, writes nothing, never panics, and answers within a bound.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::time::{Duration, Instant};

use crate::common::{describe, output_of, TestRepo};

/// A hang guard, not a benchmark: far longer than any refusal takes even on a loaded
/// machine (they take milliseconds), far shorter than the expansions they guard
/// against (an alias bomb expanded, or 50,000 levels of flow nesting parsed, take
/// minutes). Speed itself is measured in bench/, never here.
const BOUND: Duration = Duration::from_secs(30);

/// The gate of `g1` names two approver roles.
const GATED: &str = "\
id: g1
title: Gated
kiro_configuration:
  approval_gates:
    design_to_spec:
      required: true
      approvers: [lead, qa]
tasks:
  - id: k
    title: K
    kiro_workflow:
      enabled: true
";

/// An alias bomb ("billion laughs"): nine levels of nine references each, about
/// 387 million nodes once expanded, used at `place`.
fn billion_laughs(id: &str, place: &str) -> String {
    let mut doc = format!("id: {id}\na0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        let refs = vec![format!("*a{}", i - 1); 9].join(", ");
        doc.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
    }
    doc.push_str(&format!("{place}: *a9\n"));
    doc
}

/// `depth` nested flow sequences as the description.
fn nested_flow(id: &str, depth: usize) -> String {
    format!(
        "id: {id}\ndescription: {}{}\n",
        "[".repeat(depth),
        "]".repeat(depth)
    )
}

/// The files the table imports: name → content.
fn yaml_files() -> Vec<(&'static str, Vec<u8>)> {
    let text = |s: &str| s.as_bytes().to_vec();
    let mut binary: Vec<u8> = (0..=255u8).collect();
    binary.extend_from_within(..);
    vec![
        ("laughs-description.yaml", text(&billion_laughs("b1", "description"))),
        ("laughs-tasks.yaml", text(&billion_laughs("b2", "tasks"))),
        ("deep-flow.yaml", text(&nested_flow("deep1", 1000))),
        (
            "deep-flow-maps.yaml",
            text(&format!(
                "id: deep2\ndescription: {}x{}\n",
                "{a: ".repeat(1000),
                "}".repeat(1000)
            )),
        ),
        (
            "deep-block.yaml",
            text(&format!("id: deep3\ndescription:\n  {}x\n", "- ".repeat(10_000))),
        ),
        ("binary.yaml", binary),
        ("latin1.yaml", b"id: l1\ntitle: \"caf\xe9\"\n".to_vec()),
        ("utf16.yaml", b"\xff\xfei\x00d\x00:\x00 \x00u\x00\n\x00".to_vec()),
        ("tasks-number.yaml", text("id: w1\ntasks: 5\n")),
        ("tasks-scalars.yaml", text("id: w2\ntasks: [1, 2]\n")),
        ("id-list.yaml", text("id: [1, 2]\n")),
        ("id-number.yaml", text("id: 12\n")),
        ("status-number.yaml", text("id: w3\ntasks:\n  - id: t1\n    status: 5\n")),
        ("status-unknown.yaml", text("id: w4\ntasks:\n  - id: t1\n    status: done\n")),
        ("task-no-id.yaml", text("id: w5\ntasks:\n  - title: x\n")),
        (
            "duplicate-tasks.yaml",
            text("id: d1\ntasks:\n  - id: t1\n  - id: t2\n  - id: t1\n"),
        ),
        ("tabs.yaml", text("id: tab\ntasks:\n\t- id: t1\n")),
        ("task-id-path.yaml", text("id: w6\ntasks:\n  - id: \"../t\"\n")),
        ("id-control.yaml", text("id: \"a\\x01b\"\n")),
        ("two-documents.yaml", text("id: two1\n---\nid: two2\n")),
        ("null.yaml", text("~\n")),
        ("list.yaml", text("- id: l2\n")),
        ("scalar.yaml", text("just words\n")),
        (
            "weight-negative.yaml",
            text("id: w7\nkiro_configuration:\n  phase_weights:\n    design: -5\n"),
        ),
        (
            "weights-string.yaml",
            text("id: w8\nkiro_configuration:\n  phase_weights: lots\n"),
        ),
        ("due-month-13.yaml", text("id: w9\ndue: 2026-13-01\n")),
        (
            "phase-unknown.yaml",
            text("id: w10\ntasks:\n  - id: k\n    kiro_workflow:\n      enabled: true\n      current_phase: review\n"),
        ),
        (
            "phase-status-unknown.yaml",
            text("id: w11\ntasks:\n  - id: k\n    kiro_workflow:\n      enabled: true\n      phases:\n        design:\n          status: done\n"),
        ),
        ("binary-tag.yaml", text("id: !!binary aGVsbG8=\n")),
        ("custom-tag.yaml", text("id: !thing w12\n")),
        ("complex-key.yaml", text("? [a, b]\n: c\nid: w13\n")),
        ("unterminated.yaml", text("id: w14\ntitle: \"open\n")),
        ("empty.yaml", Vec::new()),
    ]
}

/// A repository with m1 (a plain task t1 and a workflow task k) and g1, whose task k
/// waits for the approval of lead and qa; the files of [`yaml_files`] next to it.
/// Returns the repository and the pending approval's id.
fn setup() -> (TestRepo, String) {
    let repo = TestRepo::new();
    repo.milestone_with_tasks("m1", &["t1"]);
    repo.ok(["task", "add", "m1", "k", "--kiro"]);
    let gated = repo.write_file("gated.yaml", GATED);
    repo.ok([OsString::from("import"), gated.into_os_string()]);
    repo.ok(["phase", "set", "g1", "k", "design", "completed"]);
    repo.ok(["phase", "advance", "g1", "k"]);
    let pending = repo.json(["approval", "list", "g1", "--pending"]);
    let approval = pending[0]["id"].as_str().unwrap().to_string();
    repo.ok(["checkpoint", "create", "m1", "cp1"]);
    repo.ok(["state", "save", "m1", r#"{"kept": true}"#]);
    for (name, content) in yaml_files() {
        std::fs::write(repo.root().join(name), content).unwrap();
    }
    std::fs::create_dir_all(repo.root().join("a-folder")).unwrap();
    (repo, approval)
}

/// One malformed input.
struct Case {
    args: Vec<OsString>,
    stdin: Option<Vec<u8>>,
    code: i32,
    /// Text the message must contain.
    says: String,
}

fn case(args: &[&str], code: i32, says: &str) -> Case {
    Case {
        args: args.iter().map(OsString::from).collect(),
        stdin: None,
        code,
        says: says.to_string(),
    }
}

/// `args` with one argument that is not UTF-8 appended.
fn non_utf8(args: &[&str], bytes: &[u8], code: i32, says: &str) -> Case {
    let mut c = case(args, code, says);
    c.args.push(OsString::from_vec(bytes.to_vec()));
    c
}

fn with_stdin(args: &[&str], stdin: &[u8], code: i32, says: &str) -> Case {
    Case {
        stdin: Some(stdin.to_vec()),
        ..case(args, code, says)
    }
}

fn cases(repo: &TestRepo, approval: &str) -> Vec<Case> {
    let long = "x".repeat(65);
    let file = |name: &str| -> String { repo.root().join(name).display().to_string() };
    let mut table = vec![
        // Ids: control characters, unicode, separators, length.
        case(&["new", "a\nb"], 1, "invalid milestone id"),
        case(&["new", "a\tb"], 1, "invalid milestone id"),
        case(&["new", "a\x01b"], 1, "invalid milestone id"),
        case(&["new", "m1\n"], 1, "invalid milestone id"),
        case(&["new", "é"], 1, "invalid milestone id"),
        case(&["new", "里程碑"], 1, "invalid milestone id"),
        case(&["new", "a\\b"], 1, "invalid milestone id"),
        case(&["new", "m1/"], 1, "invalid milestone id"),
        case(&["new", "m\u{200b}1"], 1, "invalid milestone id"),
        case(&["task", "add", "m1", "t\n"], 1, "invalid task id"),
        case(&["task", "add", "m1", "t\x01"], 1, "invalid task id"),
        case(&["task", "add", "m1", ".."], 1, "invalid task id"),
        case(&["task", "add", "m1", "tâche"], 1, "invalid task id"),
        case(
            &["task", "set", "m1", "a/b", "completed"],
            1,
            "invalid task id",
        ),
        case(&["event", "add", "m1\t", "note"], 1, "invalid milestone id"),
        case(&["state", "save", &long, "{}"], 1, "longer than 64"),
        case(&["session", "start", "../m1"], 1, "invalid milestone id"),
        case(
            &["phase", "set", "m1", "k/../k", "design", "completed"],
            1,
            "invalid task id",
        ),
        non_utf8(&["new"], b"m\xff", 2, "invalid UTF-8"),
        non_utf8(&["task", "add", "m1"], b"\xc3\x28", 2, "invalid UTF-8"),
        // Checkpoint names.
        case(
            &["checkpoint", "create", "m1", "a/b"],
            1,
            "invalid checkpoint id",
        ),
        case(
            &["checkpoint", "create", "m1", ".."],
            1,
            "invalid checkpoint id",
        ),
        case(&["checkpoint", "create", "m1", "x..y"], 1, "'..'"),
        case(&["checkpoint", "create", "m1", "x.lock"], 1, ".lock"),
        case(
            &["checkpoint", "create", "m1", "a b"],
            1,
            "invalid checkpoint id",
        ),
        case(
            &["checkpoint", "create", "m1", "@{1}"],
            1,
            "invalid checkpoint id",
        ),
        case(
            &["checkpoint", "create", "m1", "x~1"],
            1,
            "invalid checkpoint id",
        ),
        case(
            &["checkpoint", "create", "m1", "x^"],
            1,
            "invalid checkpoint id",
        ),
        case(
            &["checkpoint", "create", "m1", "a:b"],
            1,
            "invalid checkpoint id",
        ),
        case(
            &["checkpoint", "create", "m1", "x\ny"],
            1,
            "invalid checkpoint id",
        ),
        case(&["checkpoint", "create", "m1", ""], 1, "empty"),
        case(&["checkpoint", "create", "m1", &long], 1, "longer than 64"),
        case(&["checkpoint", "create", "nope", "cp"], 1, "no milestone"),
        case(&["checkpoint", "restore", "m1", "nope"], 1, "no checkpoint"),
        case(
            &["checkpoint", "restore", "m1", "../cp1"],
            1,
            "no checkpoint",
        ),
        // JSON for `state save` and `--data`.
        case(&["state", "save", "m1", r#"{"a":"#], 1, "not valid JSON"),
        case(&["state", "save", "m1", "NaN"], 1, "not valid JSON"),
        case(
            &["state", "save", "m1", r#"{"a": NaN}"#],
            1,
            "not valid JSON",
        ),
        case(
            &["state", "save", "m1", r#"{"a": Infinity}"#],
            1,
            "not valid JSON",
        ),
        case(&["state", "save", "m1", "1e999"], 1, "not valid JSON"),
        case(
            &["state", "save", "m1", r#"{"a": 1} trailing"#],
            1,
            "not valid JSON",
        ),
        case(
            &["state", "save", "m1", r#"{"a": 1,}"#],
            1,
            "not valid JSON",
        ),
        case(&["state", "save", "m1", "{'a': 1}"], 1, "not valid JSON"),
        case(&["state", "save", "m1", r#""\ud800""#], 1, "not valid JSON"),
        case(&["state", "save", "m1", "\u{feff}{}"], 1, "not valid JSON"),
        case(&["state", "save", "m1", "\x01\x02"], 1, "not valid JSON"),
        non_utf8(
            &["state", "save", "m1"],
            b"{\"a\": \"\xff\"}",
            2,
            "invalid UTF-8",
        ),
        with_stdin(&["state", "save", "m1"], b"\xff\xfe\x00\x01", 1, "UTF-8"),
        with_stdin(
            &["state", "save", "m1"],
            br#"{"a": [1, 2"#,
            1,
            "not valid JSON",
        ),
        with_stdin(&["state", "save", "m1"], b"", 1, "not valid JSON"),
        with_stdin(
            &["state", "save", "m1"],
            format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)).as_bytes(),
            1,
            "not valid JSON",
        ),
        case(
            &["event", "add", "m1", "note", "--data", "[1, 2"],
            1,
            "--data is not valid JSON",
        ),
        case(
            &["event", "add", "m1", "note", "--data", "NaN"],
            1,
            "--data is not valid JSON",
        ),
        case(
            &["event", "add", "m1", "note", "--data", "{} {"],
            1,
            "--data is not valid JSON",
        ),
        case(
            &["event", "add", "m1", "note", "--data", "\x01"],
            1,
            "--data is not valid JSON",
        ),
        non_utf8(
            &["event", "add", "m1", "note", "--data"],
            b"\"\xfe\"",
            2,
            "invalid UTF-8",
        ),
        case(&["event", "add", "m1", "a\nb"], 1, "invalid event type"),
        case(&["event", "add", "m1", "x/y"], 1, "invalid event type"),
        // Dates.
        case(&["events", "--since", "2026-13-01"], 1, "invalid date"),
        case(&["events", "m1", "--since", ""], 1, "invalid date"),
        case(&["events", "--since", "20260101"], 1, "invalid date"),
        case(
            &["events", "--since", "2026-01-01T25:00:00Z"],
            1,
            "invalid date",
        ),
        case(&["new", "m3", "--due", "yesterday"], 1, "invalid date"),
        case(&["new", "m3", "--due", "2026-02-29"], 1, "invalid date"),
        case(&["new", "m3", "--due", "2026-01-01\n"], 1, "invalid date"),
        // Limits.
        case(
            &["events", "--limit", "99999999999999999999999"],
            2,
            "--limit",
        ),
        case(&["events", "--limit", "abc"], 2, "--limit"),
        case(&["events", "--limit", ""], 2, "--limit"),
        case(&["events", "--limit", "1.5"], 2, "--limit"),
        case(&["events", "--limit", "0x10"], 2, "--limit"),
        case(&["events", "m1", "-n", "-5"], 2, "-5"),
        case(&["cleanup", "--retention-days", "-1"], 2, "-1"),
        case(
            &["cleanup", "--retention-days", "abc"],
            2,
            "--retention-days",
        ),
        case(
            &["cleanup", "--retention-days", "99999999999999999999"],
            2,
            "--retention-days",
        ),
        // Phases and their statuses.
        case(
            &["phase", "set", "m1", "k", "designn", "completed"],
            1,
            "unknown phase",
        ),
        case(
            &["phase", "set", "m1", "k", "Design", "completed"],
            1,
            "unknown phase",
        ),
        case(
            &["phase", "set", "m1", "k", "", "completed"],
            1,
            "unknown phase",
        ),
        case(
            &["phase", "set", "m1", "k", "design", "done"],
            1,
            "unknown phase status",
        ),
        case(
            &["phase", "set", "m1", "k", "design", "COMPLETED"],
            1,
            "unknown phase status",
        ),
        case(
            &["phase", "set", "m1", "k", "design", ""],
            1,
            "unknown phase status",
        ),
        case(
            &["phase", "set", "m1", "nope", "design", "completed"],
            1,
            "has no task",
        ),
        case(
            &["phase", "set", "nope", "k", "design", "completed"],
            1,
            "no milestone",
        ),
        case(&["phase", "advance", "m1", "nope"], 1, "has no task"),
        case(&["phase", "advance", "m1", "t1"], 1, "workflow"),
        // Approvals and roles.
        case(
            &["approval", "approve", "nope", "--role", "lead"],
            1,
            "no approval request",
        ),
        case(
            &["approval", "approve", "", "--role", "lead"],
            1,
            "no approval request",
        ),
        case(
            &["approval", "reject", "../x", "--role", "qa"],
            1,
            "no approval request",
        ),
        case(
            &["approval", "approve", approval, "--role", "ceo"],
            1,
            "is not an approver",
        ),
        case(
            &["approval", "approve", approval, "--role", "LEAD"],
            1,
            "is not an approver",
        ),
        case(
            &["approval", "approve", approval, "--role", ""],
            1,
            "is not an approver",
        ),
        case(
            &["approval", "reject", approval, "--role", "lead\n"],
            1,
            "is not an approver",
        ),
        case(&["approval", "approve", approval], 2, "--role"),
        case(&["approval", "list", "nope"], 1, "no milestone"),
        // Unknown things.
        case(&["session", "show", "nope"], 1, "no session"),
        case(&["session", "show", "../x"], 1, "invalid session id"),
        case(&["session", "end", "nope"], 1, "no session"),
        case(
            &["show", "m1", "--at", "nonexistent"],
            1,
            "does not name a commit",
        ),
        case(&["show", "m1", "--at", ""], 1, "does not name a commit"),
        case(
            &["recover", "m1", "--to", "deadbeef"],
            1,
            "does not name a commit",
        ),
        case(&["recover", "nope"], 1, "no milestone"),
        case(&["monitor", "nope"], 1, "no milestone"),
        case(&["cleanup", "nope"], 1, "no milestone"),
        case(&["edit", "m1/../m1"], 1, "invalid milestone id"),
        // Files to import.
        case(
            &["import", &file("a-folder")],
            1,
            "not a reference .milestones folder",
        ),
        case(&["import", &file("no/such/dir/m.yaml")], 1, "cannot read"),
    ];
    for (name, _) in yaml_files() {
        table.push(case(&["import", &file(name)], 1, name));
    }
    table
}

/// Runs `case`, asserting the refusal, the message, the unmoved ref, no panic and
/// the time bound.
fn check(repo: &TestRepo, case: &Case) {
    let shown = format!("{:?}", case.args);
    let before = repo.tip();
    let mut cmd = repo.cmd();
    cmd.args(&case.args);
    let started = Instant::now();
    let output = match &case.stdin {
        None => output_of(&mut cmd, None),
        Some(bytes) => {
            use std::io::Write;
            use std::process::Stdio;
            let mut child = cmd
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            // The command may refuse before reading everything.
            let _ = child.stdin.take().unwrap().write_all(bytes);
            let output = child.wait_with_output().unwrap();
            assert_ne!(output.status.code(), Some(101), "{shown} panicked");
            output
        }
    };
    let elapsed = started.elapsed();
    assert!(elapsed < BOUND, "{shown} took {elapsed:?}");
    assert_eq!(
        output.status.code(),
        Some(case.code),
        "{shown} should exit with {}\n{}",
        case.code,
        describe(&output)
    );
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(!err.trim().is_empty(), "{shown}: no message on stderr");
    assert!(
        err.contains(&case.says),
        "{shown}: the message should contain {:?}:\n{err}",
        case.says
    );
    if case.code == 1 {
        assert!(err.starts_with("error: "), "{shown}: {err}");
    }
    assert_eq!(repo.tip(), before, "{shown} moved refs/milestones");
}

#[test]
fn malformed_input_is_refused_quickly_with_a_message_and_writes_nothing() {
    let (repo, approval) = setup();
    let tip = repo.tip();
    let count = repo.commit_count();
    let tags = repo.git(["tag", "-l"]);
    let table = cases(&repo, &approval);
    assert!(table.len() >= 50, "{} cases", table.len());
    for case in &table {
        check(&repo, case);
    }
    assert_eq!(repo.tip(), tip);
    assert_eq!(repo.commit_count(), count);
    assert_eq!(repo.git(["tag", "-l"]), tags, "no checkpoint was created");
    // Nothing half-applied: the milestones read as before.
    let ids: Vec<String> = repo
        .json(["list"])
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, ["g1", "m1"]);
    assert_eq!(repo.json(["show", "m1"])["tasks"][0]["status"], "pending");
    let state: serde_json::Value = serde_json::from_str(&repo.ok(["state", "load", "m1"])).unwrap();
    assert_eq!(state, serde_json::json!({"kept": true}));
    let pending = repo.json(["approval", "list", "g1", "--pending"]);
    assert_eq!(pending[0]["id"], approval.as_str());
    assert_eq!(pending[0]["approvers"][0]["status"], "pending");
    // And the next write works.
    repo.ok(["event", "add", "m1", "after"]);
    assert_eq!(repo.commit_count(), count + 1);
}

#[test]
fn alias_bombs_are_refused_without_being_expanded() {
    let repo = TestRepo::new();
    for place in ["description", "tasks", "title"] {
        let path = repo.write_file("bomb.yaml", &billion_laughs("bomb", place));
        let started = Instant::now();
        let err = repo.fails([OsString::from("import"), path.into_os_string()], 1);
        let elapsed = started.elapsed();
        assert!(elapsed < BOUND, "an alias bomb in {place} took {elapsed:?}");
        assert!(err.contains("bomb.yaml"), "{place}: {err}");
    }
    // The same bomb through `edit`: the editor writes it, the validation refuses it.
    repo.ok(["new", "m1"]);
    let bomb = repo.write_file("edit-bomb.yaml", &billion_laughs("m1", "description"));
    let editor = repo.script("editor", &format!("cp '{}' \"$1\"", bomb.display()));
    let started = Instant::now();
    let output = repo.run_env(&[("GIT_EDITOR", editor.to_str().unwrap())], ["edit", "m1"]);
    assert!(started.elapsed() < BOUND);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    assert_eq!(
        repo.json(["show", "m1"])["description"],
        serde_json::Value::Null
    );
}

/// A flow sequence nested 50 000 levels deep is a 100 kB file; parsing it takes time
/// quadratic in the depth (10 000 levels: ~1.7 s, 20 000: ~7 s, 100 000: minutes, in a
/// debug build) before the 128-level recursion limit refuses it. Block nesting of the
/// same depth is refused at once. The same parser reads `milestone.yaml` from the ref,
/// so such a file pushed by anyone would stall every reader.
#[test]
fn deeply_nested_flow_yaml_is_refused_within_the_bound() {
    let repo = TestRepo::new();
    let path = repo.write_file("deep.yaml", &nested_flow("deep", 50_000));
    let started = Instant::now();
    repo.fails([OsString::from("import"), path.into_os_string()], 1);
    let elapsed = started.elapsed();
    assert!(elapsed < BOUND, "refusing took {elapsed:?}");
}

/// YAML mapping keys must be unique; a duplicate is read as "the last one wins", so
/// a whole task list, or the id itself, is silently replaced.
#[test]
fn duplicate_yaml_keys_are_refused() {
    let repo = TestRepo::new();
    for (name, text) in [
        ("dup-id.yaml", "id: first\nid: second\n"),
        (
            "dup-tasks.yaml",
            "id: dup\ntasks:\n  - id: a\n  - id: b\ntitle: T\ntasks:\n  - id: c\n",
        ),
    ] {
        let path = repo.write_file(name, text);
        let err = repo.fails([OsString::from("import"), path.into_os_string()], 1);
        assert!(err.contains("duplicate"), "{name}: {err}");
    }
}

/// A negative phase weight is refused, but `.nan` and `.inf` are accepted and then
/// silently dropped (the YAML goes through a JSON value, which has no NaN or
/// infinity): the milestone ends up with the default weights, which the file did not
/// ask for.
#[test]
fn non_finite_phase_weights_are_refused() {
    let repo = TestRepo::new();
    for value in [".nan", ".inf", "-.inf"] {
        let text = format!(
            "id: w\nkiro_configuration:\n  phase_weights:\n    design: {value}\ntasks:\n  - id: k\n    kiro_workflow:\n      enabled: true\n"
        );
        let path = repo.write_file("weights.yaml", &text);
        let err = repo.fails([OsString::from("import"), path.into_os_string()], 1);
        assert!(err.contains("phase_weights.design"), "{value}: {err}");
    }
}
