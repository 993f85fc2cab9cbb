//! `event add`, `events` (filters, order, limit) and `timeline`; the derived-status
//! events seen through the binary.

use serde_json::{json, Value};

use crate::common::{event_types, TestRepo, AUTHOR_NAME};

/// The `data` of the events of `events` of type `event_type`.
fn data_of<'a>(events: &'a Value, event_type: &str) -> Vec<&'a Value> {
    events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event_type"] == event_type)
        .map(|e| &e["data"])
        .collect()
}

#[test]
fn event_add_records_a_custom_event_with_its_data() {
    let repo = TestRepo::new();
    repo.ok(["new", "m1"]);
    let count = repo.commit_count();
    let tree = repo.rev_parse("refs/milestones^{tree}");
    let out = repo.ok([
        "event",
        "add",
        "m1",
        "review_held",
        "--data",
        r#"{"attendees": 4, "notes": "a \"quoted\" word"}"#,
    ]);
    assert!(out.contains("review_held"), "{out}");
    assert_eq!(repo.commit_count(), count + 1);
    assert_eq!(
        repo.rev_parse("refs/milestones^{tree}"),
        tree,
        "an event changes no stored file"
    );
    let record = repo.record("refs/milestones");
    assert_eq!(record["op"]["type"], "add_event");
    assert_eq!(
        record["events"],
        json!([{"event_type": "review_held", "milestone_id": "m1", "data": {"attendees": 4, "notes": "a \"quoted\" word"}}])
    );

    repo.ok(["event", "add", "m1", "ns:deploy.v2-done"]);
    let events = repo.json(["events", "m1"]);
    assert_eq!(events[0]["event_type"], "ns:deploy.v2-done");
    assert_eq!(
        events[0]["data"],
        json!({}),
        "--data defaults to an empty object"
    );
    assert_eq!(events[1]["event_type"], "review_held");
    assert_eq!(events[1]["data"]["attendees"], 4);
}

