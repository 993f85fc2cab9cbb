#!/usr/bin/env python3
"""Benchmark: git-milestone at 1,000, 10,000 and 100,000 events against baselines.

Method
  For each size N it writes a reference `.milestones/` folder (the bash scripts'
  layout: one milestone, an event log of N JSON lines, 1 in 1,000 of a rare type),
  imports it with `git milestone import`, and then times whole processes, each
  against its baseline in the same invocation, interleaved (the order alternates per
  round), taking medians:
    event add          vs  git update-ref <new> <old> (a compare-and-swap that moves the
                           ref between two commits, so every call writes)  target <= 2.0x
    event add at N     vs  event add in a repository of 10 events         target <= 1.25x (N = 100,000)
    events --type rare --limit 50
                       vs  grep '"event_type":"rare"' <events file> | tail -50   target <= 3x
    timeline --json    vs  the reference's generate_event_timeline m1 json       target <= 0.25x, <= 50 MB peak
    state save         vs  the reference's save_milestone_state                  target <= 0.05x
  The reference functions are taken from $MILESTONE_REFERENCE (default: the development
  machine's /work/shared/reference/milestone-state.md) and run with bash in the generated folder. Peak memory is
  the child's maximum resident set size (wait4); the cpu column is the ratio of the
  medians of each process's CPU time (user + system of it and the children it waits
  for, wait4), which a loaded machine disturbs less than wall clock. Each command runs
  once untimed first (it builds the local event index, as any first read does).

Run
  python3 bench/scale.py                     # sizes 1000 10000 100000
  python3 bench/scale.py --sizes 1000 --rounds 5
  python3 bench/scale.py --check             # exit 1 if a target is missed

Standard library only.
"""

import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import ROOT, arguments, fail, git_repo, interleaved, run, walls, workbench

RARE = "rare_event"


def reference_functions(tmp):
    source = Path(os.environ.get("MILESTONE_REFERENCE",
                                 "/work/shared/reference/milestone-state.md"))
    if not source.exists():
        fail(f"the reference scripts are not at {source}; set MILESTONE_REFERENCE")
    blocks = re.findall(r"```bash\n(.*?)```", source.read_text(), re.S)
    path = Path(tmp) / "reference.sh"
    path.write_text("\n".join(blocks))
    return str(path)


def write_reference_folder(folder, n):
    """The bash scripts' layout with an event log of n lines (compact JSON, as their
    `echo` wrote it)."""
    base = Path(folder) / ".milestones"
    for sub in ("active", "state/active", "state/events", "state/sessions", "state/backups",
                "state/.locks"):
        (base / sub).mkdir(parents=True, exist_ok=True)
    (base / "active" / "m1.yaml").write_text(
        "id: m1\ntitle: Scale\ntasks:\n  - id: t1\n    status: in_progress\n")
    (base / "state/active/m1.json").write_text(json.dumps(
        {"timestamp": "2025-01-01T00:00:00Z", "milestone_id": "m1", "version": "1.0",
         "state": {"step": 1}}, indent=2))
    types = ["task_status_changed", "state_saved", "note", "commit", "status_updated"]
    with open(base / "state/events/milestone-m1.jsonl", "w") as f:
        for i in range(n):
            kind = RARE if i % 1000 == 999 else types[i % len(types)]
            ts = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(1735689600 + i * 60))
            data = {"task_id": f"t{i % 50}", "seq": i, "note": "progress on the item"}
            f.write(json.dumps({"timestamp": ts, "milestone_id": "m1",
                                "session_id": "session-20250101-000000-1", "event_type": kind,
                                "data": data, "pid": 4242, "user": "alice"},
                               separators=(",", ":")) + "\n")
    return base / "state/events/milestone-m1.jsonl"


def compare(name, ours, theirs, rounds, env, cwd_ours, cwd_theirs, target):
    """Interleaved medians of two commands; returns a result row. A command may be a
    function returning the command line to run next (a baseline that alternates)."""
    a, b = interleaved((ours, cwd_ours), (theirs, cwd_theirs), rounds, env)
    mem = [t.peak for t in a]
    cpu = statistics.median(t.cpu for t in a) / statistics.median(t.cpu for t in b)
    a, b = walls(a), walls(b)
    ratio = statistics.median(a) / statistics.median(b)
    return {"name": name, "ours_ms": statistics.median(a) / 1e6,
            "base_ms": statistics.median(b) / 1e6, "ratio": ratio, "cpu_ratio": cpu,
            "target": target, "peak_mb": max(mem) / 1e6, "ok": ratio <= target}


