//! The local event index is a cache: the same answers with it, without it, after it
//! is deleted or damaged, and after the history moves on or merges.

use crate::common::TestRepo;

fn index_file(repo: &TestRepo) -> std::path::PathBuf {
    repo.path.join(".git/milestone/events.idx")
}

fn all_events(repo: &TestRepo) -> serde_json::Value {
    repo.json(["events", "--limit", "100000"])
}

#[test]
fn answers_are_the_same_with_and_without_the_index() {
    let repo = TestRepo::new();
    repo.ok(["new", "m1"]);
    repo.ok(["task", "add", "m1", "t"]);
    for i in 0..5 {
        repo.ok([
            "event",
            "add",
            "m1",
            "note",
            "--data",
            &format!("{{\"i\": {i}}}"),
        ]);
    }
    let first = all_events(&repo);
    assert!(
        index_file(&repo).exists(),
        "reading events builds the index"
    );
    // Grows incrementally as operations land.
    repo.ok(["task", "complete", "m1", "t"]);
    let grown = all_events(&repo);
    assert_eq!(
        grown.as_array().unwrap().len(),
        first.as_array().unwrap().len() + 3
    );
    // Deleted: rebuilt, same answer.
    std::fs::remove_file(index_file(&repo)).unwrap();
    assert_eq!(all_events(&repo), grown);
    // Damaged (truncated, garbage appended): never trusted, same answer.
    let text = std::fs::read_to_string(index_file(&repo)).unwrap();
    std::fs::write(index_file(&repo), &text[..text.len() / 2]).unwrap();
    assert_eq!(all_events(&repo), grown);
    std::fs::write(index_file(&repo), format!("{text}garbage\tnot json\n")).unwrap();
    assert_eq!(all_events(&repo), grown);
    // Filters agree with a walk of the history (`--at` the tip's parent reads the
    // history directly).
    let notes = repo.json(["events", "m1", "--type", "note"]);
    assert_eq!(notes.as_array().unwrap().len(), 5);
    assert_eq!(notes[0]["data"]["i"], 4, "newest first");
    let timeline = repo.json(["timeline", "m1"]);
    let events = timeline.as_array().unwrap();
    assert_eq!(events[0]["event_type"], "milestone_created", "oldest first");
    assert_eq!(events.len(), grown.as_array().unwrap().len());
}

#[test]
fn the_index_follows_a_ref_moved_back_by_hand() {
    let repo = TestRepo::new();
    repo.ok(["new", "m1"]);
    repo.ok(["event", "add", "m1", "kept"]);
    let kept_tip = repo.tip().unwrap();
    repo.ok(["event", "add", "m1", "dropped"]);
    assert_eq!(
        repo.json(["events", "m1", "--type", "dropped"])
            .as_array()
            .unwrap()
            .len(),
        1
    );
    repo.git(["update-ref", "refs/milestones", &kept_tip]);
    assert!(repo
        .json(["events", "m1", "--type", "dropped"])
        .as_array()
        .unwrap()
        .is_empty());
    assert_eq!(
        repo.json(["events", "m1", "--type", "kept"])
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn order_follows_operations_not_clocks() {
    let repo = TestRepo::new();
    repo.ok_at("2030-01-01T00:00:00Z", ["new", "m1"]);
    repo.ok_at(
        "2020-01-01T00:00:00Z",
        ["event", "add", "m1", "later_op_earlier_clock"],
    );
    let events = repo.json(["events", "m1"]);
    assert_eq!(events[0]["event_type"], "later_op_earlier_clock");
    let since = repo.json(["events", "m1", "--since", "2025-01-01"]);
    assert_eq!(since.as_array().unwrap().len(), 1);
    assert_eq!(since[0]["event_type"], "milestone_created");
}
