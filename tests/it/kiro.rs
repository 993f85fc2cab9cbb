//! `kiro import` and `kiro sync` on a real repository holding a committed Kiro spec
//! folder (tests/fixtures/kiro/user-auth): sub-tasks, optional tasks, requirement
//! references, in-progress marks and a checkbox that is not a task.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::{copy_dir, TestRepo};

const SPEC: &str = ".kiro/specs/user-auth";
const TASKS: &str = ".kiro/specs/user-auth/tasks.md";

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/kiro/user-auth")
}

fn fixture_tasks() -> String {
    std::fs::read_to_string(fixture().join("tasks.md")).unwrap()
}

/// A repository with the fixture spec committed and imported.
fn imported() -> TestRepo {
    let repo = TestRepo::new();
    copy_dir(&fixture(), &repo.path.join(SPEC));
    repo.git(["add", "."]);
    repo.git(["commit", "-q", "-m", "spec: user-auth"]);
    repo.ok(["kiro", "import", SPEC]);
    repo
}

fn tasks_md(repo: &TestRepo) -> String {
    std::fs::read_to_string(repo.path.join(TASKS)).unwrap()
}

fn write_tasks(repo: &TestRepo, text: &str) {
    std::fs::write(repo.path.join(TASKS), text).unwrap();
}

/// (id, title, status) of every task of the milestone.
fn tasks(repo: &TestRepo) -> Vec<(String, String, String)> {
    let shown = repo.json(["show", "user-auth"]);
    shown["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let field = |k: &str| t[k].as_str().unwrap_or_default().to_string();
            (field("id"), field("title"), field("status"))
        })
        .collect()
}

fn status_of(repo: &TestRepo, id: &str) -> String {
    let all = tasks(repo);
    let found = all.iter().find(|t| t.0 == id);
    found
        .unwrap_or_else(|| panic!("no task {id} in {all:?}"))
        .2
        .clone()
}

/// The lines of `after` that differ from `before` (same number of lines).
fn changed_lines(before: &str, after: &str) -> Vec<String> {
    assert_eq!(before.lines().count(), after.lines().count());
    before
        .lines()
        .zip(after.lines())
        .filter(|(a, b)| a != b)
        .map(|(_, b)| b.to_string())
        .collect()
}

#[test]
fn import_maps_the_folder_and_a_sync_after_it_changes_no_byte() {
    let repo = imported();
    let ids: Vec<String> = tasks(&repo).into_iter().map(|t| t.0).collect();
    assert_eq!(
        ids,
        ["spec", "1", "2", "2.1", "2.2", "2.3", "3", "3.1", "3.2"]
    );
    assert_eq!(status_of(&repo, "1"), "completed");
    assert_eq!(status_of(&repo, "2"), "in_progress");
    assert_eq!(status_of(&repo, "3.1"), "in_progress");
    assert_eq!(status_of(&repo, "2.3"), "pending");
    let yaml = repo.show_file("milestones/user-auth/milestone.yaml");
    assert!(yaml.contains("path: .kiro/specs/user-auth"), "{yaml}");
    assert!(yaml.contains("optional: true"), "{yaml}");
    assert!(
        yaml.contains("- '1.2'") || yaml.contains("- \"1.2\""),
        "{yaml}"
    );
    assert!(yaml.contains(".kiro/specs/user-auth/design.md"), "{yaml}");
    let show = repo.json(["show", "user-auth"]);
    let phases = &show["tasks"][0]["kiro_workflow"]["phases"];
    assert_eq!(phases["design"]["status"], "not_started");

    let commits = repo.commit_count();
    let out = repo.ok(["kiro", "sync"]);
    assert!(out.contains("in step"), "{out}");
    assert_eq!(tasks_md(&repo), fixture_tasks(), "sync rewrote tasks.md");
    assert_eq!(repo.git(["status", "--porcelain"]), "");
    assert_eq!(
        repo.commit_count(),
        commits,
        "an in-step sync wrote an operation"
    );
    repo.ok(["kiro", "sync", "--check"]);
}

