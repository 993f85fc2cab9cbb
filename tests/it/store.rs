//! What lands on refs/milestones: one commit per operation, its message, the tree,
//! the reflog, and subtrees that keep their ids.

use serde_json::Value;

use crate::common::TestRepo;

#[test]
fn each_operation_is_one_commit_with_a_json_record() {
    let repo = TestRepo::new();
    let import = repo.write_file("imp.yaml", "id: imp\ntasks: [{id: x}]\n");
    let edit_env = [("GIT_EDITOR", "sed -i 's/^title: .*/title: Edited/'")];
    let operations: Vec<(Vec<&str>, &str)> = vec![
        (vec!["new", "m1", "--title", "One"], "new_milestone"),
        (vec!["task", "add", "m1", "a"], "add_task"),
        (vec!["task", "add", "m1", "k", "--kiro"], "add_task"),
        (vec!["task", "start", "m1", "a"], "set_task_status"),
        (
            vec![
                "task", "set", "m1", "k", "blocked", "--force", "--reason", "legal",
            ],
            "set_task_status",
        ),
        (vec!["task", "complete", "m1", "a"], "set_task_status"),
        (vec!["state", "save", "m1", r#"{"n": 1}"#], "save_state"),
        (
            vec!["event", "add", "m1", "note", "--data", "[1]"],
            "add_event",
        ),
        (vec!["import", import.to_str().unwrap()], "put_milestone"),
        (vec!["edit", "m1"], "put_milestone"),
    ];
    let mut lamport = repo.record("refs/milestones")["lamport"].as_u64().unwrap();
    assert_eq!(lamport, 1);
    for (args, op_type) in operations {
        let before = repo.tip().unwrap();
        let count = repo.commit_count();
        crate::common::expect_ok(&repo.run_env(&edit_env, &args), &format!("{args:?}"));
        assert_eq!(
            repo.commit_count(),
            count + 1,
            "{args:?} adds exactly one commit"
        );
        let tip = repo.tip().unwrap();
        assert_eq!(
            repo.git(["rev-parse", &format!("{tip}^")]).trim(),
            before,
            "{args:?}: the new commit's parent is the old tip"
        );
        assert_eq!(
            repo.git(["rev-list", "--parents", "-n", "1", &tip])
                .split_whitespace()
                .count(),
            2,
            "{args:?}: exactly one parent"
        );

        let record = repo.record(&tip);
        let keys: Vec<_> = record
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            ["v", "lamport", "at", "session", "op", "events"],
            "{args:?}"
        );
        assert_eq!(record["v"], 1, "{args:?}");
        assert_eq!(record["op"]["type"], op_type, "{args:?}");
        assert_eq!(record["session"], Value::Null, "{args:?}");
        let at = record["at"].as_str().unwrap();
        assert!(
            chrono::DateTime::parse_from_rfc3339(at).is_ok()
                && at.ends_with('Z')
                && at.len() == "2026-01-01T00:00:00.000Z".len(),
            "{args:?}: at is RFC 3339 UTC with milliseconds: {at}"
        );
        let events = record["events"].as_array().unwrap();
        assert!(!events.is_empty(), "{args:?}: records its events");
        let next = record["lamport"].as_u64().unwrap();
        assert_eq!(next, lamport + 1, "{args:?}: lamport increases by one");
        lamport = next;
    }
    assert_eq!(repo.json(["show", "m1"])["title"], "Edited");
}

#[test]
fn the_tree_holds_format_and_one_folder_per_milestone() {
    let repo = TestRepo::new();
    repo.milestone_with_tasks("m1", &["a"]);
    repo.ok(["new", "m2"]);
    repo.ok(["state", "save", "m1", r#"{"x": 1}"#]);
    assert_eq!(
        repo.git(["ls-tree", "-r", "--name-only", "refs/milestones"]),
        "format\nmilestones/m1/milestone.yaml\nmilestones/m1/state.json\nmilestones/m2/milestone.yaml\n"
    );
    assert_eq!(repo.show_file("format"), "1\n");
    // Files are plain blobs, folders are trees.
    let modes = repo.git(["ls-tree", "-r", "refs/milestones"]);
    assert!(
        modes.lines().all(|l| l.starts_with("100644 blob ")),
        "{modes}"
    );
}

#[test]
fn unchanged_subtrees_keep_their_ids() {
    let repo = TestRepo::new();
    repo.milestone_with_tasks("a", &["t"]);
    repo.milestone_with_tasks("b", &["t"]);
    repo.ok(["state", "save", "b", "{}"]);
    let b = repo.rev_parse("refs/milestones:milestones/b").unwrap();
    let format = repo.rev_parse("refs/milestones:format").unwrap();
    for args in [
        vec!["task", "start", "a", "t"],
        vec!["task", "add", "a", "u", "--kiro"],
        vec!["state", "save", "a", r#"{"y": 2}"#],
        vec!["event", "add", "a", "note"],
        vec!["new", "c"],
    ] {
        let a_before = repo.rev_parse("refs/milestones:milestones/a").unwrap();
        repo.ok(&args);
        assert_eq!(
            repo.rev_parse("refs/milestones:milestones/b").as_deref(),
            Some(b.as_str()),
            "{args:?} changed milestone b's tree"
        );
        assert_eq!(
            repo.rev_parse("refs/milestones:format").as_deref(),
            Some(format.as_str())
        );
        let a_after = repo.rev_parse("refs/milestones:milestones/a").unwrap();
        if args[0] == "event" || args[0] == "new" {
            assert_eq!(a_after, a_before, "{args:?} rewrote milestone a");
        } else {
            assert_ne!(a_after, a_before, "{args:?} should change milestone a");
        }
    }
    // A state save leaves milestone.yaml's blob alone, a task change leaves state.json's.
    let yaml = repo.rev_parse("refs/milestones:milestones/a/milestone.yaml");
    repo.ok(["state", "save", "a", r#"{"y": 3}"#]);
    assert_eq!(
        repo.rev_parse("refs/milestones:milestones/a/milestone.yaml"),
        yaml
    );
    let state = repo.rev_parse("refs/milestones:milestones/a/state.json");
    repo.ok(["task", "complete", "a", "t"]);
    assert_eq!(
        repo.rev_parse("refs/milestones:milestones/a/state.json"),
        state
    );
}

#[test]
fn fsck_is_clean_and_the_reflog_has_every_update() {
    let repo = TestRepo::new();
    repo.milestone_with_tasks("m1", &["a", "b"]);
    repo.ok(["task", "complete", "m1", "a"]);
    repo.ok(["state", "save", "m1", "{}"]);
    repo.ok(["event", "add", "m1", "note"]);
    assert_fsck_clean(&repo);

    let reflog = repo.git(["reflog", "show", "--format=%H %gs", "refs/milestones"]);
    let entries: Vec<_> = reflog.lines().collect();
    assert_eq!(entries.len(), repo.commit_count(), "{reflog}");
    let history = repo.git(["rev-list", "refs/milestones"]);
    for (entry, commit) in entries.iter().zip(history.lines()) {
        assert!(
            entry.starts_with(commit),
            "reflog {entry} vs history {commit}"
        );
        assert!(entry.contains("milestone: "), "{entry}");
    }
    assert!(entries[0].contains("m1: event note"), "{reflog}");
    assert!(entries.last().unwrap().contains("initialize"), "{reflog}");
}

#[test]
fn git_log_shows_the_summaries() {
    let repo = TestRepo::new();
    repo.milestone_with_tasks("m1", &["t"]);
    repo.ok(["task", "complete", "m1", "t"]);
    let subjects = repo.git(["log", "--format=%s", "refs/milestones"]);
    let subjects: Vec<_> = subjects.lines().collect();
    assert_eq!(subjects.len(), 4);
    assert!(
        subjects[0].starts_with("m1: task t") && subjects[0].contains("completed"),
        "{subjects:?}"
    );
    assert_eq!(subjects[1], "m1: add task t");
    assert_eq!(subjects[2], "m1: create");
}

#[test]
fn a_summary_stays_one_line_whatever_the_input() {
    let repo = TestRepo::new();
    repo.ok(["new", "m1", "--title", "line one\nline two"]);
    repo.ok([
        "event",
        "add",
        "m1",
        "note",
        "--data",
        r#"{"text": "a\n\nb"}"#,
    ]);
    let record = repo.record("refs/milestones");
    assert_eq!(record["events"][0]["data"]["text"], "a\n\nb");
    assert_eq!(repo.json(["show", "m1"])["title"], "line one\nline two");
}

#[test]
fn commit_dates_follow_git_committer_date() {
    let repo = TestRepo::new();
    repo.ok_at("@1767323045 +0000", ["new", "m1"]);
    assert_eq!(
        repo.record("refs/milestones")["at"],
        "2026-01-02T03:04:05.000Z"
    );
    assert_eq!(
        repo.git(["log", "-1", "--format=%at %ct", "refs/milestones"])
            .trim(),
        "1767323045 1767323045"
    );
}

#[test]
fn packed_refs_and_gc_do_not_disturb_the_store() {
    let repo = TestRepo::new();
    repo.milestone_with_tasks("m1", &["t"]);
    repo.git(["pack-refs", "--all"]);
    assert!(
        !repo.path.join(".git/refs/milestones").exists(),
        "the ref is packed"
    );
    repo.ok(["task", "start", "m1", "t"]);
    repo.git(["gc", "-q"]);
    repo.ok(["task", "complete", "m1", "t"]);
    assert_eq!(repo.commit_count(), 5);
    assert_eq!(repo.json(["show", "m1"])["status"], "completed");
    assert_eq!(
        crate::common::event_types(&repo.json(["events", "m1", "--type", "task_status_changed"])),
        ["task_status_changed", "task_status_changed"]
    );
    let fsck = repo
        .git_cmd()
        .args(["fsck", "--no-dangling"])
        .output()
        .unwrap();
    assert!(fsck.status.success(), "{}", crate::common::describe(&fsck));
}

#[test]
fn operations_made_during_a_session_carry_its_id() {
    let repo = TestRepo::new();
    repo.ok(["new", "m1"]);
    let session = repo.ok(["session", "start", "m1"]).trim().to_string();
    assert!(
        !session.is_empty() && !session.contains(char::is_whitespace),
        "{session:?}"
    );
    repo.ok(["event", "add", "m1", "during"]);
    assert_eq!(repo.record("refs/milestones")["session"], session.as_str());
    let events = repo.json(["events", "m1", "--type", "during"]);
    assert_eq!(events[0]["session_id"], session.as_str());
    repo.ok(["session", "end"]);
    repo.ok(["event", "add", "m1", "after"]);
    assert_eq!(repo.record("refs/milestones")["session"], Value::Null);
}

#[test]
fn a_lamport_clock_at_its_maximum_does_not_overflow() {
    // A commit message is anyone's to write (a clone pushes what it likes); one that
    // claims the highest lamport clock must not make the next write overflow.
    let repo = TestRepo::new();
    repo.ok(["init"]);
    repo.ok(["new", "m1"]);
    let tip = repo.tip().unwrap();
    let mut record = repo.record(&tip);
    record["lamport"] = Value::from(u64::MAX);
    let message = format!("m1: forged\n\n{record}\n");
    let forged = repo.git([
        "commit-tree",
        &format!("{tip}^{{tree}}"),
        "-p",
        &tip,
        "-m",
        &message,
    ]);
    repo.git(["update-ref", "refs/milestones", forged.trim(), &tip]);
    repo.ok(["task", "add", "m1", "a"]);
    let after = repo.record("refs/milestones");
    assert_eq!(after["lamport"].as_u64(), Some(u64::MAX));
}

/// With hundreds of milestones the `milestones/` tree is large, and each write stores
/// the new one uncompressed (as git does with core.looseCompression=0): git reads it,
/// fsck and gc accept it, and gc packs it as any other object.
#[test]
fn a_large_milestones_tree_is_written_uncompressed_and_git_reads_it() {
    let repo = TestRepo::new();
    let folder = repo.root().join("reference/.milestones");
    std::fs::create_dir_all(folder.join("active")).unwrap();
    for m in 0..600 {
        std::fs::write(
            folder.join(format!("active/m{m:04}.yaml")),
            format!("id: m{m:04}\ntitle: Milestone {m}\ntasks:\n  - id: t\n"),
        )
        .unwrap();
    }
    repo.ok(["import", folder.to_str().unwrap(), "-q"]);
    let loose = |rev: &str| {
        let id = repo.rev_parse(rev).unwrap();
        repo.path.join(".git/objects").join(&id[..2]).join(&id[2..])
    };
    assert!(
        !loose("refs/milestones:milestones").exists(),
        "an import packs what it writes"
    );

    repo.ok(["task", "start", "m0300", "t"]);
    let tree = repo.git(["cat-file", "-p", "refs/milestones:milestones"]);
    assert_eq!(tree.lines().count(), 600);
    let size: u64 = repo
        .git(["cat-file", "-s", "refs/milestones:milestones"])
        .trim()
        .parse()
        .unwrap();
    let file = std::fs::metadata(loose("refs/milestones:milestones")).unwrap();
    assert!(size >= 16 * 1024, "{size} bytes");
    assert!(
        file.len() > size,
        "stored, not deflated: {} bytes",
        file.len()
    );
    assert!(file.permissions().readonly());

    assert_fsck_clean(&repo);
    repo.git(["gc", "-q", "--prune=now"]);
    assert!(
        !loose("refs/milestones:milestones").exists(),
        "packed by gc"
    );
    repo.ok(["task", "complete", "m0300", "t"]);
    assert_eq!(repo.json(["show", "m0300"])["status"], "completed");
    assert_eq!(repo.json(["list"]).as_array().map(Vec::len), Some(600));
}

/// `git fsck --full --strict` succeeds and reports nothing.
fn assert_fsck_clean(repo: &TestRepo) {
    let fsck = repo
        .git_cmd()
        .args(["fsck", "--full", "--strict", "--no-dangling"])
        .output()
        .unwrap();
    assert!(fsck.status.success(), "{}", crate::common::describe(&fsck));
    assert_eq!(
        String::from_utf8_lossy(&fsck.stdout).trim(),
        "",
        "{}",
        crate::common::describe(&fsck)
    );
}
