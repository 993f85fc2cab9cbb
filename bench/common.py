"""What the benchmarks share: the release binary, a hermetic environment for git, setup
steps that must succeed, and the small helpers of their figures. Standard library
only; each script times its processes in its own way."""

import math
import os
import subprocess
import sys
from pathlib import Path

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