#[test]
fn completing_the_last_required_sub_task_of_2_ticks_exactly_2_2_and_2() {
    let repo = imported();
    repo.ok(["task", "complete", "user-auth", "2.2"]);
    let before = tasks_md(&repo);
    repo.fails(["kiro", "sync", "--check"], 1);
    assert_eq!(tasks_md(&repo), before, "--check wrote the file");
    let commits = repo.commit_count();
    repo.ok(["kiro", "sync"]);
    assert_eq!(
        changed_lines(&before, &tasks_md(&repo)),
        [
            "- [x] 2. Build the login form",
            "  - [x] 2.2 Validate the input before posting"
        ]
    );
    assert_eq!(tasks_md(&repo).len(), before.len());
    assert_eq!(status_of(&repo, "2"), "completed");
    assert_eq!(
        status_of(&repo, "2.3"),
        "pending",
        "the optional task stays"
    );
    assert_eq!(repo.commit_count(), commits + 1, "one operation per sync");
    let record = repo.record("refs/milestones");
    assert_eq!(record["op"]["type"], "kiro_sync");
    // In step now: a second sync changes nothing.
    let after = tasks_md(&repo);
    repo.ok(["kiro", "sync"]);
    assert_eq!(tasks_md(&repo), after);
    assert_eq!(repo.commit_count(), commits + 1);
}

#[test]
fn a_box_ticked_in_the_file_completes_the_task_and_leaves_the_file() {
    let repo = imported();
    let ticked = fixture_tasks().replace("- [ ] 3.2 Expire", "- [x] 3.2 Expire");
    write_tasks(&repo, &ticked);
    repo.ok(["kiro", "sync"]);
    assert_eq!(status_of(&repo, "3.2"), "completed");
    // 3.1 is still in progress: 3 starts, as Kiro marks a parent whose sub-task moved.
    assert_eq!(status_of(&repo, "3"), "in_progress");
    assert_eq!(
        changed_lines(&ticked, &tasks_md(&repo)),
        ["- [-] 3. Wire the session store"]
    );
}

#[test]
fn inserting_a_task_2_re_matches_the_others_by_title_without_duplicates() {
    let repo = imported();
    repo.ok(["task", "start", "user-auth", "3.2"]);
    repo.ok(["kiro", "sync"]);
    let renumbered = tasks_md(&repo)
        .replace("3. Wire", "4. Wire")
        .replace("3.1 Sign", "4.1 Sign")
        .replace("3.2 Expire", "4.2 Expire")
        .replace(
            "- [-] 2. Build",
            "- [ ] 2. Add rate limiting\n\n- [-] 3. Build",
        )
        .replace("2.1 Render", "3.1 Render")
        .replace("2.2 Validate", "3.2 Validate")
        .replace("2.3 Write", "3.3 Write");
    write_tasks(&repo, &renumbered);
    repo.ok(["kiro", "sync"]);
    let all = tasks(&repo);
    let ids: Vec<&str> = all.iter().map(|t| t.0.as_str()).collect();
    assert_eq!(
        ids,
        ["spec", "1", "2", "3", "3.1", "3.2", "3.3", "4", "4.1", "4.2"]
    );
    let find = |id: &str| all.iter().find(|t| t.0 == id).unwrap().clone();
    assert_eq!(find("2").1, "Add rate limiting");
    assert_eq!(find("2").2, "pending");
    assert_eq!(find("3").1, "Build the login form");
    assert_eq!(find("3").2, "in_progress");
    assert_eq!(find("4.2").1, "Expire idle sessions");
    assert_eq!(
        find("4.2").2,
        "in_progress",
        "the started task kept its status"
    );
    assert_eq!(tasks_md(&repo), renumbered, "nothing to write back");
    let events = repo.json(["events", "user-auth", "--type", "task_renamed"]);
    assert_eq!(events.as_array().unwrap().len(), 7, "{events}");
}

#[test]
fn a_task_gone_from_the_file_is_closed_as_removed_and_kept() {
    let repo = imported();
    let without = fixture_tasks().replace("  - [ ] 3.2 Expire idle sessions\n", "");
    write_tasks(&repo, &without);
    repo.ok(["kiro", "sync"]);
    let ids: Vec<String> = tasks(&repo).into_iter().map(|t| t.0).collect();
    assert!(!ids.contains(&"3.2".to_string()), "{ids:?}");
    let yaml = repo.show_file("milestones/user-auth/milestone.yaml");
    let removed = yaml.split("removed:").nth(1).unwrap_or_default();
    assert!(removed.contains("Expire idle sessions"), "{yaml}");
    let events = repo.json(["events", "user-auth", "--type", "task_removed"]);
    assert_eq!(events[0]["data"]["task_id"], "3.2");
}

#[test]
fn a_conflict_between_file_and_ref_exits_1_and_writes_nothing() {
    let repo = imported();
    repo.ok(["task", "set", "user-auth", "3.2", "blocked"]);
    let ticked = fixture_tasks().replace("- [ ] 3.2 Expire", "- [x] 3.2 Expire");
    write_tasks(&repo, &ticked);
    let tip = repo.tip();
    let err = repo.fails(["kiro", "sync"], 1);
    assert!(
        err.contains("3.2") && err.contains("Expire idle sessions"),
        "{err}"
    );
    assert!(err.contains("nothing was written"), "{err}");
    assert_eq!(repo.tip(), tip);
    assert_eq!(tasks_md(&repo), ticked, "the file was written");
    repo.fails(["kiro", "sync", "--check"], 1);
    assert_eq!(status_of(&repo, "3.2"), "blocked");
}

