#!/usr/bin/env python3
"""Benchmark: reads and writes at 10, 100 and 1,000 milestones of 20 tasks each, and
what `git milestone …` costs over `git-milestone …` (git's dispatch).

Method
  For each size N it writes a reference `.milestones/` folder of N milestones with 20
  tasks each (statuses and workflow phases mixed), imports it with `git milestone
  import`, and times whole processes, each against the same command in the repository
  of 10 milestones, in the same run, interleaved (the order alternates per round),
  taking medians:
    status, list                          at N / at 10          target <= 2.0x (N = 1,000)
    show m0005                            at N / at 10          target <= 1.25x
    task set, event add, state save       at N / at 10          target <= 1.25x
  Beside the wall-clock ratio (the target's), the ratio of the processes' own CPU time
  (user + system, from wait4) is printed: on a shared machine it moves far less.
  Every command runs once untimed first (the first listing builds the summary cache
  under the git dir, as any first read does). Every timed write makes a state the
  repository has never had (`task set` moves the plain tasks on in turn, `state save`
  counts), so each writes a new milestone folder and a new `milestones/` tree, as a
  user's write does: a value written before would find its trees already stored and
  skip compressing them.
  Then, in the repository of 1,000 milestones, both forms users type:
    git milestone list       vs  git-milestone list
    git noop                 vs  true                (git's own dispatch to an external
                                                      command: `git-noop` is `true`)
  The difference of the first pair against that of the second says whether anything
  of ours (install location, PATH order, config git reads) makes git's dispatch
  slower than its minimum. The binary and `git-noop` are symlinked into a folder put
  first on PATH, as `cargo install` puts ~/.cargo/bin.

Run
  python3 bench/milestones.py                   # sizes 10 100 1000
  python3 bench/milestones.py --rounds 30
  python3 bench/milestones.py --check           # exit 1 if a target is missed
  python3 bench/milestones.py --binary old/git-milestone   # time another build

Standard library only.
"""

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import arguments, fail, git_repo, interleaved, ms, run, walls, workbench

TASKS = 20
STATUSES = ["pending", "in_progress", "completed", "blocked"]


def write_folder(folder, n):
    """A reference `.milestones/` folder of n milestones with TASKS tasks each."""
    base = Path(folder) / ".milestones"
    for sub in ("active", "state/active", "state/events", "state/sessions"):
        (base / sub).mkdir(parents=True, exist_ok=True)
    for m in range(n):
        mid = f"m{m:04d}"
        lines = [f"id: {mid}", f"title: Milestone {m} of {n}", "due: 2027-06-30", "tasks:"]
        for t in range(TASKS):
            lines += [f"  - id: t{t:02d}", f"    title: Task {t} of milestone {m}",
                      f"    status: {STATUSES[(m + t) % len(STATUSES)]}"]
            if t % 5 == 0:
                lines += ["    kiro_workflow:", "      enabled: true",
                          "      current_phase: spec", "      phases:",
                          "        design: {status: approved}",
                          "        spec: {status: in_progress}"]
        (base / "active" / f"{mid}.yaml").write_text("\n".join(lines) + "\n")
    return base


def compare(name, ours, theirs, rounds, env, target):
    """Interleaved medians; `ours` and `theirs` are (command or function giving the
    next command line, folder)."""
    a, b = interleaved(ours, theirs, rounds, env)
    ma, mb = (statistics.median(walls(xs)) for xs in (a, b))
    ca, cb = (statistics.median(t.cpu for t in xs) for xs in (a, b))
    return {"name": name, "ours_ms": ms(ma), "base_ms": ms(mb), "ratio": ma / mb,
            "cpu_ratio": ca / cb if cb else float("nan"),
            "target": target, "ok": target is None or ma / mb <= target}


