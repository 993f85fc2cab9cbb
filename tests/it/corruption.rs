//! A ref written by something else: another layout version, damaged files, commits
//! made with plain git.

use crate::common::TestRepo;

/// Commits `tree` onto refs/milestones with plain git plumbing; returns the commit.
fn commit_tree_onto_ref(repo: &TestRepo, tree: &str, message: &str) -> String {
    let parent = repo.tip().unwrap();
    let commit = repo
        .git(["commit-tree", tree, "-p", &parent, "-m", message])
        .trim()
        .to_string();
    repo.git(["update-ref", "refs/milestones", &commit, &parent]);
    commit
}

fn blob(repo: &TestRepo, content: &str) -> String {
    repo.git_stdin(["hash-object", "-w", "--stdin"], content)
        .trim()
        .to_string()
}

#[test]
fn an_unknown_format_is_a_clear_error_for_reads_and_writes() {
    let repo = TestRepo::new();
    repo.ok(["new", "m1"]);
    let format = blob(&repo, "2\n");
    let milestones = repo.rev_parse("refs/milestones:milestones").unwrap();
    let tree = repo
        .git_stdin(
            ["mktree"],
            &format!("100644 blob {format}\tformat\n040000 tree {milestones}\tmilestones\n"),
        )
        .trim()
        .to_string();
    let corrupt = commit_tree_onto_ref(&repo, &tree, "a newer layout");
    assert_eq!(repo.show_file("format"), "2\n");

    for args in [
        vec!["list"],
        vec!["status"],
        vec!["show", "m1"],
        vec!["new", "m2"],
        vec!["task", "add", "m1", "t"],
        vec!["event", "add", "m1", "note"],
        vec!["state", "save", "m1", "{}"],
        vec!["init"],
    ] {
        let err = repo.fails(&args, 1);
        assert!(err.contains("format"), "{args:?}: {err}");
        assert!(
            err.contains("\"2\""),
            "{args:?}: names the format found: {err}"
        );
        assert!(
            err.contains("\"1\""),
            "{args:?}: names the format it reads: {err}"
        );
        assert!(
            !err.contains("bug"),
            "{args:?}: not an internal error: {err}"
        );
        assert_eq!(repo.tip().as_deref(), Some(corrupt.as_str()));
    }
}

#[test]
fn a_missing_format_file_is_refused() {
    let repo = TestRepo::new();
    let empty_tree = repo.git_stdin(["mktree"], "").trim().to_string();
    commit_tree_onto_ref(&repo, &empty_tree, "no format");
    let err = repo.fails(["list"], 1);
    assert!(err.contains("format"), "{err}");
    repo.fails(["new", "m1"], 1);
}

#[test]
fn a_damaged_milestone_file_names_the_file() {
    let repo = TestRepo::new();
    repo.ok(["new", "good"]);
    repo.ok(["new", "bad"]);
    let good = repo.rev_parse("refs/milestones:milestones/good").unwrap();
    let format = repo.rev_parse("refs/milestones:format").unwrap();
    let yaml = blob(&repo, "id: bad\ntasks: [\n");
    let bad = repo.git_stdin(["mktree"], &format!("100644 blob {yaml}\tmilestone.yaml\n"));
    let milestones = repo.git_stdin(
        ["mktree"],
        &format!(
            "040000 tree {}\tbad\n040000 tree {good}\tgood\n",
            bad.trim()
        ),
    );
    let root = repo.git_stdin(
        ["mktree"],
        &format!(
            "100644 blob {format}\tformat\n040000 tree {}\tmilestones\n",
            milestones.trim()
        ),
    );
    commit_tree_onto_ref(&repo, root.trim(), "damage");

    let err = repo.fails(["show", "bad"], 1);
    assert!(err.contains("milestones/bad/milestone.yaml"), "{err}");
    assert!(err.contains("hint: "), "{err}");
    assert!(
        err.contains(":milestones/bad/milestone.yaml`"),
        "says how to look at it: {err}"
    );
    let err = repo.fails(["task", "add", "bad", "t"], 1);
    assert!(err.contains("milestones/bad/milestone.yaml"), "{err}");
    // Listings show the readable milestones, then fail naming the broken one.
    for command in ["list", "status"] {
        let output = repo.run([command, "--json"]);
        let err = crate::common::expect_failure(&output, 1, command);
        assert!(
            err.contains("milestones/bad/milestone.yaml"),
            "{command}: {err}"
        );
        let listed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        let ids: Vec<_> = listed
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].clone())
            .collect();
        assert_eq!(ids, ["good"], "{command}");
    }
    // The other milestone stays usable.
    repo.ok(["task", "add", "good", "t"]);
    assert_eq!(repo.json(["show", "good"])["tasks"][0]["id"], "t");
}

#[test]
fn commits_made_with_plain_git_are_tolerated() {
    let repo = TestRepo::new();
    repo.ok(["new", "m1"]);
    let lamport = repo.record("refs/milestones")["lamport"].as_u64().unwrap();
    let tree = repo.rev_parse("refs/milestones^{tree}").unwrap();
    commit_tree_onto_ref(&repo, &tree, "a note made by hand");
    // Reading history skips the foreign commit; writing counts it in the lamport clock.
    assert_eq!(
        crate::common::event_types(&repo.json(["events", "m1"])),
        ["milestone_created"]
    );
    repo.ok(["event", "add", "m1", "after"]);
    assert_eq!(
        repo.record("refs/milestones")["lamport"].as_u64().unwrap(),
        lamport + 2
    );
    assert_eq!(
        crate::common::event_types(&repo.json(["timeline", "m1"])),
        ["milestone_created", "after"]
    );
}
