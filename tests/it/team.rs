//! A team syncing at once against one server: every clone does rounds of random
//! operations (tasks, phases, approvals, events, saved state, trailers through the
//! hooks) and syncs after each round, all clones concurrently; then every clone syncs
//! until all agree. Checks: one tree and one timeline everywhere, every operation any
//! clone acknowledged in the final history with its effect, the server's refs (the
//! shared one and each clone's own) only ever moved forward, no sync went round again
//! for a push race, `git fsck` clean on the server.
//!
//! CI runs a small team twice (16 clones, 3 rounds, over HTTP): merging
//! (`team_of_sixteen_converges`) and in rebase mode (`…_rebasing`, where an
//! operation is known by its record, since re-applying it changes its commit).
//! `bench/team.py` runs the first with `MILESTONE_TEAM_ROUNDS=50` (and
//! `MILESTONE_TEAM_REBASE=1` for `--rebase`) and
//! `MILESTONE_TEAM_REPORT=<file>`, which also times a no-op sync against a no-op
//! `git fetch` + `git push`, and writes the figures to that file; with
//! `MILESTONE_TEAM_KEEP=<dir>` it keeps the server's history and every sync's details
//! there, for `bench/team_history.py`.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::{json, Value};

use crate::common::{copy_dir, expect_ok, hermetic, output_of, TestRepo};
use crate::servers::{self, HttpServer, Sshd, HTTP_PASSWORD};

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One member of the team: a clone and the environment that reaches the server.
struct Member {
    repo: TestRepo,
    env: Vec<(&'static str, String)>,
    index: usize,
}

/// What a member did: the commits of its acknowledged operations, the tasks and
/// events they created, and its syncs.
#[derive(Default)]
struct Log {
    commits: Vec<String>,
    tasks: Vec<String>,
    /// Tasks without the workflow, which `task set` may move.
    plain: Vec<String>,
    events: Vec<String>,
    sync_millis: Vec<f64>,
    retries: Vec<u64>,
    /// Syncs whose push left the shared ref to a later sync.
    shared_behind: usize,
    /// What each sync did, for the report's slowest syncs.
    details: Vec<Value>,
}

impl Member {
    fn env(&self) -> Vec<(&str, &str)> {
        self.env.iter().map(|(k, v)| (*k, v.as_str())).collect()
    }

    /// A write with `--json`; its commit is acknowledged.
    fn write(&self, log: &mut Log, args: &[&str]) -> Value {
        let mut args = args.to_vec();
        args.push("--json");
        let output = self.repo.run_env(&self.env(), &args);
        let value: Value = serde_json::from_str(&expect_ok(&output, &format!("{args:?}"))).unwrap();
        if let Some(commit) = value["commit"].as_str() {
            log.commits.push(commit.to_string());
        }
        value
    }

    fn sync(&self, log: &mut Log) {
        let started = Instant::now();
        let output = self.repo.run_env(&self.env(), ["sync", "--json"]);
        let report: Value = serde_json::from_str(&expect_ok(
            &output,
            &format!("sync in clone {}", self.index),
        ))
        .unwrap();
        let millis = started.elapsed().as_secs_f64() * 1000.0;
        log.sync_millis.push(millis);
        log.retries.push(report["retries"].as_u64().unwrap());
        log.details.push(json!({
            "clone": self.index,
            "sync": log.details.len(),
            "ms": millis,
            "fast_forward": report["fast_forward"],
            "merged": report["merged"],
            "ops_merged": report["ops_merged"],
            "rebased": report["rebased"],
            "pushed": report["pushed"],
            "shared_behind": report["shared_behind"],
            "tip": report["tip"],
        }));
        log.shared_behind += usize::from(report["shared_behind"] == true);
    }

