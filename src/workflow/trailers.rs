//! Commit message trailers that move tasks: `Task: [<m>/]<t>` starts a task and
//! `Completes: [<m>/]<t>` completes it. Trailers are found the way git finds them
//! (`git interpret-trailers --parse`, `%(trailers)`), so what a user sees git list as a
//! trailer is exactly what moves a task, and a `Task:` line in the middle of a message
//! body does not.

use std::collections::BTreeMap;

use crate::model::{
    Event, EventKind, Milestone, MilestoneId, TaskId, TaskMove, TaskStatus, TrailerAction,
    TrailerMoved,
};

use super::gates;

/// Lines git itself writes into a trailer block; one of them lets a block hold some
/// lines that are not trailers (git's `git_generated_prefixes`).
const GIT_GENERATED_PREFIXES: [&str; 2] = ["Signed-off-by: ", "(cherry picked from commit "];

/// A task trailer of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskTrailer {
    /// The milestone named before the `/`, if any.
    pub milestone: Option<MilestoneId>,
    /// The task.
    pub task: TaskId,
    /// Start or complete.
    pub action: TrailerAction,
}

/// The trailers of a commit message as `(key, value)` pairs in order: the lines of the
/// message's last paragraph (never the first, the title) that are `Key: value`, with
/// continuation lines unfolded, when git would take that paragraph as a trailer block.
pub fn trailers(message: &str) -> Vec<(String, String)> {
    let lines: Vec<&str> = message
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    let Some(start) = trailer_block_start(&lines) else {
        return Vec::new();
    };
    // Unfold: a line starting with whitespace continues the trailer before it.
    let mut items: Vec<(String, bool)> = Vec::new();
    for line in &lines[start..] {
        if line.starts_with('#') || is_blank(line) {
            continue;
        }
        let continues = line.starts_with([' ', '\t']);
        match items.last_mut() {
            Some((text, true)) if continues => {
                text.push(' ');
                text.push_str(line.trim());
            }
            _ => items.push((line.to_string(), separator(line).is_some())),
        }
    }
    items
        .into_iter()
        .filter(|(_, is_trailer)| *is_trailer)
        .filter_map(|(text, _)| {
            let at = separator(&text)?;
            let key = text[..at].trim().to_string();
            let value = text[at + 1..]
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            Some((key, value))
        })
        .collect()
}

/// The most `Task:`/`Completes:` trailers one commit moves tasks with; the rest are
/// ignored. No real commit comes near it, and a message of 100,000 trailers stalled
/// every hook and merge that read it.
pub const MAX_TRAILERS_PER_COMMIT: usize = 100;

/// The `Task:` and `Completes:` trailers of a message (keys in any case), in order,
/// the first [`MAX_TRAILERS_PER_COMMIT`] of them. A value that is not `[<m>/]<t>`
/// with valid ids is ignored: a trailer that cannot name a task cannot move one.
pub fn task_trailers(message: &str) -> Vec<TaskTrailer> {
    all_task_trailers(message)
        .take(MAX_TRAILERS_PER_COMMIT)
        .collect()
}

/// How many `Task:`/`Completes:` trailers of a message are past
/// [`MAX_TRAILERS_PER_COMMIT`], and so ignored.
pub fn trailers_past_limit(message: &str) -> usize {
    all_task_trailers(message)
        .count()
        .saturating_sub(MAX_TRAILERS_PER_COMMIT)
}

/// What a commit whose trailers go past the limit is told; `None` within it.
pub fn past_limit_warning(commit: &str, message: &str) -> Option<String> {
    let past = trailers_past_limit(message);
    (past > 0).then(|| {
        let short = &commit[..commit.len().min(12)];
        format!(
            "commit {short}: only the first {MAX_TRAILERS_PER_COMMIT} Task:/Completes: trailers \
             move tasks; the {past} after them are ignored"
        )
    })
}

