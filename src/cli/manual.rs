//! The parts of the manual that are more than `--help`: what the tool is, how hooks,
//! trailers and sync behave, its settings and what it stores. Written once here, they
//! go into the man pages (as roff) and into `docs/cli.md` (as Markdown).

/// One section of the manual: a title and its paragraphs. A paragraph whose lines all
/// start with four spaces is shown as it is (commands, layouts).
pub struct Section {
    /// The heading, in capitals as man pages have them.
    pub title: &'static str,
    /// The paragraphs.
    pub paragraphs: &'static [&'static str],
}

/// What `git-milestone(1)` says beyond the options and commands.
pub const SECTIONS: &[Section] = &[
    Section {
        title: "DESCRIPTION",
        paragraphs: &[
            "git milestone keeps milestones, their tasks, a design \u{2192} spec \u{2192} task \u{2192} execute workflow per task with approval gates, a saved state document, an event log, checkpoints and work sessions inside the repository, on one ref: refs/milestones. Every change is one commit on that ref, made through libgit2: versioned, restorable, and shared with git push and git fetch like any other ref.",
            "A milestone has an id (letters, digits, '.', '_', '-'), a title, an optional due date and its tasks. A task is pending, in_progress, completed or blocked. A task added with --kiro follows the four phases instead; leaving design or spec needs approval unless the milestone's kiro_configuration.approval_gates say otherwise, and a gated move opens an approval request that each listed role approves or rejects once. A milestone's status and progress are computed from its tasks on every read, never stored.",
            "Commands that change something write one operation: they read the tip of refs/milestones, apply the operation, write a commit whose message holds the operation and the events it caused, and move the ref with compare-and-swap, trying again on the new tip if another process moved it. An interrupted command leaves the old tip or the new one. Reads never write. The event log (events, timeline) is the history of the ref; git log refs/milestones shows it too.",
        ],
    },
    Section {
        title: "HOOKS AND TRAILERS",
        paragraphs: &[
            "git milestone hooks install writes post-commit, post-merge, post-checkout and post-rewrite hooks into the folder git uses (core.hooksPath if set). A hook already there is kept as <hook>.milestone-legacy and still runs first; hooks uninstall puts it back byte for byte. A hook never makes the git command fail and prints at most one line.",
            "With a session current in the worktree (session start), each commit adds a commit event to the session's milestone. Trailers in the last paragraph of a commit message move tasks, with or without a session: Task: <m>/<t> starts a pending task, Completes: <m>/<t> completes it; without <m>/ the current session's milestone is meant, resolved at commit time. Keys are case-insensitive, one task per trailer. A trailer naming no task is ignored with a warning, a task renamed with task mv still answers to its old id, and a commit's trailer moves a task once in every clone, whatever rebases, merges and syncs follow. A trailer cannot complete a workflow task past its gates.",
            "git merge and git pull add a merge event and apply the merged commits' fully qualified trailers; git checkout and git switch record the branch on the current session; git commit --amend and git rebase record the rewritten commit ids. The post-commit hook records in the background, as git gc --auto does; the next git milestone command waits for it. GIT_MILESTONE_HOOKS=sync records before git goes on.",
        ],
    },
    Section {
        title: "SYNC",
        paragraphs: &[
            "git milestone sync [<remote>] fetches the remote's milestones with the system git (so credential helpers and ssh configuration apply), merges them with the local ones and pushes the result back; --no-push stops after the merge. With --rebase (or milestone.syncRebase) this clone's operations that the remote does not have yet are re-applied on top of its milestones instead, as git pull --rebase does. The remote is the one named, else milestone.remote, else origin. A fresh clone runs sync once to get the team's milestones; no init is needed.",
            "On the remote the milestones live under refs/meta/milestones (git refuses to push a one-level ref such as refs/milestones), and checkpoints travel as their tags refs/tags/milestone/*. What was fetched is kept under refs/milestone-remotes/<remote>/. Each clone pushes its work to its own refs/meta/milestones-by/<clone-id>, which only it writes, and moves refs/meta/milestones forward in the same push when nobody moved it meanwhile (else the next sync of anyone does); a sync merges every clone's ref it fetches, so a team's pushes never race. Nothing is ever force-pushed.",
            "When both sides changed the milestones, sync makes a merge commit: from the common ancestor it replays every operation of both sides in one order every clone agrees on (a lamport clock, then time, then commit id), so every clone computes the same state. A value both sides set ends with the later operation in that order, and sync says which value it overrode; adding the same milestone or task twice merges; an operation that no longer fits (advancing a phase the other side already moved) stays in history and is recorded as a no-op. Every fetched commit is checked before it is taken as state.",
        ],
    },
    Section {
        title: "CONFIGURATION",
        paragraphs: &[
            "Settings are read from git config with git's precedence (git -c key=value milestone ..., then the repository, global and system files):",
            "milestone.remote: the remote sync uses when none is given (default origin).",
            "milestone.retentionDays: how many days cleanup keeps ended sessions and automatic checkpoints (default 7).",
            "milestone.color: auto, always or never (default: color.ui, else auto). NO_COLOR turns colors off, --color overrides both.",
            "milestone.sign: true to sign operation commits (else commit.gpgSign decides), with gpg.format, user.signingKey, gpg.program and gpg.ssh.program as for git commit; false turns signing off.",
            "milestone.syncTimeout: how many seconds sync keeps fetching, merging and pushing again when this clone's own ref or a checkpoint is refused because the remote moved (a copy of this repository syncing with the same milestone.cloneId), with short random pauses between rounds (default 60).",
            "milestone.syncRebase: true to have sync re-apply this clone's operations that the remote does not have yet on top of its shared ref instead of merging them, as git pull --rebase does (their commit ids change; between two edits of one value, the one that reached the remote later wins; work whose push lost stays in this clone until the next sync); sync --rebase and --no-rebase override it (default false).",
            "milestone.cloneId: this clone's id, which names its own ref on remotes (refs/meta/milestones-by/<id>); random, made by the first sync that pushes. Unset it in a copy of a repository so that the copy makes its own.",
            "milestone.pushAutoCheckpoints: true to push the automatic pre-restore-* checkpoints with sync (default false: they stay in this clone; checkpoints you create are always pushed).",
            "milestone.approvalTarget: the revision approvals bind their deliverables at and are checked against (default HEAD; --at overrides).",
            "milestone.shareSessionHost: true to push the host name and working directory of work sessions with them (default false: they stay in this clone).",
            "Also read as git reads them: user.name, user.email and the GIT_AUTHOR_*/GIT_COMMITTER_* variables, EMAIL, core.hooksPath, core.editor (and GIT_EDITOR, VISUAL, EDITOR), core.pager (and GIT_PAGER, PAGER), pager.milestone (false never pages), GIT_COMMITTER_DATE (fixes the time of the operation, as for git commit).",
        ],
    },
    Section {
        title: "FILES AND REFS",
        paragraphs: &[
            "refs/milestones: the chain of operations, one commit each. Each commit's tree holds the whole state:",
            "    format                                   layout version (\"1\")\n    milestones/<m>/milestone.yaml            title, due, tasks, kiro_workflow, kiro_configuration\n    milestones/<m>/state.json                the state saved by state save\n    milestones/<m>/sessions/<session>.json   work sessions\n    milestones/<m>/approvals/<id>.yaml       approval requests",
            "refs/tags/milestone/<m>/<name>: checkpoints, annotated tags on commits of refs/milestones. refs/meta/milestones: the shared ref on a remote; refs/meta/milestones-by/<clone-id>: each clone's own ref there. refs/milestone-remotes/<remote>/: what sync fetched.",
            "$GIT_DIR/milestone/ (per worktree): the current session, the event index, the hooks' background markers and session details kept local. Anything there can be deleted; it is rebuilt from the ref.",
        ],
    },
    Section {
        title: "EXAMPLES",
        paragraphs: &[
            "Plan a release, work on it, and share it:",
            "    git milestone init\n    git milestone new v1.0 --title \"First release\" --due 2026-12-31\n    git milestone task add v1.0 api --title \"Build the API\"\n    git milestone task start v1.0 api\n    git commit -m \"Add the endpoints\" -m \"Completes: v1.0/api\"\n    git milestone status\n    git milestone sync",
            "A gated workflow task:",
            "    git milestone task add v1.0 search --kiro\n    git milestone phase set v1.0 search design completed\n    git milestone phase advance v1.0 search\n    git milestone approval list --pending\n    git milestone approval approve <approval-id> --role lead --comment ok",
            "What happened, and going back:",
            "    git milestone events v1.0 --since 2.weeks.ago --author alice\n    git milestone checkpoint create v1.0 before-rewrite\n    git milestone checkpoint restore v1.0 before-rewrite\n    git milestone show v1.0 --at before-rewrite",
        ],
    },
];

