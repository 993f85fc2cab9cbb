//! A clone trusts nothing it fetches (issue 19). Each test has a teammate, mallory, make
//! a commit with plain git plumbing (`commit-tree`, a temporary index, `update-ref`)
//! and push it with plain git to the shared bare remote. The others' `sync` checks
//! every incoming commit against its operation: what does not hold is reported and not
//! taken as state, their own work is pushed, and every clone ends the same.

use std::path::PathBuf;

use serde_json::Value;

use crate::common::{event_types, expect_failure, hermetic, output_of, stderr, stdout, TestRepo};

/// A bare remote, mallory (who made milestone m: tasks t1 and a workflow task k) and
/// two teammates who cloned and synced.
struct Team {
    remote: PathBuf,
    mallory: TestRepo,
    alice: TestRepo,
    bob: TestRepo,
}

impl Team {
    fn new() -> Self {
        let mallory = TestRepo::uninitialized();
        let remote = mallory.root().join("remote.git");
        let mut init = hermetic("git", &mallory.home);
        init.args(["init", "-q", "--bare", "-b", "main"])
            .arg(&remote);
        assert!(output_of(&mut init, None).status.success());
        mallory.git(["commit", "-q", "--allow-empty", "-m", "base"]);
        mallory.git(["remote", "add", "origin", remote.to_str().unwrap()]);
        mallory.git(["push", "-q", "origin", "main"]);
        mallory.ok(["init"]);
        mallory.milestone_with_tasks("m", &["t1"]);
        mallory.ok(["task", "add", "m", "k", "--kiro"]);
        mallory.ok(["sync"]);
        let alice = TestRepo::clone_of(remote.to_str().unwrap());
        alice.ok(["sync"]);
        let bob = TestRepo::clone_of(remote.to_str().unwrap());
        bob.ok(["sync"]);
        Team {
            remote,
            mallory,
            alice,
            bob,
        }
    }

    /// A fresh clone of the remote, synced.
    fn newcomer(&self) -> TestRepo {
        let clone = TestRepo::clone_of(self.remote.to_str().unwrap());
        clone.ok(["sync"]);
        clone
    }

    /// Mallory runs `args` for real and takes back its commit: the tree and the
    /// message it made, her ref back where it was.
    fn real_operation(&self, args: &[&str]) -> (String, String) {
        let before = self.mallory.tip().unwrap();
        self.mallory.ok(args);
        let tree = self.mallory.rev_parse("refs/milestones^{tree}").unwrap();
        let message = self.mallory.message("refs/milestones");
        self.mallory.git(["update-ref", "refs/milestones", &before]);
        (tree, message)
    }

    /// Mallory commits `tree` with `message` on her tip with `commit-tree` (at `date`
    /// when given) and pushes it with plain git. Returns the commit.
    fn push_forged(&self, tree: &str, message: &str, date: Option<&str>) -> String {
        let parent = self.mallory.tip().unwrap();
        let file = self.mallory.write_file("forged-message", message);
        let file = file.to_str().unwrap();
        let env: Vec<(&str, &str)> = date
            .map(|d| vec![("GIT_COMMITTER_DATE", d), ("GIT_AUTHOR_DATE", d)])
            .unwrap_or_default();
        let commit = self
            .mallory
            .git_env(&env, ["commit-tree", tree, "-p", &parent, "-F", file])
            .trim()
            .to_string();
        self.mallory
            .git(["update-ref", "refs/milestones", &commit, &parent]);
        self.mallory.git([
            "push",
            "-q",
            "origin",
            "refs/milestones:refs/meta/milestones",
        ]);
        commit
    }

    /// The tree of mallory's tip with `files` replaced, made with a temporary index.
    fn edited_tree(&self, files: &[(&str, &str)]) -> String {
        let repo = &self.mallory;
        let index = repo.root().join("forge.index");
        let _ = std::fs::remove_file(&index);
        let index = index.to_str().unwrap().to_string();
        let env = [("GIT_INDEX_FILE", index.as_str())];
        repo.git_env(&env, ["read-tree", "refs/milestones"]);
        for (path, content) in files {
            let blob = repo
                .git_stdin(["hash-object", "-w", "--stdin"], content)
                .trim()
                .to_string();
            let entry = format!("100644,{blob},{path}");
            repo.git_env(&env, ["update-index", "--add", "--cacheinfo", &entry]);
        }
        repo.git_env(&env, ["write-tree"]).trim().to_string()
    }
}

/// The JSON document of an operation's commit message, edited by `edit`.
fn edit_record(message: &str, edit: impl FnOnce(&mut Value)) -> String {
    let (subject, body) = message.split_once("\n\n").unwrap();
    let mut record: Value = serde_json::from_str(body.trim()).unwrap();
    edit(&mut record);
    format!("{subject}\n\n{record}\n")
}

/// `sync --json`, asserting success.
fn sync(repo: &TestRepo) -> Value {
    repo.json(["sync"])
}