def main():
    ap = arguments(__doc__, 15)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    rows = []
    with workbench(ap, "git-milestone-scale-") as (args, binary, tmp, env):
        reference = reference_functions(tmp)

        def new_repo(path):
            git_repo(path, env, tmp)
            run(["git", "commit", "-q", "--allow-empty", "-m", "A"], env, path)
            run([binary, "init", "-q"], env, path)
            return path

        small = new_repo(os.path.join(tmp, "small"))
        run([binary, "new", "m1", "-q"], env, small)
        for _ in range(9):
            run([binary, "event", "add", "m1", "note", "-q"], env, small)

        for n in args.sizes:
            folder = os.path.join(tmp, f"ref{n}")
            events_file = write_reference_folder(folder, n)
            repo = new_repo(os.path.join(tmp, f"repo{n}"))
            t0 = time.perf_counter()
            # The event log of 100,000 events is over import's default file size limit.
            run([binary, "import", os.path.join(folder, ".milestones"), "-q",
                 "--max-size", str(1 << 30)], env, repo)
            seconds = time.perf_counter() - t0
            run(["git", "gc", "-q", "--auto"], env, repo)
            repo_bytes = sum(f.stat().st_size for f in Path(repo, ".git", "objects").rglob("*") if f.is_file())
            folder_bytes = sum(f.stat().st_size for f in Path(folder, ".milestones").rglob("*") if f.is_file())
            print(f"{n} events: import {seconds:.2f} s ({n / seconds:,.0f} events/s), "
                  f"objects {repo_bytes / 1e6:.1f} MB vs folder {folder_bytes / 1e6:.1f} MB "
                  f"({repo_bytes / folder_bytes:.2f}x)", flush=True)
            # Two commits for the baseline to move refs/bench/x between: an update-ref
            # to the value the ref already has skips writing the ref, and one
            # `event add` always moves refs/milestones.
            commits = [run(["git", "rev-parse", "HEAD"], env, repo)]
            run(["git", "commit", "-q", "--allow-empty", "-m", "B"], env, repo)
            commits.append(run(["git", "rev-parse", "HEAD"], env, repo))
            run(["git", "update-ref", "refs/bench/x", commits[0]], env, repo)

            def move_ref():
                commits.reverse()
                return ["git", "update-ref", "refs/bench/x", commits[0], commits[1]]

            ref = ["bash", "-c", f"source {reference} && \"$@\"", "reference"]
            rows.append(compare(f"{n}: event add / update-ref",
                                [binary, "event", "add", "m1", "bench"],
                                move_ref, max(args.rounds, 30),
                                env, repo, repo, 2.0))
            rows.append(compare(f"{n}: event add at {n} / at 10 events",
                                [binary, "event", "add", "m1", "bench"],
                                [binary, "event", "add", "m1", "bench"], max(args.rounds, 30),
                                env, repo, small, 1.25))
            rows.append(compare(f"{n}: events --type rare --limit 50 / grep | tail",
                                [binary, "events", "m1", "--type", RARE, "--limit", "50"],
                                ["bash", "-c", f"grep '\"event_type\":\"{RARE}\"' '{events_file}' | tail -50"],
                                args.rounds, env, repo, repo, 3.0))
            rows.append(compare(f"{n}: timeline --json / reference timeline",
                                [binary, "timeline", "m1", "--json"],
                                ref + ["generate_event_timeline", "m1", "json"],
                                max(3, args.rounds // 3), env, repo, folder, 0.25))
            rows.append(compare(f"{n}: state save / reference save",
                                [binary, "state", "save", "m1", '{"step": 2}'],
                                ref + ["save_milestone_state", "m1", '{"step": 2}'],
                                max(args.rounds, 30), env, repo, folder, 0.05))
            print(json.dumps(rows[-5:], indent=1) if os.environ.get("BENCH_VERBOSE") else "", end="")
    print(f"\n{'measure':<55} {'ours ms':>9} {'base ms':>9} {'ratio':>7} {'cpu':>7} {'target':>7} "
          f"{'peak MB':>8}")
    for r in rows:
        mark = "" if r["ok"] else "  MISSED"
        print(f"{r['name']:<55} {r['ours_ms']:9.2f} {r['base_ms']:9.2f} {r['ratio']:7.3f} "
              f"{r['cpu_ratio']:7.3f} {r['target']:7.2f} {r['peak_mb']:8.1f}{mark}")
    if args.check and not all(r["ok"] for r in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()
