//! Item 2: overdue milestones in `status`, `list`, `show`, and `overdue`/`days_left`.

use super::ok_now;

#[test]
fn overdue_shows_in_status_list_and_show() {
    let repo = super::repo();
    ok_now(
        &repo,
        ["new", "late", "--due", "2026-12-01", "--title", "Late one"],
    );
    ok_now(&repo, ["new", "soon", "--due", "2026-12-20"]);
    ok_now(&repo, ["new", "done", "--due", "2026-11-01"]);
    ok_now(&repo, ["task", "add", "done", "t"]);
    ok_now(&repo, ["task", "complete", "done", "t"]);
    insta::assert_snapshot!(ok_now(&repo, ["status"]), @r"
    milestones: 3, 1 completed, 0 in progress, 2 planned, 1 overdue

    done             [####################] 100%  completed   1/1 tasks  due 2026-11-01
    late             [--------------------]   0%  planned     0/0 tasks  overdue (due 2026-12-01, 4 days late)  Late one
    soon             [--------------------]   0%  planned     0/0 tasks  due 2026-12-20 (in 15 days)
    ");
    insta::assert_snapshot!(ok_now(&repo, ["list"]), @r"
    done             [####################] 100%  completed   1/1 tasks  due 2026-11-01
    late             [--------------------]   0%  planned     0/0 tasks  overdue (due 2026-12-01, 4 days late)  Late one
    soon             [--------------------]   0%  planned     0/0 tasks  due 2026-12-20 (in 15 days)
    ");
    // One milestone's status has the dashboard's line, then its tasks.
    insta::assert_snapshot!(ok_now(&repo, ["status", "done"]), @r"
    done             [####################] 100%  completed   1/1 tasks  due 2026-11-01

    Tasks:
      t            completed   100%
    ");
    assert!(
        ok_now(&repo, ["show", "late"]).contains("Due:      overdue (due 2026-12-01, 4 days late)")
    );
    // Colored like git's warnings (yellow) when colors are on.
    let colored = ok_now(&repo, ["--color=always", "show", "late"]);
    assert!(colored.contains("\x1b[33moverdue\x1b[0m"), "{colored:?}");
    let json = super::run_now(&repo, ["status", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let fields: Vec<_> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["id"].clone(),
                m["overdue"].clone(),
                m["days_left"].clone(),
            )
        })
        .collect();
    assert_eq!(
        fields,
        [
            ("done".into(), false.into(), (-34).into()),
            ("late".into(), true.into(), (-4).into()),
            ("soon".into(), false.into(), 15.into())
        ]
    );
    for args in [["show", "late"], ["status", "late"]] {
        let out = super::run_now(&repo, [args[0], args[1], "--json"]);
        let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            (value["overdue"].clone(), value["days_left"].clone()),
            (true.into(), (-4).into())
        );
    }
}
