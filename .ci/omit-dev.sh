#!/usr/bin/env bash
# CI: the README's commands work after `npm ci --omit=dev` (issue 13, "dependencies as used"):
# whatever a command needs at run time must be a dependency, not a devDependency. Copies the
# tracked tree (as it is in the work tree) into a temporary folder, installs it without
# devDependencies (which also builds dist/ through `prepare`) and runs each command, checking its
# exit code: 1 where the README shows a seeded bug being caught. Needs only the npm registry.
# Prints one line per command; the output of a command that fails.
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Tracked files that exist (a file deleted but not yet committed is skipped).
git ls-files -z | while IFS= read -r -d '' f; do [[ -e $f ]] && printf '%s\0' "$f"; done |
  tar --null -T - -cf - | tar -xf - -C "$work"
cd "$work"

commands=0
# check EXIT COMMAND...: runs COMMAND, which must exit with EXIT. EXIT 'verdict' (for runs of a
# fault scenario in worker threads, whose faults fire on wall time: on a loaded machine a flow
# can miss its window and the run rightly fail) accepts 0 or 1 after a verdict line: the command
# ran to its end, which is what this script checks.
check() {
  local want=$1 got=0 start=$SECONDS
  shift
  "$@" >"$work/.out" 2>&1 </dev/null || got=$?
  commands=$((commands + 1))
  local held=no
  [[ $got == "$want" ]] && held=yes
  [[ $want == verdict && $got -le 1 ]] && grep -qi 'verdict' "$work/.out" && held=yes
  if [[ $held == no ]]; then
    cat "$work/.out"
    echo "omit-dev: FAIL (exit $got, expected $want): $*"
    exit 1
  fi
  echo "omit-dev: ok   ($((SECONDS - start)) s, exit $got) $*"
}

check 0 npm ci --omit=dev --no-audit --no-fund
[[ ! -e node_modules/vitest && ! -e node_modules/typescript ]] || {
  echo 'omit-dev: FAIL: devDependencies were installed'
  exit 1
}
[[ -e dist/main.js ]] || {
  echo 'omit-dev: FAIL: npm ci left no build in dist/'
  exit 1
}

# The README's quick start and commands table, in order.
check 0 npx spar --help
check 0 npm start
check 0 npx spar run guest-crash-reboot --runtime sim --seed 7
check verdict npx spar run iosp-reboot-storage --quiet
check verdict npx spar run iosp-reboot-network --quiet
check 1 npx spar run iosp-reboot-storage --runtime sim --quirk double-complete-on-resume --quiet
# With a seed, so the counterexample's file name is known.
check 1 npx spar fuzz net-recovery --quirk xmit-after-teardown --seed 1
check 1 npx spar replay failures/net-recovery-1.json
check 0 npx spar fuzz client-bus-convergence --runs 20 --seed 1
check 0 npx spar list
check 0 npx spar run --json --runtime sim
check 0 npx spar export --out tmp
check 0 npx spar schema
check 0 npx spar layout
echo "omit-dev: all $commands commands worked without devDependencies"
