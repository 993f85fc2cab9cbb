//! Items 9, 12 and 17: usage errors in plain words, subcommand help with the global
//! options in one line, and the man pages' sections.

use crate::common::{expect_failure, TestRepo};

#[test]
fn subcommand_help_lists_its_own_options_then_the_global_ones_in_one_line() {
    let repo = TestRepo::new();
    insta::assert_snapshot!(repo.ok(["show", "-h"]), @r"
    Show a milestone with its tasks

    Usage: git milestone show [OPTIONS] <MILESTONE>

    Arguments:
      <MILESTONE>  The milestone's id

    Options:
          --at <COMMIT|CHECKPOINT>  Read it as it was at this checkpoint or commit of refs/milestones
          --by <BY>                 Count tasks, or weigh progress by their points [default: count]
                                    [possible values: count, points]
      -h, --help                    Print help (see more with '--help')

    Example:
      git milestone show v1.0 --at before-rewrite

    Global options: --json, -q/--quiet, --color <WHEN>, --no-pager (see `git milestone -h`).
    ");
    insta::assert_snapshot!(repo.ok(["task", "mv", "--help"]), @r"
    Give a task a new id; commands and trailers naming the old id still find it

    Usage: git milestone task mv <MILESTONE> <TASK> <NEW_ID>

    Arguments:
      <MILESTONE>  The milestone
      <TASK>       The task's id now
      <NEW_ID>     Its new id: letters, digits, '.', '_', '-'

    Options:
      -h, --help  Print help

    Example:
      git milestone task mv v1.0 api rest-api

    Global options: --json, -q/--quiet, --color <WHEN>, --no-pager (see `git milestone -h`).
    ");
    // The top level still lists them, and they still work after a subcommand.
    assert!(repo
        .ok(["-h"])
        .contains("--no-pager      Do not send long listings"));
    assert!(repo
        .ok(["list", "--json", "-q", "--no-pager", "--color", "never"])
        .starts_with('['));
}

#[test]
fn negative_numbers_and_unknown_flags_get_plain_words() {
    let repo = TestRepo::new();
    insta::assert_snapshot!(repo.fails(["events", "--limit", "-1"], 2), @r"
    error: invalid value '-1' for '--limit <N>': must be a positive number

    For more information, try '--help'.
    ");
    insta::assert_snapshot!(repo.fails(["cleanup", "--retention-days", "-1"], 2), @r"
    error: invalid value '-1' for '--retention-days <N>': must be a positive number

    For more information, try '--help'.
    ");
    // An unknown flag is not answered with "pass it after --", nor with an unrelated flag.
    insta::assert_snapshot!(repo.fails(["events", "--all"], 2), @r"
    error: unexpected argument '--all' found

    Usage: git milestone events [OPTIONS] [MILESTONE]

    For more information, try '--help'.
    ");
    // A near one is still suggested.
    let err = repo.fails(["list", "--jsno"], 2);
    assert!(
        err.contains("tip: a similar argument exists: '--json'"),
        "{err}"
    );
    let err = expect_failure(
        &repo.run(["watch", "--timeout", "-5"]),
        2,
        "watch --timeout -5",
    );
    assert!(err.contains("must be a positive number"), "{err}");
}

#[test]
fn the_man_pages_have_the_manual_sections_and_hooks_install_explains_trailers() {
    let repo = TestRepo::new();
    let page = repo.ok(["man"]);
    let headings: Vec<&str> = page.lines().filter(|l| l.starts_with(".SH ")).collect();
    assert_eq!(
        headings,
        [
            ".SH NAME",
            ".SH SYNOPSIS",
            ".SH DESCRIPTION",
            ".SH OPTIONS",
            ".SH SUBCOMMANDS",
            ".SH HOOKS AND TRAILERS",
            ".SH SYNC",
            ".SH CONFIGURATION",
            ".SH FILES AND REFS",
            ".SH EXAMPLES",
            ".SH EXTRA",
            ".SH VERSION",
        ]
    );
    // Every milestone.* key the code reads (found in its source) is explained.
    let keys = milestone_keys_in_source();
    assert!(keys.len() >= 5, "{keys:?}");
    for key in &keys {
        assert!(page.contains(&key.replace('-', "\\-")), "{key}");
    }
    assert!(page.contains("refs/meta/milestones"));
    let dir = repo.sibling_dir("man");
    repo.ok(["install-man", "--dir", dir.to_str().unwrap()]);
    let main = std::fs::read_to_string(dir.join("git-milestone.1")).unwrap();
    assert_eq!(main, page);
    let install = std::fs::read_to_string(dir.join("git-milestone-hooks-install.1")).unwrap();
    for words in [
        "Task: v1.0/api",
        "Completes: v1.0/api",
        "the current session\\*(Aqs milestone",
    ] {
        assert!(install.contains(words), "{words}:\n{install}");
    }
}

#[test]
fn completions_still_offer_the_global_options_after_a_command() {
    let repo = TestRepo::new();
    let fish = repo.ok(["completions", "fish"]);
    assert!(
        fish.lines()
            .any(|l| l.contains("using_subcommand show\"") && l.contains("-l json")),
        "no --json for show in:\n{fish}"
    );
}

/// The `milestone.<key>` settings the source reads, by their string literals.
fn milestone_keys_in_source() -> Vec<String> {
    fn walk(dir: &std::path::Path, keys: &mut std::collections::BTreeSet<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, keys);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                for piece in text.split("\"milestone.").skip(1) {
                    let key: String = piece
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric())
                        .collect();
                    if piece[key.len()..].starts_with('"') && key != "yaml" {
                        keys.insert(format!("milestone.{key}"));
                    }
                }
            }
        }
    }
    let mut keys = std::collections::BTreeSet::new();
    walk(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut keys,
    );
    keys.into_iter().collect()
}