def moving_tasks(binary, milestone):
    """`task set` lines that move the plain tasks (those without the workflow) of
    `milestone`, as written by `write_folder`, through the words of a modular Gray
    code in base len(STATUSES), one digit per task: each call moves one task to
    another status, and no state of the milestone repeats (a state written before
    would find its trees stored), however many calls the sizes share."""
    m = int(milestone[1:])
    plain = [t for t in range(TASKS) if t % 5 != 0]
    base = len(STATUSES)
    state = {"i": 0}

    def digit(i, j):
        return (i // base ** j - i // base ** (j + 1)) % base

    def next_line():
        state["i"] += 1
        i = state["i"]
        j = next(j for j in range(len(plain)) if digit(i, j) != digit(i - 1, j))
        t = plain[j]
        status = STATUSES[(m + t + digit(i, j)) % base]
        return [binary, "task", "set", milestone, f"t{t:02d}", status]
    return next_line


def counting(prefix):
    """A command line whose last argument is a new JSON value at every call."""
    state = {"i": 0}

    def next_line():
        state["i"] += 1
        return prefix + [f'{{"step":{state["i"]}}}']
    return next_line


def main():
    ap = arguments(__doc__, 15)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000])
    ap.add_argument("--binary", help="time this binary instead of building one "
                    "(an older build, to compare)")
    rows = []
    with workbench(ap, "git-milestone-milestones-") as (args, binary, tmp, env):
        bindir = Path(tmp, "bin")
        bindir.mkdir()
        (bindir / "git-milestone").symlink_to(binary)
        (bindir / "git-noop").symlink_to(shutil.which("true"))
        env["PATH"] = f"{bindir}:{env['PATH']}"
        repos = {}
        for n in sorted(set(args.sizes) | {10}):
            folder = write_folder(os.path.join(tmp, f"ref{n}"), n)
            repo = git_repo(os.path.join(tmp, f"repo{n}"), env, tmp)
            run([binary, "init", "-q"], env, repo)
            t0 = time.perf_counter()
            run([binary, "import", str(folder), "-q"], env, repo)
            listed = run([binary, "list"], env, repo).count("\n") + 1
            if listed != n:
                fail(f"{n} milestones imported, {listed} listed")
            print(f"{n} milestones: import {time.perf_counter() - t0:.2f} s", flush=True)
            repos[n] = repo
        small = repos[10]
        # One sequence of writes per repository, across sizes, so that none repeats.
        movers = {n: moving_tasks(binary, "m0005") for n in repos}
        savers = {n: counting([binary, "state", "save", "m0005"]) for n in repos}
        for n in args.sizes:
            if n == 10:
                continue
            big = repos[n]

            def at_both(cmd, target, rounds=args.rounds, name=None):
                rows.append(compare(f"{n}: {name or ' '.join(cmd)} / at 10",
                                    ([binary] + cmd, big), ([binary] + cmd, small),
                                    rounds, env, target))

            at_both(["status"], 2.0)
            at_both(["list"], 2.0)
            at_both(["show", "m0005"], 1.25)
            rows.append(compare(
                f"{n}: task set / at 10",
                (movers[n], big), (movers[10], small),
                max(args.rounds, 30), env, 1.25))
            at_both(["event", "add", "m0005", "bench"], 1.25, max(args.rounds, 30))
            rows.append(compare(
                f"{n}: state save / at 10",
                (savers[n], big), (savers[10], small),
                max(args.rounds, 30), env, 1.25))
        biggest = repos[max(args.sizes)]
        rounds = max(args.rounds, 30)
        rows.append(compare("git milestone list / git-milestone list",
                            (["git", "milestone", "list"], biggest),
                            (["git-milestone", "list"], biggest), rounds, env, None))
        rows.append(compare("git milestone event add / git-milestone event add",
                            (["git", "milestone", "event", "add", "m0005", "x"], biggest),
                            (["git-milestone", "event", "add", "m0005", "x"], biggest),
                            rounds, env, None))
        rows.append(compare("git noop / true", (["git", "noop"], biggest),
                            (["git-noop"], biggest), rounds, env, None))
    print(f"\n{'measure':<58} {'ours ms':>9} {'base ms':>9} {'ratio':>7} {'cpu':>7} {'target':>7}")
    for r in rows:
        mark = "" if r["ok"] else "  MISSED"
        target = f"{r['target']:7.2f}" if r["target"] else "      —"
        print(f"{r['name']:<58} {r['ours_ms']:9.2f} {r['base_ms']:9.2f} {r['ratio']:7.3f} "
              f"{r['cpu_ratio']:7.3f} {target}{mark}")
    dispatch = [r["ours_ms"] - r["base_ms"] for r in rows[-3:]]
    print(f"\ngit's dispatch: list +{dispatch[0]:.2f} ms, event add +{dispatch[1]:.2f} ms, "
          f"git's minimum (git noop) +{dispatch[2]:.2f} ms")
    if args.check and not all(r["ok"] for r in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()