fn all_task_trailers(message: &str) -> impl Iterator<Item = TaskTrailer> {
    trailers(message).into_iter().filter_map(|(key, value)| {
        let action = if key.eq_ignore_ascii_case("task") {
            TrailerAction::Start
        } else if key.eq_ignore_ascii_case("completes") {
            TrailerAction::Complete
        } else {
            return None;
        };
        let (milestone, task) = match value.split_once('/') {
            Some((m, t)) => (Some(MilestoneId::new(m).ok()?), t),
            None => (None, value.as_str()),
        };
        Some(TaskTrailer {
            milestone,
            task: TaskId::new(task).ok()?,
            action,
        })
    })
}

/// The task moves asked for by the trailers of `commits` (id, message; in the order
/// they were made), by milestone. A trailer without `<m>/` means `default` (the current
/// session's milestone) and is ignored without one. The same move asked twice is kept
/// once.
pub fn task_moves<'a>(
    commits: impl IntoIterator<Item = (&'a str, &'a str)>,
    default: Option<&MilestoneId>,
) -> BTreeMap<MilestoneId, Vec<TaskMove>> {
    let mut moves: BTreeMap<MilestoneId, Vec<TaskMove>> = BTreeMap::new();
    for (commit, message) in commits {
        for trailer in task_trailers(message) {
            let Some(milestone) = trailer.milestone.as_ref().or(default) else {
                continue;
            };
            let list = moves.entry(milestone.clone()).or_default();
            if !list
                .iter()
                .any(|m| m.task == trailer.task && m.action == trailer.action)
            {
                list.push(TaskMove {
                    task: trailer.task,
                    action: trailer.action,
                    commit: commit.to_string(),
                });
            }
        }
    }
    moves
}

/// The status a trailer moves a task in `status` to, if it moves it at all: `Task:`
/// only starts a pending task, `Completes:` completes any task not yet completed. A
/// completed task never moves back, so replaying trailers (a rebase, a merge of commits
/// seen before) changes nothing.
pub fn moved_status(status: TaskStatus, action: TrailerAction) -> Option<TaskStatus> {
    match (action, status) {
        (TrailerAction::Start, TaskStatus::Pending) => Some(TaskStatus::InProgress),
        (TrailerAction::Complete, TaskStatus::Completed) | (TrailerAction::Start, _) => None,
        (TrailerAction::Complete, _) => Some(TaskStatus::Completed),
    }
}

/// Applies `moves` to `milestone`'s tasks and returns a `task_status_changed` event for
/// each task that moved, naming it in full (`<m>/<t>`). Moves naming no existing task,
/// and moves that would take a workflow task past its gates, are ignored (the hook
/// said why when it recorded them, see [`warnings`]).
pub fn apply_moves(milestone: &mut Milestone, moves: &[TaskMove]) -> Vec<Event> {
    let id = milestone.id.to_string();
    let mut events = Vec::new();
    for m in moves {
        // A task renamed since the commit was written still answers to its old id.
        let resolved = milestone.resolve_task(&m.task).clone();
        let Some(task) = milestone.task_mut(&resolved) else {
            continue;
        };
        let once = TrailerMoved {
            commit: m.commit.clone(),
            trailer: m.action,
        };
        if task.moved_by.contains(&once) || gates::trailer_bypass(task, m.action).is_some() {
            continue;
        }
        let Some(new) = moved_status(task.status, m.action) else {
            continue;
        };
        task.moved_by.push(once);
        let previous = task.status;
        task.status = new;
        events.push(Event::of(
            &id,
            EventKind::TaskStatusChanged {
                target: Some(format!("{id}/{resolved}")),
                task_id: resolved,
                previous_status: previous,
                new_status: new,
                trailer: Some(m.action.key().to_string()),
                commit: Some(m.commit.clone()),
                forced: None,
            },
        ));
    }
    events
}

/// The task moves caused by commits' trailers already seen, in timeline order. One
/// commit's trailer moves a task once: when the committer's hook and a teammate's
/// post-merge hook both applied it, both clones recorded the move, and after a sync
/// the timeline shows the first in merge order only, the same in every clone. The
/// status events of an operation whose moves were all seen before go with them.
#[derive(Debug, Default)]
pub struct MovesSeen {
    seen: std::collections::HashSet<(String, String, String, String)>,
    /// The operation being read, and whether it had a move seen before and a new one.
    operation: String,
    repeated: bool,
    new: bool,
}

