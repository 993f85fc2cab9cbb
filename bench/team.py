#!/usr/bin/env python3
"""Benchmark: a team of 16 clones, 50 rounds each, syncing at once against one server.

Method
  Runs the integration test `team::team_of_sixteen_converges` (tests/it/team.rs) built
  in release mode, with MILESTONE_TEAM_ROUNDS=50 (and MILESTONE_TEAM_CLONES,
  MILESTONE_TEAM_TRANSPORT=http|ssh when given). The test starts the server itself on
  127.0.0.1 (lighttpd + git http-backend with basic authentication, or sshd), makes
  the clones, and runs them concurrently: each round is one to three random operations
  (tasks, workflow phases through an approved gate, events, saved state, a commit whose
  trailer moves a task through the post-commit hook) and a `git milestone sync`. Then
  every clone syncs until all agree, and the test checks one tree and one timeline
  everywhere, every acknowledged operation in the final history with its effect, a
  server ref that only moved forward (its reflog), and `git fsck` on the server. One
  implementation serves CI (3 rounds) and this benchmark.
  With MILESTONE_TEAM_REPORT set, the test also times 21 no-op `git milestone sync`
  against 21 no-op `git fetch` + `git push` of the same refs, interleaved, medians, and
  writes its figures as JSON. This script prints them and checks them against the
  targets: p99 sync latency <= 5x p50, <= 20% of syncs retried, and the no-op ratio
  <= 1.5x. Each clone pushes its own ref (refs/meta/milestones-by/<id>), so a retry
  happens only when that push is refused; "left the shared ref to a later sync"
  counts pushes whose offer to move refs/meta/milestones lost to a teammate's.

Run
  python3 bench/team.py                      # 16 clones, 50 rounds, HTTP
  python3 bench/team.py --rounds 10 --transport ssh
  python3 bench/team.py --check              # exit 1 if a target is missed
  python3 bench/team.py --json team.json     # keep every figure
  python3 bench/team.py --keep DIR           # keep the history, for team_history.py
  python3 bench/team.py --rebase             # the clones sync with milestone.syncRebase

Standard library only (the test needs lighttpd or openssh-server; see README.md).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

from common import ROOT, fail


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clones", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=50)
    ap.add_argument("--transport", choices=["http", "ssh"], default="http")
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--json", help="also write the figures to this file")
    ap.add_argument("--keep", help="keep the server's history and every sync here")
    ap.add_argument("--rebase", action="store_true",
                    help="the clones sync in rebase mode (milestone.syncRebase)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="git-milestone-team-") as tmp:
        report = os.path.join(tmp, "team.json")
        env = dict(os.environ, MILESTONE_TEAM_ROUNDS=str(args.rounds),
                   MILESTONE_TEAM_CLONES=str(args.clones),
                   MILESTONE_TEAM_TRANSPORT=args.transport, MILESTONE_TEAM_REPORT=report)
        if args.keep:
            env["MILESTONE_TEAM_KEEP"] = os.path.abspath(args.keep)
        if args.rebase:
            env["MILESTONE_TEAM_REBASE"] = "1"
        p = subprocess.run(["cargo", "test", "--release", "--locked", "--test", "it", "--",
                            "team::team_of_sixteen_converges", "--exact", "--nocapture"],
                           cwd=ROOT, env=env, capture_output=True)
        if p.returncode != 0 or not os.path.exists(report):
            fail("the team test failed", p.stdout + p.stderr)
        figures = json.load(open(report))
    f = figures
    retried_share = f["syncs_retried"] / f["syncs"]
    rows = [
        ("operations acknowledged", f"{f['operations']}", None),
        ("seconds until converged", f"{f['seconds_converged']:.1f}", None),
        ("operations per second, converged", f"{f['ops_per_second_converged']:.2f}", None),
        ("syncs", f"{f['syncs']}", None),
        ("sync latency p50 ms", f"{f['sync_p50_ms']:.0f}", None),
        ("sync latency p99 ms", f"{f['sync_p99_ms']:.0f}", None),
        ("p99 / p50", f"{f['sync_p99_ms'] / f['sync_p50_ms']:.2f}",
         f["sync_p99_ms"] / f["sync_p50_ms"] <= 5),
        ("syncs that retried their push", f"{f['syncs_retried']} ({retried_share:.0%})",
         retried_share <= 0.20),
        ("retries in all, most in one sync", f"{f['retries']}, {f['max_retries']}", None),
        ("commits in the final history, of which merges",
         f"{f.get('history_commits', '?')}, {f.get('merge_commits', '?')}", None),
        ("syncs that left the shared ref to a later sync",
         f"{f.get('shared_behind', 0)} ({f.get('shared_behind', 0) / f['syncs']:.0%})", None),
        ("no-op sync ms / no-op git fetch + git push ms",
         f"{f['noop_sync_ms']:.1f} / {f['noop_fetch_push_ms']:.1f} = {f['noop_ratio']:.2f}",
         f["noop_ratio"] <= 1.5),
    ]
    mode = "rebase mode" if args.rebase else "merging"
    print(f"{args.clones} clones × {args.rounds} rounds over {args.transport}, {mode}")
    for name, value, ok in rows:
        mark = "" if ok is None else ("  ok" if ok else "  MISSED")
        print(f"{name:<48} {value}{mark}")
    print("slowest syncs (ms, clone, its n-th sync, operations merged or re-applied, "
          "what it did):")
    for s in f.get("slowest_syncs", []):
        did = [k for k in ("fast_forward", "merged", "rebased", "pushed", "shared_behind")
               if s.get(k)]
        print(f"  {s['ms']:8.0f}  clone {s['clone']:2}  sync {s['sync']:3}  "
              f"{s['ops_merged'] + (s.get('rebased') or 0):5}  {' '.join(did)}")
    if args.json:
        with open(args.json, "w") as out:
            json.dump(f, out, indent=2)
    if args.check and not all(ok for _, _, ok in rows if ok is not None):
        sys.exit(1)


if __name__ == "__main__":
    main()
