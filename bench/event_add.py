#!/usr/bin/env python3
"""Benchmark: one `git-milestone event add` process vs one `git update-ref` process.

Method
  Builds the release binary (`cargo build --release --locked`), makes a throw-away
  repository (own HOME, GIT_CONFIG_NOSYSTEM=1, no inherited GIT_* variables), runs
  `git milestone init` and `git milestone new bench`, and makes two empty commits A, B.
  Then, for N rounds, it times two whole processes, wall clock, with the monotonic
  time.perf_counter_ns() around subprocess.run():
    - target/release/git-milestone event add bench bench_event
    - git update-ref refs/bench/x <new> <old>   (a compare-and-swap, moving the ref
      A->B or B->A, so every call really writes; the same operation event add ends in)
  The two run in the same round, their order alternating per round, so drift in
  machine load or cache state hits both sides equally. A few untimed warm-up rounds
  come first. It prints median and p90 of each and the ratio of the medians, and the
  same ratio of each process's CPU time (user + system, from wait4), which a loaded
  machine disturbs less.
  `event add` appends a commit per call, so the ref's history grows by N during
  the run; that is deliberate (it is what real use looks like).

Run
  python3 bench/event_add.py                 # 200 rounds
  python3 bench/event_add.py --rounds 1000   # or BENCH_ROUNDS=1000
  python3 bench/event_add.py --check         # or BENCH_CHECK=1: exit 1 if ratio > 2.0

Exit status: 0, 1 when --check and the ratio is above the target, 2 when a timed
process (or the setup) fails. Standard library only.
"""

import os
import statistics
import subprocess
import sys

from common import arguments, fail, git_repo, interleaved, median_ms, ms, p90, run, walls, workbench

TARGET = 2.0
WARMUP = 5


def main():
    ap = arguments(__doc__, 200, f"ratio of medians above {TARGET}")
    with workbench(ap, "git-milestone-bench-") as (args, binary, tmp, env):
        repo = git_repo(os.path.join(tmp, "repo"), env, tmp)
        run([binary, "init", "-q"], env, repo)
        run([binary, "new", "bench", "-q"], env, repo)
        run(["git", "commit", "-q", "--allow-empty", "-m", "A"], env, repo)
        a = run(["git", "rev-parse", "HEAD"], env, repo)
        run(["git", "commit", "-q", "--allow-empty", "-m", "B"], env, repo)
        b = run(["git", "rev-parse", "HEAD"], env, repo)
        run(["git", "update-ref", "refs/bench/x", a], env, repo)

        event_cmd = [binary, "event", "add", "bench", "bench_event"]
        # A compare-and-swap from where the ref is to the other commit, so every
        # call really writes.
        ends = [a, b]

        def move_ref():
            ends.reverse()
            return ["git", "update-ref", "refs/bench/x", ends[0], ends[1]]

        ev, ur = interleaved((event_cmd, repo), (move_ref, repo), args.rounds, env, WARMUP)

        # Sanity: every timed call really wrote.
        n_events = int(run(["git", "rev-list", "--count", "refs/milestones"], env, repo))
        if run(["git", "rev-parse", "refs/bench/x"], env, repo) != ends[0]:
            fail("refs/bench/x is not where the CAS chain left it")

    ratio = statistics.median(walls(ev)) / statistics.median(walls(ur))
    cpu = {name: statistics.median(t.cpu for t in xs) for name, xs in (("ev", ev), ("ur", ur))}
    git_version = subprocess.run(["git", "--version"], capture_output=True).stdout.decode().strip()
    print(f"rounds: {args.rounds} (+{WARMUP} warm-up), {git_version}, "
          f"refs/milestones commits at end: {n_events}")
    for name, xs in (("event add ", ev), ("update-ref", ur)):
        print(f"  {name}  median {median_ms(walls(xs)):7.2f} ms   p90 {ms(p90(walls(xs))):7.2f} ms"
              f"   CPU {median_ms([t.cpu for t in xs]):6.2f} ms")
    print(f"ratio of medians (event add / update-ref): {ratio:.2f}  (target <= {TARGET}); "
          f"CPU {cpu['ev'] / cpu['ur']:.2f}")
    if args.check and ratio > TARGET:
        print(f"bench: ratio {ratio:.2f} exceeds target {TARGET}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
