//! Item 11: where `git commit` finds an identity without settings (`EMAIL`, the
//! account's name, the host name), git-milestone finds the same one.

use crate::common::{hermetic, output_of, TestRepo, BIN};

/// The binary or git in `repo`, with no identity settings at all: no `GIT_*` identity
/// variables, an empty global config, and `extra` variables.
fn guessing(repo: &TestRepo, program: &str, extra: &[(&str, &str)]) -> std::process::Command {
    let mut cmd = hermetic(program, &repo.home);
    crate::common::without_identity(&mut cmd);
    cmd.env_remove("GIT_CONFIG_PARAMETERS")
        .current_dir(&repo.path);
    for (key, value) in extra {
        cmd.env(key, value);
    }
    cmd
}

/// `git var GIT_COMMITTER_IDENT` without its time, or `None` when git finds none.
fn gits_ident(repo: &TestRepo, extra: &[(&str, &str)]) -> Option<String> {
    let out = output_of(
        guessing(repo, "git", extra).args(["var", "GIT_COMMITTER_IDENT"]),
        None,
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    out.status
        .success()
        .then(|| text.rsplitn(3, ' ').nth(2).unwrap_or("").to_string())
}

fn our_ident(repo: &TestRepo, extra: &[(&str, &str)], milestone: &str) -> Option<String> {
    let out = output_of(guessing(repo, BIN, extra).args(["new", milestone]), None);
    assert!(
        out.status.code() == Some(0) || out.status.code() == Some(1),
        "{out:?}"
    );
    out.status.success().then(|| {
        repo.git(["log", "-1", "--format=%cn <%ce>", "refs/milestones"])
            .trim()
            .to_string()
    })
}

#[test]
fn without_settings_the_identity_is_the_one_git_commit_finds() {
    let repo = super::repo();
    // EMAIL and the account's name, as git reads them.
    let with_email = [("EMAIL", "dev@example.org")];
    let git = gits_ident(&repo, &with_email).expect("git finds an identity with EMAIL");
    assert!(git.ends_with(" <dev@example.org>"), "{git}");
    assert_eq!(
        our_ident(&repo, &with_email, "m1").as_deref(),
        Some(git.as_str())
    );
    // Without EMAIL, the host name decides, for git and for us alike: a host name
    // without a domain is refused by both.
    let git = gits_ident(&repo, &[]);
    let ours = our_ident(&repo, &[], "m2");
    assert_eq!(ours, git);
    // user.useConfigOnly turns the guessing off, as in git.
    let config_only = [
        ("EMAIL", "dev@example.org"),
        ("GIT_CONFIG_PARAMETERS", "'user.useConfigOnly'='true'"),
    ];
    assert_eq!(gits_ident(&repo, &config_only), None);
    assert_eq!(our_ident(&repo, &config_only, "m3"), None);
}
