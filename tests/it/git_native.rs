//! Feeling like part of git: help with examples, the man page, completions through
//! git's own bash completion, settings in git config, colors and the pager.

use std::path::Path;
use std::process::Command;

use crate::common::{expect_ok, hermetic, output_of, stdout, without_identity, TestRepo, BIN};

fn bin_dir() -> &'static Path {
    Path::new(BIN).parent().unwrap()
}

fn has_escape_codes(text: &str) -> bool {
    text.contains('\u{1b}')
}

#[test]
fn help_has_a_summary_and_an_example() {
    let repo = TestRepo::new();
    let help = repo.ok(["-h"]);
    assert!(help.contains("Usage: git milestone"), "{help}");
    for command in [&["sync"][..], &["task", "add"], &["approval", "approve"]] {
        let mut args: Vec<&str> = command.to_vec();
        args.push("--help");
        let text = repo.ok(&args);
        assert!(
            text.contains("Example:\n  git milestone"),
            "{command:?}: {text}"
        );
    }
    // `help <command>`, and a group without its subcommand, show the example too.
    let text = repo.ok(["help", "task", "add"]);
    assert!(
        text.contains("Example:\n  git milestone task add"),
        "{text}"
    );
    let out = repo.run(["task"]);
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("Example:\n  git milestone task"), "{text}");
}

#[test]
fn the_man_page_builds_and_installs() {
    let repo = TestRepo::new();
    let page = repo.ok(["man"]);
    assert!(
        page.starts_with(".ie") || page.contains(".TH git-milestone"),
        "{page}"
    );
    assert!(page.contains("sync"));
    let dir = repo.sibling_dir("man1");
    repo.ok(["install-man", "--dir", dir.to_str().unwrap()]);
    for page in [
        "git-milestone.1",
        "git-milestone-sync.1",
        "git-milestone-task-add.1",
    ] {
        let text =
            std::fs::read_to_string(dir.join(page)).unwrap_or_else(|e| panic!("{page}: {e}"));
        assert!(text.contains(".TH"), "{page}");
    }
    // When man is there, it must render the page.
    if Command::new("man").arg("--version").output().is_ok() {
        let rendered = Command::new("man")
            .arg("-l")
            .arg(dir.join("git-milestone.1"))
            .env("MANPAGER", "cat")
            .env("PAGER", "cat")
            .output()
            .unwrap();
        assert!(
            rendered.status.success(),
            "{}",
            String::from_utf8_lossy(&rendered.stderr)
        );
    }
}