    /// One round: one to three random operations, then a sync.
    fn round(&self, rng: &mut fastrand::Rng, round: usize, log: &mut Log) {
        for step in 0..rng.usize(1..=3) {
            let name = format!("c{}r{round}s{step}", self.index);
            let milestone = ["m1", "m2"][rng.usize(..2)];
            match rng.usize(..6) {
                0 => {
                    self.write(log, &["task", "add", milestone, &name]);
                    log.tasks.push(format!("{milestone}/{name}"));
                    log.plain.push(format!("{milestone}/{name}"));
                }
                1 => self.workflow(log, milestone, &name),
                2 => {
                    let data = json!({"by": name}).to_string();
                    self.write(
                        log,
                        &["event", "add", milestone, "team_note", "--data", &data],
                    );
                    log.events.push(name);
                }
                3 => {
                    self.write(
                        log,
                        &["state", "save", milestone, &json!({"by": name}).to_string()],
                    );
                }
                4 => self.trailer(log, milestone, &name),
                _ => {
                    // Move one of this clone's own plain tasks on (a workflow task
                    // completes only through its phases).
                    if !log.plain.is_empty() {
                        let task = log.plain[rng.usize(..log.plain.len())].clone();
                        let (milestone, id) = task.split_once('/').unwrap();
                        let status = ["in_progress", "completed", "blocked"][rng.usize(..3)];
                        self.write(log, &["task", "set", milestone, id, status]);
                    }
                }
            }
        }
        self.sync(log);
    }

    /// A workflow task through a gate: design done, advance (an approval request),
    /// approve, which moves it to spec.
    fn workflow(&self, log: &mut Log, milestone: &str, name: &str) {
        self.write(log, &["task", "add", milestone, name, "--kiro"]);
        log.tasks.push(format!("{milestone}/{name}"));
        self.write(
            log,
            &["phase", "set", milestone, name, "design", "completed"],
        );
        let advanced = self.write(log, &["phase", "advance", milestone, name]);
        let request = advanced["events"]
            .as_array()
            .unwrap()
            .iter()
            .find_map(|e| e["data"]["approval_id"].as_str())
            .expect("the gate opened a request")
            .to_string();
        self.write(log, &["approval", "approve", &request, "--role", "lead"]);
    }

