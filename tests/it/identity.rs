//! Every operation is recorded with the user's git identity, resolved like `git commit`.

use crate::common::{
    expect_failure, expect_ok, output_of, without_identity, TestRepo, AUTHOR_EMAIL, AUTHOR_NAME,
    COMMITTER_EMAIL, COMMITTER_NAME,
};

fn run_without_identity(repo: &TestRepo, args: &[&str]) -> std::process::Output {
    let mut cmd = repo.cmd();
    without_identity(&mut cmd).args(args);
    output_of(&mut cmd, None)
}

#[test]
fn without_an_identity_writes_fail_with_the_fix_and_move_nothing() {
    let repo = TestRepo::new();
    repo.milestone_with_tasks("m1", &["t"]);
    let tip = repo.tip();
    let writes: [&[&str]; 6] = [
        &["new", "m2"],
        &["task", "add", "m1", "t2"],
        &["task", "start", "m1", "t"],
        &["state", "save", "m1", "{}"],
        &["event", "add", "m1", "note"],
        &["new", "m3", "--title", "x"],
    ];
    for args in writes {
        let err = expect_failure(&run_without_identity(&repo, args), 1, &format!("{args:?}"));
        assert!(err.contains("identity"), "{args:?}: {err}");
        assert!(err.contains("git config"), "{args:?}: {err}");
        assert!(
            err.contains("user.name") && err.contains("user.email"),
            "{args:?}: {err}"
        );
        assert_eq!(repo.tip(), tip, "{args:?}");
    }
    // Reads need no identity.
    expect_ok(&run_without_identity(&repo, &["show", "m1"]), "show");
    expect_ok(&run_without_identity(&repo, &["events"]), "events");
}

#[test]
fn init_without_an_identity_creates_no_ref() {
    let repo = TestRepo::uninitialized();
    let err = expect_failure(&run_without_identity(&repo, &["init"]), 1, "init");
    assert!(err.contains("git config"), "{err}");
    assert_eq!(repo.tip(), None);
}

#[test]
fn a_name_without_an_email_is_not_enough() {
    let repo = TestRepo::new();
    let tip = repo.tip();
    let mut cmd = repo.cmd();
    without_identity(&mut cmd)
        .env("GIT_AUTHOR_NAME", "Only A Name")
        .env("GIT_COMMITTER_NAME", "Only A Name")
        .args(["new", "m1"]);
    let err = expect_failure(&output_of(&mut cmd, None), 1, "name only");
    assert!(err.contains("git config"), "{err}");
    assert_eq!(repo.tip(), tip);
}

#[test]
fn the_identity_comes_from_the_repository_config_without_environment() {
    let repo = TestRepo::new();
    repo.git(["config", "user.name", "Config Person"]);
    repo.git(["config", "user.email", "config@example.com"]);
    expect_ok(
        &run_without_identity(&repo, &["new", "m1"]),
        "new with config identity",
    );
    assert_eq!(
        repo.git([
            "log",
            "-1",
            "--format=%an <%ae>|%cn <%ce>",
            "refs/milestones"
        ])
        .trim(),
        "Config Person <config@example.com>|Config Person <config@example.com>"
    );
    assert_eq!(repo.json(["events", "m1"])[0]["user"], "Config Person");
    // The environment wins over the config.
    repo.ok(["event", "add", "m1", "note"]);
    assert_eq!(repo.json(["events", "m1"])[0]["user"], "Test Author");
    assert_eq!(
        repo.git(["log", "-1", "--format=%an|%cn", "refs/milestones"])
            .trim(),
        "Test Author|Test Committer"
    );
}

#[test]
fn the_global_config_in_home_is_used() {
    let repo = TestRepo::new();
    std::fs::write(
        repo.home.join(".gitconfig"),
        "[user]\n\tname = Global Person\n\temail = global@example.com\n",
    )
    .unwrap();
    let mut cmd = repo.cmd();
    // libgit2 finds the global config through HOME.
    without_identity(&mut cmd)
        .env_remove("GIT_CONFIG_GLOBAL")
        .args(["new", "m1"]);
    expect_ok(&output_of(&mut cmd, None), "new with a global identity");
    assert_eq!(
        repo.git(["log", "-1", "--format=%an <%ae>", "refs/milestones"])
            .trim(),
        "Global Person <global@example.com>"
    );
}

#[test]
fn author_and_committer_are_recorded_separately() {
    let repo = TestRepo::new();
    repo.ok(["new", "m1"]);
    assert_eq!(
        repo.git(["log", "-1", "--format=%an|%ae|%cn|%ce", "refs/milestones"])
            .trim(),
        format!("{AUTHOR_NAME}|{AUTHOR_EMAIL}|{COMMITTER_NAME}|{COMMITTER_EMAIL}")
    );
    // Every commit of the ref, including init's.
    let identities = repo.git(["log", "--format=%an <%ae>", "refs/milestones"]);
    assert!(
        identities
            .lines()
            .all(|l| l == format!("{AUTHOR_NAME} <{AUTHOR_EMAIL}>")),
        "{identities}"
    );
}