#[test]
fn events_and_timeline_json_have_the_fields_of_cli_md() {
    let repo = TestRepo::new();
    repo.ok_at("2026-03-04T05:06:07Z", ["new", "m1"]);
    repo.ok_at(
        "2026-03-04T05:06:08Z",
        ["event", "add", "m1", "note", "--data", r#"{"k": "v"}"#],
    );
    let tip = repo.tip().unwrap();
    for command in ["events", "timeline"] {
        let events = repo.json([command]);
        let all = events.as_array().unwrap();
        assert_eq!(all.len(), 2, "{command}: {events}");
        for event in all {
            for field in [
                "timestamp",
                "milestone_id",
                "session_id",
                "event_type",
                "data",
                "user",
                "commit",
            ] {
                assert!(
                    event.get(field).is_some(),
                    "{command}: lacks {field}: {event}"
                );
            }
            assert_eq!(event["milestone_id"], "m1");
            assert_eq!(event["session_id"], Value::Null);
            assert_eq!(event["user"], AUTHOR_NAME);
        }
        let note = all.iter().find(|e| e["event_type"] == "note").unwrap();
        assert_eq!(note["timestamp"], "2026-03-04T05:06:08.000Z");
        assert_eq!(note["commit"], tip.as_str());
        assert_eq!(note["data"], json!({"k": "v"}));
        let created = all
            .iter()
            .find(|e| e["event_type"] == "milestone_created")
            .unwrap();
        assert_eq!(created["timestamp"], "2026-03-04T05:06:07.000Z");
        assert_eq!(
            created["commit"],
            repo.rev_parse("refs/milestones~1").unwrap()
        );
    }
}

#[test]
fn events_are_newest_first_and_timeline_oldest_first() {
    let repo = TestRepo::new();
    repo.milestone_with_tasks("m1", &["t"]);
    for n in 1..=3 {
        repo.ok(["event", "add", "m1", &format!("e{n}")]);
    }
    repo.ok(["task", "complete", "m1", "t"]);

    let newest_first = [
        "milestone_completed",
        "status_updated",
        "task_status_changed",
        "e3",
        "e2",
        "e1",
        "task_added",
        "milestone_created",
    ];
    assert_eq!(event_types(&repo.json(["events", "m1"])), newest_first);
    assert_eq!(event_types(&repo.json(["events"])), newest_first);
    let mut oldest_first = newest_first;
    oldest_first.reverse();
    assert_eq!(event_types(&repo.json(["timeline", "m1"])), oldest_first);
    assert_eq!(event_types(&repo.json(["timeline"])), oldest_first);
    assert_eq!(
        event_types(&repo.json(["events", "m1", "--reverse"])),
        oldest_first
    );

    // The text form: one line per event, short commit first.
    let text = repo.ok(["events", "m1"]);
    let lines: Vec<_> = text.lines().collect();
    assert_eq!(lines.len(), newest_first.len(), "{text}");
    let tip = repo.tip().unwrap();
    assert!(lines[0].starts_with(&tip[..7]), "{text}");
    assert!(
        lines[0].contains("milestone_completed") && lines[0].contains("m1"),
        "{text}"
    );
    let timeline = repo.ok(["timeline", "m1"]);
    assert!(
        timeline
            .lines()
            .next()
            .unwrap()
            .contains("milestone_created"),
        "{timeline}"
    );
}

#[test]
fn events_filter_by_milestone_and_type() {
    let repo = TestRepo::new();
    repo.milestone_with_tasks("m1", &["a", "b"]);
    repo.milestone_with_tasks("m2", &["a"]);
    repo.ok(["task", "start", "m1", "a"]);
    repo.ok(["task", "start", "m2", "a"]);
    repo.ok(["task", "complete", "m1", "b"]);
    repo.ok(["event", "add", "m2", "note"]);

    let m2 = repo.json(["events", "m2"]);
    assert!(
        m2.as_array()
            .unwrap()
            .iter()
            .all(|e| e["milestone_id"] == "m2"),
        "{m2}"
    );
    assert_eq!(
        event_types(&m2),
        [
            "note",
            "status_updated",
            "task_status_changed",
            "task_added",
            "milestone_created"
        ]
    );

    let changes = repo.json(["events", "--type", "task_status_changed"]);
    assert_eq!(changes.as_array().unwrap().len(), 3, "{changes}");
    assert!(changes
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["event_type"] == "task_status_changed"));
    let m1_changes = repo.json(["events", "m1", "--type", "task_status_changed"]);
    let tasks: Vec<_> = m1_changes
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["data"]["task_id"].as_str().unwrap(),
                e["data"]["new_status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(tasks, [("b", "completed"), ("a", "in_progress")]);

    assert_eq!(repo.json(["events", "--type", "no_such_type"]), json!([]));
    assert_eq!(event_types(&repo.json(["timeline", "m2"])).len(), 5);
}

#[test]
fn events_since_a_date_or_an_rfc3339_time() {
    let repo = TestRepo::new();
    repo.ok_at("2025-12-01T00:00:00Z", ["new", "m1"]);
    repo.ok_at("2026-01-10T08:00:00Z", ["event", "add", "m1", "january"]);
    repo.ok_at("2026-02-10T12:00:00Z", ["event", "add", "m1", "february"]);
    repo.ok_at("2026-03-10T23:59:59Z", ["event", "add", "m1", "march"]);

    let since = |value: &str| event_types(&repo.json(["events", "m1", "--since", value]));
    assert_eq!(since("2026-01-01"), ["march", "february", "january"]);
    assert_eq!(since("2026-02-01"), ["march", "february"]);
    assert_eq!(since("2026-02-10"), ["march", "february"]);
    assert_eq!(since("2026-02-11"), ["march"]);
    assert_eq!(since("2026-03-11"), Vec::<String>::new());
    // A time is inclusive and honours its offset.
    assert_eq!(since("2026-02-10T12:00:00Z"), ["march", "february"]);
    assert_eq!(since("2026-02-10T12:00:00.001Z"), ["march"]);
    assert_eq!(since("2026-02-10T13:00:00+01:00"), ["march", "february"]);
    assert_eq!(since("2026-02-10T11:00:00-02:00"), ["march"]);
    assert_eq!(
        event_types(&repo.json(["events", "--since", "2026-02-01", "--type", "march"])),
        ["march"]
    );
}

#[test]
fn events_limit_and_reverse() {
    let repo = TestRepo::new();
    repo.ok(["new", "m1"]);
    for n in 1..=5 {
        repo.ok(["event", "add", "m1", &format!("e{n}")]);
    }
    assert_eq!(
        event_types(&repo.json(["events", "m1", "--limit", "2"])),
        ["e5", "e4"]
    );
    assert_eq!(
        event_types(&repo.json(["events", "m1", "-n", "3"])),
        ["e5", "e4", "e3"]
    );
    assert_eq!(
        event_types(&repo.json(["events", "m1", "--limit", "2", "--reverse"])),
        ["e4", "e5"]
    );
    assert_eq!(repo.json(["events", "m1", "--limit", "0"]), json!([]));
    assert_eq!(
        event_types(&repo.json(["events", "m1", "--limit", "100"])).len(),
        6
    );
    assert_eq!(
        event_types(&repo.json(["events", "m1", "--type", "e2", "--limit", "1"])),
        ["e2"],
        "the limit applies after the filter"
    );
}

#[test]
fn events_default_limit_is_50_and_timeline_has_everything() {
    let repo = TestRepo::new();
    repo.ok(["new", "m1"]);
    for n in 1..=55 {
        repo.ok(["-q", "event", "add", "m1", &format!("e{n}")]);
    }
    let events = event_types(&repo.json(["events", "m1"]));
    assert_eq!(events.len(), 50);
    assert_eq!(events[0], "e55");
    assert_eq!(events[49], "e6");
    let timeline = event_types(&repo.json(["timeline", "m1"]));
    assert_eq!(timeline.len(), 56);
    assert_eq!(timeline[0], "milestone_created");
    assert_eq!(timeline[55], "e55");
}

#[test]
fn status_updated_and_milestone_completed_are_recorded() {
    let repo = TestRepo::new();
    repo.ok(["new", "m1"]);
    // Adding a pending task to an empty milestone moves neither status nor progress.
    repo.ok(["task", "add", "m1", "a"]);
    repo.ok(["task", "add", "m1", "b"]);
    assert!(data_of(&repo.json(["events", "m1"]), "status_updated").is_empty());

    repo.ok(["task", "start", "m1", "a"]);
    repo.ok(["task", "complete", "m1", "a"]);
    repo.ok(["task", "complete", "m1", "b"]);
    repo.ok(["task", "add", "m1", "c"]);
    repo.ok(["task", "complete", "m1", "c"]);

    let timeline = repo.json(["timeline", "m1"]);
    let updates = data_of(&timeline, "status_updated");
    let expected = [
        json!({"old_status": "planned", "new_status": "in_progress", "progress_percentage": 25, "trigger_event": "task_status_changed"}),
        json!({"old_status": "in_progress", "new_status": "in_progress", "progress_percentage": 50, "trigger_event": "task_status_changed"}),
        json!({"old_status": "in_progress", "new_status": "completed", "progress_percentage": 100, "trigger_event": "task_status_changed"}),
        json!({"old_status": "completed", "new_status": "in_progress", "progress_percentage": 66, "trigger_event": "task_added"}),
        json!({"old_status": "in_progress", "new_status": "completed", "progress_percentage": 100, "trigger_event": "task_status_changed"}),
    ];
    let updates: Vec<Value> = updates.into_iter().cloned().collect();
    assert_eq!(updates, expected);
    let completed = data_of(&timeline, "milestone_completed");
    assert_eq!(
        completed,
        [&json!({"total_tasks": 2}), &json!({"total_tasks": 3})]
    );

    // Each milestone_completed comes from the commit that completed the last task.
    let events = repo.json(["events", "m1", "--type", "milestone_completed"]);
    assert_eq!(events[0]["commit"], repo.tip().unwrap().as_str());
}

#[test]
fn events_of_an_empty_log_and_custom_events_elsewhere() {
    let repo = TestRepo::new();
    assert_eq!(repo.json(["events"]), json!([]));
    assert_eq!(repo.json(["timeline"]), json!([]));
    assert_eq!(repo.ok(["events"]), "");
}
