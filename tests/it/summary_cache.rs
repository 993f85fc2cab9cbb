//! The summary cache under the git dir: `list` and `status` read it where a
//! milestone's tree is the one it was computed from, and the ref wins everywhere else.

use std::path::PathBuf;

use crate::common::TestRepo;

fn cache_file(repo: &TestRepo) -> PathBuf {
    repo.path.join(".git/milestone/summaries")
}

/// The summary JSON of `list --json` and `status --json`, as one value each.
fn listings(repo: &TestRepo) -> (serde_json::Value, serde_json::Value) {
    (repo.json(["list"]), repo.json(["status"]))
}

#[test]
fn listings_are_the_same_with_and_without_the_cache() {
    let repo = TestRepo::new();
    repo.milestone_with_tasks("m1", &["a", "b", "c"]);
    repo.milestone_with_tasks("m2", &["x"]);
    repo.ok(["task", "complete", "m1", "a"]);
    repo.ok(["task", "start", "m1", "b"]);
    repo.ok(["task", "complete", "m2", "x"]);
    let first = listings(&repo);
    let text = std::fs::read_to_string(cache_file(&repo)).expect("the first listing writes it");
    assert_eq!(
        text.lines().count(),
        3,
        "a header and one line per milestone: {text}"
    );
    let second = listings(&repo);
    assert_eq!(first, second);
    assert_eq!(first.0[0]["progress"]["exact"], 50.0);
    assert_eq!(first.0[0]["status"], "in_progress");
    assert_eq!(first.0[1]["status"], "completed");
    std::fs::remove_file(cache_file(&repo)).unwrap();
    assert_eq!(listings(&repo), first, "rebuilt from the ref");
}

#[test]
fn an_entry_is_used_only_for_the_tree_it_was_computed_from() {
    let repo = TestRepo::new();
    repo.milestone_with_tasks("m1", &["a"]);
    repo.milestone_with_tasks("m2", &["b"]);
    repo.ok(["list"]);
    // Proof that listings read the cache: an entry edited by hand shows, as long as
    // its milestone's tree is unchanged.
    let path = cache_file(&repo);
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace("Milestone m1", "Edited by hand")).unwrap();
    assert!(repo.ok(["list"]).contains("Edited by hand"));
    // Any change to the milestone (here a write by this tool, then one made with plain
    // git) gives it another tree: the ref wins.
    repo.ok(["task", "complete", "m1", "a"]);
    let list = repo.json(["list"]);
    assert_eq!(list[0]["title"], "Milestone m1");
    assert_eq!(list[0]["status"], "completed");
    let yaml = repo.show_file("milestones/m2/milestone.yaml");
    repo.commit_with_plumbing(
        &[(
            "milestones/m2/milestone.yaml",
            &yaml.replace("Milestone m2", "Renamed with git"),
        )],
        "by hand",
    );
    assert_eq!(repo.json(["status"])[1]["title"], "Renamed with git");
}

#[test]
fn a_damaged_or_foreign_cache_file_changes_nothing() {
    let repo = TestRepo::new();
    repo.milestone_with_tasks("m1", &["a", "b"]);
    repo.ok(["task", "start", "m1", "a"]);
    let expected = listings(&repo);
    let path = cache_file(&repo);
    let tree = repo.rev_parse("refs/milestones:milestones/m1").unwrap();
    let header = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string();
    for damaged in [
        "\u{0}\u{1}garbage".to_string(),
        format!("{header}\n{tree}\tnot a summary\n"),
        format!("{header}\n{tree}\tm1\tcompleted\n"),
        format!("{header}\n{tree}\tm1\tcompleted\tmany\t1\t2\t\tTitle\n"),
        format!("git-milestone summaries 0 0.0.0\n{tree}\tm1\tcompleted\t100\t9\t9\t\told\n"),
    ] {
        std::fs::write(&path, &damaged).unwrap();
        assert_eq!(
            listings(&repo),
            expected,
            "with a cache file of {damaged:?}"
        );
        let rewritten = std::fs::read_to_string(&path).unwrap();
        assert!(rewritten.starts_with(&header), "rebuilt: {rewritten}");
        assert!(
            rewritten
                .lines()
                .nth(1)
                .unwrap()
                .starts_with(&format!("{tree}\tm1\t")),
            "rebuilt: {rewritten}"
        );
    }
}

#[test]
fn a_cache_that_cannot_be_written_is_bypassed() {
    let repo = TestRepo::new();
    repo.milestone_with_tasks("m1", &["a"]);
    repo.ok(["task", "complete", "m1", "a"]);
    let expected = repo.json(["list"]);
    // A directory where the file should be: it can be neither read nor replaced.
    let path = cache_file(&repo);
    std::fs::remove_file(&path).unwrap();
    std::fs::create_dir(&path).unwrap();
    assert_eq!(listings(&repo).0, expected);
    assert!(repo.ok(["status"]).contains("m1"));
    assert!(path.is_dir());
    let leftovers: Vec<_> = std::fs::read_dir(repo.path.join(".git/milestone"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "no temporary files left: {leftovers:?}"
    );
}

#[test]
fn a_milestone_damaged_after_it_was_cached_is_reported_and_the_others_listed() {
    let repo = TestRepo::new();
    repo.milestone_with_tasks("m1", &["a"]);
    repo.milestone_with_tasks("m2", &["b"]);
    repo.ok(["list"]);
    repo.commit_with_plumbing(
        &[("milestones/m1/milestone.yaml", "tasks: [unclosed\n")],
        "damage",
    );
    let output = repo.run(["list"]);
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stdout.contains("m2") && !stdout.contains("Milestone m1"),
        "{stdout}"
    );
    assert!(stderr.contains("milestones/m1/milestone.yaml"), "{stderr}");
}
