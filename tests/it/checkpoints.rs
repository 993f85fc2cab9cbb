//! Checkpoints: annotated tags on commits of refs/milestones, listing, restoring, and
//! reading old versions with `--at`.

use serde_json::Value;

use crate::common::{event_types, expect_failure, TestRepo, COMMITTER_EMAIL, COMMITTER_NAME};

/// The checkpoints of `checkpoint list --json` with `name`.
fn checkpoint<'a>(list: &'a Value, milestone: &str, name: &str) -> &'a Value {
    list.as_array()
        .expect("an array of checkpoints")
        .iter()
        .find(|c| c["milestone_id"] == milestone && c["name"] == name)
        .unwrap_or_else(|| panic!("no checkpoint {milestone}/{name} in {list:#}"))
}

fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect()
}

/// Whether `ancestor` is an ancestor of (or equal to) `descendant`.
fn is_ancestor(repo: &TestRepo, ancestor: &str, descendant: &str) -> bool {
    repo.git_output(["merge-base", "--is-ancestor", ancestor, descendant])
        .status
        .success()
}

#[test]
fn checkpoint_create_makes_an_annotated_tag_on_a_commit_of_the_ref() {
    let repo = TestRepo::new();
    repo.milestone_with_tasks("m1", &["t1"]);
    let tagged = repo.tip().unwrap();
    let out = repo.ok_at(
        "2026-02-03T04:05:06Z",
        ["checkpoint", "create", "m1", "before-rewrite"],
    );
    assert!(out.contains("before-rewrite"), "{out}");
    let tag = "refs/tags/milestone/m1/before-rewrite";
    assert_eq!(repo.git(["cat-file", "-t", tag]).trim(), "tag");
    let raw = repo.git(["cat-file", "-p", tag]);
    assert!(
        raw.contains(&format!(
            "tagger {COMMITTER_NAME} <{COMMITTER_EMAIL}> 1770091506 +0000"
        )),
        "the tagger is the committer identity at the operation's time:\n{raw}"
    );
    assert!(raw.contains("type commit"), "{raw}");
    assert!(
        raw.contains("m1"),
        "the message names the milestone:\n{raw}"
    );
    let target = repo.rev_parse(&format!("{tag}^{{commit}}")).unwrap();
    assert_eq!(target, tagged, "the tag points at the tip it was made on");
    let tip = repo.tip().unwrap();
    assert_ne!(tip, tagged, "checkpoint_created is one more operation");
    assert!(is_ancestor(&repo, &target, &tip));
    assert_eq!(repo.git(["rev-parse", &format!("{tip}^")]).trim(), tagged);

    let record = repo.record("refs/milestones");
    let events = record["events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{record:#}");
    assert_eq!(events[0]["event_type"], "checkpoint_created");
    assert_eq!(events[0]["data"]["checkpoint_name"], "before-rewrite");
    assert_eq!(events[0]["data"]["commit"], tagged.as_str());
    assert_eq!(events[0]["data"]["tag"], tag);
    let logged = repo.json(["events", "m1", "--type", "checkpoint_created"]);
    assert_eq!(logged.as_array().unwrap().len(), 1);
    assert_eq!(logged[0]["commit"], tip.as_str());
}

#[test]
fn checkpoint_default_name_is_manual_and_the_time() {
    let repo = TestRepo::new();
    repo.ok(["new", "m1"]);
    repo.ok_at("2026-03-04T05:06:07Z", ["checkpoint", "create", "m1"]);
    assert!(repo
        .rev_parse("refs/tags/milestone/m1/manual-20260304-050607")
        .is_some());
    assert_eq!(
        names(&repo.json(["checkpoint", "list", "m1"])),
        ["manual-20260304-050607"]
    );
}

#[test]
fn checkpoint_names_are_checked_and_never_reused() {
    let repo = TestRepo::new();
    repo.ok(["new", "m1"]);
    repo.ok(["checkpoint", "create", "m1", "cp"]);
    let tag = repo.rev_parse("refs/tags/milestone/m1/cp").unwrap();
    repo.ok(["task", "add", "m1", "t"]);

    let err = repo.fails(["checkpoint", "create", "m1", "cp"], 1);
    assert!(err.contains("cp"), "{err}");
    assert!(err.contains("already"), "{err}");
    assert_eq!(
        repo.rev_parse("refs/tags/milestone/m1/cp").as_deref(),
        Some(tag.as_str()),
        "the existing tag is untouched"
    );

    let err = repo.fails(["checkpoint", "create", "nope", "cp"], 1);
    assert!(err.contains("nope"), "{err}");
    for bad in ["../x", "a b", "-x", "x..y", ".hidden"] {
        let err = repo.fails(["checkpoint", "create", "m1", "--", bad], 1);
        assert!(err.contains("checkpoint"), "{bad:?}: {err}");
    }
    assert_eq!(
        repo.git(["for-each-ref", "--format=%(refname)", "refs/tags/"])
            .trim(),
        "refs/tags/milestone/m1/cp",
        "a refused checkpoint leaves no tag behind"
    );
}

