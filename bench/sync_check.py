#!/usr/bin/env python3
"""What checking every fetched commit costs `sync`: a clone syncs 1,000 operations a
teammate pushed, with this build and with a baseline binary (the version before the
check, given with --baseline), interleaved, on fresh copies of the same clone each
round. Two cases: the clone has nothing of its own (a fast-forward, which the
baseline takes without looking), and the clone has one operation of its own (a merge,
which both replay).

    python3 bench/sync_check.py --baseline /path/to/older/git-milestone [--ops 1000] [--rounds 11]
        [--ours /path/to/this/build]

Target: ours / baseline <= 1.5 for 1,000 incoming operations, in wall time and in CPU
time (user + system, of `sync` and the `git fetch` it runs: steadier on a loaded
machine)."""

import argparse
import json
import shutil
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import build_binary, fail, hermetic_env, ms, run, timed  # noqa: E402


def operations(binary, env, cwd, n):
    """`n` operations of several kinds on milestone m, as a teammate makes them."""
    run([binary, "new", "m", "--title", "Bench"], env, cwd)
    for i in range(n - 1):
        task = f"t{i % 20}"
        if i < 20:
            args = ["task", "add", "m", task]
        elif i % 3 == 0:
            args = ["task", "set", "m", task, ["in_progress", "blocked", "pending"][(i // 3) % 3]]
        elif i % 3 == 1:
            args = ["state", "save", "m", f'{{"step": {i}}}']
        else:
            args = ["event", "add", "m", "note", "--data", f'{{"i": {i}}}']
        run([binary, *args], env, cwd)


def timed_sync(binary, env, clone):
    """One `sync --no-push --json`: wall and CPU time (user + system of the process and
    the `git fetch` it waits for), and what it printed."""
    return timed([binary, "sync", "--no-push", "--json"], env, clone)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--baseline", required=True, help="the older git-milestone binary")
    parser.add_argument("--ops", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--ours", help="the binary to measure (default: build this tree)")
    args = parser.parse_args()
    ours = str(Path(args.ours).resolve()) if args.ours else build_binary()
    baseline = str(Path(args.baseline).resolve())
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        home = tmp / "home"
        home.mkdir()
        (home / ".gitconfig").write_text("[user]\n\tname = Bench\n\temail = bench@example.com\n")
        env = hermetic_env(home)
        remote = tmp / "remote.git"
        run(["git", "init", "-q", "--bare", str(remote)], env, tmp)
        teammate = tmp / "teammate"
        run(["git", "clone", "-q", str(remote), str(teammate)], env, tmp)
        run(["git", "commit", "-q", "--allow-empty", "-m", "base"], env, teammate)
        run(["git", "push", "-q", "origin", "HEAD"], env, teammate)
        run([baseline, "init"], env, teammate)
        run([baseline, "sync"], env, teammate)
        victims = {}
        for case in ("fast-forward", "merge"):
            victim = tmp / f"victim-{case}"
            run(["git", "clone", "-q", str(remote), str(victim)], env, tmp)
            run([baseline, "sync"], env, victim)
            if case == "merge":
                run([baseline, "new", "mine"], env, victim)
            victims[case] = victim
        # The teammate's operations, made with the baseline so both read the same.
        operations(baseline, env, teammate, args.ops)
        run([baseline, "sync"], env, teammate)
        print(f"{args.ops} incoming operations, {args.rounds} rounds, interleaved, "
              f"load average {os.getloadavg()[0]:.1f} at the start")
        for case, victim in victims.items():
            times = {"baseline": [], "ours": []}
            for r in range(args.rounds):
                order = [("baseline", baseline), ("ours", ours)]
                if r % 2:
                    order.reverse()
                for name, binary in order:
                    copy = tmp / f"copy-{name}"
                    if copy.exists():
                        shutil.rmtree(copy)
                    shutil.copytree(victim, copy, symlinks=True)
                    t = timed_sync(binary, env, copy)
                    if name == "ours" and json.loads(t.stdout)["ignored"]:
                        fail(f"ours ignored commits of an honest history: {t.stdout}")
                    times[name].append(t)
            for what in ("wall", "cpu"):
                b = statistics.median(getattr(t, what) for t in times["baseline"])
                o = statistics.median(getattr(t, what) for t in times["ours"])
                print(f"{case:13} {what:4} baseline {ms(b):8.1f} ms   ours {ms(o):8.1f} ms   "
                      f"ratio {o / b:.2f}   (target <= 1.5)")
        print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
