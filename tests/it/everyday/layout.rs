//! Item 15: cleanup says what it removed in sentences; times read like git's.

use super::ok_now;

#[test]
fn cleanup_says_what_it_removed_in_a_sentence() {
    let repo = super::repo();
    ok_now(&repo, ["new", "v1"]);
    let old = "2026-11-01T09:00:00Z";
    let first = repo
        .ok_at(old, ["session", "start", "v1"])
        .trim()
        .to_string();
    repo.ok_at(old, ["session", "end"]);
    let second = repo
        .ok_at(old, ["session", "start", "v1"])
        .trim()
        .to_string();
    repo.ok_at(old, ["session", "end"]);
    // Session times read like git's (local time, to the minute), not as stored.
    let shown = super::ok_now(&repo, ["session", "show", &first]);
    assert!(
        shown.contains("Started:   2026-11-01 09:00  at "),
        "{shown}"
    );
    let said = ok_now(&repo, ["cleanup", "--retention-days", "7"]);
    let said = said.replace(&first, "<first>").replace(&second, "<second>");
    let said = said.replace("<second>, <first>", "<first>, <second>");
    insta::assert_snapshot!(said, @r"
    v1: removed 2 ended sessions (<first>, <second>).
    What was removed stays in history: read it with `--at <commit>`.
    ");
}
