//! Every clone means the same thing (issue 13): one test per item, each driving the
//! real binary through the real scenario, with clones of one bare remote that work
//! offline and `sync`.

use std::ffi::OsStr;
use std::process::Output;

use serde_json::Value;

use crate::common::{expect_failure, expect_ok, output_of, stderr, TestRepo};

/// One person's clone; every command runs as them.
struct Person {
    repo: TestRepo,
    name: &'static str,
}

impl Person {
    fn env(&self) -> Vec<(&'static str, String)> {
        let email = format!("{}@example.com", self.name.to_lowercase());
        vec![
            ("GIT_AUTHOR_NAME", self.name.to_string()),
            ("GIT_AUTHOR_EMAIL", email.clone()),
            ("GIT_COMMITTER_NAME", self.name.to_string()),
            ("GIT_COMMITTER_EMAIL", email),
            // Hooks record before git returns, so what they did is there at once.
            ("GIT_MILESTONE_HOOKS", "sync".to_string()),
        ]
    }

    fn run<S: AsRef<OsStr>>(&self, args: &[S]) -> Output {
        let mut cmd = self.repo.cmd();
        cmd.args(args);
        for (key, value) in self.env() {
            cmd.env(key, value);
        }
        output_of(&mut cmd, None)
    }

    fn ok<S: AsRef<OsStr> + std::fmt::Debug>(&self, args: &[S]) -> String {
        expect_ok(&self.run(args), &format!("{} runs {args:?}", self.name))
    }

    fn fails<S: AsRef<OsStr> + std::fmt::Debug>(&self, args: &[S], code: i32) -> String {
        expect_failure(
            &self.run(args),
            code,
            &format!("{} runs {args:?}", self.name),
        )
    }

    fn json<S: AsRef<OsStr> + std::fmt::Debug>(&self, args: &[S]) -> Value {
        let mut all: Vec<&OsStr> = vec![OsStr::new("--json")];
        all.extend(args.iter().map(AsRef::as_ref));
        serde_json::from_str(&self.ok(&all)).expect("JSON output")
    }

    /// `git` as this person (hooks included); the whole output.
    fn git(&self, args: &[&str]) -> Output {
        let mut cmd = self.repo.git_cmd();
        cmd.args(args);
        for (key, value) in self.env() {
            cmd.env(key, value);
        }
        let output = output_of(&mut cmd, None);
        expect_ok(&output, &format!("{} runs git {args:?}", self.name));
        output
    }

    fn sync(&self) -> Value {
        self.json(&["sync"])
    }

    fn tip(&self) -> Option<String> {
        self.repo.tip()
    }
}

