//! What a merge overrode: for every value both sides of a merge set, which one the
//! replay kept (the later in merge order: last writer wins) and which it dropped, so
//! that `sync` can say so instead of replacing a teammate's work in silence. A restore
//! replayed after the other side's changes of its milestone undoes them; that is said
//! too.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::{Op, RestoreSource};

/// One replayed operation, as the merge saw it.
#[derive(Debug, Clone, Copy)]
pub struct Replayed<'a> {
    /// Whether it came from our side (else theirs).
    pub ours: bool,
    /// Who made it.
    pub author: &'a str,
    /// The operation.
    pub op: &'a Op,
    /// Whether it took effect (applied, or set what was already there); a recorded
    /// no-op set nothing.
    pub took_effect: bool,
}

/// A value both sides set, and which one won (CLI.md, `sync --json`, `overridden`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Override {
    /// The milestone.
    pub milestone_id: String,
    /// What was set: `task <t> status`, `state`, `definition`, …
    pub what: String,
    /// The value the merge kept.
    pub kept: String,
    /// The value it dropped.
    pub dropped: String,
    /// Who set the kept value.
    pub kept_by: String,
    /// Who set the dropped value.
    pub dropped_by: String,
}

/// The longest value shown; a saved state can be large.
const MAX_SHOWN: usize = 80;

fn shown(value: String) -> String {
    match value.char_indices().nth(MAX_SHOWN) {
        Some((end, _)) => format!("{}…", &value[..end]),
        None => value,
    }
}

/// The values `op` sets, as `(what, value)`.
pub fn values_set(op: &Op) -> Vec<(String, String)> {
    match op {
        Op::SetTaskStatus { task, status, .. } => {
            vec![(format!("task {task} status"), status.to_string())]
        }
        Op::SetPhase {
            task,
            phase,
            status,
            ..
        } => vec![(format!("task {task} phase {phase}"), status.to_string())],
        Op::SaveState { state, .. } => vec![("state".into(), shown(state.to_string()))],
        Op::PutMilestone { definition, .. } => vec![(
            "definition".into(),
            shown(format!(
                "title {:?}, {} tasks",
                definition.title,
                definition.tasks.len()
            )),
        )],
        Op::NewMilestone {
            title,
            description,
            due,
            ..
        } => [("title", title), ("description", description), ("due", due)]
            .into_iter()
            .filter_map(|(what, value)| Some((what.to_string(), shown(value.clone()?))))
            .collect(),
        Op::AddTask { task, title, .. } if !title.is_empty() => {
            vec![(format!("task {task} title"), shown(title.clone()))]
        }
        _ => Vec::new(),
    }
}

/// The last value one side set of one thing.
#[derive(Debug, Clone)]
struct Set {
    value: String,
    author: String,
}

/// Both sides' last values of one thing.
#[derive(Debug, Default)]
struct Sides {
    ours: Option<Set>,
    theirs: Option<Set>,
    /// Which side set it last, in merge order.
    last_ours: bool,
}

