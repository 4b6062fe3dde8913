#!/bin/sh
# bench/boot.sh - QEMU start to guest ready (boots.ready_seconds), the
# median of BENCH_BOOTS (default 8) boots of the cached default kernel,
# each a one-iteration run of a test that passes at once.
#
#   sh bench/boot.sh                       # ./kflake
#   BENCH_COMPARE=/other/kflake sh bench/boot.sh
#
# With BENCH_COMPARE, boots of the two binaries alternate (A B B A ...),
# so a machine whose load changes meanwhile weighs on both alike; the
# other binary finds its runners through BENCH_COMPARE_HOME (default: the
# directory it is in). The machine is shared: compare medians measured
# in one sitting, never figures from different times.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
A=${KFLAKE:-$top/kflake}
B=${BENCH_COMPARE:-}
n=${BENCH_BOOTS:-8}
tmp=$(mktemp -d /tmp/kflake-bench-boot.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
quick=$top/tests/e2e/tests/quick-pass.sh

boot() { # BIN HOME DB
	KFLAKE_HOME=$2 "$1" run -q --iterations 1 --test "$quick" --db "$3" > /dev/null
}

median() { # DB
	sqlite3 "$1" "SELECT ready_seconds FROM boots WHERE ready_seconds IS NOT NULL ORDER BY ready_seconds" |
		awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

all() { # DB
	sqlite3 "$1" "SELECT printf('%.2f', ready_seconds) FROM boots ORDER BY id" | tr '\n' ' '
}

i=0
while [ $i -lt "$n" ]; do
	if [ -n "$B" ] && [ $((i % 4)) -ge 1 ] && [ $((i % 4)) -le 2 ]; then
		boot "$B" "${BENCH_COMPARE_HOME:-$(dirname "$B")}" "$tmp/b.db"
		boot "$A" "$top" "$tmp/a.db"
	else
		boot "$A" "$top" "$tmp/a.db"
		[ -z "$B" ] || boot "$B" "${BENCH_COMPARE_HOME:-$(dirname "$B")}" "$tmp/b.db"
	fi
	i=$((i + 1))
done
echo "boot to ready, $A: median $(median "$tmp/a.db") s (each: $(all "$tmp/a.db"))"
[ -z "$B" ] || echo "boot to ready, $B: median $(median "$tmp/b.db") s (each: $(all "$tmp/b.db"))"
echo "load average: $(uptime | sed 's/.*average: //')"
