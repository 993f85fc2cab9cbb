//! "Did you mean …": the nearest known id to a mistyped one, as git suggests commands,
//! and what to say when the milestones are not there at all.

use crate::model::{MilestoneId, TaskId};
use crate::store::{EventFilter, Store};

/// The candidate nearest to `typed` (edit distance, ignoring case), if it is near
/// enough to be a typo: at most a third of the id's length, and at least one edit.
pub fn closest<'a>(typed: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let bound = (typed.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .filter(|c| *c != typed)
        .map(|c| (distance(&typed.to_lowercase(), &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= bound)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.to_string())
}

/// Levenshtein distance, with a swap of two neighbours counted as one edit.
fn distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut rows = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (rows[i - 1][j] + 1)
                .min(rows[i][j - 1] + 1)
                .min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = best;
        }
    }
    rows[a.len()][b.len()]
}

/// Hints for a milestone id that names nothing: the nearest existing id, or that it
/// was removed. Reads the repository again; only on this error path.
pub fn missing_milestone(id: &MilestoneId) -> Vec<String> {
    let Ok(store) = Store::open_from_env() else {
        return Vec::new();
    };
    let Ok(ids) = store.snapshot().and_then(|s| s.milestone_ids()) else {
        return Vec::new();
    };
    if let Some(near) = closest(id.as_str(), ids.iter().map(MilestoneId::as_str)) {
        return vec![format!("did you mean {near}?")];
    }
    let removal = EventFilter {
        milestone: Some(id.to_string()),
        event_type: Some("milestone_removed".into()),
        ..EventFilter::default()
    };
    let removed = store
        .tip()
        .and_then(|tip| store.events(tip, &removal, Some(1)))
        .ok()
        .and_then(|events| events.into_iter().next());
    match removed {
        Some(event) => vec![format!(
            "it was removed in commit {}; `git milestone list --all` lists removed milestones, `git milestone checkpoint restore {id} <name>` brings one back",
            event.commit.get(..12).unwrap_or(&event.commit)
        )],
        None => Vec::new(),
    }
}

/// Hints for a task id that names no task of `milestone`: the nearest one.
pub fn missing_task(milestone: &MilestoneId, task: &TaskId) -> Option<String> {
    let store = Store::open_from_env().ok()?;
    let files = store.snapshot().ok()?.milestone(milestone).ok()??;
    let ids = files.definition.tasks.iter().map(|t| t.id.as_str());
    closest(task.as_str(), ids).map(|near| format!("did you mean {near}?"))
}

/// What to do when the repository has no `refs/milestones`: in a clone, the team's
/// milestones are one `sync` away; else `init` starts them.
pub fn not_initialized() -> String {
    let remotes = Store::open_from_env()
        .ok()
        .map(|s| s.remote_names().len())
        .unwrap_or(0);
    if remotes > 0 {
        "run `git milestone sync` to fetch the team's milestones (`git milestone init` starts new ones here)".into()
    } else {
        "run `git milestone init` first".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_near_ids_only() {
        let ids = ["v1.0", "v2.0", "backend", "api"];
        let near = |typed| closest(typed, ids);
        assert_eq!(near("v1.O").as_deref(), Some("v1.0"));
        assert_eq!(near("V1.0").as_deref(), Some("v1.0"));
        assert_eq!(near("bakcend").as_deref(), Some("backend"));
        assert_eq!(near("backnd").as_deref(), Some("backend"));
        assert_eq!(near("apx").as_deref(), Some("api"));
        assert_eq!(near("frontend"), None);
        assert_eq!(near("zz"), None);
    }

    proptest::proptest! {
        /// A suggestion is one of the candidates, never what was typed, and near it.
        #[test]
        fn suggestions_are_other_near_candidates(typed in "[a-z0-9.]{1,12}", ids in proptest::collection::vec("[a-z0-9.]{1,12}", 0..8)) {
            if let Some(near) = closest(&typed, ids.iter().map(String::as_str)) {
                proptest::prop_assert!(ids.contains(&near));
                proptest::prop_assert_ne!(&near, &typed);
                proptest::prop_assert!(distance(&typed, &near) <= (typed.chars().count() / 3).max(1));
            }
        }
    }
}
