"""What the benchmarks share: the release binary, a hermetic environment for git, setup
steps that must succeed, one way to time a whole process, interleaved comparisons, and
the small helpers of their figures. Standard library only."""

import argparse
import contextlib
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent


def fail(msg, detail=None):
    """Stops the benchmark with exit status 2: `msg`, then what the failed process said
    (a completed process, or its stderr as bytes or text)."""
    print(f"bench: {msg}", file=sys.stderr)
    if isinstance(detail, subprocess.CompletedProcess):
        detail = detail.stderr
    if isinstance(detail, bytes):
        detail = detail.decode(errors="replace")
    if detail:
        sys.stderr.write(detail)
    sys.exit(2)


def run(cmd, env, cwd):
    """A setup step: it must succeed; its stdout, stripped."""
    p = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True)
    if p.returncode != 0:
        fail(f"setup failed: {' '.join(map(str, cmd))}", p)
    return p.stdout.decode().strip()


def build_binary():
    """Builds the release binary (with the caller's environment: cargo needs the real
    HOME) and returns its absolute path."""
    if subprocess.run(["cargo", "build", "--release", "--locked", "-q"], cwd=ROOT).returncode != 0:
        fail("cargo build failed")
    target_dir = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    return str((ROOT / target_dir / "release" / "git-milestone").resolve())


def hermetic_env(home):
    """The environment for the timed repositories: HOME is `home`, no user or system git
    config, no GIT_* variables leaking in (e.g. when run from a hook), C locale."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home), GIT_CONFIG_NOSYSTEM="1", LC_ALL="C")
    return env


def ms(ns):
    return ns / 1e6


def p90(xs):
    s = sorted(xs)
    return s[math.ceil(0.9 * len(s)) - 1]  # nearest rank


def median_ms(xs):
    return ms(statistics.median(xs))


def arguments(doc, rounds, target=None, check=True):
    """The parser every benchmark starts from: --rounds (default `rounds`, or
    BENCH_ROUNDS) and, where it has targets, --check (or BENCH_CHECK=1: exit 1 when a
    target is missed; `target` says which)."""
    ap = argparse.ArgumentParser(description=doc.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_ROUNDS", rounds)))
    if check:
        ap.add_argument("--check", action="store_true",
                        default=os.environ.get("BENCH_CHECK") == "1",
                        help="exit 1 when a target is missed" + (f": {target}" if target else ""))
    return ap


@contextlib.contextmanager
def workbench(ap, prefix):
    """The opening every benchmark's main() shares: `ap`'s arguments (--rounds at least
    1), the release binary, and a temporary folder with a hermetic environment for git.
    Yields (args, binary, tmp, env)."""
    args = ap.parse_args()
    if args.rounds < 1:
        ap.error("--rounds must be at least 1")
    # A benchmark that offers --binary can time an older build instead of this one.
    given = getattr(args, "binary", None)
    binary = os.path.abspath(given) if given else build_binary()
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        yield args, binary, tmp, hermetic_env(tmp)


def git_repo(path, env, cwd, *init_args):
    """A new repository at `path` with the benchmark's user; `init_args` go to git init."""
    run(["git", "init", "-q", *init_args, str(path)], env, cwd)
    run(["git", "config", "user.name", "Bench"], env, path)
    run(["git", "config", "user.email", "bench@example.invalid"], env, path)
    return path


class Timed(NamedTuple):
    """One whole process: wall clock (ns, monotonic), its own CPU time (user + system,
    ns), its peak resident memory (bytes) and what it printed."""
    wall: int
    cpu: int
    peak: int
    stdout: str


def timed(cmd, env, cwd, quiet=False):
    """Runs one whole process and measures it (see `Timed`). A process that fails (or,
    with `quiet`, says anything at all) stops the benchmark. stdout goes to a file, so
    a process that prints much never waits on us."""
    with tempfile.TemporaryFile() as out:
        t0 = time.perf_counter_ns()
        p = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=subprocess.PIPE)
        err = p.stderr.read()
        p.stderr.close()
        _, status, usage = os.wait4(p.pid, 0)
        t1 = time.perf_counter_ns()
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        stdout = out.read().decode(errors="replace")
    if p.returncode != 0 or (quiet and (err or stdout)):
        fail(f"exit {p.returncode}{' or output' if quiet else ''}: {' '.join(map(str, cmd))}",
             err or stdout)
    cpu = int((usage.ru_utime + usage.ru_stime) * 1e9)
    return Timed(t1 - t0, cpu, usage.ru_maxrss * 1024, stdout)


def interleaved(ours, theirs, rounds, env, warmup=1):
    """Times `ours` and `theirs`, each a (command line, or a function giving the next
    one, folder), in the same rounds, the order alternating per round, so that drift
    in load or caches hits both alike; `warmup` untimed rounds first. Returns the two
    lists of `Timed`."""
    def line(cmd):
        return cmd() if callable(cmd) else cmd

    a, b = [], []
    for i in range(warmup + rounds):
        pair = [(ours, a), (theirs, b)]
        for (cmd, cwd), out in (pair if i % 2 == 0 else pair[::-1]):
            t = timed(line(cmd), env, cwd)
            if i >= warmup:
                out.append(t)
    return a, b


def walls(ts):
    return [t.wall for t in ts]