impl MovesSeen {
    /// Whether a status event read next could be one to leave out: the last move read
    /// was a repeat. Lets a reader skip parsing status events otherwise.
    pub fn may_drop_status(&self) -> bool {
        self.repeated && !self.new
    }

    /// Whether an event of operation `commit` is shown: false for a trailer's move of a
    /// task whose (commit, task, trailer) came before, and for the status events
    /// that only such moves caused.
    pub fn first(
        &mut self,
        commit: &str,
        event_type: &str,
        milestone: Option<&str>,
        data: &serde_json::Value,
    ) -> bool {
        if self.operation != commit {
            self.operation = commit.to_string();
            self.repeated = false;
            self.new = false;
        }
        if matches!(event_type, "status_updated" | "milestone_completed") {
            return !self.repeated || self.new;
        }
        if event_type != "task_status_changed" {
            return true;
        }
        let field = |name: &str| data.get(name).and_then(|v| v.as_str());
        let (Some(cause), Some(task), Some(trailer)) =
            (field("commit"), field("task_id"), field("trailer"))
        else {
            self.new = true;
            return true;
        };
        let first = self.seen.insert((
            cause.to_string(),
            milestone.unwrap_or_default().to_string(),
            task.to_string(),
            trailer.to_string(),
        ));
        if first {
            self.new = true;
        } else {
            self.repeated = true;
        }
        first
    }
}

/// What a hook tells the committer about `moves` of milestone `id` (`definition`, if
/// it exists): each trailer that names no existing milestone or task, or that would
/// complete a workflow task past its gates, moves nothing, and says so.
pub fn warnings(
    id: &MilestoneId,
    definition: Option<&Milestone>,
    moves: &[TaskMove],
) -> Vec<String> {
    moves
        .iter()
        .filter_map(|m| {
            let trailer = format!("{}: {id}/{}", m.action.key(), m.task);
            let Some(definition) = definition else {
                return Some(format!("{trailer} ignored: there is no milestone {id}"));
            };
            let Some(task) = definition.task(definition.resolve_task(&m.task)) else {
                return Some(format!(
                    "{trailer} ignored: milestone {id} has no task {}",
                    m.task
                ));
            };
            gates::trailer_bypass(task, m.action)
                .map(|why| format!("{trailer} moves nothing: {why}"))
        })
        .collect()
}

/// Where the trailer block of `lines` starts, following git's `find_trailer_block_start`:
/// walking up from the end, the last paragraph is a trailer block when all its lines
/// are trailers (or their continuations), or when it holds a line git generates and at
/// least a quarter of its lines are trailers. The first paragraph is the title and
/// never a trailer block.
fn trailer_block_start(lines: &[&str]) -> Option<usize> {
    let title_end = lines
        .iter()
        .position(|l| !l.starts_with('#') && is_blank(l))?;
    let mut only_spaces = true;
    let mut recognized_prefix = false;
    let (mut trailer_lines, mut non_trailer_lines, mut possible_continuations) = (0, 0, 0);
    for index in (title_end..lines.len()).rev() {
        let line = lines[index];
        if line.starts_with('#') {
            non_trailer_lines += possible_continuations;
            possible_continuations = 0;
            continue;
        }
        if is_blank(line) {
            if only_spaces {
                continue;
            }
            non_trailer_lines += possible_continuations;
            let block = (recognized_prefix && trailer_lines * 3 >= non_trailer_lines)
                || (trailer_lines > 0 && non_trailer_lines == 0);
            return block.then_some(index + 1);
        }
        only_spaces = false;
        if GIT_GENERATED_PREFIXES.iter().any(|p| line.starts_with(p)) {
            trailer_lines += 1;
            possible_continuations = 0;
            recognized_prefix = true;
        } else if separator(line).is_some() && !line.starts_with([' ', '\t']) {
            trailer_lines += 1;
            possible_continuations = 0;
        } else if line.starts_with([' ', '\t']) {
            possible_continuations += 1;
        } else {
            non_trailer_lines += 1 + possible_continuations;
            possible_continuations = 0;
        }
    }
    None
}

