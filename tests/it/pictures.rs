//! Task points, `chart` and `report`: progress drawn from the event log.

use std::fs;

use serde_json::Value;

use crate::common::{expect_ok, TestRepo};

/// A history over ten days of December 2026: three tasks, one added later (scope
/// grows), one reopened, steady progress, a due day at the end of the month.
fn history() -> TestRepo {
    let repo = TestRepo::new();
    let at = |day: u32| format!("2026-12-{day:02}T10:00:00Z");
    repo.ok_at(&at(1), ["init"]);
    repo.ok_at(
        &at(1),
        [
            "new",
            "m1",
            "--title",
            "First release",
            "--due",
            "2026-12-20",
        ],
    );
    repo.ok_at(&at(1), ["task", "add", "m1", "a", "--points", "3"]);
    repo.ok_at(&at(1), ["task", "add", "m1", "b", "--points", "5"]);
    repo.ok_at(&at(2), ["task", "start", "m1", "a"]);
    repo.ok_at(&at(3), ["task", "complete", "m1", "a"]);
    repo.ok_at(&at(4), ["task", "start", "m1", "b"]);
    repo.ok_at(&at(5), ["task", "add", "m1", "c", "--title", "Found later"]);
    repo.ok_at(&at(6), ["task", "set", "m1", "a", "in_progress"]);
    repo.ok_at(&at(7), ["task", "complete", "m1", "a"]);
    repo.ok_at(&at(8), ["task", "complete", "m1", "b"]);
    repo
}