/// A bare remote with a `main` branch and `refs/milestones`, and a clone per name,
/// each synced.
fn team(names: &[&'static str], setup: impl FnOnce(&Person)) -> (TestRepo, Vec<Person>) {
    let remote = TestRepo::bare();
    let url = remote.path.to_str().unwrap().to_string();
    let first = Person {
        repo: TestRepo::clone_of(&url),
        name: names[0],
    };
    first.git(&["commit", "-q", "--allow-empty", "-m", "base"]);
    first.git(&["push", "-q", "origin", "HEAD:main"]);
    first.ok(&["init"]);
    setup(&first);
    first.sync();
    let mut people = vec![first];
    for name in &names[1..] {
        let person = Person {
            repo: TestRepo::clone_of(&url),
            name,
        };
        person.sync();
        people.push(person);
    }
    (remote, people)
}

fn task(person: &Person, m: &str, t: &str) -> Value {
    let show = person.json(&["show", m]);
    show["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == t)
        .cloned()
        .unwrap_or_else(|| panic!("no task {t} in {show}"))
}

fn workflow(person: &Person, m: &str, t: &str) -> Value {
    task(person, m, t)["kiro_workflow"].clone()
}

fn approvals(person: &Person) -> Vec<Value> {
    person
        .json(&["approval", "list"])
        .as_array()
        .unwrap()
        .clone()
}

/// Every clone shows the same state and the same logs.
fn assert_same_everywhere(people: &[Person]) {
    for other in &people[1..] {
        let first = &people[0];
        assert_eq!(
            first.tip(),
            other.tip(),
            "{} and {}",
            first.name,
            other.name
        );
        for view in [
            &["timeline"][..],
            &["approval", "list"],
            &["checkpoint", "list"],
        ] {
            assert_eq!(first.json(view), other.json(view), "{view:?}");
        }
    }
}

/// Completes task k by hand, past its gates, with a reason.
const FORCED: [&str; 7] = [
    "task",
    "complete",
    "m",
    "k",
    "--force",
    "--reason",
    "shipped by hand",
];

fn with_workflow_task(person: &Person) {
    person.ok(&["new", "m"]);
    person.ok(&["task", "add", "m", "k", "--kiro"]);
}

/// Each person asks offline to advance task k past design and approves their own
/// request (`extra` arguments added, `{name}` in them replaced by the person's name),
/// then all sync; the requests' ids, in the order of `people`.
fn twin_requests_approved(people: &[Person], extra: &[&str]) -> Vec<String> {
    let mut ids = Vec::new();
    for person in people {
        let id = open_request(person, "design");
        let mut args: Vec<String> = ["approval", "approve", &id, "--role", person.name]
            .map(String::from)
            .to_vec();
        args.extend(extra.iter().map(|a| a.replace("{name}", person.name)));
        person.ok(&args);
        ids.push(id);
    }
    people[0].sync();
    people[1].sync();
    people[0].sync();
    assert_same_everywhere(people);
    ids
}

#[test]
fn item01_approval_requests_are_unique_across_clones() {
    let (_remote, people) = team(&["Alice", "Bob"], with_workflow_task);
    let ids = twin_requests_approved(&people, &[]);
    for id in &ids {
        assert!(id.starts_with("approval-m-k-design-spec-1-"), "{id}");
    }
    assert_ne!(ids[0], ids[1], "two clones asking offline make two ids");
    // Whichever request the merge kept, it carries its own clone's decision only.
    let list = approvals(&people[0]);
    assert!(!list.is_empty());
    for request in &list {
        let owner = if request["id"] == ids[0].as_str() {
            "Alice"
        } else {
            "Bob"
        };
        assert!(ids.contains(&request["id"].as_str().unwrap().to_string()));
        for approver in request["approvers"].as_array().unwrap() {
            assert!(
                approver["decided_by"].as_str().unwrap().starts_with(owner),
                "{request:#}"
            );
        }
    }
    assert_eq!(workflow(&people[1], "m", "k")["current_phase"], "spec");
}

#[test]
fn item02_a_decision_never_moves_a_task_backwards() {
    let (_remote, people) = team(&["Alice", "Bob"], with_workflow_task);
    let (alice, bob) = (&people[0], &people[1]);
    let first = open_request(alice, "design");
    alice.sync();
    bob.sync();
    // The phase is set again: the request is superseded, and a new one opens.
    alice.ok(&["phase", "set", "m", "k", "design", "completed"]);
    alice.ok(&["phase", "advance", "m", "k"]);
    let list = approvals(alice);
    assert_eq!(list[0]["status"], "superseded", "{list:#?}");
    let second = list[1]["id"].as_str().unwrap().to_string();
    alice.ok(&["approval", "approve", &second, "--role", "lead"]);
    alice.ok(&["phase", "set", "m", "k", "spec", "completed"]);
    alice.ok(&["phase", "advance", "m", "k"]);
    let third = approvals(alice)[2]["id"].as_str().unwrap().to_string();
    alice.ok(&["approval", "approve", &third, "--role", "lead"]);
    assert_eq!(workflow(alice, "m", "k")["current_phase"], "task");
    let tip = alice.tip();
    let err = alice.fails(&["approval", "approve", &first, "--role", "lead"], 1);
    assert!(err.contains("superseded"), "{err}");
    assert!(err.contains("hint: "), "{err}");
    assert_eq!(alice.tip(), tip, "nothing written");
    let text = alice.ok(&["approval", "list"]);
    assert!(text.contains("superseded"), "{text}");

    // Bob, offline, still sees the first request open and approves it. After the
    // merge replays both clones' decisions, nothing has gone back.
    bob.ok(&["approval", "approve", &first, "--role", "lead"]);
    assert_eq!(workflow(bob, "m", "k")["current_phase"], "spec");
    alice.sync();
    bob.sync();
    alice.sync();
    assert_same_everywhere(&people);
    let w = workflow(bob, "m", "k");
    let phases = ["design", "spec", "task", "execute"];
    let in_progress = phases
        .iter()
        .filter(|p| w["phases"][p]["status"] == "in_progress")
        .count();
    assert!(in_progress <= 1, "{w:#}");
    let current = phases
        .iter()
        .position(|p| w["current_phase"] == *p)
        .unwrap();
    assert!(current >= 1, "{w:#}");
    for earlier in &phases[..current] {
        let status = w["phases"][earlier]["status"].as_str().unwrap();
        assert!(
            ["approved", "completed"].contains(&status),
            "{earlier}: {w:#}"
        );
    }
}

#[test]
fn item03_gates_cannot_be_bypassed() {
    let (_remote, people) = team(&["Alice"], with_workflow_task);
    let alice = &people[0];
    let tip = alice.tip();
    let err = alice.fails(&["task", "complete", "m", "k"], 1);
    assert!(err.contains("phase set m k"), "{err}");
    alice.fails(&["task", "set", "m", "k", "blocked"], 1);
    alice.fails(&["task", "complete", "m", "k", "--force"], 2);
    assert_eq!(alice.tip(), tip, "nothing written");
    assert_eq!(task(alice, "m", "k")["status"], "pending");

    // A trailer cannot complete it either, and says why.
    alice.ok(&["hooks", "install"]);
    let out = alice.git(&[
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "done?\n\nCompletes: m/k",
    ]);
    let err = stderr(&out);
    assert!(err.contains("Completes: m/k moves nothing"), "{err}");
    assert_eq!(task(alice, "m", "k")["status"], "pending");

    // Forced with a reason: done, and on record.
    alice.ok(&FORCED);
    assert_eq!(task(alice, "m", "k")["status"], "completed");
    let events = alice.json(&["events", "m", "--type", "kiro_workflow_overridden"]);
    assert_eq!(events[0]["data"]["reason"], "shipped by hand", "{events:#}");
}

#[test]
fn item04_phase_advance_needs_the_phase_completed() {
    let (_remote, people) = team(&["Alice"], with_workflow_task);
    let alice = &people[0];
    let tip = alice.tip();
    let err = alice.fails(&["phase", "advance", "m", "k"], 1);
    assert!(
        err.contains("hint: complete it first: `git milestone phase set m k design completed`"),
        "{err}"
    );
    alice.ok(&["phase", "set", "m", "k", "design", "in_progress"]);
    alice.fails(&["phase", "advance", "m", "k"], 1);
    assert!(approvals(alice).is_empty());
    assert_ne!(alice.tip(), tip);
    alice.ok(&["phase", "set", "m", "k", "design", "completed"]);
    alice.ok(&["phase", "advance", "m", "k"]);
    assert_eq!(approvals(alice).len(), 1);
}

#[test]
fn item05_short_trailers_are_resolved_by_their_committer() {
    let (_remote, people) = team(&["Bob", "Alice"], |bob| {
        bob.ok(&["new", "v1.0"]);
        bob.ok(&["task", "add", "v1.0", "k2"]);
        bob.ok(&["new", "v1.1"]);
        bob.ok(&["task", "add", "v1.1", "k1"]);
        bob.ok(&["task", "add", "v1.1", "k2"]);
    });
    let (bob, alice) = (&people[0], &people[1]);
    for person in &people {
        person.ok(&["hooks", "install"]);
    }
    bob.ok(&["session", "start", "v1.0"]);
    alice.ok(&["session", "start", "v1.1"]);
    let out = bob.git(&[
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "work\n\nCompletes: k1\nCompletes: k2",
    ]);
    let err = stderr(&out);
    assert!(
        err.contains("Completes: v1.0/k1 ignored: milestone v1.0 has no task k1"),
        "{err}"
    );
    assert_eq!(task(bob, "v1.0", "k2")["status"], "completed");
    let moved = bob.json(&["events", "v1.0", "--type", "task_status_changed"]);
    assert_eq!(moved[0]["data"]["target"], "v1.0/k2", "{moved:#}");
    bob.git(&["push", "-q", "origin", "HEAD:main"]);
    bob.sync();

    // Alice pulls Bob's commit with her session on v1.1: nothing of v1.1 moves.
    alice.git(&["pull", "-q", "--no-rebase", "origin", "main"]);
    alice.sync();
    assert_eq!(task(alice, "v1.1", "k1")["status"], "pending");
    assert_eq!(task(alice, "v1.1", "k2")["status"], "pending");
    assert_eq!(task(alice, "v1.0", "k2")["status"], "completed");
}

/// Bob and Alice, milestone v1 with task t1 in both clones, hooks installed.
fn bob_and_alice_with_hooks() -> (TestRepo, Vec<Person>) {
    let (remote, people) = team(&["Bob", "Alice"], |bob| {
        bob.ok(&["new", "v1"]);
        bob.ok(&["task", "add", "v1", "t1"]);
    });
    for person in &people {
        person.ok(&["hooks", "install"]);
    }
    (remote, people)
}

/// A commit of `person`'s with the trailer `Completes: v1/t1`; its id.
fn commit_completing_t1(person: &Person) -> String {
    let message = "fix\n\nCompletes: v1/t1";
    person.git(&["commit", "-q", "--allow-empty", "-m", message]);
    let head = person.git(&["rev-parse", "HEAD"]).stdout;
    String::from_utf8(head).unwrap().trim().to_string()
}

#[test]
fn item06_a_commits_trailer_moves_a_task_once() {
    let (_remote, people) = bob_and_alice_with_hooks();
    let (bob, alice) = (&people[0], &people[1]);
    let commit = commit_completing_t1(bob);
    bob.git(&["push", "-q", "origin", "HEAD:main"]);
    // Alice's post-merge hook applies the same trailer before she syncs milestones.
    alice.git(&["pull", "-q", "--no-rebase", "origin", "main"]);
    assert_eq!(task(alice, "v1", "t1")["status"], "completed");
    alice.sync();
    bob.sync();
    alice.sync();
    assert_same_everywhere(&people);
    for person in &people {
        let timeline = person.json(&["timeline", "v1"]);
        let moves: Vec<&Value> = timeline
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["event_type"] == "task_status_changed")
            .filter(|e| e["data"]["commit"] == commit)
            .collect();
        assert_eq!(moves.len(), 1, "{}: {moves:#?}", person.name);
        let events = person.json(&["events", "v1", "--type", "task_status_changed"]);
        assert_eq!(events.as_array().unwrap().len(), 1, "{events:#}");
    }
}

#[test]
fn item07_checkpoint_names_resolve_the_same_everywhere() {
    let (_remote, people) = team(&["Alice", "Bob"], |alice| {
        alice.ok(&["new", "m"]);
    });
    let (alice, bob) = (&people[0], &people[1]);
    alice.ok(&["state", "save", "m", r#"{"by": "alice"}"#]);
    alice.ok(&["checkpoint", "create", "m", "x"]);
    bob.ok(&["state", "save", "m", r#"{"by": "bob"}"#]);
    bob.ok(&["event", "add", "m", "note"]);
    bob.ok(&["checkpoint", "create", "m", "x"]);
    let alices = alice
        .repo
        .rev_parse("refs/tags/milestone/m/x^{commit}")
        .unwrap();
    // Bob syncs first, then Alice: each is told.
    let told_bob = bob.sync();
    let told_alice = alice.sync();
    let told_bob_later = bob.sync();
    assert_same_everywhere(&people);
    let list = alice.json(&["checkpoint", "list", "m"]);
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{list:#}");
    assert!(names.contains(&"x"), "{names:?}");
    // Alice's was made on the earlier operation: it keeps the name.
    for person in &people {
        let x = person.repo.rev_parse("refs/tags/milestone/m/x^{commit}");
        assert_eq!(x.as_deref(), Some(alices.as_str()), "{}", person.name);
    }
    let clashes = |report: &Value| report["checkpoint_clashes"].as_array().unwrap().len();
    assert_eq!(
        clashes(&told_bob),
        0,
        "nothing to clash with yet: {told_bob:#}"
    );
    assert_eq!(clashes(&told_alice), 1, "{told_alice:#}");
    let renamed = told_alice["checkpoint_clashes"][0]["renamed_to"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(renamed.starts_with("m/x-"), "{renamed}");
    assert_eq!(told_alice["checkpoint_clashes"][0]["kept_ours"], true);
    assert_eq!(
        told_bob_later["checkpoint_clashes"][0]["kept_ours"], false,
        "{told_bob_later:#}"
    );
    assert_eq!(
        told_bob_later["checkpoint_clashes"][0]["renamed_to"],
        renamed.as_str()
    );

    // The other order: the clone that keeps the name syncs first; it is told when
    // the other's renamed copy arrives.
    alice.ok(&["checkpoint", "create", "m", "y"]);
    bob.ok(&["event", "add", "m", "note"]);
    bob.ok(&["checkpoint", "create", "m", "y"]);
    assert_eq!(clashes(&alice.sync()), 0);
    let told_bob = bob.sync();
    assert_eq!(
        told_bob["checkpoint_clashes"][0]["kept_ours"], false,
        "{told_bob:#}"
    );
    let told_alice = alice.sync();
    assert_eq!(
        told_alice["checkpoint_clashes"][0]["checkpoint"], "m/y",
        "{told_alice:#}"
    );
    assert_eq!(told_alice["checkpoint_clashes"][0]["kept_ours"], true);
    assert_eq!(
        told_alice["checkpoint_clashes"][0]["renamed_to"],
        told_bob["checkpoint_clashes"][0]["renamed_to"]
    );
    assert_same_everywhere(&people);

    // An automatic checkpoint stays in the clone that made it.
    bob.ok(&["checkpoint", "restore", "m", "x"]);
    bob.sync();
    alice.sync();
    let auto = |p: &Person| {
        p.json(&["checkpoint", "list", "m"])
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["name"].as_str().unwrap().starts_with("pre-restore-"))
            .count()
    };
    assert_eq!((auto(bob), auto(alice)), (1, 0));
}

#[test]
fn item08_events_and_timeline_have_one_order_in_every_clone() {
    let (_remote, people) = team(&["Alice", "Bob"], |alice| {
        alice.ok(&["new", "m"]);
    });
    let (alice, bob) = (&people[0], &people[1]);
    // Clocks that disagree: Alice's runs five seconds ahead of Bob's.
    let at = |p: &Person, date: &str, args: &[&str]| {
        let mut cmd = p.repo.cmd();
        cmd.args(args).env("GIT_COMMITTER_DATE", date);
        for (key, value) in p.env() {
            cmd.env(key, value);
        }
        expect_ok(&output_of(&mut cmd, None), "a dated command");
    };
    at(
        alice,
        "2026-03-01T14:38:55Z",
        &["event", "add", "m", "alice.one"],
    );
    at(
        bob,
        "2026-03-01T14:38:50Z",
        &["event", "add", "m", "bob.one"],
    );
    at(
        bob,
        "2026-03-01T14:38:51Z",
        &["event", "add", "m", "bob.two"],
    );
    alice.sync();
    bob.sync();
    alice.sync();
    assert_same_everywhere(&people);
    let timeline = alice.json(&["timeline", "m"]);
    let mut newest_first = bob.json(&["events", "m", "--limit", "1000"]);
    newest_first.as_array_mut().unwrap().reverse();
    assert_eq!(timeline, newest_first, "events is the timeline reversed");
    let types: Vec<&str> = timeline
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event_type"].as_str().unwrap())
        .collect();
    // Merge order: lamport first, so Bob's second event (made on his first) comes
    // after Alice's, whose clock said later.
    let pos = |t: &str| types.iter().position(|x| *x == t).unwrap();
    assert!(pos("bob.one") < pos("bob.two"));
    assert!(pos("alice.one") < pos("bob.two"));
    let help = alice.ok(&["timeline", "--help"]);
    assert!(help.contains("merge order"), "{help}");
}

#[test]
fn item10_sync_says_what_it_overrode() {
    let (_remote, people) = team(&["Alice", "Bob"], |alice| {
        alice.ok(&["new", "m"]);
        alice.ok(&["task", "add", "m", "stripe"]);
        alice.ok(&["checkpoint", "create", "m", "cp1"]);
    });
    let (alice, bob) = (&people[0], &people[1]);
    alice.ok(&["task", "set", "m", "stripe", "blocked"]);
    alice.ok(&["state", "save", "m", r#"{"by": "alice"}"#]);
    bob.ok(&["task", "set", "m", "stripe", "completed"]);
    bob.ok(&["state", "save", "m", r#"{"by": "bob"}"#]);
    bob.sync();
    let report = alice.sync();
    let overridden = report["overridden"].as_array().unwrap();
    let status = overridden
        .iter()
        .find(|o| o["what"] == "task stripe status")
        .unwrap_or_else(|| panic!("{report:#}"));
    for field in [
        "milestone_id",
        "what",
        "kept",
        "dropped",
        "kept_by",
        "dropped_by",
    ] {
        assert!(status.get(field).is_some(), "{field}: {status:#}");
    }
    let mut values = [
        status["kept"].as_str().unwrap(),
        status["dropped"].as_str().unwrap(),
    ];
    values.sort();
    assert_eq!(values, ["blocked", "completed"]);
    let kept_value = task(alice, "m", "stripe")["status"].clone();
    assert_eq!(
        status["kept"], kept_value,
        "the report names the value kept"
    );
    assert!(
        overridden.iter().any(|o| o["what"] == "state"),
        "{report:#}"
    );

    // A restore that undoes a teammate's later change says so.
    bob.sync();
    bob.ok(&["state", "save", "m", r#"{"by": "bob, later"}"#]);
    for n in 0..3 {
        alice.ok(&["event", "add", "m", &format!("n{n}")]);
    }
    alice.ok(&["checkpoint", "restore", "m", "cp1"]);
    bob.sync();
    let out = alice.run(&["sync"]);
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &stderr(&out);
    assert!(
        text.contains("overridden: m state: kept restored checkpoint cp1 (Alice)"),
        "{text}"
    );
    assert!(text.contains("(Bob)"), "{text}");
}

#[test]
fn item11_import_without_an_id_is_refused() {
    let repo = TestRepo::new();
    let file = repo.write_file("v2.yaml", "title: Second\ntasks: [{id: a}]\n");
    let tip = repo.tip();
    let err = repo.fails(["import", file.to_str().unwrap()], 1);
    assert!(err.contains("v2.yaml:1: missing field `id`"), "{err}");
    assert!(err.contains("hint: add the milestone's id"), "{err}");
    assert_eq!(repo.tip(), tip, "nothing written");
    assert!(repo.json(["list"]).as_array().unwrap().is_empty());
}

#[test]
fn item12_a_restore_keeps_the_active_session() {
    let repo = TestRepo::new();
    repo.ok(["new", "v1"]);
    repo.ok(["state", "save", "v1", r#"{"at": "checkpoint"}"#]);
    repo.ok(["checkpoint", "create", "v1", "cp1"]);
    let session = repo.ok(["session", "start", "v1"]).trim().to_string();
    repo.ok(["state", "save", "v1", "{}"]);
    repo.ok(["checkpoint", "restore", "v1", "cp1"]);
    assert_eq!(repo.ok(["session", "current"]).trim(), session);
    let state: Value = serde_json::from_str(&repo.ok(["state", "load", "v1"])).unwrap();
    assert_eq!(state["at"], "checkpoint", "the data came back");
    repo.ok(["session", "end"]);
    let sessions = repo.json(["session", "list"]);
    assert_eq!(sessions[0]["status"], "completed", "{sessions:#}");
}

#[test]
fn item03_a_forced_override_shows_in_approval_show_events_and_the_report() {
    let (_remote, people) = team(&["Alice"], with_workflow_task);
    let alice = &people[0];
    alice.ok(&["task", "add", "m", "other", "--kiro"]);
    let id = open_request(alice, "design");
    let before = alice.ok(&["approval", "show", &id]);
    assert!(!before.contains("overridden"), "{before}");
    alice.ok(&FORCED);
    alice.ok(&[
        "task",
        "start",
        "m",
        "other",
        "--force",
        "--reason",
        "elsewhere",
    ]);

    let text = alice.ok(&["approval", "show", &id]);
    let shown = text.split("Gates overridden on this task:").nth(1);
    let shown = shown.unwrap_or_else(|| panic!("no overrides in {text}"));
    assert!(
        shown.contains("by Alice: in_progress → completed (--force): \"shipped by hand\""),
        "{text}"
    );
    assert!(
        !shown.contains("elsewhere"),
        "another task's override: {text}"
    );
    let json = alice.json(&["approval", "show", &id]);
    let overrides = json["overrides"].as_array().unwrap();
    assert_eq!(overrides.len(), 1, "{json:#}");
    assert_eq!(overrides[0]["reason"], "shipped by hand");
    assert_eq!(overrides[0]["new_status"], "completed");
    assert_eq!(overrides[0]["user"], "Alice");

    let events = alice.json(&["events", "m", "--type", "kiro_workflow_overridden"]);
    assert_eq!(events.as_array().unwrap().len(), 2, "{events:#}");
    let text = alice.ok(&["events", "m", "--type", "kiro_workflow_overridden"]);
    assert!(text.contains("shipped by hand"), "{text}");

    let site = alice.repo.path.join("site");
    alice.ok(&["report", "--out", site.to_str().unwrap(), "m"]);
    let page = std::fs::read_to_string(site.join("milestone-m.html")).unwrap();
    let section = page.split("<h2>Gates overridden</h2>").nth(1);
    let section = section.unwrap_or_else(|| panic!("no overrides section: {page}"));
    for expected in ["shipped by hand", "elsewhere", ">k</td>", ">other</td>"] {
        assert!(section.contains(expected), "{expected}: {section}");
    }
}

#[test]
fn item01_twin_requests_made_offline_are_both_kept_each_with_its_decisions() {
    let (_remote, people) = team(&["Alice", "Bob"], with_workflow_task);
    let ids = twin_requests_approved(&people, &["--comment", "{name} says yes"]);
    let list = approvals(&people[1]);
    assert_eq!(list.len(), 2, "both requests kept: {list:#?}");
    let status = |id: &str| {
        let request = list.iter().find(|r| r["id"] == id).unwrap();
        request["status"].as_str().unwrap().to_string()
    };
    let mut statuses = vec![status(&ids[0]), status(&ids[1])];
    statuses.sort();
    assert_eq!(statuses, ["approved", "superseded"], "{list:#?}");
    for (id, owner) in ids.iter().zip(["Alice", "Bob"]) {
        let request = list.iter().find(|r| r["id"] == id.as_str()).unwrap();
        let approvers = request["approvers"].as_array().unwrap();
        assert_eq!(approvers.len(), 1, "{request:#}");
        assert_eq!(approvers[0]["status"], "approved");
        assert_eq!(approvers[0]["comments"], format!("{owner} says yes"));
        assert!(approvers[0]["decided_by"]
            .as_str()
            .unwrap()
            .starts_with(owner));
        let shown = people[0].ok(&["approval", "show", id]);
        assert!(shown.contains(&format!("{owner} says yes")), "{shown}");
    }
    let superseded = if status(&ids[0]) == "superseded" {
        &ids[0]
    } else {
        &ids[1]
    };
    let shown = people[0].ok(&["approval", "list"]);
    assert!(shown.contains(superseded.as_str()), "{shown}");
    // The task went through the gate once, and no decision is left to make.
    assert_eq!(workflow(&people[0], "m", "k")["current_phase"], "spec");
    let open = people[0].json(&["approval", "list", "--pending"]);
    assert_eq!(open.as_array().unwrap().len(), 0, "{open:#}");
}

#[test]
fn item06_a_commits_trailer_moves_a_task_once_in_the_state_after_a_reopen() {
    let (_remote, people) = bob_and_alice_with_hooks();
    let (bob, alice) = (&people[0], &people[1]);
    // Alice has worked offline: her next operation comes late in merge order.
    for n in 0..3 {
        alice.ok(&[
            "event",
            "add",
            "v1",
            "note",
            "--data",
            &format!("{{\"n\":{n}}}"),
        ]);
    }
    let commit = commit_completing_t1(bob);
    assert_eq!(task(bob, "v1", "t1")["status"], "completed");
    // Not done after all: Bob reopens it.
    bob.ok(&["task", "set", "v1", "t1", "in_progress"]);
    bob.git(&["push", "-q", "origin", "HEAD:main"]);
    bob.sync();
    // Alice's post-merge hook applies the same trailer in her clone.
    alice.git(&["pull", "-q", "--no-rebase", "origin", "main"]);
    assert_eq!(task(alice, "v1", "t1")["status"], "completed");
    alice.sync();
    bob.sync();
    assert_same_everywhere(&people);
    for person in &people {
        let t1 = task(person, "v1", "t1");
        assert_eq!(
            t1["status"], "in_progress",
            "{}: the reopen stands",
            person.name
        );
        let moves: Vec<Value> = person
            .json(&["timeline", "v1"])
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["data"]["commit"] == commit)
            .cloned()
            .collect();
        assert_eq!(moves.len(), 1, "{}: {moves:#?}", person.name);
    }
    // The state says which trailers moved the task, so every later replay knows.
    let yaml = alice.ok(&["export", "v1"]);
    assert!(yaml.contains(&commit), "{yaml}");
}

/// Completes task k's current phase and asks to advance it; the new request's id.
fn open_request(person: &Person, phase: &str) -> String {
    person.ok(&["phase", "set", "m", "k", phase, "completed"]);
    person.ok(&["phase", "advance", "m", "k"]);
    let list = approvals(person);
    list.last().unwrap()["id"].as_str().unwrap().to_string()
}

fn request_status(person: &Person, id: &str) -> String {
    let shown = person.json(&["approval", "show", id]);
    shown["status"].as_str().unwrap().to_string()
}

#[test]
fn item02_edit_import_and_restore_supersede_the_requests_they_leave_stale() {
    let (_remote, people) = team(&["Alice"], with_workflow_task);
    let alice = &people[0];
    alice.ok(&["checkpoint", "create", "m", "before"]);

    // `edit` that sets the waiting phase again.
    let edited = open_request(alice, "design");
    let out = alice.repo.run_env(
        &[("GIT_EDITOR", "sed -i 's/waiting_approval/completed/'")],
        ["edit", "m"],
    );
    expect_ok(&out, "edit");
    assert_eq!(request_status(alice, &edited), "superseded");
    let err = alice.fails(&["approval", "approve", &edited, "--role", "lead"], 1);
    assert!(err.contains("superseded"), "{err}");

    // `import --replace` of a definition where the phase is back in progress.
    let imported = open_request(alice, "design");
    assert_eq!(request_status(alice, &imported), "pending");
    let yaml = alice
        .ok(&["export", "m"])
        .replace("waiting_approval", "in_progress");
    let file = alice.repo.write_file("m.yaml", &yaml);
    alice.ok(&["import", file.to_str().unwrap(), "--replace"]);
    assert_eq!(request_status(alice, &imported), "superseded");

    // A restore to before any request: the requests made since stay on record.
    let restored = open_request(alice, "design");
    alice.ok(&["checkpoint", "restore", "m", "before"]);
    assert_eq!(
        workflow(alice, "m", "k")["phases"]["design"]["status"],
        "not_started"
    );
    let list = approvals(alice);
    assert_eq!(list.len(), 3, "{list:#?}");
    for id in [&edited, &imported, &restored] {
        assert_eq!(request_status(alice, id), "superseded", "{id}");
    }
    let pending = alice.json(&["approval", "list", "--pending"]);
    assert_eq!(pending.as_array().unwrap().len(), 0, "{pending:#}");
    let events = alice.json(&["events", "m", "--type", "kiro_approval_superseded"]);
    assert_eq!(events.as_array().unwrap().len(), 3, "one each: {events:#}");
}

/// Adds `n` events in `person`'s clone: their next operations come after `n` more
/// of the others' in merge order (a clone that worked offline for a while).
fn work_offline(person: &Person, n: usize) {
    for i in 0..n {
        let data = format!("{{\"n\":{i}}}");
        person.ok(&["event", "add", "m", "note", "--data", &data]);
    }
}

/// The request `id` in `person`'s `approval list`, which must have it.
fn request(person: &Person, id: &str) -> Value {
    let list = approvals(person);
    let found = list.iter().find(|r| r["id"] == id).cloned();
    found.unwrap_or_else(|| panic!("{}: no request {id} in {list:#?}", person.name))
}

/// `id` is kept in every clone, superseded, with `owner`'s approval on it and
/// nothing else; deciding it again is refused as superseded.
fn assert_kept_superseded_with_its_decision(people: &[Person], id: &str, owner: &str) {
    for person in people {
        let kept = request(person, id);
        assert_eq!(kept["status"], "superseded", "{}: {kept:#}", person.name);
        let approvers = kept["approvers"].as_array().unwrap();
        assert_eq!(approvers.len(), 1, "{kept:#}");
        assert_eq!(approvers[0]["status"], "approved");
        assert_eq!(approvers[0]["comments"], format!("{owner} says yes"));
        let by = approvers[0]["decided_by"].as_str().unwrap();
        assert!(by.starts_with(owner), "{kept:#}");
        let shown = person.ok(&["approval", "show", id]);
        assert!(shown.contains(&format!("{owner} says yes")), "{shown}");
    }
    let err = people[0].fails(&["approval", "approve", id, "--role", "late"], 1);
    assert!(err.contains("superseded"), "{err}");
}

/// Approves `id` in `person`'s clone with a comment saying who.
fn approve(person: &Person, id: &str) {
    let comment = format!("{} says yes", person.name);
    person.ok(&[
        "approval",
        "approve",
        id,
        "--role",
        person.name,
        "--comment",
        &comment,
    ]);
}

#[test]
fn item01_a_twin_request_replayed_after_the_task_moved_on_keeps_its_decisions() {
    let (_remote, people) = team(&["Alice", "Bob"], with_workflow_task);
    let (alice, bob) = (&people[0], &people[1]);
    // Alice goes through the design gate and finishes spec.
    let first = open_request(alice, "design");
    approve(alice, &first);
    alice.ok(&["phase", "set", "m", "k", "spec", "completed"]);
    // Bob asked for the same gate offline, after other work: in merge order his
    // advance comes after all of Alice's, when the task is long past design.
    work_offline(bob, 4);
    let twin = open_request(bob, "design");
    approve(bob, &twin);
    alice.sync();
    bob.sync();
    alice.sync();
    assert_same_everywhere(&people);
    assert_kept_superseded_with_its_decision(&people, &twin, "Bob");
    for person in &people {
        let list = approvals(person);
        assert_eq!(list.len(), 2, "no other request was opened: {list:#?}");
        assert_eq!(request(person, &first)["status"], "approved");
        let k = workflow(person, "m", "k");
        assert_eq!(k["current_phase"], "spec", "{k:#}");
        assert_eq!(k["phases"]["spec"]["status"], "completed", "{k:#}");
    }
}

#[test]
fn item01_requests_opened_by_monitor_are_twins_like_phase_advance_ones() {
    let (_remote, people) = team(&["Alice", "Bob", "Carol"], with_workflow_task);
    let (alice, bob, carol) = (&people[0], &people[1], &people[2]);
    let mut ids = Vec::new();
    // Alice and Bob: the same gate, asked by `monitor` at the same point.
    for person in [alice, bob] {
        person.ok(&["phase", "set", "m", "k", "design", "completed"]);
        person.ok(&["monitor", "m"]);
        let id = approvals(person)[0]["id"].as_str().unwrap().to_string();
        approve(person, &id);
        ids.push(id);
    }
    // Carol's monitor comes after everyone's work in merge order.
    work_offline(carol, 5);
    carol.ok(&["phase", "set", "m", "k", "design", "completed"]);
    carol.ok(&["monitor", "m"]);
    let late = approvals(carol)[0]["id"].as_str().unwrap().to_string();
    approve(carol, &late);
    for _ in 0..2 {
        for person in &people {
            person.sync();
        }
    }
    assert_same_everywhere(&people);
    let list = approvals(carol);
    assert_eq!(list.len(), 3, "every request kept: {list:#?}");
    let statuses: Vec<String> = ids
        .iter()
        .map(|id| request(carol, id)["status"].as_str().unwrap().to_string())
        .collect();
    let gate = if statuses[0] == "approved" { 0 } else { 1 };
    let mut sorted = statuses.clone();
    sorted.sort();
    assert_eq!(sorted, ["approved", "superseded"], "{list:#?}");
    let owners = ["Alice", "Bob"];
    assert_kept_superseded_with_its_decision(&people, &ids[1 - gate], owners[1 - gate]);
    assert_kept_superseded_with_its_decision(&people, &late, "Carol");
    assert_eq!(workflow(carol, "m", "k")["current_phase"], "spec");
}

#[test]
fn item03_a_forced_completion_supersedes_the_pending_request_in_every_clone() {
    let (_remote, people) = team(&["Alice", "Bob"], |alice| {
        with_workflow_task(alice);
        alice.ok(&["task", "add", "m", "k2", "--kiro"]);
        for task in ["k", "k2"] {
            alice.ok(&["phase", "set", "m", task, "design", "completed"]);
            alice.ok(&["phase", "advance", "m", task]);
        }
    });
    let (alice, bob) = (&people[0], &people[1]);
    let ids: Vec<String> = approvals(alice)
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    let (waiting, waiting2) = (&ids[0], &ids[1]);
    assert!(waiting.contains("-k-"), "{ids:?}");
    // Bob ships k by hand; Alice, offline, approves its request afterwards.
    bob.ok(&FORCED);
    assert_eq!(request_status(bob, waiting), "superseded");
    let err = bob.fails(&["approval", "approve", waiting, "--role", "Bob"], 1);
    assert!(err.contains("superseded"), "{err}");
    approve(alice, waiting);
    // `task set … completed --force` does the same.
    alice.ok(&[
        "task",
        "set",
        "m",
        "k2",
        "completed",
        "--force",
        "--reason",
        "dropped",
    ]);
    assert_eq!(request_status(alice, waiting2), "superseded");
    bob.sync();
    alice.sync();
    bob.sync();
    assert_same_everywhere(&people);
    for person in &people {
        for id in [waiting, waiting2] {
            assert_eq!(request_status(person, id), "superseded", "{}", person.name);
        }
        let open = person.json(&["approval", "list", "--pending"]);
        assert_eq!(open.as_array().unwrap().len(), 0, "{open:#}");
        assert_eq!(task(person, "m", "k")["status"], "completed");
        let err = person.fails(&["approval", "reject", waiting, "--role", "late"], 1);
        assert!(err.contains("superseded"), "{err}");
    }
    // Alice's late approval stays on the request, and moved nothing.
    let kept = request(alice, waiting);
    assert_eq!(
        kept["approvers"][0]["comments"], "Alice says yes",
        "{kept:#}"
    );
    assert_eq!(workflow(alice, "m", "k")["current_phase"], "design");
}

/// `tree` with the tasks' memory of trailer moves (`moved_by`) taken out of every
/// milestone's definition, as versions before that memory wrote it.
fn without_moved_by(repo: &git2::Repository, tree: &git2::Tree<'_>) -> git2::Oid {
    let folder = |tree: &git2::Tree<'_>, name: &str| {
        let entry = tree.get_name(name)?;
        Some(repo.find_tree(entry.id()).unwrap())
    };
    let Some(milestones) = folder(tree, "milestones") else {
        return tree.id();
    };
    let mut all = repo.treebuilder(Some(&milestones)).unwrap();
    for entry in milestones.iter() {
        let milestone = repo.find_tree(entry.id()).unwrap();
        let yaml = milestone.get_name("milestone.yaml").unwrap();
        let text = String::from_utf8(repo.find_blob(yaml.id()).unwrap().content().to_vec());
        let kept: String = text
            .unwrap()
            .lines()
            .filter(|l| {
                !["  moved_by:", "  - commit: ", "    trailer: "]
                    .iter()
                    .any(|p| l.starts_with(p))
            })
            .map(|l| format!("{l}\n"))
            .collect();
        let mut folder = repo.treebuilder(Some(&milestone)).unwrap();
        let blob = repo.blob(kept.as_bytes()).unwrap();
        folder.insert("milestone.yaml", blob, 0o100644).unwrap();
        let written = folder.write().unwrap();
        all.insert(entry.name().unwrap(), written, 0o040000)
            .unwrap();
    }
    let mut root = repo.treebuilder(Some(tree)).unwrap();
    root.insert("milestones", all.write().unwrap(), 0o040000)
        .unwrap();
    root.write().unwrap()
}

/// Rewrites `person`'s `refs/milestones` after `base` (a straight line of operations)
/// as a version before the tasks remembered their trailer moves wrote it: the same
/// operations and events, trees without `moved_by`.
fn as_written_before_moved_by(person: &Person, base: &str) {
    let repo = git2::Repository::open(&person.repo.path).unwrap();
    let tip = repo.refname_to_id("refs/milestones").unwrap();
    let mut walk = repo.revwalk().unwrap();
    walk.set_sorting(git2::Sort::TOPOLOGICAL | git2::Sort::REVERSE)
        .unwrap();
    walk.push(tip).unwrap();
    walk.hide(git2::Oid::from_str(base).unwrap()).unwrap();
    let mut parent = repo
        .find_commit(git2::Oid::from_str(base).unwrap())
        .unwrap();
    for oid in walk {
        let commit = repo.find_commit(oid.unwrap()).unwrap();
        assert_eq!(commit.parent_count(), 1, "a straight line");
        let tree = repo
            .find_tree(without_moved_by(&repo, &commit.tree().unwrap()))
            .unwrap();
        let message = commit.message().unwrap();
        let (author, committer) = (commit.author(), commit.committer());
        let id = repo
            .commit(None, &author, &committer, message, &tree, &[&parent])
            .unwrap();
        parent = repo.find_commit(id).unwrap();
    }
    let log = "written as before moved_by";
    repo.reference("refs/milestones", parent.id(), true, log)
        .unwrap();
}

#[test]
fn item06_a_trailer_move_an_older_version_recorded_counts_once_after_merges() {
    let (_remote, people) = team(&["Bob", "Alice", "Carol"], |bob| {
        bob.ok(&["new", "v1"]);
        bob.ok(&["task", "add", "v1", "t1"]);
    });
    let (bob, alice) = (&people[0], &people[1]);
    for person in &people {
        person.ok(&["hooks", "install"]);
    }
    // Before the upgrade: Bob's hook completed t1 for his commit, and the state his
    // version wrote does not remember it. Both clones took that history as it is.
    let base = bob.tip().unwrap();
    bob.git(&[
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "fix\n\nCompletes: v1/t1",
    ]);
    let commit = String::from_utf8(bob.git(&["rev-parse", "HEAD"]).stdout).unwrap();
    let commit = commit.trim();
    as_written_before_moved_by(bob, &base);
    assert!(
        !bob.ok(&["export", "v1"]).contains(commit),
        "no memory of the move"
    );
    bob.git(&["push", "-q", "origin", "HEAD:main"]);
    bob.sync();
    let shared = "refs/meta/milestones:refs/milestones";
    alice.git(&["fetch", "-q", "origin", &format!("+{shared}")]);
    assert_eq!(alice.tip(), bob.tip());
    // A clone of this version takes that history as it is: it holds, nothing is
    // reported as ignored, and `verify` finds nothing wrong.
    let carol = &people[2];
    let synced = carol.sync();
    assert_eq!(synced["ignored"], serde_json::json!([]), "{synced:#}");
    assert_eq!(carol.tip(), bob.tip(), "a fast-forward: {synced:#}");
    carol.ok(&["verify"]);
    // After it, offline: Bob reopens t1; Alice's post-merge hook (her session is
    // open, so it records the merge) sees the same commit's trailer.
    bob.ok(&["task", "set", "v1", "t1", "in_progress"]);
    alice.ok(&["session", "start", "v1"]);
    alice.git(&["pull", "-q", "--no-rebase", "origin", "main"]);
    alice.sync();
    bob.sync();
    alice.sync();
    carol.sync();
    assert_same_everywhere(&people);
    for person in &people {
        let t1 = task(person, "v1", "t1");
        assert_eq!(t1["status"], "in_progress", "{}: moved once", person.name);
        let moves: Vec<Value> = person
            .json(&["timeline", "v1"])
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["event_type"] == "task_status_changed" && e["data"]["commit"] == commit)
            .cloned()
            .collect();
        assert_eq!(moves.len(), 1, "{}: {moves:#?}", person.name);
    }
}