#[test]
fn a_sync_conflict_reaching_a_second_clone_writes_nothing_there_either() {
    let origin = imported();
    let bare = origin.sibling_dir("remote.git");
    crate::common::run_git(&bare, &["init", "-q", "--bare"]);
    crate::common::run_git(&bare, &["symbolic-ref", "HEAD", "refs/heads/main"]);
    origin.git(["remote", "add", "origin", bare.to_str().unwrap()]);
    origin.git(["push", "-q", "origin", "HEAD:refs/heads/main"]);
    origin.ok(["sync", "origin"]);
    let clone = TestRepo::clone_of(bare.to_str().unwrap());
    clone.ok(["sync", "origin"]);
    // The first clone starts 3.2 on the ref; the second ticks it in its file.
    origin.ok(["task", "start", "user-auth", "3.2"]);
    origin.ok(["sync", "origin"]);
    clone.ok(["sync", "origin"]);
    let ticked = fixture_tasks().replace("- [ ] 3.2 Expire", "- [x] 3.2 Expire");
    std::fs::write(clone.path.join(TASKS), &ticked).unwrap();
    let err = clone.fails(["kiro", "sync"], 1);
    assert!(err.contains("3.2"), "{err}");
    assert_eq!(
        std::fs::read_to_string(clone.path.join(TASKS)).unwrap(),
        ticked
    );
}

#[test]
fn check_lists_the_lines_that_are_not_tasks() {
    let repo = imported();
    let out = repo.run(["kiro", "sync", "--check"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("tasks.md:21") && err.contains("Review with the security team"),
        "{err}"
    );
    let json: Value = repo.json(["kiro", "sync", "--check"]);
    assert_eq!(json[0]["unparsed"][0]["line"], 21);
    assert_eq!(json[0]["changed"], false);
}

#[test]
fn bad_input_is_refused_with_a_hint_and_nothing_written() {
    let repo = imported();
    let err = repo.fails(["kiro", "import", SPEC], 1);
    assert!(
        err.contains("already exists") && err.contains("kiro sync"),
        "{err}"
    );
    let err = repo.fails(["kiro", "import", ".kiro"], 1);
    assert!(
        err.contains("not a Kiro spec folder") && err.contains("hint"),
        "{err}"
    );
    let err = repo.fails(["kiro", "import", "no/such/folder"], 1);
    assert!(err.contains("not a folder"), "{err}");
    let outside = repo.sibling_dir("elsewhere");
    std::fs::write(outside.join("tasks.md"), "- [ ] 1. x\n").unwrap();
    let err = repo.fails(["kiro", "import", outside.to_str().unwrap()], 1);
    assert!(err.contains("outside"), "{err}");
    let err = repo.fails(["kiro", "import", SPEC, "--map", "build=x.md"], 2);
    assert!(err.contains("unknown phase"), "{err}");
    repo.ok(["new", "plain"]);
    let err = repo.fails(["kiro", "sync", "plain"], 1);
    assert!(err.contains("not linked"), "{err}");
    // Two tasks numbered 3: refused, the file untouched.
    let twice = format!("{}- [ ] 3. Again\n", fixture_tasks());
    write_tasks(&repo, &twice);
    let err = repo.fails(["kiro", "sync"], 1);
    assert!(err.contains("more than one task 3"), "{err}");
    assert_eq!(tasks_md(&repo), twice);
}

#[test]
fn design_first_and_map_choose_each_phase_s_document() {
    let repo = TestRepo::new();
    copy_dir(&fixture(), &repo.path.join(".kiro/specs/billing"));
    repo.ok([
        "kiro",
        "import",
        ".kiro/specs/billing",
        "--design-first",
        "--map",
        "execute=design.md",
    ]);
    let show = repo.json(["show", "billing"]);
    let phases = &show["tasks"][0]["kiro_workflow"]["phases"];
    let deliverable = |phase: &str| phases[phase]["deliverables"].clone();
    assert_eq!(
        deliverable("design"),
        serde_json::json!([".kiro/specs/billing/design.md"])
    );
    assert_eq!(
        deliverable("spec"),
        serde_json::json!([".kiro/specs/billing/requirements.md"])
    );
    assert_eq!(
        deliverable("task"),
        serde_json::json!([".kiro/specs/billing/tasks.md"])
    );
    assert_eq!(
        deliverable("execute"),
        serde_json::json!([".kiro/specs/billing/design.md"])
    );
}
