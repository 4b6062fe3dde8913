#!/bin/sh
# bench/kill9.sh - the long form of e2e 95-kill9: KILL9_ROUNDS (default
# 10) rounds of SIGKILLs in each phase (build, boot, iteration, commit),
# 40 kills in all, against the ASan build (make SAN=1 build/san/kflake)
# and the cached default kernel. Prints each kill's phase and the time.
# Cost: ~5 min on a quiet machine.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
export KFLAKE="${KFLAKE:-$top/build/san/kflake}" KFLAKE_HOME="$top"
export E2E_WORK="$(mktemp -d /tmp/kflake-bench-kill9.XXXXXX)"
export E2E_DB="$E2E_WORK/e2e.db" E2E_OUT="$E2E_WORK/out"
export KFLAKE_DATA="$E2E_WORK/data" E2E_TESTS="$top/tests/e2e/tests"
export KILL9_ROUNDS="${KILL9_ROUNDS:-10}"
mkdir -p "$E2E_OUT"
start=$(date +%s)
if sh "$top/tests/e2e/95-kill9.sh" > "$E2E_WORK/kill9.log" 2>&1; then
	grep -E '^kill [0-9]+:|^kills in' "$E2E_WORK/kill9.log"
	echo "kill9: $((KILL9_ROUNDS * 4)) kills, all checks passed in $(( $(date +%s) - start )) s"
	rm -rf "$E2E_WORK"
else
	tail -n 20 "$E2E_WORK/kill9.log"
	echo "kill9: FAILED (log: $E2E_WORK/kill9.log)"
	exit 1
fi
