#!/usr/bin/env python3
"""Benchmark: `chart` and `report` on long histories.

Method
  Writes two reference `.milestones/` folders (the bash scripts' layout) and imports
  each with `git milestone import`:
    one milestone   100,000 events, 50 tasks
    100 milestones  100,000 events in all (1,000 each), 20 tasks each, some with points
  Task status changes are a fifth of the events, spread over a year, so the charts
  have a series of hundreds of days. Then, interleaved (the order alternates per
  round), medians of whole processes, each command run once untimed first (it builds
  the local event index, as any first read does):
    chart m1 (100,000 events)  vs  events m1 --limit 1   target <= 3x
    report (100 milestones, 100,000 events, --out a new folder each round)
                               vs  events --limit 1      for scale; targets: <= 2 s, <= 100 MB peak
  Peak memory is the child's maximum resident set (wait4).

Run
  python3 bench/pictures.py
  python3 bench/pictures.py --rounds 5 --events 10000
  python3 bench/pictures.py --check           # exit 1 if a target is missed

Standard library only.
"""

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import arguments, fail, git_repo, interleaved, run, walls, workbench

STATUSES = ["in_progress", "completed", "pending", "in_progress", "completed"]
OTHER_TYPES = ["state_saved", "note", "commit", "status_updated"]


def write_folder(folder, milestones, events, tasks):
    """A reference `.milestones/` folder: `milestones` milestones of `tasks` tasks, and
    `events` events in all, a fifth of them task status changes."""
    base = Path(folder) / ".milestones"
    for sub in ("active", "state/active", "state/events", "state/sessions", "state/backups",
                "state/.locks"):
        (base / sub).mkdir(parents=True, exist_ok=True)
    per = events // milestones
    for m in range(milestones):
        mid = f"m{m + 1}"
        lines = [f"id: {mid}", f"title: Milestone {m + 1}", "due: 2026-06-30", "tasks:"]
        for t in range(tasks):
            lines += [f"  - id: t{t}", "    status: pending"]
            if t % 3 == 0:
                lines.append(f"    points: {t % 8 + 1}")
        (base / "active" / f"{mid}.yaml").write_text("\n".join(lines) + "\n")
        with open(base / "state/events" / f"milestone-{mid}.jsonl", "w") as f:
            for i in range(per):
                # Spread over about a year, whatever the count.
                ts = time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                   time.gmtime(1735689600 + i * (31_536_000 // per)))
                if i % 5 == 0:
                    kind = "task_status_changed"
                    data = {"task_id": f"t{(i // 5) % tasks}",
                            "new_status": STATUSES[(i // 5 // tasks) % len(STATUSES)]}
                else:
                    kind = OTHER_TYPES[i % len(OTHER_TYPES)]
                    data = {"seq": i, "note": "progress on the item"}
                f.write(json.dumps({"timestamp": ts, "milestone_id": mid,
                                    "session_id": "session-20250101-000000-1",
                                    "event_type": kind, "data": data, "user": "alice"},
                                   separators=(",", ":")) + "\n")


def compare(name, ours, theirs, rounds, env, cwd):
    """Interleaved medians of two commands (a command may be a function giving the
    next command line)."""
    a, b = interleaved((ours, cwd), (theirs, cwd), rounds, env)
    mem = [t.peak for t in a]
    a, b = walls(a), walls(b)
    return {"name": name, "ours_ms": statistics.median(a) / 1e6,
            "base_ms": statistics.median(b) / 1e6,
            "ratio": statistics.median(a) / statistics.median(b), "peak_mb": max(mem) / 1e6}


def main():
    ap = arguments(__doc__, 11)
    ap.add_argument("--events", type=int, default=100_000)
    with workbench(ap, "git-milestone-pictures-") as (args, binary, tmp, env):

        def imported(name, milestones, tasks):
            folder = os.path.join(tmp, f"{name}-folder")
            write_folder(folder, milestones, args.events, tasks)
            repo = git_repo(os.path.join(tmp, name), env, tmp)
            t0 = time.perf_counter()
            # One milestone's log of 100,000 events is over import's default size limit.
            run([binary, "import", os.path.join(folder, ".milestones"), "-q",
                 "--max-size", str(1 << 30)], env, repo)
            print(f"{name}: imported {args.events:,} events in {milestones} milestones "
                  f"in {time.perf_counter() - t0:.1f} s", flush=True)
            return repo

        one = imported("one", 1, 50)
        many = imported("many", 100, 20)
        chart = compare(f"chart m1 ({args.events:,} events) / events m1 --limit 1",
                        [binary, "chart", "m1", "--now", "2026-01-15"],
                        [binary, "events", "m1", "--limit", "1"], args.rounds, env, one)
        outs = iter(range(10_000))
        report = compare(f"report (100 milestones, {args.events:,} events) / events --limit 1",
                         lambda: [binary, "report", "--now", "2026-01-15",
                                  "--out", os.path.join(tmp, f"site{next(outs)}")],
                         [binary, "events", "--limit", "1"], args.rounds, env, many)
        pages = len(list(Path(tmp, "site0").glob("milestone-*.html")))
        if pages != 100:
            fail(f"the report wrote {pages} milestone pages, not 100")
    checks = [
        (chart["name"], f"{chart['ratio']:.2f}x", "<= 3x", chart["ratio"] <= 3.0),
        ("report, time", f"{report['ours_ms'] / 1000:.2f} s", "<= 2 s", report["ours_ms"] <= 2000),
        ("report, peak memory", f"{report['peak_mb']:.1f} MB", "<= 100 MB", report["peak_mb"] <= 100),
    ]
    print(f"\n{'measure':<62} {'ours ms':>9} {'base ms':>9} {'ratio':>7} {'peak MB':>8}")
    for r in (chart, report):
        print(f"{r['name']:<62} {r['ours_ms']:9.1f} {r['base_ms']:9.1f} {r['ratio']:7.2f} "
              f"{r['peak_mb']:8.1f}")
    print()
    for name, value, target, ok in checks:
        print(f"{name:<62} {value:>12} {target:>10}{'' if ok else '  MISSED'}")
    if args.check and not all(ok for *_, ok in checks):
        sys.exit(1)


if __name__ == "__main__":
    main()
