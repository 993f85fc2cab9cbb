#!/usr/bin/env python3
"""Benchmark: `git commit` with the hooks installed and a session current, against
`git commit` without hooks.

Method
  Builds the release binary (`cargo build --release --locked`) and makes five
  throw-away repositories side by side (own HOME, GIT_CONFIG_NOSYSTEM=1, no inherited
  GIT_* variables, C locale), each with `git milestone init`, a milestone and a first
  commit:
    - hooked: `git milestone hooks install` and `git milestone session start bench`, so
      every commit runs the post-commit shim, which starts the binary in the
      background to write a `commit` event (one commit on refs/milestones per commit:
      the most a plain commit costs) and lets git go on;
    - sync:   the same with GIT_MILESTONE_HOOKS=sync: the shim runs the binary and git
      waits for the event to be written;
    - idle:   the hooks installed, no session: nothing to record;
    - shell:  a post-commit hook that is only `#!/bin/sh` and `exit 0`: the floor of
      any hook, what git spends starting one;
    - plain:  no hooks at all.
  Then, for N rounds, it times one whole `git commit -q --allow-empty -m <msg>` process
  in each, wall clock, with the monotonic time.perf_counter_ns() around
  subprocess.run(). All five run in the same round, their order rotating per round, so
  drift in machine load or cache state hits every side equally. After each commit of
  hooked and idle, an untimed `git milestone hooks status` waits for the recording in
  the background to finish (so that it does not run into the next timed commit) and
  must report no problem. The figure is the time git takes to return: the recording
  itself runs after it, and sync shows what it costs when git waits for it. A
  few untimed warm-up rounds come first. It prints median and p90 of each and the
  ratios of the medians to plain (the target is for hooked), the same for the CPU
  time of git and the hook processes it waits for (user + system, from wait4: a figure
  a loaded machine disturbs less; the recording in the background is not in it), and
  checks that every hooked commit was recorded and no idle one was.

Run
  python3 bench/hooks.py                 # 50 rounds
  python3 bench/hooks.py --rounds 200    # or BENCH_ROUNDS=200
  python3 bench/hooks.py --check         # or BENCH_CHECK=1: exit 1 if ratio > 1.3

Exit status: 0, 1 when --check and the ratio is above the target, 2 when a timed
process (or the setup) fails. Standard library only.
"""

import os
import statistics
import subprocess
import sys
from pathlib import Path

from common import arguments, fail, git_repo, ms, p90, run, timed, workbench

TARGET = 1.3
WARMUP = 3


def main():
    ap = arguments(__doc__, 50, f"ratio of medians above {TARGET}")
    ap.add_argument("--binary", help="time this binary's hooks instead of building one "
                    "(an older build, to compare)")
    with workbench(ap, "git-milestone-bench-") as (args, binary, tmp, env):
        repos = {}
        names = ("hooked", "sync", "idle", "shell", "plain")
        for name in names:
            repo = git_repo(os.path.join(tmp, name), env, tmp)
            run([binary, "init", "-q"], env, repo)
            run([binary, "new", "bench", "-q"], env, repo)
            run(["git", "commit", "-q", "--allow-empty", "-m", "first"], env, repo)
            repos[name] = repo
        for name in ("hooked", "sync", "idle"):
            run([binary, "hooks", "install", "-q"], env, repos[name])
        for name in ("hooked", "sync"):
            run([binary, "session", "start", "bench"], env, repos[name])
        envs = {name: env for name in names}
        envs["sync"] = dict(env, GIT_MILESTONE_HOOKS="sync")
        trivial = Path(repos["shell"]) / ".git" / "hooks" / "post-commit"
        trivial.write_text("#!/bin/sh\nexit 0\n")
        trivial.chmod(0o755)

        def ops(name):
            return int(run(["git", "rev-list", "--count", "refs/milestones"], env, repos[name]))

        before = {name: ops(name) for name in names}
        times = {name: [] for name in names}
        cpu = {name: [] for name in names}
        for i in range(WARMUP + args.rounds):
            order = names[i % len(names):] + names[:i % len(names)]
            for name in order:
                cmd = ["git", "commit", "-q", "--allow-empty", "-m", f"change {i}"]
                # quiet: a hook that says anything on a plain commit fails it.
                t = timed(cmd, envs[name], repos[name], quiet=True)
                if i >= WARMUP:
                    times[name].append(t.wall)
                    cpu[name].append(t.cpu)
                if name in ("hooked", "idle"):
                    # Waits for the recording in the background, untimed; a problem
                    # it had is reported here.
                    p = subprocess.run([binary, "hooks", "status", "-q"], env=env,
                                       cwd=repos[name], capture_output=True)
                    if p.returncode != 0 or p.stderr:
                        fail(f"{name}: the recording in the background failed", p)

        # Sanity: every hooked commit was recorded, one operation each; idle wrote none.
        recorded = ops("hooked") - before["hooked"]
        for name in ("hooked", "sync"):
            if ops(name) - before[name] != WARMUP + args.rounds:
                fail(f"{name}: expected {WARMUP + args.rounds} recorded commits, "
                     f"found {ops(name) - before[name]}")
        if ops("idle") != before["idle"]:
            fail("the idle hooks wrote to refs/milestones")

    plain = statistics.median(times["plain"])
    plain_cpu = statistics.median(cpu["plain"])
    ratio = statistics.median(times["hooked"]) / plain
    git_version = subprocess.run(["git", "--version"], capture_output=True).stdout.decode().strip()
    print(f"rounds: {args.rounds} (+{WARMUP} warm-up), {git_version}, "
          f"commit events recorded: {recorded}")
    for name in names:
        xs = times[name]
        print(f"  git commit, {name:<6}  median {ms(statistics.median(xs)):7.2f} ms   "
              f"p90 {ms(p90(xs)):7.2f} ms   x{statistics.median(xs) / plain:.2f}   "
              f"CPU {ms(statistics.median(cpu[name])):6.2f} ms "
              f"x{statistics.median(cpu[name]) / plain_cpu:.2f}")
    print(f"ratio of medians (hooked / plain): {ratio:.2f}  (target <= {TARGET})")
    if args.check and ratio > TARGET:
        print(f"bench: ratio {ratio:.2f} exceeds target {TARGET}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