#[test]
fn checkpoint_list_json_has_the_fields_of_cli_md() {
    let repo = TestRepo::new();
    repo.ok(["new", "m1"]);
    repo.ok(["new", "m2"]);
    let m1_tip = repo.tip().unwrap();
    repo.ok_at(
        "2026-01-10T10:00:00Z",
        ["checkpoint", "create", "m1", "one"],
    );
    repo.ok_at(
        "2026-01-11T10:00:00Z",
        ["checkpoint", "create", "m2", "two"],
    );

    let all = repo.json(["checkpoint", "list"]);
    assert_eq!(all.as_array().unwrap().len(), 2, "{all:#}");
    let one = checkpoint(&all, "m1", "one");
    for field in ["milestone_id", "name", "commit", "created_at", "created_by"] {
        assert!(one.get(field).is_some(), "{field} missing: {one:#}");
    }
    assert_eq!(one["commit"], m1_tip.as_str());
    assert_eq!(one["created_at"], "2026-01-10T10:00:00.000Z");
    assert_eq!(
        one["created_by"],
        format!("{COMMITTER_NAME} <{COMMITTER_EMAIL}>")
    );
    let two = checkpoint(&all, "m2", "two");
    assert_eq!(
        two["commit"].as_str().unwrap(),
        repo.rev_parse("refs/tags/milestone/m2/two^{commit}")
            .unwrap()
    );

    let only_m1 = repo.json(["checkpoint", "list", "m1"]);
    assert_eq!(names(&only_m1), ["one"]);
    let text = repo.ok(["checkpoint", "list"]);
    assert!(
        text.contains("one") && text.contains("two"),
        "the text listing has both:\n{text}"
    );
}

/// A milestone with a task of each kind, saved state, an ended session and a pending
/// approval request, checkpointed as `good`; then all of it changed.
struct Restorable {
    repo: TestRepo,
    checkpoint_commit: String,
    first_session: String,
    second_session: String,
    approval: String,
}