/// The position of the `:` of a `Key: value` line, as git's `find_separator` finds it:
/// a key of letters, digits and `-`, then optional blanks, then the separator.
fn separator(line: &str) -> Option<usize> {
    let mut whitespace_found = false;
    for (at, c) in line.char_indices() {
        if c == ':' {
            return (at >= 1).then_some(at);
        }
        if !whitespace_found && (c.is_ascii_alphanumeric() || c == '-') {
            continue;
        }
        if at != 0 && (c == ' ' || c == '\t') {
            whitespace_found = true;
            continue;
        }
        break;
    }
    None
}

fn is_blank(line: &str) -> bool {
    line.trim().is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Task;

    fn mid(id: &str) -> MilestoneId {
        MilestoneId::new(id).unwrap()
    }

    fn keys(message: &str) -> Vec<String> {
        trailers(message)
            .into_iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect()
    }

    #[test]
    fn trailers_are_found_where_git_finds_them() {
        let cases: &[(&str, &[&str])] = &[
            ("subject\n\nTask: api\n", &["Task=api"]),
            (
                "subject\n\nbody text\n\nTask: api\nCompletes: m/db\n",
                &["Task=api", "Completes=m/db"],
            ),
            // The title is never a trailer block, with or without a body.
            ("Task: api\n", &[]),
            ("subject\nTask: api\n", &[]),
            // Not the last paragraph.
            ("subject\n\nTask: api\n\nsome closing words\n", &[]),
            // A paragraph that is mostly prose is not a trailer block ...
            ("subject\n\nWe fixed it.\nTask: api\n", &[]),
            // ... unless git generated a line of it and a quarter are trailers.
            (
                "subject\n\nSigned-off-by: A <a@b>\nsome note\nTask: api\n",
                &["Signed-off-by=A <a@b>", "Task=api"],
            ),
            // Trailing blank lines, comments, CRLF, blanks before the colon.
            ("subject\r\n\r\nTask : api\r\n\r\n\r\n", &["Task=api"]),
            ("subject\n\nTask: api\n# a comment\n", &["Task=api"]),
            // Continuation lines unfold into the value.
            (
                "subject\n\nNote: one\n  two\nTask: api\n",
                &["Note=one two", "Task=api"],
            ),
            ("", &[]),
            ("\n\n\n", &[]),
            ("subject\n\n: no key\n", &[]),
            ("subject\n\nnot a trailer because of spaces: x\n", &[]),
        ];
        for (message, expected) in cases {
            assert_eq!(keys(message), *expected, "{message:?}");
        }
    }

    #[test]
    fn task_trailers_take_any_case_and_skip_what_names_no_task() {
        let message = "subject\n\nTASK: api\ncompletes: v1/db\nTask: bad id!\nCompletes: a/b/c\nTask:\nReviewed-by: x\n";
        let found = task_trailers(message);
        assert_eq!(
            found,
            vec![
                TaskTrailer {
                    milestone: None,
                    task: TaskId::new("api").unwrap(),
                    action: TrailerAction::Start
                },
                TaskTrailer {
                    milestone: Some(mid("v1")),
                    task: TaskId::new("db").unwrap(),
                    action: TrailerAction::Complete
                },
            ]
        );
    }

    #[test]
    fn moves_are_grouped_by_milestone_and_need_one_without_a_prefix() {
        let commits = [
            ("c1", "one\n\nTask: api\nCompletes: other/x\n"),
            ("c2", "two\n\nTask: api\nCompletes: api\n"),
        ];
        let none = task_moves(commits, None);
        assert_eq!(none.len(), 1);
        assert_eq!(none[&mid("other")][0].commit, "c1");

        let with_session = task_moves(commits, Some(&mid("v1")));
        let v1: Vec<_> = with_session[&mid("v1")]
            .iter()
            .map(|m| (m.task.as_str().to_string(), m.action, m.commit.as_str()))
            .collect();
        // The second `Task: api` is the same move and is kept once.
        assert_eq!(
            v1,
            [
                ("api".to_string(), TrailerAction::Start, "c1"),
                ("api".to_string(), TrailerAction::Complete, "c2"),
            ]
        );
    }

    #[test]
    fn one_commit_moves_at_most_a_hundred_tasks() {
        let mut message = String::from("many\n\n");
        for n in 0..150 {
            message.push_str(&format!("Completes: m/t{n}\n"));
        }
        let found = task_trailers(&message);
        assert_eq!(found.len(), MAX_TRAILERS_PER_COMMIT);
        assert_eq!(found[99].task.as_str(), "t99");
        assert_eq!(trailers_past_limit(&message), 50);
        let warning = past_limit_warning("0123456789abcdef", &message).unwrap();
        assert_eq!(
            warning,
            "commit 0123456789ab: only the first 100 Task:/Completes: trailers move tasks; \
             the 50 after them are ignored"
        );
        let within: String = message.lines().take(102).collect::<Vec<_>>().join("\n");
        assert_eq!(past_limit_warning("c", &within), None);
    }

    #[test]
    fn moves_only_go_forward() {
        use TaskStatus::*;
        use TrailerAction::*;
        let table = [
            (Pending, Start, Some(InProgress)),
            (InProgress, Start, None),
            (Completed, Start, None),
            (Blocked, Start, None),
            (Pending, Complete, Some(Completed)),
            (InProgress, Complete, Some(Completed)),
            (Blocked, Complete, Some(Completed)),
            (Completed, Complete, None),
        ];
        for (from, action, to) in table {
            assert_eq!(moved_status(from, action), to, "{from} {action:?}");
        }
    }

    #[test]
    fn a_trailer_never_completes_a_workflow_task_past_its_gates_and_says_why() {
        let m = mid("m");
        let mut milestone = Milestone::new(m.clone());
        let gated = crate::model::Task::new(TaskId::new("w").unwrap(), String::new(), true);
        milestone.tasks.push(gated);
        let moves = task_moves(
            [("c1", "s\n\nCompletes: w\nTask: w\nCompletes: nope")],
            Some(&m),
        )
        .remove(&m)
        .unwrap();
        let told = warnings(&m, Some(&milestone), &moves);
        assert_eq!(told.len(), 2, "{told:?}");
        assert!(
            told[0].starts_with("Completes: m/w moves nothing"),
            "{told:?}"
        );
        assert!(told[1].contains("has no task nope"), "{told:?}");
        assert!(warnings(&m, None, &moves)
            .iter()
            .all(|w| w.contains("no milestone m")));
        let events = apply_moves(&mut milestone, &moves);
        assert_eq!(events.len(), 1, "only the start");
        assert_eq!(events[0].data["new_status"], "in_progress");
        assert_eq!(events[0].data["target"], "m/w");
        assert_eq!(milestone.tasks[0].status, TaskStatus::InProgress);
    }

    #[test]
    fn a_commits_move_of_a_task_is_seen_once() {
        let mut seen = MovesSeen::default();
        let moved = |commit: &str, task: &str, trailer: &str| serde_json::json!({"task_id": task, "commit": commit, "trailer": trailer, "new_status": "completed"});
        let by_hand = serde_json::json!({"task_id": "k", "new_status": "completed"});
        let (kind, status) = ("task_status_changed", "status_updated");
        let none = serde_json::Value::Null;
        assert!(seen.first("op1", kind, Some("m"), &moved("c1", "k", "Completes")));
        assert!(seen.first("op1", status, Some("m"), &none));
        // The teammate's copy, and the status change it caused, are not shown again.
        assert!(!seen.first("op2", kind, Some("m"), &moved("c1", "k", "Completes")));
        assert!(seen.may_drop_status(), "what follows may go too");
        assert!(!seen.first("op2", status, Some("m"), &none));
        assert!(!seen.first("op2", "milestone_completed", Some("m"), &none));
        assert!(
            seen.first("op2", "merge", Some("m"), &none),
            "its own event stays"
        );
        // An operation with a new move keeps its status events.
        assert!(!seen.first("op3", kind, Some("m"), &moved("c1", "k", "Completes")));
        assert!(
            seen.first("op3", kind, Some("m"), &moved("c1", "k", "Task")),
            "another trailer"
        );
        assert!(!seen.may_drop_status());
        assert!(seen.first("op3", status, Some("m"), &none));
        assert!(
            seen.first("op4", kind, Some("m"), &moved("c2", "k", "Completes")),
            "another commit"
        );
        assert!(
            seen.first("op4", kind, Some("n"), &moved("c1", "k", "Completes")),
            "another milestone"
        );
        assert!(
            seen.first("op5", kind, Some("m"), &by_hand)
                && seen.first("op6", kind, Some("m"), &by_hand)
        );
    }

    #[test]
    fn applying_the_same_moves_twice_changes_nothing_the_second_time() {
        let mut milestone = Milestone::new(mid("v1"));
        for t in ["a", "b"] {
            milestone
                .tasks
                .push(Task::new(TaskId::new(t).unwrap(), String::new(), false));
        }
        let moves = task_moves(
            [("c", "s\n\nTask: a\nCompletes: b\nCompletes: missing\n")],
            Some(&mid("v1")),
        )
        .remove(&mid("v1"))
        .unwrap();
        let first = apply_moves(&mut milestone, &moves);
        assert_eq!(first.len(), 2);
        assert_eq!(first[1].data["previous_status"], "pending");
        assert_eq!(first[1].data["new_status"], "completed");
        assert_eq!(first[1].data["trailer"], "Completes");
        let after = milestone.clone();
        assert!(apply_moves(&mut milestone, &moves).is_empty());
        assert_eq!(milestone, after);
        // A later `Task:` does not take a completed task back.
        let start_b = task_moves([("d", "s\n\nTask: b\n")], Some(&mid("v1")))
            .remove(&mid("v1"))
            .unwrap();
        assert!(apply_moves(&mut milestone, &start_b).is_empty());
        assert_eq!(milestone.tasks[1].status, TaskStatus::Completed);
    }

    /// One step of [`a_commits_trailer_moves_a_task_at_most_once`]: a trailer of
    /// commit `c0`..`c2` applied (by a hook, or replayed by a merge), or the task set
    /// to a status by hand (reopened, blocked, …).
    #[derive(Debug, Clone)]
    enum Step {
        Trailer(u8, bool),
        Set(TaskStatus),
    }

    fn step() -> impl proptest::strategy::Strategy<Value = Step> {
        use proptest::prelude::*;
        prop_oneof![
            (0..3u8, any::<bool>()).prop_map(|(c, complete)| Step::Trailer(c, complete)),
            proptest::sample::select(TaskStatus::ALL.to_vec()).prop_map(Step::Set),
        ]
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            failure_persistence: None,
            ..Default::default()
        })]

        /// Whatever the order and however often a commit's trailer is applied, with
        /// the task reopened or set to anything in between, it moves the task at most
        /// once, and the task remembers that it did.
        #[test]
        fn a_commits_trailer_moves_a_task_at_most_once(
            steps in proptest::collection::vec(step(), 0..40)
        ) {
            let mut m = Milestone::new(mid("m"));
            m.tasks.push(Task::new(TaskId::new("t").unwrap(), String::new(), false));
            let mut moved = std::collections::HashMap::new();
            for step in &steps {
                match step {
                    Step::Set(status) => m.tasks[0].status = *status,
                    Step::Trailer(c, complete) => {
                        let action = if *complete {
                            TrailerAction::Complete
                        } else {
                            TrailerAction::Start
                        };
                        let once = TaskMove {
                            task: TaskId::new("t").unwrap(),
                            action,
                            commit: format!("c{c}"),
                        };
                        for event in apply_moves(&mut m, &[once]) {
                            let count = moved.entry((*c, *complete)).or_insert(0);
                            *count += 1;
                            proptest::prop_assert_eq!(*count, 1, "{:?} {:?}", event, steps);
                        }
                    }
                }
            }
            proptest::prop_assert_eq!(m.tasks[0].moved_by.len(), moved.len());
        }
    }
}