/// The reasons `sync` gave for what it ignored.
fn reasons(report: &Value) -> Vec<String> {
    report["ignored"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["reason"].as_str().unwrap().to_string())
        .collect()
}

/// Syncs every clone until none has anything new; then they hold the same tip, the
/// same state and the same timeline, and the everyday commands work.
fn assert_agree(clones: &[&TestRepo]) {
    for _ in 0..2 {
        for clone in clones {
            sync(clone);
        }
    }
    let first = clones[0];
    for clone in clones {
        assert_eq!(clone.tip(), first.tip(), "every clone holds the same tip");
        assert_eq!(clone.json(["show", "m"]), first.json(["show", "m"]));
        assert_eq!(clone.json(["timeline"]), first.json(["timeline"]));
        clone.ok(["status"]);
        clone.ok(["checkpoint", "list"]);
        clone.ok(["init"]);
    }
}

fn task_status(repo: &TestRepo, task: &str) -> String {
    let show = repo.json(["show", "m"]);
    show["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == task)
        .map(|t| t["status"].as_str().unwrap().to_string())
        .unwrap_or_default()
}

#[test]
fn a_hand_edited_tree_is_not_taken_as_state_by_a_fast_forward_or_a_merge() {
    let team = Team::new();
    // A real operation's message over a tree edited by hand: t1 completed.
    let forged = push_t1_completed_by_hand(&team, &["event", "add", "m", "note"]);

    // Bob has nothing of his own (today's fast-forward), Alice has (a merge).
    alice_adds_t2(&team);
    for victim in [&team.bob, &team.alice] {
        let report = sync(victim);
        assert_eq!(
            report["ignored"][0]["commit"],
            forged.as_str(),
            "{report:#}"
        );
        assert!(
            reasons(&report)[0].contains("tree does not match its operation"),
            "{report:#}"
        );
        assert_eq!(report["pushed"], true, "{report:#}");
        assert_eq!(task_status(victim, "t1"), "pending");
    }
    let newcomer = team.newcomer();
    assert_agree(&[&team.alice, &team.bob, &team.mallory, &newcomer]);
    assert_eq!(task_status(&team.mallory, "t1"), "pending");
    assert_eq!(
        task_status(&team.mallory, "t2"),
        "pending",
        "Alice's work is shared"
    );
    // The operation itself was replayed: its event is there once.
    let notes = crate::common::event_types(&newcomer.json(["events", "m"]))
        .into_iter()
        .filter(|t| t == "note")
        .count();
    assert_eq!(notes, 1);
}

#[test]
fn work_built_on_a_commit_that_does_not_hold_is_checked_against_its_real_state_later() {
    let team = Team::new();
    // Its real state (a saved state) is a tree no clone has written before.
    let saved = ["state", "save", "m", r#"{"x": 1}"#];
    let forged = push_t1_completed_by_hand(&team, &saved);
    alice_syncs_ignoring(&team, &forged);

    // Mallory goes on from her forged tip and pushes it as her clone's own ref with
    // plain git; Alice has work of her own, so the merge starts from the forged
    // commit's real state, which her first sync computed (a later process reads it).
    team.mallory.ok(["task", "add", "m", "t3"]);
    team.mallory.git([
        "push",
        "-q",
        "origin",
        "refs/milestones:refs/meta/milestones-by/mallory",
    ]);
    team.alice.ok(["task", "add", "m", "t4"]);
    let report = sync(&team.alice);
    assert_eq!(report["merged"], true, "{report:#}");
    assert_eq!(task_status(&team.alice, "t1"), "pending");
    for task in ["t2", "t3", "t4"] {
        assert_eq!(task_status(&team.alice, task), "pending", "{task} is kept");
    }
    let saved = team.alice.json(["state", "load", "m"]);
    assert_eq!(saved, serde_json::json!({"x": 1}));
    let newcomer = team.newcomer();
    assert_agree(&[&team.alice, &team.bob, &newcomer]);
}

fn alice_adds_t2(team: &Team) {
    team.alice.ok(["task", "add", "m", "t2"]);
}

/// Mallory pushes the message of a real `args` over her tree with t1 completed by
/// hand. Returns the forged commit.
fn push_t1_completed_by_hand(team: &Team, args: &[&str]) -> String {
    let (_, message) = team.real_operation(args);
    let yaml = team.mallory.show_file("milestones/m/milestone.yaml");
    assert!(yaml.contains("status: pending"), "{yaml}");
    let forged_yaml = yaml.replacen("status: pending", "status: completed", 1);
    let tree = team.edited_tree(&[("milestones/m/milestone.yaml", &forged_yaml)]);
    team.push_forged(&tree, &message, None)
}

/// Alice adds t2 and syncs, which reports `forged` first among what it ignored.
fn alice_syncs_ignoring(team: &Team, forged: &str) -> Value {
    alice_adds_t2(team);
    let report = sync(&team.alice);
    assert_eq!(report["ignored"][0]["commit"], forged, "{report:#}");
    report
}

#[test]
fn events_in_a_pushed_message_that_its_operation_did_not_cause_are_not_shown() {
    let team = Team::new();
    let (tree, message) = team.real_operation(&["event", "add", "m", "note"]);
    let message = edit_record(&message, |record| {
        record["events"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({
                "event_type": "kiro_approval_granted",
                "milestone_id": "m",
                "data": {"approval_id": "forged", "approved_by": "Boss"},
                "timestamp": "2020-01-01T00:00:00.000Z",
                "user": "Boss"
            }));
    });
    team.push_forged(&tree, &message, None);
    alice_adds_t2(&team);
    let report = sync(&team.alice);
    assert!(
        reasons(&report)[0].contains("events are not those of its operation"),
        "{report:#}"
    );
    let newcomer = team.newcomer();
    assert_agree(&[&team.alice, &team.bob, &team.mallory, &newcomer]);
    for clone in [&team.alice, &team.bob, &newcomer] {
        let types = crate::common::event_types(&clone.json(["events", "m"]));
        assert!(
            !types.iter().any(|t| t == "kiro_approval_granted"),
            "{types:?}"
        );
        assert_eq!(
            types.iter().filter(|t| *t == "note").count(),
            1,
            "{types:?}"
        );
    }
}

#[test]
fn a_restore_of_a_commit_that_does_not_exist_cannot_wedge_sync() {
    let team = Team::new();
    team.mallory.ok(["checkpoint", "create", "m", "cp"]);
    team.mallory.ok(["task", "start", "m", "t1"]);
    let (_, message) = team.real_operation(&["checkpoint", "restore", "m", "cp"]);
    let tip_tree = team.mallory.rev_parse("refs/milestones^{tree}").unwrap();
    let message = edit_record(&message, |record| {
        record["op"]["commit"] = "1234567890123456789012345678901234567890".into();
        record["events"] = serde_json::json!([]);
    });
    team.push_forged(&tip_tree, &message, None);

    alice_adds_t2(&team);
    let report = sync(&team.alice);
    assert!(
        reasons(&report)
            .iter()
            .any(|r| r.contains("its operation does not apply")),
        "{report:#}"
    );
    assert_eq!(
        report["pushed"], true,
        "Alice's own work goes out: {report:#}"
    );
    // And the next sync still works.
    team.alice.ok(["event", "add", "m", "later"]);
    assert_eq!(sync(&team.alice)["pushed"], true);
    let newcomer = team.newcomer();
    assert_agree(&[&team.alice, &team.bob, &team.mallory, &newcomer]);
    assert_eq!(task_status(&newcomer, "t1"), "in_progress");
}

#[test]
fn a_pushed_ref_of_a_newer_format_stops_sync_and_writes_nothing() {
    let team = Team::new();
    let tree = team.edited_tree(&[("format", "2\n")]);
    team.push_forged(&tree, "a newer layout", None);
    alice_adds_t2(&team);
    let before = team.alice.tip();
    let output = team.alice.run(["sync"]);
    let err = expect_failure(&output, 1, "sync with a newer format on the remote");
    assert!(
        err.contains("written by a newer git-milestone (format 2); upgrade"),
        "{err}"
    );
    assert_eq!(team.alice.tip(), before, "the local ref did not move");
    for args in [
        &["status"][..],
        &["show", "m"],
        &["init"],
        &["checkpoint", "list"],
    ] {
        team.alice.ok(args);
    }
    team.alice.ok(["recover", "m"]);
}

#[test]
fn a_forged_lamport_and_a_slow_clock_cannot_lose_a_completion() {
    let team = Team::new();
    // Carol has work of her own from before, and syncs only at the end.
    let carol = team.newcomer();
    carol.ok(["event", "add", "m", "carol-was-here"]);
    let (tree, message) = team.real_operation(&["event", "add", "m", "note"]);
    let message = edit_record(&message, |record| {
        record["lamport"] = u64::MAX.into();
    });
    team.push_forged(&tree, &message, None);

    sync(&team.alice);
    team.alice.ok(["task", "add", "m", "nt"]);
    sync(&team.alice);
    sync(&team.bob);
    let an_hour_ago = (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339();
    team.bob
        .ok_at(&an_hour_ago, ["task", "complete", "m", "nt"]);
    sync(&team.bob);

    let report = sync(&carol);
    assert_eq!(report["merged"], true, "{report:#}");
    assert_eq!(task_status(&carol, "nt"), "completed", "{report:#}");
    assert_agree(&[&carol, &team.alice, &team.bob, &team.mallory]);
    assert_eq!(task_status(&team.alice, "nt"), "completed");
}

#[test]
fn a_checkpoint_tag_that_names_a_blob_is_ignored_and_never_adopted() {
    let team = Team::new();
    let blob = team
        .mallory
        .git_stdin(["hash-object", "-w", "--stdin"], "not a commit\n")
        .trim()
        .to_string();
    team.mallory.git([
        "push",
        "-q",
        "origin",
        &format!("{blob}:refs/tags/milestone/m/zz"),
    ]);
    alice_adds_t2(&team);
    let report = sync(&team.alice);
    assert!(
        reasons(&report)
            .iter()
            .any(|r| r.contains("checkpoint m/zz") && r.contains("not an annotated tag")),
        "{report:#}"
    );
    assert_eq!(report["pushed"], true, "{report:#}");
    assert!(team.alice.rev_parse("refs/tags/milestone/m/zz").is_none());
    // A bad tag made here by hand does not break the commands either.
    team.alice
        .git(["update-ref", "refs/tags/milestone/m/yy", &blob]);
    let list = team.alice.json(["checkpoint", "list"]);
    assert_eq!(list, serde_json::json!([]));
    team.alice.ok(["cleanup"]);
    team.alice.ok(["checkpoint", "create", "m", "good"]);
    team.alice.ok(["checkpoint", "restore", "m", "good"]);
}

// Issue 13, item 9 (the other items are in semantics.rs): these two need the forged
// commits this module makes.
#[test]
fn item09_a_merge_never_drops_an_operation_it_cannot_decode() {
    let team = Team::new();
    // An operation of a newer version stops the sync: nothing is written.
    let (tree, message) = team.real_operation(&["event", "add", "m", "note"]);
    let newer = edit_record(&message, |record| {
        record["v"] = 2.into();
        record["op"] = serde_json::json!({"type": "something_new", "milestone": "m"});
    });
    let forged = team.push_forged(&tree, &newer, None);
    alice_adds_t2(&team);
    let before = team.alice.tip();
    let output = team.alice.run(["sync"]);
    let err = expect_failure(&output, 1, "sync with an operation of a newer version");
    assert!(
        err.contains(&format!(
            "commit {forged} was written by a newer git-milestone (format 2); upgrade"
        )),
        "{err}"
    );
    assert!(err.contains("nothing was written"), "{err}");
    assert_eq!(team.alice.tip(), before);
    assert!(stdout(&output).is_empty());
    assert!(stderr(&output).lines().count() <= 3, "{err}");
}

#[test]
fn item09_an_unreadable_time_is_replayed_at_the_commit_time_in_every_clone() {
    let team = Team::new();
    let (_, message) = team.real_operation(&["phase", "set", "m", "k", "design", "in_progress"]);
    let message = edit_record(&message, |record| {
        record["at"] = "not a time".into();
    });
    // Any tree: the replay decides what the operation gives.
    let tree = team.mallory.rev_parse("refs/milestones^{tree}").unwrap();
    let commit_time = "2030-01-02T03:04:05Z";
    team.push_forged(&tree, &message, Some(commit_time));
    // Two clones with work of their own merge it at different local times.
    alice_adds_t2(&team);
    team.bob.ok(["event", "add", "m", "bob"]);
    team.alice.ok_at("2031-01-01T00:00:00Z", ["sync"]);
    team.bob.ok_at("2032-01-01T00:00:00Z", ["sync"]);
    assert_agree(&[&team.alice, &team.bob, &team.mallory]);
    let show = team.bob.ok(["show", "m", "--json"]);
    assert!(show.contains("2030-01-02T03:04:05.000Z"), "{show}");
    assert!(!show.contains("2031-") && !show.contains("2032-"), "{show}");
}

#[test]
fn two_syncs_in_one_clone_wait_for_each_other() {
    let team = Team::new();
    for round in 0..3 {
        team.alice
            .ok(["event", "add", "m", &format!("alice-{round}")]);
        team.mallory
            .ok(["event", "add", "m", &format!("mallory-{round}")]);
        team.mallory.ok(["sync"]);
        let children: Vec<_> = (0..2)
            .map(|_| {
                team.alice
                    .cmd()
                    .arg("sync")
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for child in children {
            let output = child.wait_with_output().unwrap();
            crate::common::expect_ok(&output, "two syncs at once");
        }
    }
    assert_agree(&[&team.alice, &team.mallory, &team.bob]);
}

#[test]
fn titles_with_terminal_commands_are_printed_escaped() {
    let repo = TestRepo::new();
    let title = "set\x1b]0;pwned\x07title \x1b[2Jand clear";
    repo.ok(["new", "m", "--title", title]);
    repo.ok(["task", "add", "m", "t", "--title", title]);
    repo.ok([
        "event",
        "add",
        "m",
        "note",
        "--data",
        r#"{"text": "\u001b[2J"}"#,
    ]);
    for args in [
        &["list"][..],
        &["show", "m"],
        &["status"],
        &["events", "m"],
        &["timeline", "m"],
    ] {
        let out = repo.ok(args);
        assert!(
            !out.contains('\x1b') && !out.contains('\x07'),
            "{args:?} prints terminal commands raw: {out:?}"
        );
    }
    let shown = repo.ok(["show", "m"]);
    assert!(
        shown.contains("set\\033]0;pwned\\atitle \\033[2Jand clear"),
        "{shown}"
    );
    // JSON keeps the value exactly.
    assert_eq!(repo.json(["show", "m"])["title"], title);
}

/// A reference `.milestones/` folder under `repo`'s root with `active/good.yaml`.
fn reference_folder(repo: &TestRepo) -> PathBuf {
    let folder = repo.root().join("ref/.milestones");
    std::fs::create_dir_all(folder.join("active")).unwrap();
    std::fs::write(folder.join("active/good.yaml"), "id: good\ntitle: Good\n").unwrap();
    folder
}

#[test]
fn import_never_follows_a_symlink_out_of_the_folder() {
    let repo = TestRepo::new();
    let folder = reference_folder(&repo);
    let outside = repo.root().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("secret.yaml"), "id: v1\ntitle: TOP SECRET\n").unwrap();
    std::os::unix::fs::symlink(
        "../../../outside/secret.yaml",
        folder.join("active/v1.yaml"),
    )
    .unwrap();
    let before = repo.tip();
    let err = repo.fails(["import", folder.to_str().unwrap()], 1);
    assert!(
        err.contains("v1.yaml") && err.contains("leads out of the folder"),
        "{err}"
    );
    assert_eq!(repo.tip(), before, "nothing written");
    // What is valid can still come in; the outside file never does.
    repo.ok(["import", folder.to_str().unwrap(), "--skip-invalid"]);
    let ids: Vec<String> = repo
        .json(["list"])
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, ["good"]);
    let everything = repo.git(["log", "-p", "refs/milestones"]);
    assert!(!everything.contains("TOP SECRET"));
}

#[test]
fn import_refuses_two_definitions_of_one_id() {
    let repo = TestRepo::new();
    let folder = reference_folder(&repo);
    std::fs::write(folder.join("active/v2.yaml"), "id: v2\ntitle: One\n").unwrap();
    std::fs::write(folder.join("active/v2.yml"), "id: v2\ntitle: Other\n").unwrap();
    let before = repo.tip();
    let err = repo.fails(["import", folder.to_str().unwrap()], 1);
    assert!(err.contains("a second definition of milestone v2"), "{err}");
    assert_eq!(repo.tip(), before);
}

#[test]
fn import_refuses_a_file_over_its_size_limit_unless_raised() {
    let repo = TestRepo::new();
    let mut yaml = String::from("id: big\ntitle: Big\ndescription: \"");
    yaml.push_str(&"x".repeat(4000));
    yaml.push_str("\"\n");
    let file = repo.write_file("big.yaml", &yaml);
    let err = repo.fails(["import", file.to_str().unwrap(), "--max-size", "2K"], 1);
    assert!(err.contains("over the limit of 2048"), "{err}");
    assert!(err.contains("--max-size"), "{err}");
    repo.fails(["import", file.to_str().unwrap(), "--max-size", "lots"], 2);
    repo.ok(["import", file.to_str().unwrap(), "--max-size", "1M"]);
    // A folder's files are held to it too.
    let folder = reference_folder(&repo);
    std::fs::write(folder.join("active/big.yaml"), &yaml).unwrap();
    let err = repo.fails(
        [
            "import",
            folder.to_str().unwrap(),
            "--max-size",
            "2K",
            "--replace",
        ],
        1,
    );
    assert!(
        err.contains("big.yaml") && err.contains("over the limit"),
        "{err}"
    );
}

/// Mallory points the shared ref at an object that is not a commit (a forced push,
/// which this remote allows).
fn push_non_commit(team: &Team, object: &str) {
    team.mallory.git([
        "push",
        "-q",
        "--force",
        "origin",
        &format!("{object}:refs/meta/milestones"),
    ]);
}

#[test]
fn a_shared_ref_naming_a_tree_is_reported_and_replaced_by_the_next_sync() {
    let team = Team::new();
    let tree = team.mallory.rev_parse("refs/milestones^{tree}").unwrap();
    push_non_commit(&team, &tree);
    alice_adds_t2(&team);
    let tip = team.alice.tip();
    // Exit 0: the ref is ignored and reported, alice's work goes out.
    let report = sync(&team.alice);
    let ignored = &report["ignored"][0];
    assert_eq!(ignored["commit"], tree.as_str(), "{report:#}");
    assert_eq!(
        ignored["reason"], "it names a tree, not a commit",
        "{report:#}"
    );
    assert_eq!(report["pushed"], true, "{report:#}");
    assert_eq!(team.alice.tip(), tip, "nothing of the tree was taken");
    let remote = team.remote.to_str().unwrap();
    let shared = team
        .alice
        .git(["ls-remote", remote, "refs/meta/milestones"]);
    assert!(shared.starts_with(tip.as_deref().unwrap()), "{shared}");
    // The text report names it too.
    push_non_commit(&team, &tree);
    team.alice.ok(["event", "add", "m", "again"]);
    let text = team.alice.ok(["sync"]);
    assert!(
        text.contains(&format!("ignored: commit {}", &tree[..12]))
            && text.contains("it names a tree, not a commit"),
        "{text}"
    );
    assert_agree(&[&team.alice, &team.bob, &team.mallory]);
    assert_eq!(task_status(&team.bob, "t2"), "pending");
}

/// A raw tree object with `entries` (mode, name, id) in the order given, written
/// with `hash-object --literally`, as git itself would never write it.
fn raw_tree(repo: &TestRepo, entries: &[(&str, &str, &str)]) -> String {
    let mut bytes = Vec::new();
    for (mode, name, id) in entries {
        bytes.extend(format!("{mode} {name}\0").as_bytes());
        let id: Vec<u8> = (0..id.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&id[i..i + 2], 16).unwrap())
            .collect();
        bytes.extend(id);
    }
    let file = repo.root().join("raw-tree");
    std::fs::write(&file, bytes).unwrap();
    let file = file.to_str().unwrap();
    let args = ["hash-object", "-t", "tree", "--literally", "-w", file];
    repo.git(args).trim().to_string()
}

#[test]
fn a_tree_with_entries_out_of_git_order_is_ignored_with_why() {
    let team = Team::new();
    let (tree, message) = team.real_operation(&["event", "add", "m", "note"]);
    let entry = |name: &str| team.mallory.rev_parse(&format!("{tree}:{name}")).unwrap();
    // The same entries as the operation's tree, `milestones` before `format`.
    let unsorted = raw_tree(
        &team.mallory,
        &[
            ("40000", "milestones", &entry("milestones")),
            ("100644", "format", &entry("format")),
        ],
    );
    assert_ne!(unsorted, tree);
    let forged = team.push_forged(&unsorted, &message, None);
    let report = alice_syncs_ignoring(&team, &forged);
    let reason = &reasons(&report)[0];
    assert!(
        reason.contains("the entries of / are out of git's order"),
        "{reason}"
    );
    assert_eq!(report["pushed"], true, "{report:#}");
    // A clone with nothing of its own does not take it as it is either.
    let report = sync(&team.bob);
    assert_eq!(
        report["ignored"][0]["commit"],
        forged.as_str(),
        "{report:#}"
    );
    assert_ne!(team.bob.rev_parse("refs/milestones^{tree}"), Some(unsorted));
    assert_agree(&[&team.alice, &team.bob, &team.mallory]);
    // The operation itself was replayed: its event is there once.
    let events = team.bob.json(["events", "m", "--type", "note"]);
    assert_eq!(events.as_array().unwrap().len(), 1, "{events:#}");
}

/// A saved state of `bytes` bytes, as JSON.
fn state_of_size(bytes: usize) -> String {
    format!("{{\"blob\": \"{}\"}}", "x".repeat(bytes))
}

#[test]
fn a_file_over_the_limit_is_refused_here_and_a_no_op_in_every_clone() {
    let team = Team::new();
    let limit = 8 * 1024 * 1024;
    let tip = team.alice.tip();
    let output = team
        .alice
        .run_stdin(["state", "save", "m"], &state_of_size(limit));
    let err = expect_failure(&output, 1, "state save over the limit");
    assert!(
        err.contains("state.json of milestone m would be")
            && err.contains(&format!("over the limit of {limit}"))
            && err.contains("nothing was written"),
        "{err}"
    );
    assert_eq!(team.alice.tip(), tip, "nothing was written");
    // Just under the limit is written.
    let under = state_of_size(limit - 100);
    let output = team.alice.run_stdin(["state", "save", "m"], &under);
    assert!(output.status.success(), "{}", stderr(&output));
    team.alice
        .git(["update-ref", "refs/milestones", tip.as_deref().unwrap()]);

    // Mallory writes such a state with plumbing: every clone replays it as a no-op.
    let (_, message) = team.real_operation(&["state", "save", "m", "{}"]);
    let big = edit_record(&message, |record| {
        record["op"]["state"] = serde_json::from_str(&state_of_size(limit)).unwrap();
    });
    let tree = team.edited_tree(&[("milestones/m/state.json", &state_of_size(limit))]);
    let forged = team.push_forged(&tree, &big, None);
    let report = sync(&team.alice);
    assert_eq!(
        report["ignored"][0]["commit"],
        forged.as_str(),
        "{report:#}"
    );
    assert!(
        reasons(&report)[0].contains("its operation does not apply: state.json of milestone m"),
        "{report:#}"
    );
    assert_agree(&[&team.alice, &team.bob]);
    let load = team.bob.run(["state", "load", "m"]);
    assert!(
        stderr(&load).contains("no saved state"),
        "{}",
        stderr(&load)
    );
}

#[test]
fn trailers_past_the_hundredth_are_reported_when_recorded() {
    let repo = TestRepo::new();
    repo.milestone_with_tasks("v1", &["api"]);
    repo.ok(["hooks", "install"]);
    let mut message = String::from("many trailers\n\n");
    for _ in 0..150 {
        message.push_str("Task: v1/api\n");
    }
    // Recorded in the background: the next command says it.
    repo.git(["commit", "-q", "--allow-empty", "-m", &message]);
    let head = repo.rev_parse("HEAD").unwrap();
    let err = stderr(&repo.run(["hooks", "status"]));
    let expected = format!(
        "commit {}: only the first 100 Task:/Completes: trailers move tasks; the 50 after \
         them are ignored",
        &head[..12]
    );
    assert!(err.contains(&expected), "{err}");
    let show = repo.json(["show", "v1"]);
    assert_eq!(show["tasks"][0]["status"], "in_progress", "{show:#}");
    // Recorded before git goes on: on git's stderr.
    let mut commit = repo.git_cmd();
    commit
        .args(["commit", "-q", "--allow-empty", "-m", &message])
        .env("GIT_MILESTONE_HOOKS", "sync");
    let output = output_of(&mut commit, None);
    assert!(
        stderr(&output).contains("the 50 after them are ignored"),
        "{}",
        stderr(&output)
    );
}

/// Waits, without running git-milestone (which would retry), until the recordings in
/// the background are done in `repo`'s main worktree.
fn background_done(repo: &TestRepo) {
    let git_dir = repo.git(["rev-parse", "--absolute-git-dir"]);
    let dir = PathBuf::from(git_dir.trim()).join("milestone");
    let start = std::time::Instant::now();
    let running = || {
        std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with("recording."))
    };
    while running() {
        assert!(start.elapsed().as_secs() < 60, "the recording never ended");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// A repository whose post-commit recording of `Task: v1/api` failed in the background
/// (refs/milestones named a commit no version can read meanwhile, put back since), and
/// its count of commits before that commit.
fn a_failed_background_recording() -> (TestRepo, usize) {
    let repo = TestRepo::new();
    repo.milestone_with_tasks("v1", &["api"]);
    repo.ok(["hooks", "install"]);
    let good = repo.tip().unwrap();
    let count = repo.commit_count();
    // While the commit records, refs/milestones names a commit no version can read.
    let tree = repo.git(["mktree"]).trim().to_string();
    let bad = repo
        .git(["commit-tree", &tree, "-m", "not a milestone commit"])
        .trim()
        .to_string();
    repo.git(["update-ref", "refs/milestones", &bad]);
    repo.git(["commit", "-q", "--allow-empty", "-m", "api\n\nTask: v1/api"]);
    background_done(&repo);
    assert_eq!(repo.tip().unwrap(), bad, "the recording failed");
    repo.git(["update-ref", "refs/milestones", &good]);
    (repo, count)
}

#[test]
fn a_recording_that_failed_in_the_background_is_retried_by_the_next_command() {
    let (repo, count) = a_failed_background_recording();

    // The next command reports the failure, then records the commit.
    let output = repo.run(["show", "v1", "--json"]);
    let err = stderr(&output);
    let head = repo.rev_parse("HEAD").unwrap();
    assert!(
        err.contains("warning: in the background, post-commit hook: "),
        "{err}"
    );
    assert!(
        err.contains(&format!("commit {} recorded now", &head[..12])),
        "{err}"
    );
    let show: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(show["tasks"][0]["status"], "in_progress", "{show:#}");
    assert_eq!(repo.commit_count(), count + 1);
    // Once.
    let output = repo.run(["status"]);
    assert_eq!(stderr(&output), "");
    assert_eq!(repo.commit_count(), count + 1);
}

#[test]
fn a_failed_recording_retried_by_commands_at_once_is_recorded_once() {
    let (repo, count) = a_failed_background_recording();

    // Several commands start together; each finds the kept recording.
    let children: Vec<_> = (0..6)
        .map(|_| {
            repo.cmd()
                .arg("status")
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut told = 0;
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
        told += usize::from(stderr(&output).contains("recorded now"));
    }
    assert_eq!(
        repo.commit_count(),
        count + 1,
        "the commit is recorded once"
    );
    assert_eq!(told, 1, "one command recorded it and said so");
    let head = repo.rev_parse("HEAD").unwrap();
    let events = repo.json(["events", "v1"]);
    let of_commit = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            e["event_type"] == "task_status_changed" && e["data"].to_string().contains(&head)
        })
        .count();
    assert_eq!(of_commit, 1, "{events:#}");
}

#[test]
fn a_fresh_clone_whose_only_incoming_ref_names_a_tree_reports_it() {
    let team = Team::new();
    let tree = team.mallory.rev_parse("refs/milestones^{tree}").unwrap();
    push_non_commit(&team, &tree);
    let fresh = TestRepo::clone_of(team.remote.to_str().unwrap());
    // Exit 0, not "nothing to sync": what was ignored, and nothing taken.
    let report = sync(&fresh);
    assert_eq!(report["ignored"][0]["commit"], tree.as_str(), "{report:#}");
    assert_eq!(
        report["ignored"][0]["reason"], "it names a tree, not a commit",
        "{report:#}"
    );
    assert_eq!(report["fetched"], false, "{report:#}");
    assert_eq!(fresh.tip(), None, "no refs/milestones made of a tree");
    let text = fresh.ok(["sync"]);
    assert!(
        text.contains(&format!(
            "ignored: commit {} by unknown: it names a tree",
            &tree[..12]
        )),
        "{text}"
    );
    // Once a teammate pushes a real history over it, the fresh clone takes it.
    team.alice.ok(["event", "add", "m", "again"]);
    team.alice.ok(["sync"]);
    let report = sync(&fresh);
    assert_eq!(report["ignored"], serde_json::json!([]), "{report:#}");
    assert_eq!(fresh.tip(), team.alice.tip());
}

#[test]
fn a_merge_commit_with_a_message_over_the_limit_is_ignored_by_its_size() {
    let team = Team::new();
    // Mallory's own two operations, then a merge of them made with plumbing whose
    // message is 17 MiB.
    team.mallory.ok(["event", "add", "m", "one"]);
    let side = team.mallory.tip().unwrap();
    team.mallory.ok(["event", "add", "m", "two"]);
    let tip = team.mallory.tip().unwrap();
    let tree = team.mallory.rev_parse("refs/milestones^{tree}").unwrap();
    let huge = format!("merge\n\n{}\n", "x".repeat(17 * 1024 * 1024));
    let file = team.mallory.write_file("huge-message", &huge);
    let merge = team
        .mallory
        .git([
            "commit-tree",
            &tree,
            "-p",
            &tip,
            "-p",
            &side,
            "-F",
            file.to_str().unwrap(),
        ])
        .trim()
        .to_string();
    team.mallory
        .git(["update-ref", "refs/milestones", &merge, &tip]);
    team.mallory.git([
        "push",
        "-q",
        "origin",
        "refs/milestones:refs/meta/milestones",
    ]);
    alice_adds_t2(&team);

    let report = sync(&team.alice);
    let ignored = &report["ignored"][0];
    assert_eq!(ignored["commit"], merge.as_str(), "{report:#}");
    let reason = ignored["reason"].as_str().unwrap();
    assert!(
        reason.starts_with(&format!(
            "its message is {} bytes, over the limit",
            huge.len()
        )),
        "{reason}"
    );
    assert_eq!(
        report["pushed"], true,
        "alice's own work goes out: {report:#}"
    );
    // (Mallory's clone trusts its own history, merges too: she is left out.)
    let fresh = TestRepo::clone_of(team.remote.to_str().unwrap());
    assert_agree(&[&team.alice, &team.bob, &fresh]);
    assert_eq!(task_status(&team.bob, "t2"), "pending");
    let events = event_types(&team.bob.json(["events", "m"]));
    assert!(events.iter().any(|t| t == "two"), "{events:?}");
}

#[test]
fn a_merge_commit_with_a_huge_tree_is_ignored_without_reading_it() {
    let team = Team::new();
    // Alice and mallory work apart; mallory's sync merges (not pushed).
    alice_adds_t2(&team);
    team.alice.ok(["sync"]);
    team.mallory.ok(["event", "add", "m", "mine"]);
    team.mallory.ok(["sync", "--no-push"]);
    let merge = team.mallory.tip().unwrap();
    let parents = team
        .mallory
        .git(["rev-list", "--parents", "-n", "1", &merge]);
    let parents: Vec<&str> = parents.split_whitespace().skip(1).collect();
    assert_eq!(parents.len(), 2, "a real merge");
    let message = team.mallory.message(&merge);
    // The same merge with a 9 MiB definition in its tree.
    let huge = format!("id: m\ntitle: {}\n", "x".repeat(9 * 1024 * 1024));
    let tree = team.edited_tree(&[("milestones/m/milestone.yaml", &huge)]);
    let file = team.mallory.write_file("merge-message", &message);
    let forged = team
        .mallory
        .git([
            "commit-tree",
            &tree,
            "-p",
            parents[0],
            "-p",
            parents[1],
            "-F",
            file.to_str().unwrap(),
        ])
        .trim()
        .to_string();
    team.mallory
        .git(["update-ref", "refs/milestones", &forged, &merge]);
    team.mallory.git([
        "push",
        "-q",
        "origin",
        "refs/milestones:refs/meta/milestones",
    ]);

    let report = sync(&team.bob);
    assert_eq!(
        report["ignored"][0]["commit"],
        forged.as_str(),
        "{report:#}"
    );
    assert_eq!(
        reasons(&report)[0],
        "its tree does not match the merge of its parents",
        "{report:#}"
    );
    let fresh = TestRepo::clone_of(team.remote.to_str().unwrap());
    assert_agree(&[&team.alice, &team.bob, &fresh]);
    let show = team.bob.json(["show", "m"]);
    assert_eq!(show["title"], team.alice.json(["show", "m"])["title"]);
    assert_eq!(task_status(&fresh, "t2"), "pending");
    let events = event_types(&fresh.json(["events", "m"]));
    assert!(events.iter().any(|t| t == "mine"), "{events:?}");
}