    /// A commit whose trailer starts a new task, recorded by the post-commit hook.
    fn trailer(&self, log: &mut Log, milestone: &str, name: &str) {
        self.write(log, &["task", "add", milestone, name]);
        log.tasks.push(format!("{milestone}/{name}"));
        let before = self.repo.tip();
        let message = format!("work {name}\n\nTask: {milestone}/{name}");
        self.repo
            .git(["commit", "-q", "--allow-empty", "-m", &message]);
        // Any command waits for the hook's recording.
        let show = self
            .repo
            .run_env(&self.env(), ["show", milestone, "--json"]);
        let show: Value = serde_json::from_str(&expect_ok(&show, "show")).unwrap();
        let task = show["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == *name)
            .unwrap();
        assert_eq!(task["status"], "in_progress", "the trailer moved {name}");
        let tip = self.repo.tip();
        assert_ne!(tip, before, "the hook recorded");
        log.commits.push(tip.unwrap());
    }
}

/// The server the team shares, stopped when dropped.
#[allow(dead_code)]
enum Server {
    Http(HttpServer),
    Ssh(Sshd),
}

struct Team {
    root: TestRepo,
    remote: PathBuf,
    server: Server,
    members: Vec<Member>,
    /// Whether the clones sync in rebase mode (`milestone.syncRebase`).
    rebase: bool,
}

impl Team {
    fn new(size: usize, transport: &str, rebase: bool) -> Team {
        let root = TestRepo::uninitialized();
        let remote = servers::bare_remote(&root.home, &root.root(), "team.git");
        git_in(
            &root.home,
            &remote,
            &["config", "core.logAllRefUpdates", "always"],
        );
        let (server, url, env): (_, _, Vec<(&'static str, String)>) = match transport {
            "ssh" => {
                let sshd = Sshd::start(&root.home, &root.root().join("ssh"));
                let url = sshd.url(&remote);
                let env = vec![("GIT_SSH_COMMAND", sshd.ssh_command.clone())];
                (Server::Ssh(sshd), url, env)
            }
            _ => {
                let http = HttpServer::start(&root.root().join("http"), &root.root());
                let url = http.url("team.git");
                (Server::Http(http), url, Vec::new())
            }
        };
        let mut env = env;
        env.push(("GIT_TERMINAL_PROMPT", "0".into()));
        let members = (0..size)
            .map(|index| Member::join(index, &url, &env, rebase))
            .collect::<Vec<_>>();
        let first = &members[0];
        first
            .repo
            .git(["commit", "-q", "--allow-empty", "-m", "base"]);
        first
            .repo
            .git_env(&first.env(), ["push", "-q", "origin", "HEAD:main"]);
        first.repo.ok(["init"]);
        first.repo.ok(["new", "m1"]);
        first.repo.ok(["new", "m2"]);
        first.sync(&mut Log::default());
        Team {
            root,
            remote,
            server,
            members,
            rebase,
        }
    }

    fn wire(&self) -> String {
        git_in(
            &self.root.home,
            &self.remote,
            &["rev-parse", "refs/meta/milestones"],
        )
        .trim()
        .to_string()
    }
}

impl Member {
    /// A clone with its own HOME, credentials and hooks.
    fn join(index: usize, url: &str, env: &[(&'static str, String)], rebase: bool) -> Member {
        let repo = TestRepo::uninitialized();
        if url.starts_with("http") {
            servers::store_credentials(&repo.home, url, HTTP_PASSWORD);
        }
        repo.git(["remote", "add", "origin", url]);
        // The test checks what the team ends with, not how long a sync waited on a
        // shared 2-core machine: each sync may keep trying for up to 10 minutes.
        repo.git(["config", "milestone.syncTimeout", "600"]);
        if rebase {
            repo.git(["config", "milestone.syncRebase", "true"]);
        }
        repo.ok(["hooks", "install"]);
        Member {
            repo,
            env: env.to_vec(),
            index,
        }
    }
}

fn git_in(home: &Path, dir: &Path, args: &[&str]) -> String {
    let mut cmd = hermetic("git", home);
    cmd.current_dir(dir).args(args);
    expect_ok(&output_of(&mut cmd, None), &format!("{cmd:?}"))
}

fn percentile(values: &[f64], p: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// Runs the team and checks the outcome; returns the figures.
fn run_team(size: usize, rounds: usize, transport: &str, rebase: bool) -> (Team, Value) {
    let team = Team::new(size, transport, rebase);
    let started = Instant::now();
    let logs: Vec<Log> = std::thread::scope(|s| {
        let handles: Vec<_> = team
            .members
            .iter()
            .map(|member| {
                s.spawn(move || {
                    let mut rng = fastrand::Rng::with_seed(member.index as u64 + 1);
                    let mut log = Log::default();
                    member.sync(&mut log);
                    for round in 0..rounds {
                        member.round(&mut rng, round, &mut log);
                    }
                    log
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let worked = started.elapsed();
    // Everyone syncs until the server stops moving: one pass gathers, one spreads.
    let mut tail = Log::default();
    for _ in 0..2 {
        for member in &team.members {
            member.sync(&mut tail);
        }
    }
    let converged = started.elapsed();
    if let Some(dir) = std::env::var_os("MILESTONE_TEAM_KEEP") {
        keep(&team, &logs, Path::new(&dir));
    }
    check(&team, &logs);
    let operations: usize = logs.iter().map(|l| l.commits.len()).sum();
    let syncs: Vec<f64> = logs.iter().flat_map(|l| l.sync_millis.clone()).collect();
    let retried: Vec<u64> = logs.iter().flat_map(|l| l.retries.clone()).collect();
    let count = |extra: &[&str]| {
        let mut args = vec!["rev-list", "--count"];
        args.extend_from_slice(extra);
        args.push("refs/milestones");
        let counted = team.members[0].repo.git(args);
        counted.trim().parse::<u64>().unwrap()
    };
    let figures = json!({
        "history_commits": count(&[]),
        "merge_commits": count(&["--merges"]),
        "clones": size,
        "rounds": rounds,
        "transport": transport,
        "rebase": rebase,
        "operations": operations,
        "seconds_working": worked.as_secs_f64(),
        "seconds_converged": converged.as_secs_f64(),
        "ops_per_second_converged": operations as f64 / converged.as_secs_f64(),
        "syncs": syncs.len(),
        "sync_p50_ms": percentile(&syncs, 0.5),
        "sync_p99_ms": percentile(&syncs, 0.99),
        "syncs_retried": retried.iter().filter(|r| **r > 0).count(),
        "retries": retried.iter().sum::<u64>(),
        "max_retries": retried.iter().max(),
        "shared_behind": logs.iter().map(|l| l.shared_behind).sum::<usize>(),
        "slowest_syncs": slowest(logs.iter().flat_map(|l| l.details.iter()), 10),
        "final_syncs_ms": tail.sync_millis,
    });
    (team, figures)
}

/// Keeps what a run made, for `bench/team_history.py` (even when a check then fails):
/// the server's repository and every sync's details, in `dir`.
fn keep(team: &Team, logs: &[Log], dir: &Path) {
    copy_dir(&team.remote, &dir.join("remote.git"));
    let syncs: Vec<&Value> = logs.iter().flat_map(|l| l.details.iter()).collect();
    std::fs::write(
        dir.join("syncs.json"),
        serde_json::to_string_pretty(&syncs).unwrap(),
    )
    .unwrap();
}

/// The `count` slowest of `syncs`, slowest first: what they did, to say why.
fn slowest<'a>(syncs: impl Iterator<Item = &'a Value>, count: usize) -> Vec<Value> {
    let mut syncs: Vec<Value> = syncs.cloned().collect();
    syncs.sort_by(|a, b| {
        b["ms"]
            .as_f64()
            .unwrap()
            .total_cmp(&a["ms"].as_f64().unwrap())
    });
    syncs.truncate(count);
    syncs
}

/// The checks of the module's doc comment.
fn check(team: &Team, logs: &[Log]) {
    let wire = team.wire();
    let first = &team.members[0].repo;
    let timeline = first.json(["timeline"]);
    for member in &team.members {
        assert_eq!(
            member.repo.tip().as_deref(),
            Some(wire.as_str()),
            "clone {} converged",
            member.index
        );
        assert_eq!(
            member.repo.json(["timeline"]),
            timeline,
            "clone {}",
            member.index
        );
    }
    let history: HashSet<String> = first
        .git(["rev-list", "refs/milestones"])
        .lines()
        .map(String::from)
        .collect();
    let mut tasks = HashSet::new();
    for id in ["m1", "m2"] {
        for task in first.json(["show", id])["tasks"].as_array().unwrap() {
            tasks.insert(format!("{id}/{}", task["id"].as_str().unwrap()));
        }
    }
    let notes: HashSet<String> = timeline
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event_type"] == "team_note")
        .map(|e| e["data"]["by"].as_str().unwrap().to_string())
        .collect();
    // In rebase mode an operation keeps its record (time and operation) while the
    // commit that carries it changes; otherwise the very commit is kept.
    let identity = |record: &Value| format!("{}|{}", record["at"], record["op"]);
    let kept: HashSet<String> = if team.rebase {
        history.iter().map(|c| identity(&first.record(c))).collect()
    } else {
        HashSet::new()
    };
    for (index, log) in logs.iter().enumerate() {
        for commit in &log.commits {
            let found = if team.rebase {
                kept.contains(&identity(&team.members[index].repo.record(commit)))
            } else {
                history.contains(commit)
            };
            assert!(found, "clone {index}: operation {commit} kept");
        }
        for task in &log.tasks {
            assert!(tasks.contains(task), "clone {index}: task {task} kept");
        }
        for note in &log.events {
            assert!(notes.contains(note), "clone {index}: event {note} kept");
        }
    }
    // The server's refs only moved forward: each value the shared ref and every
    // clone's own ref had is an ancestor of the next.
    let refs = git_in(
        &team.root.home,
        &team.remote,
        &["for-each-ref", "--format=%(refname)", "refs/meta/"],
    );
    let refs: Vec<&str> = refs.lines().collect();
    // In rebase mode work goes to the shared ref only.
    let own_refs = refs.len() - 1;
    if team.rebase {
        assert_eq!(own_refs, 0, "no clone pushed a ref of its own: {refs:?}");
    } else {
        assert!(
            own_refs > team.members.len() / 2,
            "the clones pushed their own refs: {refs:?}"
        );
    }
    for name in refs {
        moved_only_forward(team, name);
    }
    git_in(
        &team.root.home,
        &team.remote,
        &["fsck", "--strict", "--no-dangling"],
    );
}

fn moved_only_forward(team: &Team, name: &str) {
    let reflog = git_in(
        &team.root.home,
        &team.remote,
        &["reflog", "show", "--format=%H", name],
    );
    let values: Vec<&str> = reflog.lines().collect();
    assert!(
        !values.is_empty(),
        "the reflog of {name} recorded the pushes"
    );
    for pair in values.windows(2) {
        let (newer, older) = (pair[0], pair[1]);
        let mut cmd = hermetic("git", &team.root.home);
        cmd.current_dir(&team.remote)
            .args(["merge-base", "--is-ancestor", older, newer]);
        assert!(
            output_of(&mut cmd, None).status.success(),
            "{name}: {older} → {newer} was a fast-forward"
        );
    }
}

/// Interleaved medians of a no-op sync and a no-op `git fetch` + `git push`.
fn no_op_costs(member: &Member, runs: usize) -> (f64, f64) {
    let env = member.env();
    let time = |args: &[&[&str]], milestone: bool| {
        let started = Instant::now();
        for a in args {
            if milestone {
                expect_ok(&member.repo.run_env(&env, *a), "no-op sync");
            } else {
                member.repo.git_env(&env, *a);
            }
        }
        started.elapsed().as_secs_f64() * 1000.0
    };
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    let git_pair: [&[&str]; 2] = [
        &[
            "fetch",
            "-q",
            "origin",
            "+refs/meta/milestones:refs/milestone-remotes/origin/milestones",
        ],
        &[
            "push",
            "-q",
            "origin",
            "refs/milestones:refs/meta/milestones",
        ],
    ];
    for run in 0..runs {
        let mut one = || ours.push(time(&[&["sync"]], true));
        let mut two = || theirs.push(time(&git_pair, false));
        if run % 2 == 0 {
            one();
            two();
        } else {
            two();
            one();
        }
    }
    (percentile(&ours, 0.5), percentile(&theirs, 0.5))
}

#[test]
fn team_of_sixteen_converges() {
    // bench/team.py --rebase runs this one in rebase mode.
    team_converges(setting("MILESTONE_TEAM_REBASE", 0) == 1);
}

#[test]
fn team_of_sixteen_converges_rebasing() {
    team_converges(true);
}

fn team_converges(rebase: bool) {
    let clones = setting("MILESTONE_TEAM_CLONES", 16);
    let rounds = setting("MILESTONE_TEAM_ROUNDS", 3);
    let transport = std::env::var("MILESTONE_TEAM_TRANSPORT").unwrap_or_else(|_| "http".into());
    let (team, mut figures) = run_team(clones, rounds, &transport, rebase);
    if let Some(path) = std::env::var_os("MILESTONE_TEAM_REPORT") {
        let (sync, git) = no_op_costs(&team.members[1], 21);
        figures["noop_sync_ms"] = json!(sync);
        figures["noop_fetch_push_ms"] = json!(git);
        figures["noop_ratio"] = json!(sync / git);
        std::fs::write(path, serde_json::to_string_pretty(&figures).unwrap()).unwrap();
    }
    assert!(figures["operations"].as_u64().unwrap() >= (clones * rounds) as u64);
    // No push race makes a sync go round again: in merge mode each clone pushes a ref
    // only it writes, in rebase mode a lost race leaves the work for the next sync.
    assert_eq!(figures["retries"], 0, "{figures:#}");
    drop(team.server);
}

#[test]
fn eight_clones_syncing_ten_times_by_path_all_finish() {
    // The scenario that made one clone give up after five rounds: eight clones, each
    // adding an event and syncing ten times, at once, against a bare remote by path.
    let root = TestRepo::uninitialized();
    let remote = servers::bare_remote(&root.home, &root.root(), "shared.git");
    let url = remote.display().to_string();
    let members: Vec<Member> = (0..8)
        .map(|index| {
            let repo = TestRepo::uninitialized();
            repo.git(["remote", "add", "origin", &url]);
            // Bounded in time, not in rounds; generous, since CI machines are shared.
            repo.git(["config", "milestone.syncTimeout", "600"]);
            Member {
                repo,
                env: Vec::new(),
                index,
            }
        })
        .collect();
    members[0].repo.ok(["init"]);
    members[0].repo.ok(["new", "m1"]);
    members[0].sync(&mut Log::default());
    let logs: Vec<Log> = std::thread::scope(|s| {
        let handles: Vec<_> = members
            .iter()
            .map(|member| {
                s.spawn(move || {
                    let mut log = Log::default();
                    member.sync(&mut log);
                    for round in 0..10 {
                        let data = json!({"by": format!("c{}r{round}", member.index)}).to_string();
                        member.write(
                            &mut log,
                            &["event", "add", "m1", "team_note", "--data", &data],
                        );
                        log.events.push(format!("c{}r{round}", member.index));
                        member.sync(&mut log);
                    }
                    log
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for _ in 0..2 {
        for member in &members {
            member.sync(&mut Log::default());
        }
    }
    let wire = git_in(&root.home, &remote, &["rev-parse", "refs/meta/milestones"]);
    let timeline = members[0].repo.json(["timeline"]);
    let notes = timeline
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event_type"] == "team_note")
        .count();
    assert_eq!(notes, 80, "every event of every clone");
    for member in &members {
        assert_eq!(member.repo.tip().as_deref(), Some(wire.trim()));
    }
    let retried: u64 = logs.iter().flat_map(|l| l.retries.iter()).sum();
    assert_eq!(retried, 0, "no sync waited on another's push");
}
