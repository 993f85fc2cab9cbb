#!/usr/bin/env python3
"""Benchmark: `git milestone import` of a generated reference .milestones/ folder.

Method
  Builds the release binary (`cargo build --release --locked`) and generates, with a
  fixed seed, a folder in the bash scripts' layout holding N events (default 100,000)
  spread over 20 milestones: every milestone has its YAML (tasks, some following the
  workflow), a current state, backups and checkpoints, and its log starts with the
  `state_initialized` line; there are sessions and approval requests. Event lines are
  written exactly as log_milestone_event writes them.
  Then, for R rounds (default 3), in a fresh throw-away repository (own HOME,
  GIT_CONFIG_NOSYSTEM=1, no inherited GIT_* variables), it times one whole
  `git milestone import <folder>` process, wall clock, with time.perf_counter_ns()
  around subprocess.run() (the repository is not initialized first: the import does
  it), and the CPU time of that process. It reports the median round, events per
  second (N / wall time), and the repository's size after the import (all files under
  .git, apparent bytes) against the folder's (all its files, apparent bytes), with
  `git count-objects -v`. The last round also times a second import of the same
  folder (which must write nothing) and checks that `timeline --json` shows N events
  and that `git fsck` passes.

Run
  python3 bench/import.py                  # 100,000 events, 3 rounds
  python3 bench/import.py --events 20000 --rounds 1
  python3 bench/import.py --check          # or BENCH_CHECK=1: exit 1 below the targets

Targets: at least 20,000 events per second; repository at most 2x the folder.
Exit status: 0; 1 when --check and a target is missed; 2 when a step fails.
Standard library only.
"""

import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import arguments, build_binary, fail, git_repo, hermetic_env, run, timed

TARGET_RATE = 20_000
TARGET_RATIO = 2.0
MILESTONES = 20
EVENT_TYPES = [
    ("task_status_changed", lambda r, t: {"task_id": t, "new_status": r.choice(["in_progress", "completed", "blocked"])}),
    ("kiro_phase_updated", lambda r, t: {"task_id": t, "phase": r.choice(["design", "spec", "task", "execute"]),
                                         "status": r.choice(["in_progress", "completed", "waiting_approval"]), "approval_data": {}}),
    ("state_saved", lambda r, t: {"state_file": ".milestones/state/active/MID.json"}),
    ("status_updated", lambda r, t: {"old_status": "", "new_status": "in_progress",
                                     "progress_percentage": r.randrange(100), "trigger_event": "task_status_changed"}),
    ("commit", lambda r, t: {"commit": "%040x" % r.getrandbits(160), "branch": "main", "subject": "Work on " + t}),
]




