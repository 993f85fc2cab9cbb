#!/usr/bin/env python3
"""What checking every fetched commit costs `sync`: a clone syncs 1,000 operations a
teammate pushed, with this build and with a baseline binary (the version before the
check, given with --baseline), interleaved, on fresh copies of the same clone each
round. Two cases: the clone has nothing of its own (a fast-forward, which the
baseline takes without looking), and the clone has one operation of its own (a merge,
which both replay).

    python3 bench/sync_check.py --baseline /path/to/older/git-milestone [--ops 1000] [--rounds 11]

Target: ours / baseline <= 1.5 for 1,000 incoming operations."""

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import build_binary, fail, hermetic_env, ms, run  # noqa: E402


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
    start = time.perf_counter_ns()
    p = subprocess.run([binary, "sync", "--no-push", "--json"], env=env, cwd=clone,
                       capture_output=True)
    elapsed = time.perf_counter_ns() - start
    if p.returncode != 0:
        fail(f"sync failed in {clone}", p)
    return elapsed, p.stdout.decode()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--baseline", required=True, help="the older git-milestone binary")
    parser.add_argument("--ops", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=11)
    args = parser.parse_args()
    ours = build_binary()
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
        print(f"{args.ops} incoming operations, {args.rounds} rounds, interleaved")
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
                    elapsed, out = timed_sync(binary, env, copy)
                    if name == "ours" and json.loads(out)["ignored"]:
                        fail(f"ours ignored commits of an honest history: {out}")
                    times[name].append(elapsed)
            b = statistics.median(times["baseline"])
            o = statistics.median(times["ours"])
            print(f"{case:13} baseline {ms(b):8.1f} ms   ours {ms(o):8.1f} ms   ratio {o / b:.2f}"
                  f"   (target <= 1.5)")


if __name__ == "__main__":
    main()
