#!/usr/bin/env python3
"""Reads what a team run kept, to say where its syncs' time went.

Method
  `python3 bench/team.py --keep DIR` (or the team test with MILESTONE_TEAM_KEEP=DIR)
  leaves the server's repository (DIR/remote.git) and every sync's details
  (DIR/syncs.json). For each merge commit of the shared ref this script counts the
  operations a check of it replays (those of its parents that its merge base lacks;
  `git merge-base` folded over the parents, which picks one base where there are
  several, as libgit2 does, though not always the same one) against the operations
  its parents differ by (in some parent, not in all), and how many merges have
  several merge bases, per quarter of the history. From the syncs it gives, per fifth
  of the run, the median and slowest sync and the operations their merges replayed,
  and per clone how often its offer to move the shared ref won.

Run
  python3 bench/team.py --rounds 30 --keep /tmp/team-run
  python3 bench/team_history.py /tmp/team-run

Standard library only; needs git.
"""

import json
import os
import statistics
import subprocess
import sys

SHARED = "refs/meta/milestones"


def git(repo, *args):
    return subprocess.run(["git", "-C", repo, *args], capture_output=True, text=True,
                          check=True).stdout


def merges(repo):
    """(parents, replayed, differ, bases) for each merge, oldest first."""
    operations = set(git(repo, "rev-list", "--no-merges", SHARED).split())
    reachable = {}

    def ops(commit):
        if commit not in reachable:
            reachable[commit] = operations.intersection(git(repo, "rev-list", commit).split())
        return reachable[commit]

    rows = []
    for line in git(repo, "rev-list", "--merges", "--reverse", "--parents", SHARED).splitlines():
        _, *parents = line.split()
        base, bases = parents[0], 1
        for parent in parents[1:]:
            found = subprocess.run(["git", "-C", repo, "merge-base", "--all", base, parent],
                                   capture_output=True, text=True).stdout.split()
            if not found:
                base = None
                break
            bases = max(bases, len(found))
            base = found[0]
        union = set().union(*(ops(p) for p in parents))
        common = set.intersection(*(ops(p) for p in parents))
        replayed = len(union - (ops(base) if base else set()))
        rows.append((len(parents), replayed, len(union - common), bases))
    return rows


def parts(items, count):
    size = max(1, len(items) // count)
    return [items[i * size:(i + 1) * size if i < count - 1 else len(items)]
            for i in range(count)]


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    keep = sys.argv[1]
    for kept in ("remote.git", "syncs.json"):
        if not os.path.exists(os.path.join(keep, kept)):
            sys.exit(f"{keep} has no {kept}: keep a run with `bench/team.py --keep {keep}`")
    rows = merges(os.path.join(keep, "remote.git"))
    print(f"{len(rows)} merges, {sum(r[0] > 2 for r in rows)} of more than two parents, "
          f"{sum(r[3] > 1 for r in rows)} with several merge bases")
    print("quarter  replayed (mean)  parents differ by (mean)  several bases")
    for i, part in enumerate(parts(rows, 4)):
        if part:
            print(f"{i + 1:7}  {statistics.mean(r[1] for r in part):15.1f}  "
                  f"{statistics.mean(r[2] for r in part):24.1f}  "
                  f"{sum(r[3] > 1 for r in part):13}")
    with open(os.path.join(keep, "syncs.json")) as f:
        syncs = json.load(f)
    syncs.sort(key=lambda s: s["sync"])
    print("\nfifth  syncs  median s  slowest s  ops replayed or re-applied (median, max)")
    for i, part in enumerate(parts(syncs, 5)):
        if part:
            ms = sorted(s["ms"] for s in part)
            ops = sorted(s["ops_merged"] + (s.get("rebased") or 0) for s in part)
            print(f"{i + 1:5}  {len(part):5}  {statistics.median(ms) / 1000:8.2f}  "
                  f"{ms[-1] / 1000:9.2f}  {statistics.median(ops):6.0f}, {ops[-1]}")
    print("\nclone  syncs  offers won")
    for clone in sorted({s["clone"] for s in syncs}):
        own = [s for s in syncs if s["clone"] == clone]
        won = sum(1 for s in own if s["pushed"] and not s["shared_behind"])
        print(f"{clone:5}  {len(own):5}  {won:10}")


if __name__ == "__main__":
    main()
