#!/usr/bin/env bash
# The report in a real browser: generates the static site for a fixed demo history,
# opens index.html and a milestone page in headless Chromium, and checks that the SVG
# charts rendered, that nothing failed to load, and that the screenshots (light and
# dark scheme) have the expected size and are not blank. Prints "N passed, M failed".
#
#   bash tests/browser/run.sh           # the check (CI runs it from .ci/run)
#   bash tests/browser/run.sh --docs    # also writes docs/report.png for the README
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [ -z "$CHROMIUM" ]; then
  echo "browser: chromium is missing (.ci/run installs it: apt-get install -y chromium)" >&2
  exit 1
fi
cargo build --locked -q
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/git-milestone"
case "$BIN" in /*) ;; *) BIN="$ROOT/$BIN" ;; esac

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# A hermetic repository: no user or system config, a fixed identity.
export HOME="$WORK/home" XDG_CONFIG_HOME="$WORK/home/.config" GIT_CONFIG_NOSYSTEM=1 LC_ALL=C
export GIT_AUTHOR_NAME="Ada Lovelace" GIT_AUTHOR_EMAIL="ada@example.com"
export GIT_COMMITTER_NAME="Ada Lovelace" GIT_COMMITTER_EMAIL="ada@example.com"
mkdir -p "$HOME" "$WORK/repo"
git -C "$WORK/repo" init -q
at() { # at DAY ARGS…: one command on 2026-12-DAY
  local day=$1
  shift
  (cd "$WORK/repo" && GIT_COMMITTER_DATE="2026-12-${day}T10:00:00Z" "$BIN" -q "$@" >/dev/null)
}

# The fixed demo history: two milestones over three weeks; a task found later, a task
# reopened, points, a workflow task through an approval gate, a checkpoint.
at 01 init
at 01 new v1.0 --title "First release" --due 2026-12-24 --description "The API, search and docs."
at 01 task add v1.0 api --title "Build the API" --points 5
at 01 task add v1.0 cli --title "Command line" --points 3
at 01 task add v1.0 search --title "Full-text search" --kiro --points 8
at 02 task start v1.0 api
at 03 phase set v1.0 search design in_progress
at 04 task add v1.0 docs --title "Write the docs" --points 2
at 05 task complete v1.0 api
at 06 phase set v1.0 search design completed
at 06 phase advance v1.0 search
approval=$(cd "$WORK/repo" && "$BIN" approval list v1.0 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
at 07 approval approve "$approval" --role lead --comment "Looks good"
at 07 checkpoint create v1.0 design-approved
at 08 task start v1.0 cli
at 09 task add v1.0 packaging --title "Packages" --points 3
at 10 task complete v1.0 cli
at 11 task set v1.0 cli in_progress
at 12 task complete v1.0 cli
at 13 phase set v1.0 search spec in_progress
at 14 task start v1.0 docs
at 15 task complete v1.0 docs
at 01 new v2.0 --title "Second release" --due 2027-02-01
at 02 task add v2.0 plugins --title "Plugins"
at 02 task add v2.0 sync --title "Faster sync"
at 12 task complete v2.0 sync

OUT="$WORK/site"
(cd "$WORK/repo" && "$BIN" report --out "$OUT" --now 2026-12-16 >/dev/null)

passed=0
failed=0
check() { # check NAME COMMAND…
  local name=$1
  shift
  if "$@"; then
    passed=$((passed + 1))
    echo "ok   $name"
  else
    failed=$((failed + 1))
    echo "FAIL $name"
  fi
}

chromium() { # chromium PROFILE-DIR ARGS…: headless, offline, a profile of its own
  local profile=$1
  shift
  timeout 90 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --hide-scrollbars --user-data-dir="$profile" "$@"
}

dom() { # dom PAGE: the rendered DOM on stdout, the browser's log in PAGE.log
  chromium "$(mktemp -d -p "$WORK")" --enable-logging=stderr --v=0 --virtual-time-budget=2000 \
    --dump-dom "file://$OUT/$1" 2>"$WORK/$1.log"
}

shot() { # shot PAGE PNG WIDTH HEIGHT [EXTRA…]
  local page=$1 png=$2 width=$3 height=$4
  shift 4
  chromium "$(mktemp -d -p "$WORK")" --screenshot="$png" --window-size="$width,$height" "$@" \
    "file://$OUT/$page" >/dev/null 2>"$png.log"
}

rendered() { # rendered PAGE WHAT…: the DOM holds each WHAT
  local page=$1
  shift
  local html
  html=$(dom "$page") || return 1
  for what in "$@"; do
    grep -qF -- "$what" <<<"$html" || { echo "  $page: no $what in the rendered DOM" >&2; return 1; }
  done
}

nothing_failed() { # nothing_failed PAGE: no load errors logged, nothing to load at all
  local page=$1
  if grep -Ei 'Failed to load|net::ERR_|Uncaught|Refused to' "$WORK/$page.log" >&2; then
    return 1
  fi
  ! grep -Eq '<(script|img|link|iframe)\b| src=' "$OUT/$page"
}

picture() { # picture PNG WIDTH HEIGHT: the size expected, not blank; prints its mean
  python3 "$ROOT/tests/browser/png_stats.py" "$@"
}

check "index: SVG sparklines rendered" rendered index.html '<svg' 'class="spark"' 'milestone-v1.0.html'
check "index: nothing failed to load" nothing_failed index.html
check "page: burn-up, burndown and funnel rendered" rendered milestone-v1.0.html \
  '<title id="burnup-title">Burn-up of v1.0</title>' 'Burndown of v1.0' 'class="scope"' \
  'Phase funnel' 'unverified' 'design-approved'
check "page: nothing failed to load" nothing_failed milestone-v1.0.html

shot index.html "$WORK/index.png" 1000 500
shot milestone-v1.0.html "$WORK/page.png" 1000 1400
shot milestone-v1.0.html "$WORK/dark.png" 1000 1400 --force-dark-mode --blink-settings=preferredColorScheme=0
check "index screenshot: 1000x500, not blank" picture "$WORK/index.png" 1000 500
check "page screenshot: 1000x1400, not blank" picture "$WORK/page.png" 1000 1400
check "page screenshot, dark scheme: not blank, darker" \
  python3 "$ROOT/tests/browser/png_stats.py" "$WORK/dark.png" 1000 1400 --darker-than "$WORK/page.png"

if chromium "$(mktemp -d -p "$WORK")" --no-pdf-header-footer --print-to-pdf="$WORK/page.pdf" \
  "file://$OUT/milestone-v1.0.html" >/dev/null 2>&1; then
  check "page prints to PDF" python3 -c 'import sys; d=open(sys.argv[1],"rb").read(); sys.exit(not (d.startswith(b"%PDF") and len(d) > 10000))' "$WORK/page.pdf"
else
  check "page prints to PDF" false
fi

if [ "${1:-}" = "--docs" ]; then
  cp "$WORK/page.png" "$ROOT/docs/report.png"
  echo "wrote docs/report.png"
fi
echo "browser: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
