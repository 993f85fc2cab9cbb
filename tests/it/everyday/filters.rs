//! Item 4: `--since` / `--until` in git's forms and `--author` on `events` and
//! `timeline`; the text of `events` says who.

use crate::common::TestRepo;

/// Runs at `date` as `name`, in UTC.
fn as_at(repo: &TestRepo, name: &str, date: &str, args: &[&str]) -> String {
    let out = repo.run_env(
        &[
            ("GIT_COMMITTER_DATE", date),
            ("GIT_COMMITTER_NAME", name),
            ("GIT_AUTHOR_NAME", name),
            ("TZ", "UTC"),
        ],
        args,
    );
    crate::common::expect_ok(&out, &format!("{args:?}"))
}

#[test]
fn events_and_timeline_filter_like_git_log() {
    let repo = super::repo();
    as_at(&repo, "Alice", "2026-11-01T09:00:00Z", &["new", "v1"]);
    as_at(
        &repo,
        "Bob",
        "2026-11-20T09:00:00Z",
        &["task", "add", "v1", "api"],
    );
    as_at(
        &repo,
        "Alice",
        "2026-12-04T15:30:00Z",
        &["task", "start", "v1", "api"],
    );
    let now = "2026-12-05T12:00:00Z";
    let types = |args: &[&str]| -> Vec<String> {
        let mut all = args.to_vec();
        all.push("--json");
        let text = as_at(&repo, "Reader", now, &all);
        crate::common::event_types(&serde_json::from_str(&text).unwrap())
    };
    assert_eq!(
        types(&["events", "--since", "yesterday"]),
        ["status_updated", "task_status_changed"]
    );
    assert_eq!(
        types(&["events", "--since", "3.weeks.ago", "--until", "2026-12-01"]),
        ["task_added"]
    );
    assert_eq!(
        types(&["events", "--until", "2026-11-01 09:00"]),
        ["milestone_created"]
    );
    assert_eq!(types(&["events", "--author", "bob"]), ["task_added"]);
    assert_eq!(
        types(&["timeline", "--author", "Alice", "--since", "3.days.ago"]),
        ["task_status_changed", "status_updated"]
    );
    assert_eq!(
        types(&["timeline", "v1", "--until", "2026-11-02"]),
        ["milestone_created"]
    );
    let text = as_at(&repo, "Reader", now, &["events", "--author", "bob"]);
    let text = text.split_once(' ').map(|(_, rest)| rest).unwrap_or("");
    insta::assert_snapshot!(text, @r#"2026-11-20 09:00 v1         task_added             Bob  {"task_id":"api","title":"","kiro_workflow":false}"#);
    // A span beyond the calendar is refused, not a crash.
    let err = repo.fails(["timeline", "--since", "99999999.years.ago"], 1);
    assert!(err.starts_with("error: --since: invalid date"), "{err}");
    let err = repo.fails(["events", "--since", "soon"], 1);
    insta::assert_snapshot!(err, @r#"
    error: --since: invalid date "soon": use a date such as 2026-01-01 or "2026-01-01 12:00", or a relative one such as yesterday or 2.weeks.ago
    hint: for example `--since 2.weeks.ago` or `--since "2026-01-01 12:00"`
    "#);
}