fn series(chart: &Value) -> Vec<(String, f64, f64, f64)> {
    chart["series"]
        .as_array()
        .expect("series")
        .iter()
        .map(|d| {
            (
                d["date"].as_str().unwrap().to_string(),
                d["scope"].as_f64().unwrap(),
                d["done"].as_f64().unwrap(),
                d["in_progress"].as_f64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn chart_json_follows_scope_changes_reopened_tasks_and_points() {
    let repo = history();
    let chart = repo.json(["chart", "m1", "--now", "2026-12-09"]);
    assert_eq!(chart["milestone_id"], "m1");
    assert_eq!(chart["by"], "count");
    let days = series(&chart);
    let day = |n: usize| (days[n].1, days[n].2, days[n].3);
    assert_eq!(days.len(), 9, "2026-12-01 to 2026-12-09: {days:?}");
    assert_eq!(days[0].0, "2026-12-01");
    assert_eq!(day(0), (2.0, 0.0, 0.0));
    assert_eq!(day(2), (2.0, 1.0, 0.0), "a completed on the 3rd");
    assert_eq!(
        day(4),
        (3.0, 1.0, 1.0),
        "c added on the 5th raises the scope"
    );
    assert_eq!(day(5), (3.0, 0.0, 2.0), "a reopened on the 6th leaves done");
    assert_eq!(day(8), (3.0, 2.0, 0.0));

    let by_points = repo.json(["chart", "m1", "--by", "points", "--now", "2026-12-09"]);
    assert_eq!(by_points["by"], "points");
    let points = series(&by_points);
    // a = 3, b = 5, c has none and counts 1.
    assert_eq!((points[0].1, points[2].2), (8.0, 3.0));
    assert_eq!((points[8].1, points[8].2), (9.0, 8.0));

    let forecast = &chart["forecast"];
    for field in ["date", "pace_per_day", "due", "reason"] {
        assert!(
            forecast.get(field).is_some(),
            "forecast.{field}: {forecast}"
        );
    }
    assert_eq!(forecast["due"], "2026-12-20");
    assert_eq!(forecast["reason"], "on_track");
    // 2 done in 9 days, 1 left.
    assert_eq!(forecast["date"], "2026-12-14");
}

#[test]
fn chart_in_the_terminal_at_a_fixed_width() {
    let repo = history();
    let text = repo.ok(["chart", "m1", "--now", "2026-12-09", "--width", "60"]);
    insta::assert_snapshot!(text, @r"
    m1 — First release: 2 of 3 tasks done (66%)
    3 ┤           ──────────────         •••••         ······│
      │                            ••••••        ······      │
      │───────────        ▃▃▃▃▃▃•••      ········            │
      │        ░░░░░░░░░░░██████   ······                    │
      │        ░░░░░░░░░░░██████···                          │
      │  ░░░▅▅▅▅▅▅▅▅▅░░░▅▅██████                             │
      │  ░░░█████████░░░████████                             │
    0 ┤··░░░█████████░░░████████                             │
      └─────────────────────────────────────────────────────────
       2026-12-01                                     2026-12-20
    █ done  ░ in progress  ─ scope  · ideal  • forecast  │ due
    at the last 14 days' pace: done around 2026-12-14 (due 2026-12-20)
    ");
}

#[test]
fn chart_is_colored_per_git_settings_and_plain_on_a_pipe() {
    let repo = history();
    let args = ["chart", "m1", "--now", "2026-12-09", "--width", "60"];
    let plain = repo.ok(args);
    assert!(!plain.contains('\x1b'), "a pipe gets no colors");
    repo.git(["config", "color.ui", "always"]);
    let colored = repo.ok(args);
    assert!(colored.contains("\x1b[32m█"), "done is green:\n{colored}");
    let never = repo.ok(["chart", "m1", "--now", "2026-12-09", "--color", "never"]);
    assert!(!never.contains('\x1b'));
    let no_color = repo.run_env(&[("NO_COLOR", "1")], args);
    assert!(!expect_ok(&no_color, "chart with NO_COLOR").contains('\x1b'));
}

#[test]
fn chart_reads_a_restore_from_the_definition() {
    let repo = TestRepo::new();
    let at = |day: u32| format!("2026-12-{day:02}T10:00:00Z");
    repo.ok_at(&at(1), ["init"]);
    repo.ok_at(&at(1), ["new", "m1"]);
    repo.ok_at(&at(1), ["task", "add", "m1", "a"]);
    repo.ok_at(&at(1), ["task", "add", "m1", "b"]);
    repo.ok_at(&at(2), ["task", "start", "m1", "a"]);
    repo.ok_at(&at(2), ["checkpoint", "create", "m1", "early"]);
    repo.ok_at(&at(3), ["task", "add", "m1", "c"]);
    repo.ok_at(&at(3), ["task", "complete", "m1", "a"]);
    repo.ok_at(&at(4), ["checkpoint", "restore", "m1", "early"]);
    let chart = repo.json(["chart", "m1", "--now", "2026-12-04"]);
    let days = series(&chart);
    assert_eq!((days[2].1, days[2].2, days[2].3), (3.0, 1.0, 0.0));
    // Back to the two tasks of the 2nd: a in progress, b pending.
    assert_eq!((days[3].1, days[3].2, days[3].3), (2.0, 0.0, 1.0));
    assert_eq!(chart.to_string().matches("-0.0").count(), 0, "{chart}");
}

#[test]
fn chart_forecast_without_progress_and_when_finished() {
    let repo = TestRepo::new();
    repo.ok_at("2026-11-01T10:00:00Z", ["init"]);
    repo.ok_at("2026-11-01T10:00:00Z", ["new", "m1", "--due", "2026-11-10"]);
    repo.ok_at("2026-11-01T10:00:00Z", ["task", "add", "m1", "a"]);
    let stalled = repo.json(["chart", "m1", "--now", "2026-11-30"]);
    assert_eq!(stalled["forecast"]["reason"], "past_due");
    assert_eq!(stalled["forecast"]["date"], Value::Null);
    let text = repo.ok(["chart", "m1", "--now", "2026-11-30"]);
    assert!(
        text.ends_with("no progress in 14 days (due 2026-11-10)\n"),
        "{text}"
    );
    repo.ok_at("2026-11-05T10:00:00Z", ["task", "complete", "m1", "a"]);
    let done = repo.json(["chart", "m1", "--now", "2026-11-30"]);
    assert_eq!(done["forecast"]["reason"], "finished");
    assert_eq!(done["forecast"]["date"], "2026-11-05");
}

#[test]
fn chart_refuses_what_it_cannot_draw() {
    let repo = history();
    let err = repo.fails(["chart", "nope"], 1);
    assert!(err.contains("no milestone nope"), "{err}");
    let err = repo.fails(["chart", "m1", "--now", "yesterday"], 2);
    assert!(err.contains("--now"), "{err}");
    repo.fails(["chart", "m1", "--by", "weight"], 2);
    repo.fails(["chart", "m1", "--width", "5"], 2);
}

#[test]
fn points_are_set_shown_in_yaml_and_checked() {
    let repo = TestRepo::new();
    repo.ok(["init"]);
    repo.ok(["new", "m1"]);
    repo.ok(["task", "add", "m1", "a", "--points", "2.5"]);
    repo.ok(["task", "add", "m1", "b"]);
    let yaml = repo.ok(["export", "m1"]);
    assert!(yaml.contains("points: 2.5"), "{yaml}");
    let set = repo.json(["task", "set-points", "m1", "b", "8"]);
    assert_eq!(set["events"][0]["event_type"], "task_points_set");
    assert_eq!(set["events"][0]["data"]["points"], 8.0);
    repo.ok(["task", "set-points", "m1", "a", "none"]);
    let yaml = repo.ok(["export", "m1"]);
    assert!(yaml.contains("points: 8"), "{yaml}");
    assert!(!yaml.contains("points: 2.5"), "cleared: {yaml}");

    let err = repo.fails(["task", "add", "m1", "c", "--points", "-1"], 2);
    assert!(err.contains("not a non-negative number"), "{err}");
    let err = repo.fails(["task", "set-points", "m1", "b", "many"], 1);
    assert!(err.contains("hint:"), "{err}");
    repo.fails(["task", "set-points", "m1", "zz", "1"], 1);

    let file = repo.write_file("bad.yaml", "id: m2\ntasks:\n  - id: a\n    points: -3\n");
    let err = repo.fails(["import", file.to_str().unwrap()], 1);
    assert!(err.contains("points"), "{err}");
    let file = repo.write_file("good.yaml", "id: m3\ntasks:\n  - id: a\n    points: 13\n");
    repo.ok(["import", file.to_str().unwrap()]);
    let chart = repo.json(["chart", "m3", "--by", "points"]);
    assert_eq!(series(&chart).last().unwrap().1, 13.0);
}

#[test]
fn show_and_status_weigh_progress_by_points() {
    let repo = TestRepo::new();
    repo.ok(["init"]);
    repo.ok(["new", "m1", "--title", "Sized"]);
    repo.ok(["task", "add", "m1", "a", "--points", "3"]);
    repo.ok(["task", "add", "m1", "b", "--points", "5"]);
    repo.ok(["task", "add", "m1", "c"]);
    repo.ok(["task", "complete", "m1", "a"]);
    repo.ok(["task", "start", "m1", "b"]);

    // By count: (100 + 50 + 0) / 3; by points: (3×100 + 5×50 + 1×0) / 9.
    let counted = repo.json(["show", "m1"]);
    assert_eq!(counted["progress"]["percentage"], 50);
    assert!(counted["progress"].get("by").is_none(), "{counted}");
    assert_eq!(counted["tasks"][0]["points"], 3.0);
    assert!(
        counted["tasks"][2].get("points").is_none(),
        "no points, no field"
    );
    for args in [
        &["show", "m1", "--by", "points"][..],
        &["status", "m1", "--by", "points"],
    ] {
        let weighed = repo.json(args);
        let progress = &weighed["progress"];
        assert_eq!(progress["percentage"], 61, "{args:?}: {progress}");
        assert_eq!(progress["by"], "points");
        assert_eq!(
            (
                progress["completed_points"].as_f64(),
                progress["total_points"].as_f64()
            ),
            (Some(3.0), Some(9.0))
        );
        assert_eq!(
            (
                progress["completed_tasks"].as_u64(),
                progress["total_tasks"].as_u64()
            ),
            (Some(1), Some(3))
        );
        assert_eq!(
            weighed["tasks"][1]["progress"], 50,
            "a task's own progress stays"
        );
    }
    let all = repo.json(["status", "--by", "points"]);
    assert_eq!(all[0]["progress"]["percentage"], 61);
    assert!(repo
        .ok(["status", "--by", "points"])
        .contains(" 61%  in_progress 3/9 points  Sized"));
    assert!(repo
        .ok(["status"])
        .contains(" 50%  in_progress 1/3 tasks  Sized"));
    repo.fails(["show", "m1", "--by", "weight"], 2);

    let text = repo.ok(["show", "m1", "--by", "points"]);
    insta::assert_snapshot!(text, @r"
    milestone m1: Sized
    Status:   in_progress
    Progress: [############--------]  61%  (1 of 3 tasks completed; 3 of 9 points)
    State:    none saved

    Tasks:
      a            completed   100%  (3 points)
      b            in_progress  50%  (5 points)
      c            pending       0%
    ");
}

/// Reads a report file.
fn read(dir: &std::path::Path, name: &str) -> String {
    fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn report_writes_a_deterministic_self_contained_site() {
    let repo = history();
    repo.ok_at(
        "2026-12-02T11:00:00Z",
        ["new", "m2", "--title", "<Next> & more"],
    );
    let out = repo.sibling_dir("site");
    let printed = repo.ok([
        "report",
        "--out",
        out.to_str().unwrap(),
        "--now",
        "2026-12-09",
    ]);
    assert_eq!(printed.trim(), out.join("index.html").to_str().unwrap());
    let index = read(&out, "index.html");
    let page = read(&out, "milestone-m1.html");
    assert!(index.contains("href=\"milestone-m1.html\""));
    assert!(
        index.contains("&lt;Next&gt; &amp; more"),
        "titles are escaped"
    );
    assert!(index.contains("2/3"), "done/total of m1");
    for html in [&index, &page] {
        assert_eq!(html.matches("<style>").count(), 1, "one CSS block");
        assert!(!html.contains("<script"), "no JavaScript");
        assert!(!html.contains("src="), "nothing to load");
        assert!(html.contains("prefers-color-scheme: dark"));
        assert!(html.contains("@media print"));
    }
    for needle in [
        "<title id=\"burnup-title\">Burn-up of m1</title>",
        "Burndown of m1",
        "at the last 14 days&#39; pace: done around 2026-12-14",
        "class=\"scope\"",
        "class=\"ideal\"",
    ] {
        assert!(page.contains(needle), "{needle} missing from the page");
    }
    // The same tip and day give the same bytes.
    let again = repo.sibling_dir("again");
    repo.ok([
        "report",
        "--out",
        again.to_str().unwrap(),
        "--now",
        "2026-12-09",
    ]);
    assert_eq!(read(&again, "index.html"), index);
    assert_eq!(read(&again, "milestone-m1.html"), page);
    // Only the milestones asked for.
    let one = repo.sibling_dir("one");
    repo.ok(["report", "m2", "--out", one.to_str().unwrap()]);
    assert!(one.join("milestone-m2.html").exists());
    assert!(!one.join("milestone-m1.html").exists());
}

#[test]
fn report_svg_of_one_milestone() {
    let repo = history();
    let out = repo.sibling_dir("site");
    repo.ok([
        "report",
        "m1",
        "--out",
        out.to_str().unwrap(),
        "--now",
        "2026-12-09",
    ]);
    let page = read(&out, "milestone-m1.html");
    let start = page.find("<svg").expect("an svg");
    let end = start + page[start..].find("</svg>").expect("its end") + "</svg>".len();
    // One element a line, so a change reads as a diff.
    let svg = page[start..end].replace("><", ">\n<");
    insta::assert_snapshot!("burnup_svg", svg);
}

#[test]
fn report_shows_the_phase_funnel_the_approval_trail_and_checkpoints() {
    let repo = TestRepo::new();
    repo.ok(["init"]);
    repo.ok(["new", "m1"]);
    repo.ok(["task", "add", "m1", "w", "--kiro"]);
    repo.ok(["task", "add", "m1", "plain"]);
    repo.ok(["phase", "set", "m1", "w", "design", "completed"]);
    repo.ok(["phase", "advance", "m1", "w"]);
    let approvals = repo.json(["approval", "list", "m1"]);
    let id = approvals[0]["id"].as_str().unwrap().to_string();
    let comment = "<b>fine</b>";
    repo.ok([
        "approval",
        "approve",
        &id,
        "--role",
        "lead",
        "--comment",
        comment,
    ]);
    repo.ok(["checkpoint", "create", "m1", "reviewed"]);
    let out = repo.sibling_dir("site");
    repo.ok(["report", "--out", out.to_str().unwrap()]);
    let page = read(&out, "milestone-m1.html");
    assert!(page.contains("Phase funnel"));
    assert!(page.contains("Workflow tasks by phase"));
    assert!(page.contains(&id), "the request is listed");
    assert!(
        page.contains("&lt;b&gt;fine&lt;/b&gt;"),
        "comments are escaped"
    );
    assert!(page.contains("unverified"), "decisions are not signed yet");
    assert!(page.contains("Test "), "who decided");
    assert!(page.contains("reviewed"), "the checkpoint");
    assert!(page.contains("kiro_approval_requested"), "recent events");
}

#[test]
fn report_refuses_unknown_milestones_and_unwritable_folders() {
    let repo = history();
    let out = repo.root().join("site");
    let err = repo.fails(["report", "nope", "--out", out.to_str().unwrap()], 1);
    assert!(err.contains("no milestone nope"), "{err}");
    assert!(!out.exists(), "nothing written");
    let file = repo.write_file("taken", "a file, not a folder");
    let err = repo.fails(["report", "--out", file.to_str().unwrap()], 1);
    assert!(err.contains("cannot write the report"), "{err}");
    assert!(err.contains("hint:"), "{err}");
}

#[test]
fn chart_reads_the_history_a_migration_brought_in() {
    let repo = TestRepo::new();
    repo.ok(["init"]);
    let base = repo.root().join("ref/.milestones");
    for sub in ["active", "state/events"] {
        fs::create_dir_all(base.join(sub)).unwrap();
    }
    fs::write(
        base.join("active/m1.yaml"),
        "id: m1\ntasks:\n  - id: a\n    status: completed\n  - id: b\n    status: pending\n",
    )
    .unwrap();
    // The bash scripts' log: their own fields, no previous_status.
    let log = [
        ("2025-03-01T09:00:00Z", "task_status_changed", r#"{"task_id":"a","new_status":"in_progress"}"#),
        ("2025-03-03T09:00:00Z", "task_status_changed", r#"{"task_id":"a","new_status":"completed"}"#),
        ("2025-03-04T09:00:00Z", "status_updated", r#"{"progress":50}"#),
    ]
    .map(|(ts, kind, data)| {
        format!(r#"{{"timestamp":"{ts}","milestone_id":"m1","event_type":"{kind}","data":{data},"user":"alice"}}"#)
    })
    .join("\n");
    fs::write(base.join("state/events/milestone-m1.jsonl"), log + "\n").unwrap();
    repo.ok(["import", base.to_str().unwrap()]);
    let chart = repo.json(["chart", "m1", "--now", "2026-12-09"]);
    let days = series(&chart);
    let done: Vec<f64> = days.iter().map(|d| d.2).collect();
    // The imported moves show until the import's own definition takes over.
    assert!(done.contains(&1.0), "{days:?}");
    let last = days.last().unwrap();
    assert_eq!(
        (last.1, last.2),
        (2.0, 1.0),
        "the imported definition: {days:?}"
    );
}