fn restorable() -> Restorable {
    let repo = TestRepo::new();
    repo.git(["commit", "-q", "--allow-empty", "-m", "base"]);
    repo.milestone_with_tasks("m1", &["t1"]);
    repo.ok(["task", "add", "m1", "k", "--kiro"]);
    repo.ok(["state", "save", "m1", r#"{"version": 1}"#]);
    let first_session = repo.ok(["session", "start", "m1"]).trim().to_string();
    repo.ok(["session", "end"]);
    repo.ok(["phase", "set", "m1", "k", "design", "completed"]);
    repo.ok(["phase", "advance", "m1", "k"]);
    let approvals = repo.json(["approval", "list", "m1"]);
    let approval = approvals[0]["id"].as_str().unwrap().to_string();
    repo.milestone_with_tasks("m2", &["other"]);
    repo.ok(["checkpoint", "create", "m1", "good"]);
    let checkpoint_commit = repo
        .rev_parse("refs/tags/milestone/m1/good^{commit}")
        .unwrap();

    // Everything of m1 changes afterwards, and m2 too.
    repo.ok(["task", "complete", "m1", "t1"]);
    repo.ok(["task", "add", "m1", "t3"]);
    repo.ok(["state", "save", "m1", r#"{"version": 2}"#]);
    repo.ok(["approval", "approve", &approval, "--role", "lead"]);
    let second_session = repo.ok(["session", "start", "m1"]).trim().to_string();
    repo.ok(["session", "end"]);
    repo.ok(["task", "complete", "m2", "other"]);
    Restorable {
        repo,
        checkpoint_commit,
        first_session,
        second_session,
        approval,
    }
}

#[test]
fn checkpoint_restore_puts_the_milestone_back_and_leaves_others_alone() {
    let Restorable {
        repo,
        checkpoint_commit,
        first_session,
        second_session,
        approval,
    } = restorable();
    let before = repo.tip().unwrap();
    let count = repo.commit_count();
    let m2_before = repo.rev_parse("refs/milestones:milestones/m2").unwrap();

    repo.ok_at(
        "2026-05-06T07:08:09Z",
        ["checkpoint", "restore", "m1", "good"],
    );

    // m1's files are as they were at the checkpoint, but its sessions: a restore
    // brings back the milestone's data, not the people's sessions.
    for file in ["milestone.yaml", "state.json", "approvals"] {
        assert_eq!(
            repo.rev_parse(&format!("refs/milestones:milestones/m1/{file}")),
            repo.rev_parse(&format!("{checkpoint_commit}:milestones/m1/{file}")),
            "m1's {file} is that of the checkpoint"
        );
    }
    assert_eq!(
        repo.rev_parse("refs/milestones:milestones/m1/sessions"),
        repo.rev_parse(&format!("{before}:milestones/m1/sessions")),
        "the sessions stay as they were"
    );
    let show = repo.json(["show", "m1"]);
    let tasks: Vec<_> = show["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["id"].as_str().unwrap(), t["status"].as_str().unwrap()))
        .collect();
    assert_eq!(tasks, [("t1", "pending"), ("k", "in_progress")]);
    assert_eq!(
        show["tasks"][1]["kiro_workflow"]["phases"]["design"]["status"],
        "waiting_approval"
    );
    assert_eq!(
        repo.json(["state", "load", "m1"]),
        serde_json::json!({"version": 1})
    );
    let sessions: Vec<_> = repo
        .json(["session", "list", "m1"])
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["session_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(sessions, [first_session, second_session]);
    let pending = repo.json(["approval", "list", "m1", "--pending"]);
    assert_eq!(pending.as_array().unwrap().len(), 1, "{pending:#}");
    assert_eq!(pending[0]["id"], approval.as_str());
    assert_eq!(pending[0]["approvers"].as_array().unwrap().len(), 0);

    // m2 changed meanwhile and is untouched.
    assert_eq!(
        repo.rev_parse("refs/milestones:milestones/m2").unwrap(),
        m2_before
    );
    assert_eq!(repo.json(["show", "m2"])["tasks"][0]["status"], "completed");

    // History is not rewritten: a checkpoint_created and a restore on top.
    let after = repo.tip().unwrap();
    assert!(is_ancestor(&repo, &before, &after));
    assert_eq!(repo.commit_count(), count + 2);

    // The automatic checkpoint holds the version the restore replaced.
    let list = repo.json(["checkpoint", "list", "m1"]);
    let safety = checkpoint(&list, "m1", "pre-restore-20260506-070809");
    assert_eq!(safety["commit"], before.as_str());
    assert_eq!(safety["created_at"], "2026-05-06T07:08:09.000Z");

    let events = repo.json(["events", "m1", "-n", "4"]);
    let types = event_types(&events);
    assert!(types.contains(&"state_restored".to_string()), "{types:?}");
    assert!(
        types.contains(&"checkpoint_created".to_string()),
        "{types:?}"
    );
    let restored = &repo.json(["events", "m1", "--type", "state_restored"])[0];
    assert_eq!(restored["data"]["checkpoint_name"], "good");
    assert_eq!(restored["data"]["commit"], checkpoint_commit.as_str());
    assert_eq!(restored["commit"], after.as_str());
    let created = &repo.json(["events", "m1", "--type", "checkpoint_created"])[0];
    assert_eq!(
        created["data"]["checkpoint_name"],
        "pre-restore-20260506-070809"
    );

    // …and restoring it undoes the restore.
    repo.ok(["checkpoint", "restore", "m1", "pre-restore-20260506-070809"]);
    assert_eq!(
        repo.rev_parse("refs/milestones:milestones/m1"),
        repo.rev_parse(&format!("{before}:milestones/m1"))
    );
    assert_eq!(
        repo.json(["state", "load", "m1"]),
        serde_json::json!({"version": 2})
    );
}

#[test]
fn restores_in_the_same_second_get_distinct_pre_restore_checkpoints() {
    let repo = TestRepo::new();
    repo.milestone_with_tasks("m1", &["t"]);
    repo.ok(["checkpoint", "create", "m1", "cp"]);
    let date = "2026-07-01T00:00:00Z";
    repo.ok_at(date, ["task", "complete", "m1", "t"]);
    repo.ok_at(date, ["checkpoint", "restore", "m1", "cp"]);
    repo.ok_at(date, ["checkpoint", "restore", "m1", "cp"]);
    let mut got = names(&repo.json(["checkpoint", "list", "m1"]));
    got.sort();
    assert_eq!(
        got,
        [
            "cp",
            "pre-restore-20260701-000000",
            "pre-restore-20260701-000000-1"
        ]
    );
}

#[test]
fn restoring_an_unknown_checkpoint_is_refused_and_writes_nothing() {
    let repo = TestRepo::new();
    repo.ok(["new", "m1"]);
    repo.ok(["new", "m2"]);
    repo.ok(["checkpoint", "create", "m2", "only-m2"]);
    let tags = repo.git(["for-each-ref", "refs/tags/"]);
    let err = repo.fails(["checkpoint", "restore", "m1", "nope"], 1);
    assert!(err.contains("nope"), "{err}");
    assert!(err.contains("checkpoint list"), "{err}");
    // Another milestone's checkpoint is not this one's.
    repo.fails(["checkpoint", "restore", "m1", "only-m2"], 1);
    assert_eq!(
        repo.git(["for-each-ref", "refs/tags/"]),
        tags,
        "no pre-restore checkpoint"
    );
}

#[test]
fn at_reads_an_old_version_by_checkpoint_or_commit() {
    let repo = TestRepo::new();
    repo.milestone_with_tasks("m1", &["t1"]);
    repo.ok(["state", "save", "m1", r#"{"step": 1}"#]);
    repo.ok(["checkpoint", "create", "m1", "v1"]);
    let v1 = repo
        .rev_parse("refs/tags/milestone/m1/v1^{commit}")
        .unwrap();
    repo.ok(["task", "complete", "m1", "t1"]);
    repo.ok(["task", "add", "m1", "t2", "--title", "Later"]);
    repo.ok(["state", "save", "m1", r#"{"step": 2}"#]);
    let tip = repo.tip().unwrap();

    for at in ["v1", v1.as_str(), &v1[..10], "refs/tags/milestone/m1/v1"] {
        let old = repo.json(["show", "m1", "--at", at]);
        assert_eq!(old["tasks"].as_array().unwrap().len(), 1, "--at {at}");
        assert_eq!(old["tasks"][0]["status"], "pending", "--at {at}");
        assert_eq!(
            repo.json(["state", "load", "m1", "--at", at]),
            serde_json::json!({"step": 1}),
            "--at {at}"
        );
    }
    let export = repo.ok(["export", "m1", "--at", "v1"]);
    assert!(export.contains("t1") && !export.contains("t2"), "{export}");
    assert!(repo.ok(["export", "m1"]).contains("t2"));

    // The event log as it was: nothing after the checkpoint's commit.
    let old_events = repo.json(["events", "m1", "--at", "v1"]);
    assert_eq!(old_events[0]["commit"], v1.as_str());
    assert_eq!(
        event_types(&old_events),
        ["state_saved", "task_added", "milestone_created"]
    );
    let mid = repo.json(["events", "m1", "--at", "refs/milestones~1"]);
    assert_eq!(
        mid[0]["commit"].as_str().unwrap(),
        repo.rev_parse("refs/milestones~1").unwrap()
    );

    // The current version is unchanged by reading old ones.
    assert_eq!(repo.tip().unwrap(), tip);
    assert_eq!(repo.json(["show", "m1"])["tasks"][0]["status"], "completed");
    assert_eq!(
        repo.json(["state", "load", "m1"]),
        serde_json::json!({"step": 2})
    );
}

#[test]
fn at_refuses_commits_outside_the_history_of_the_ref() {
    let repo = TestRepo::new();
    repo.milestone_with_tasks("m1", &["t1"]);
    repo.git(["commit", "-q", "--allow-empty", "-m", "source code"]);
    let head = repo.git(["rev-parse", "HEAD"]).trim().to_string();
    // A commit with the same tree as the tip, but not on refs/milestones.
    let tree = repo.rev_parse("refs/milestones^{tree}").unwrap();
    let lookalike = repo
        .git(["commit-tree", &tree, "-m", "a copy"])
        .trim()
        .to_string();
    for at in [head.as_str(), lookalike.as_str(), "HEAD"] {
        for args in [
            vec!["show", "m1", "--at", at],
            vec!["state", "load", "m1", "--at", at],
            vec!["events", "m1", "--at", at],
            vec!["export", "m1", "--at", at],
        ] {
            let err = repo.fails(&args, 1);
            assert!(err.contains("refs/milestones"), "{args:?}: {err}");
            assert!(err.contains(at), "{args:?} names the revision: {err}");
        }
    }
    let err = repo.fails(["show", "m1", "--at", "no-such-thing"], 1);
    assert!(err.contains("no-such-thing"), "{err}");
    // Before the milestone existed.
    let first = repo
        .git(["rev-list", "--max-parents=0", "refs/milestones"])
        .trim()
        .to_string();
    let err = repo.fails(["show", "m1", "--at", &first], 1);
    assert!(err.contains("m1"), "{err}");
}

#[test]
fn at_on_a_milestone_broken_now_reads_the_old_version() {
    let repo = TestRepo::new();
    repo.milestone_with_tasks("m1", &["t1"]);
    repo.ok(["checkpoint", "create", "m1", "ok"]);
    repo.commit_with_plumbing(&[("milestones/m1/milestone.yaml", "id: [\n")], "damage");
    expect_failure(&repo.run(["show", "m1"]), 1, "show of a broken milestone");
    let old = repo.json(["show", "m1", "--at", "ok"]);
    assert_eq!(old["tasks"][0]["id"], "t1");
}