/// Completes `line` (the cursor at its end) with git's bash completion and ours.
fn complete(repo: &TestRepo, line: &str) -> Vec<String> {
    let git_completion = "/usr/share/bash-completion/completions/git";
    let ours = repo.sibling_dir("completion").join("git-milestone.bash");
    std::fs::write(&ours, repo.ok(["completions", "bash"])).unwrap();
    let script = format!(
        r#"source {git_completion}
source {ours}
COMP_LINE='{line}'
COMP_POINT=${{#COMP_LINE}}
read -ra COMP_WORDS <<< "$COMP_LINE"
[[ "$COMP_LINE" == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
__git_wrap__git_main
printf '%s\n' "${{COMPREPLY[@]}}"
"#,
        ours = ours.display()
    );
    let mut cmd = hermetic("bash", &repo.home);
    let path = format!(
        "{}:{}",
        bin_dir().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    cmd.arg("-c")
        .arg(script)
        .current_dir(&repo.path)
        .env("PATH", path);
    let output = output_of(&mut cmd, None);
    expect_ok(&output, "bash completion")
        .lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn bash_completion_goes_through_git_and_knows_ids() {
    // Not a silent pass when it is missing: .ci/run installs it on a fresh machine.
    assert!(
        Path::new("/usr/share/bash-completion/completions/git").exists(),
        "git's bash completion is missing: install the `git` and `bash-completion` packages"
    );
    let repo = TestRepo::new();
    repo.ok(["new", "alpha"]);
    repo.ok(["new", "beta"]);
    repo.ok(["task", "add", "alpha", "write-docs"]);
    assert!(complete(&repo, "git milestone sh").contains(&"show".to_string()));
    let ids = complete(&repo, "git milestone show ");
    assert!(
        ids.contains(&"alpha".to_string()) && ids.contains(&"beta".to_string()),
        "{ids:?}"
    );
    let tasks = complete(&repo, "git milestone task start alpha ");
    assert_eq!(tasks, ["write-docs"]);
    let groups = complete(&repo, "git milestone task ");
    assert!(groups.contains(&"complete".to_string()), "{groups:?}");
}

#[test]
fn completion_scripts_load_in_bash_and_name_the_commands() {
    let repo = TestRepo::new();
    let bash = repo.ok(["completions", "bash"]);
    let file = repo.sibling_dir("c").join("c.bash");
    std::fs::write(&file, &bash).unwrap();
    let mut cmd = hermetic("bash", &repo.home);
    cmd.arg("-c").arg(format!(
        "source {} && type _git_milestone >/dev/null && complete -p git-milestone",
        file.display()
    ));
    expect_ok(&output_of(&mut cmd, None), "loading the bash completion");
    for shell in ["zsh", "fish"] {
        let script = repo.ok(["completions", shell]);
        assert!(
            script.contains("git-milestone") && script.contains("checkpoint"),
            "{shell}"
        );
    }
    repo.fails(["completions", "tcsh"], 2);
}

#[test]
fn settings_come_from_git_config() {
    let repo = TestRepo::new();
    repo.ok(["new", "m1"]);
    // milestone.remote names the default sync remote.
    let remote = TestRepo::bare();
    repo.git(["remote", "add", "backup", remote.path.to_str().unwrap()]);
    repo.git(["config", "milestone.remote", "backup"]);
    let report = repo.json(["sync"]);
    assert_eq!(report["remote"], "backup");
    assert_eq!(report["pushed"], true);
    // milestone.retentionDays is cleanup's default retention: a session that ended
    // five days ago stays with 10 days and goes with 3.
    let five_days_ago = (chrono::Utc::now() - chrono::Duration::days(5)).to_rfc3339();
    repo.ok_at(&five_days_ago, ["session", "start", "m1"]);
    repo.ok_at(&five_days_ago, ["session", "end"]);
    repo.git(["config", "milestone.retentionDays", "10"]);
    repo.ok(["cleanup", "m1"]);
    assert_eq!(repo.json(["session", "list"]).as_array().unwrap().len(), 1);
    repo.git(["config", "milestone.retentionDays", "3"]);
    repo.ok(["cleanup", "m1"]);
    assert!(repo
        .json(["session", "list"])
        .as_array()
        .unwrap()
        .is_empty());
    let cleaned = repo.json(["events", "m1", "--type", "state_cleaned"]);
    assert_eq!(cleaned[0]["data"]["retention_days"], 3);
    repo.git(["config", "milestone.retentionDays", "soon"]);
    let err = repo.fails(["cleanup", "m1"], 1);
    assert!(err.contains("milestone.retentionDays"), "{err}");
}

/// `git <args>` with this build first on PATH, so that `git milestone` runs it; the
/// whole output.
fn through_git(repo: &TestRepo, args: &[&str]) -> std::process::Output {
    let mut cmd = repo.git_cmd();
    let path = std::env::join_paths(std::iter::once(bin_dir().to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    without_identity(&mut cmd).env("PATH", path).args(args);
    output_of(&mut cmd, None)
}

#[test]
fn git_dash_c_settings_win_over_the_config_files() {
    let repo = TestRepo::new();
    repo.ok(["new", "m1"]);
    repo.git(["config", "user.name", "From Config"]);
    repo.git(["config", "user.email", "config@example.invalid"]);
    // git hands `-c` to the commands it runs: the operation is recorded with it.
    let out = through_git(
        &repo,
        &[
            "-c",
            "user.name=O'Dash",
            "-c",
            "User.Email=dash@example.invalid",
            "milestone",
            "event",
            "add",
            "m1",
            "noted",
        ],
    );
    expect_ok(&out, "git -c … milestone event add");
    let recorded_by = || repo.git(["log", "-1", "--format=%cn <%ce>", "refs/milestones"]);
    assert_eq!(recorded_by().trim(), "O'Dash <dash@example.invalid>");
    let out = through_git(&repo, &["milestone", "event", "add", "m1", "noted"]);
    expect_ok(&out, "git milestone event add");
    assert_eq!(recorded_by().trim(), "From Config <config@example.invalid>");

    // The default sync remote, the hooks folder and cleanup's retention too.
    let remote = TestRepo::bare();
    repo.git(["remote", "add", "backup", remote.path.to_str().unwrap()]);
    repo.git(["config", "milestone.remote", "nowhere"]);
    let out = through_git(
        &repo,
        &[
            "-c",
            "milestone.remote=backup",
            "milestone",
            "sync",
            "--json",
        ],
    );
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(report["remote"], "backup", "{}", stdout(&out));
    let out = through_git(
        &repo,
        &[
            "-c",
            "core.hooksPath=elsewhere",
            "milestone",
            "hooks",
            "status",
            "--json",
        ],
    );
    let status: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(status["hooks_path"], "elsewhere");
    let out = through_git(
        &repo,
        &[
            "-c",
            "milestone.retentionDays=soon",
            "milestone",
            "cleanup",
            "m1",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("milestone.retentionDays"), "{err}");
}

#[test]
fn colors_follow_the_flag_the_config_and_no_color() {
    let repo = TestRepo::new();
    repo.ok(["new", "m1"]);
    repo.ok(["task", "add", "m1", "t"]);
    repo.ok(["task", "complete", "m1", "t"]);
    // Piped: no colors by default.
    assert!(!has_escape_codes(&repo.ok(["list"])));
    assert!(has_escape_codes(&repo.ok(["--color=always", "list"])));
    assert!(!has_escape_codes(&repo.ok([
        "--color=always",
        "list",
        "--json"
    ])));
    repo.git(["config", "milestone.color", "always"]);
    assert!(has_escape_codes(&repo.ok(["list"])));
    assert!(!has_escape_codes(&repo.ok(["--color=never", "list"])));
    let no_color = stdout(&repo.run_env(&[("NO_COLOR", "1")], ["list"]));
    assert!(
        !has_escape_codes(&no_color),
        "NO_COLOR wins over the config"
    );
    let forced = stdout(&repo.run_env(&[("NO_COLOR", "1")], ["--color=always", "list"]));
    assert!(
        has_escape_codes(&forced),
        "--color=always wins over NO_COLOR"
    );
}

/// Runs `git milestone <args>` on a pseudo-terminal (util-linux `script`).
fn on_terminal(repo: &TestRepo, env: &[(&str, &str)], args: &str) -> Option<String> {
    // Not a silent pass when it is missing: .ci/run installs it on a fresh machine.
    assert!(
        Command::new("script").arg("--version").output().is_ok(),
        "`script` is missing (it makes a terminal): install the `bsdutils` package"
    );
    let mut cmd = hermetic("script", &repo.home);
    cmd.arg("-qec")
        .arg(format!("{BIN} {args}"))
        .arg("/dev/null")
        .current_dir(&repo.path);
    for (key, value) in env {
        cmd.env(key, value);
    }
    Some(expect_ok(&output_of(&mut cmd, None), "script"))
}

#[test]
fn long_listings_go_through_the_pager_on_a_terminal() {
    let repo = TestRepo::new();
    repo.ok(["new", "m1"]);
    let pager = [("GIT_PAGER", "sed s/^/PAGED:/"), ("TERM", "dumb")];
    let Some(paged) = on_terminal(&repo, &pager, "events") else {
        eprintln!("no `script` to make a terminal; skipped");
        return;
    };
    assert!(paged.contains("PAGED:"), "{paged}");
    let unpaged = on_terminal(&repo, &pager, "--no-pager events").unwrap();
    assert!(
        !unpaged.contains("PAGED:") && unpaged.contains("milestone_created"),
        "{unpaged}"
    );
    // Piped output is never paged.
    assert!(!repo.ok(["events"]).contains("PAGED:"));
    repo.git(["config", "pager.milestone", "false"]);
    let off = on_terminal(&repo, &pager, "events").unwrap();
    assert!(!off.contains("PAGED:"), "{off}");
}