def stamp(seconds):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def generate(folder: Path, events: int, seed: int = 7):
    """Writes a reference folder with `events` events; returns nothing."""
    r = random.Random(seed)
    start = 1767225600  # 2026-01-01T00:00:00Z
    users = ["alice", "bob", "carol", "dan"]
    for sub in ["active", "approvals", "state/active", "state/backups", "state/events", "state/sessions"]:
        (folder / sub).mkdir(parents=True, exist_ok=True)
    per = [events // MILESTONES + (1 if i < events % MILESTONES else 0) for i in range(MILESTONES)]
    for i in range(MILESTONES):
        mid = f"m{i:02d}"
        tasks = [f"t{j}" for j in range(10)]
        lines = [f"id: {mid}", f'title: "Milestone {i}"', "status: in_progress", "tasks:"]
        for j, t in enumerate(tasks):
            lines += [f"  - id: {t}", f'    title: "Task {j} of {mid}"',
                      f"    status: {r.choice(['pending', 'in_progress', 'completed'])}"]
            if j % 3 == 0:
                lines += ["    kiro_workflow:", "      enabled: true", "      current_phase: design",
                          "      phases:", "        design:", "          status: in_progress"]
        (folder / "active" / f"{mid}.yaml").write_text("\n".join(lines) + "\n")
        sessions = [f"session-{time.strftime('%Y%m%d-%H%M%S', time.gmtime(start + k * 3600))}-{1000 + i * 10 + k}"
                    for k in range(10)]
        for k, sid in enumerate(sessions):
            done = k < 9
            doc = {"session_id": sid, "milestone_id": mid, "created_at": stamp(start + k * 3600), "pid": 1000 + k,
                   "user": r.choice(users), "working_directory": f"/home/dev/{mid}", "git_branch": "main",
                   "status": "completed" if done else "active"}
            if done:
                doc["ended_at"] = stamp(start + k * 3600 + 1800)
            (folder / "state" / "sessions" / f"{sid}.json").write_text(json.dumps(doc, indent=2))
        t = start
        out = [json.dumps({"timestamp": stamp(t), "event": "state_initialized", "milestone_id": mid},
                          separators=(",", ":"))]
        for n in range(per[i] - 1):
            t += r.randrange(1, 20)
            kind, data = r.choice(EVENT_TYPES)
            payload = json.dumps(data(r, r.choice(tasks))).replace("MID", mid)
            out.append('{"timestamp":"%s","milestone_id":"%s","session_id":"%s","event_type":"%s","data":%s,"pid":%d,"user":"%s"}'
                       % (stamp(t), mid, r.choice(sessions), kind, payload, r.randrange(1000, 99999), r.choice(users)))
        (folder / "state" / "events" / f"milestone-{mid}.jsonl").write_text("\n".join(out) + "\n")
        for v in range(4):
            env = {"timestamp": stamp(start + v * 86400), "milestone_id": mid, "version": "1.0",
                   "state": {"sprint": v, "notes": f"version {v}"}}
            text = json.dumps(env, indent=2) + "\n"
            if v == 3:
                (folder / "state" / "active" / f"{mid}.json").write_text(text)
            else:
                (folder / "state" / "backups" / f"{mid}-{time.strftime('%Y%m%d-%H%M%S', time.gmtime(start + (v + 1) * 86400))}.json").write_text(text)
            if v in (1, 2):
                (folder / "state" / "backups" / f"{mid}-checkpoint-sprint-{v}.json").write_text(text)
        (folder / "approvals" / f"approval-{mid}-t0-design-spec.yaml").write_text(
            f'approval_request:\n  id: "approval-{mid}-t0-design-spec"\n  milestone_id: "{mid}"\n  task_id: "t0"\n'
            f'  transition: "design → spec"\n  requested_at: "{stamp(start + 7200)}"\n  status: "pending"\n  \n'
            "approvers:\n  - role: tech_lead \n    status: pending\n    contacted: false\n\n"
            "approval_criteria:\n  - Reviewed\n\nphase_deliverables:\n  - design.md\n")
    (folder / "state" / ".current_session").write_text(sessions[-1] + "\n")


def size_of(path: Path):
    total = 0
    for dirpath, _, files in os.walk(path):
        for f in files:
            total += os.lstat(os.path.join(dirpath, f)).st_size
    return total


def main():
    ap = arguments(__doc__, 3, f"below {TARGET_RATE} events/s or above {TARGET_RATIO}x the folder's size")
    ap.add_argument("--events", type=int, default=int(os.environ.get("BENCH_EVENTS", "100000")))
    args = ap.parse_args()
    if args.events < MILESTONES or args.rounds < 1:
        ap.error(f"--events must be at least {MILESTONES} and --rounds at least 1")

    binary = build_binary()

    with tempfile.TemporaryDirectory(prefix="git-milestone-bench-") as tmp:
        tmp = Path(tmp)
        env = hermetic_env(tmp)
        folder = tmp / "milestones"
        generate(folder, args.events)
        folder_size = size_of(folder)
        rounds = []
        for i in range(args.rounds):
            repo = git_repo(tmp / f"repo{i}", env, tmp)
            wall, cpu, _, out = timed([binary, "import", str(folder), "--json"], env, repo)
            cpu /= 1e9
            report = json.loads(out)
            if report["events"] != args.events:
                fail(f"imported {report['events']} events, expected {args.events}")
            rounds.append((wall, cpu, size_of(repo / ".git"), report, repo))
        rounds.sort(key=lambda r: r[0])
        wall, cpu, repo_size, report, repo = rounds[len(rounds) // 2]
        objects = dict(line.split(": ") for line in run(["git", "count-objects", "-v"], env, repo).splitlines())
        again_wall, _, _, again = timed([binary, "import", str(folder), "--json"], env, repo)
        if json.loads(again)["commits"] != 0:
            fail("the second import wrote something")
        t0 = time.perf_counter_ns()
        shown = len(json.loads(run([binary, "timeline", "--json"], env, repo)))
        timeline_ms = (time.perf_counter_ns() - t0) / 1e6
        if shown != args.events:
            fail(f"timeline shows {shown} events, expected {args.events}")
        run(["git", "fsck", "--no-progress"], env, repo)

    rate = args.events / (wall / 1e9)
    ratio = repo_size / folder_size
    git_version = subprocess.run(["git", "--version"], capture_output=True).stdout.decode().strip()
    walls = ", ".join(f"{r[0] / 1e6:.0f}" for r in rounds)
    print(f"events: {args.events:,} in {MILESTONES} milestones, rounds: {args.rounds} (wall ms: {walls}), {git_version}")
    print(f"  import           median {wall / 1e6:8.0f} ms wall, {cpu * 1000:6.0f} ms CPU   "
          f"{rate:,.0f} events/s  (target >= {TARGET_RATE:,})")
    print(f"  commits {report['commits']}, checkpoints {report['checkpoints']}, loose objects {objects['count']}, "
          f"packs {objects['packs']}, size-pack {objects['size-pack']} KiB")
    print(f"  folder {folder_size / 1e6:8.2f} MB   repository (.git) {repo_size / 1e6:8.2f} MB   "
          f"ratio {ratio:.2f}  (target <= {TARGET_RATIO})")
    print(f"  second import    {again_wall / 1e6:8.0f} ms (wrote nothing);  timeline --json of all events {timeline_ms:.0f} ms")
    missed = rate < TARGET_RATE or ratio > TARGET_RATIO
    if args.check and missed:
        print("bench: a target is missed", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
