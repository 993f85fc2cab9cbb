#!/usr/bin/env python3
"""Benchmark: signed operations and `verify`.

Method
  Builds the release binary (`cargo build --release --locked`) and makes throw-away
  repositories (own HOME, GIT_CONFIG_NOSYSTEM=1, no inherited GIT_* variables) and an
  ed25519 ssh key with `ssh-keygen` (no passphrase).
  1. Signing cost: two repositories, one with `gpg.format=ssh`, `user.signingKey` and
     `milestone.sign=true`, one without. For N rounds it times one whole
     `git-milestone event add bench e` process in each, wall clock
     (time.perf_counter_ns() around subprocess.run()), order alternating per round,
     after a few untimed warm-up rounds. Ratio: median signed / median unsigned
     (target: at most 2.0).
  2. verify: the signed repository is grown to OPS ssh-signed operations (event adds),
     then, R times each: `git-milestone verify` cold (the signature cache,
     .git/milestone/signatures, removed first: every signature is checked in this
     process), `git-milestone verify` warm (the cache as the previous run left it),
     and `git rev-list --count refs/milestones` (the walk alone), interleaved. It
     prints the medians in seconds and as ratios against rev-list (the issue's
     targets: 2 s cold and 0.2 s warm for 10,000 operations on this machine's class).

Run
  python3 bench/trust.py                       # 100 rounds, 10,000 operations
  python3 bench/trust.py --rounds 50 --ops 2000

Exit status: 0, 2 when a process (or the setup) fails. Standard library only.
"""

import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from common import arguments, build_binary, git_repo, hermetic_env, ms, p90, run, timed

WARMUP = 5


def repository(bin_path, env, root, name, key=None):
    repo = root / name
    git_repo(repo, env, root, "-b", "main")
    if key:
        for k, v in [("gpg.format", "ssh"), ("user.signingKey", str(key)), ("milestone.sign", "true")]:
            run(["git", "config", k, v], env, repo)
    run([bin_path, "init"], env, repo)
    run([bin_path, "new", "bench"], env, repo)
    return repo


def signing_cost(bin_path, env, signed, unsigned, rounds):
    add = [bin_path, "event", "add", "bench", "e"]
    times = {"signed": [], "unsigned": []}
    for i in range(WARMUP + rounds):
        pair = [("signed", signed), ("unsigned", unsigned)]
        if i % 2:
            pair.reverse()
        for name, repo in pair:
            t = timed(add, env, repo).wall
            if i >= WARMUP:
                times[name].append(t)
    for name, xs in times.items():
        print(f"event add {name:<8}: median {ms(statistics.median(xs)):7.2f} ms   p90 {ms(p90(xs)):7.2f} ms")
    ratio = statistics.median(times["signed"]) / statistics.median(times["unsigned"])
    print(f"ratio signed/unsigned (medians): {ratio:.2f}   target <= 2.0")


def verify_cost(bin_path, env, repo, ops, rounds):
    have = int(run(["git", "rev-list", "--count", "refs/milestones"], env, repo))
    for _ in range(max(0, ops - have)):
        run([bin_path, "event", "add", "bench", "e"], env, repo)
    count = int(run(["git", "rev-list", "--count", "refs/milestones"], env, repo))
    cache = repo / ".git" / "milestone" / "signatures"
    times = {"cold": [], "warm": [], "rev-list": []}
    cpu = {name: [] for name in times}
    for _ in range(rounds):
        if cache.exists():
            cache.unlink()
        rev_list = ["git", "rev-list", "--count", "refs/milestones"]
        for name, cmd in (("cold", [bin_path, "verify"]), ("warm", [bin_path, "verify"]),
                          ("rev-list", rev_list)):
            t = timed(cmd, env, repo)
            times[name].append(t.wall)
            cpu[name].append(t.cpu / 1e9)
    base = statistics.median(times["rev-list"])
    print(f"verify of {count} ssh-signed operations:")
    for name, xs in times.items():
        m = statistics.median(xs)
        c = statistics.median(cpu[name])
        print(f"  {name:<8}: median {m / 1e9:6.3f} s (cpu {c:6.3f} s)   ratio to rev-list {m / base:7.1f}")


def main():
    parser = arguments(__doc__, 100, check=False)
    parser.add_argument("--ops", type=int, default=10_000)
    parser.add_argument("--verify-rounds", type=int, default=5)
    args = parser.parse_args()
    bin_path = build_binary()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        env = hermetic_env(root / "home")
        (root / "home").mkdir()
        key = root / "key"
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], env, root)
        signed = repository(bin_path, env, root, "signed", key)
        unsigned = repository(bin_path, env, root, "unsigned")
        signing_cost(bin_path, env, signed, unsigned, args.rounds)
        verify_cost(bin_path, env, signed, args.ops, args.verify_rounds)


if __name__ == "__main__":
    main()