/// What `hooks install --help` and git-milestone-hooks-install(1) say of trailers.
pub const HOOKS_INSTALL_LONG: &str = "\
Install the hooks into the hooks folder git uses; hooks already there keep running \
(first), and `uninstall` puts them back.

With the hooks installed, a commit made while a session is current records a `commit` \
event on the session's milestone, and trailers in the last paragraph of any commit \
message move tasks:

  Task: v1.0/api        starts the pending task api of milestone v1.0
  Completes: v1.0/api   completes it
  Task: api             the current session's milestone

Keys are case-insensitive, one task per trailer. A trailer naming no task is ignored \
with a warning; a task renamed with `task mv` still answers to its old id. A commit's \
trailer moves a task once in every clone, whatever rebases, merges and syncs follow, \
and never past a workflow task's approval gates. `git merge` and `git pull` apply the \
merged commits' trailers; checkouts and rewrites are recorded on the session.";

/// Escapes text for roff: backslashes, hyphens (so they are not hyphenation points),
/// and a leading dot or quote that roff would take for a request.
fn roff_text(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    match escaped.chars().next() {
        Some('.') | Some('\'') => format!("\\&{escaped}"),
        _ => escaped,
    }
}

/// The sections as roff, for the end of the main man page.
pub fn roff(sections: &[Section]) -> String {
    let mut out = String::new();
    for section in sections {
        out.push_str(&format!(".SH {}\n", section.title));
        for paragraph in section.paragraphs {
            if paragraph.starts_with("    ") {
                out.push_str(".PP\n.nf\n");
                for line in paragraph.lines() {
                    out.push_str(&roff_text(line.trim_start_matches("    ")));
                    out.push('\n');
                }
                out.push_str(".fi\n");
            } else {
                out.push_str(".PP\n");
                out.push_str(&roff_text(paragraph));
                out.push('\n');
            }
        }
    }
    out
}

/// The sections as Markdown, for `docs/cli.md`.
pub fn markdown(sections: &[Section]) -> String {
    let mut out = String::new();
    for section in sections {
        let mut title = section.title.to_lowercase();
        title[..1].make_ascii_uppercase();
        out.push_str(&format!("## {title}\n\n"));
        for paragraph in section.paragraphs {
            if paragraph.starts_with("    ") {
                out.push_str("```\n");
                for line in paragraph.lines() {
                    out.push_str(line.trim_start_matches("    "));
                    out.push('\n');
                }
                out.push_str("```\n\n");
            } else {
                out.push_str(paragraph);
                out.push_str("\n\n");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roff_escapes_what_roff_would_read_as_requests() {
        assert_eq!(
            roff_text(".milestones/ a-b \\"),
            "\\&.milestones/ a\\-b \\e"
        );
        let page = roff(SECTIONS);
        for title in [
            "DESCRIPTION",
            "HOOKS AND TRAILERS",
            "SYNC",
            "CONFIGURATION",
            "FILES AND REFS",
            "EXAMPLES",
        ] {
            assert!(page.contains(&format!(".SH {title}\n")), "{title}");
        }
    }
}