/// The overrides of a merge whose operations were replayed in the order of
/// `replayed`. Only values that differ are reported.
pub fn overridden(replayed: &[Replayed<'_>]) -> Vec<Override> {
    let mut values: BTreeMap<(String, String), Sides> = BTreeMap::new();
    let mut found = Vec::new();
    for r in replayed.iter().filter(|r| r.took_effect) {
        let Some(milestone) = r.op.milestone().map(|m| m.to_string()) else {
            continue;
        };
        if let Op::Restore { source, .. } = r.op {
            found.extend(undone_by_restore(&mut values, &milestone, r, source));
            continue;
        }
        for (what, value) in values_set(r.op) {
            let sides = values.entry((milestone.clone(), what)).or_default();
            let set = Some(Set {
                value,
                author: r.author.to_string(),
            });
            if r.ours {
                sides.ours = set;
            } else {
                sides.theirs = set;
            }
            sides.last_ours = r.ours;
        }
    }
    for ((milestone, what), sides) in values {
        let (Some(ours), Some(theirs)) = (sides.ours, sides.theirs) else {
            continue;
        };
        if ours.value == theirs.value {
            continue;
        }
        let (kept, dropped) = if sides.last_ours {
            (ours, theirs)
        } else {
            (theirs, ours)
        };
        found.push(Override {
            milestone_id: milestone,
            what,
            kept: kept.value,
            dropped: dropped.value,
            kept_by: kept.author,
            dropped_by: dropped.author,
        });
    }
    found
}

/// A restore puts its milestone back as it was: what the other side set of it before
/// (in merge order) is undone, and said so; nothing of it is set afterwards.
fn undone_by_restore(
    values: &mut BTreeMap<(String, String), Sides>,
    milestone: &str,
    restore: &Replayed<'_>,
    source: &RestoreSource,
) -> Vec<Override> {
    let kept = match source {
        RestoreSource::Checkpoint { name } => format!("restored checkpoint {name}"),
        RestoreSource::Recover => "recovered an earlier state".to_string(),
    };
    let mut undone = Vec::new();
    values.retain(|(m, what), sides| {
        if m != milestone {
            return true;
        }
        let other = if restore.ours {
            &sides.theirs
        } else {
            &sides.ours
        };
        if let Some(other) = other {
            undone.push(Override {
                milestone_id: m.clone(),
                what: what.clone(),
                kept: kept.clone(),
                dropped: other.value.clone(),
                kept_by: restore.author.to_string(),
                dropped_by: other.author.clone(),
            });
        }
        false
    });
    undone
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{MilestoneId, TaskId, TaskStatus};

    fn set(task: &str, status: TaskStatus) -> Op {
        Op::SetTaskStatus {
            milestone: MilestoneId::new("m").unwrap(),
            task: TaskId::new(task).unwrap(),
            status,
            reason: None,
        }
    }

    fn save(n: u32) -> Op {
        Op::SaveState {
            milestone: MilestoneId::new("m").unwrap(),
            state: serde_json::json!({ "n": n }),
        }
    }

    fn r<'a>(ours: bool, author: &'a str, op: &'a Op) -> Replayed<'a> {
        Replayed {
            ours,
            author,
            op,
            took_effect: true,
        }
    }

    #[test]
    fn the_later_value_wins_and_the_other_is_reported() {
        let (blocked, done) = (
            set("stripe", TaskStatus::Blocked),
            set("stripe", TaskStatus::Completed),
        );
        let found = overridden(&[r(true, "Alice", &blocked), r(false, "Bob", &done)]);
        assert_eq!(
            found,
            [Override {
                milestone_id: "m".into(),
                what: "task stripe status".into(),
                kept: "completed".into(),
                dropped: "blocked".into(),
                kept_by: "Bob".into(),
                dropped_by: "Alice".into(),
            }]
        );
        // In the other order Alice's wins.
        let found = overridden(&[r(false, "Bob", &done), r(true, "Alice", &blocked)]);
        assert_eq!(
            (found[0].kept.as_str(), found[0].kept_by.as_str()),
            ("blocked", "Alice")
        );
    }

    #[test]
    fn one_sided_equal_or_ineffective_values_are_not_overrides() {
        let (a, b) = (save(1), save(1));
        assert!(
            overridden(&[r(true, "A", &a), r(false, "B", &b)]).is_empty(),
            "equal"
        );
        let (x, y) = (save(1), save(2));
        assert!(
            overridden(&[r(true, "A", &x), r(true, "A", &y)]).is_empty(),
            "one side"
        );
        let mut noop = r(false, "B", &y);
        noop.took_effect = false;
        assert!(
            overridden(&[r(true, "A", &x), noop]).is_empty(),
            "a no-op set nothing"
        );
        let (t1, t2) = (
            set("a", TaskStatus::Blocked),
            set("b", TaskStatus::Completed),
        );
        assert!(
            overridden(&[r(true, "A", &t1), r(false, "B", &t2)]).is_empty(),
            "two tasks"
        );
    }

    #[test]
    fn a_restore_after_the_other_sides_change_says_it_undid_it() {
        let change = save(7);
        let restore = Op::Restore {
            milestone: MilestoneId::new("m").unwrap(),
            commit: "c".into(),
            source: RestoreSource::Checkpoint { name: "cp1".into() },
        };
        let found = overridden(&[r(false, "Bob", &change), r(true, "Alice", &restore)]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].what, "state");
        assert_eq!(found[0].kept, "restored checkpoint cp1");
        assert_eq!(
            (found[0].kept_by.as_str(), found[0].dropped_by.as_str()),
            ("Alice", "Bob")
        );
        // Her own earlier change is hers to undo: nothing to report.
        assert!(overridden(&[r(true, "Alice", &change), r(true, "Alice", &restore)]).is_empty());
    }

    #[test]
    fn long_values_are_cut_on_a_character() {
        let long = "é".repeat(100);
        let cut = shown(long);
        assert_eq!(cut.chars().count(), MAX_SHOWN + 1);
        assert!(cut.ends_with('…'));
    }
}
