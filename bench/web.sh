#!/bin/sh
# bench/web.sh - requests per second and p99 latency of `kflake serve`'s
# flakes page and /api/tests, measured with wrk against a database of at
# least 100,000 iterations (written by bench/gendb.c through the store
# and record API) while a writer process keeps inserting iterations.
#
#   KFLAKE=./kflake BENCH_ITERATIONS=100000 BENCH_SECONDS=10 sh bench/web.sh
set -eu
cd "$(dirname "$0")/.."

KFLAKE=${KFLAKE:-./kflake}
N=${BENCH_ITERATIONS:-100000}
SECS=${BENCH_SECONDS:-10}
THREADS=${BENCH_THREADS:-2}
CONNS=${BENCH_CONNECTIONS:-16}

command -v wrk >/dev/null || { echo "bench/web.sh: needs wrk" >&2; exit 1; }
[ -x "$KFLAKE" ] || { echo "bench/web.sh: no $KFLAKE (make, or set KFLAKE)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/kflake-bench-web.XXXXXX)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# Linked with every harness object by the Makefile, so it cannot drift.
make -s build/rel/bench/gendb || exit 1
cp build/rel/bench/gendb "$tmp/gendb"

db=$tmp/bench.db
"$tmp/gendb" "$db" "$N"

"$KFLAKE" serve --listen 127.0.0.1:0 --db "$db" >"$tmp/serve.out" &
pid=$!
url=
for _ in $(seq 1 100); do
	url=$(sed -n '1s/^listening on //p' "$tmp/serve.out")
	[ -n "$url" ] && break
	sleep 0.1
done
[ -n "$url" ] || { echo "bench/web.sh: server did not start" >&2; exit 1; }

printf '%-12s %10s %10s %10s %8s %s\n' path req/s p50 p99 non-2xx writer
for path in flakes api/tests; do
	"$tmp/gendb" --writer "$db" "$((SECS + 1))" >"$tmp/writer.out" &
	wpid=$!
	wrk -t"$THREADS" -c"$CONNS" -d"${SECS}s" --latency "$url$path" \
		>"$tmp/wrk.out"
	wait "$wpid"
	awk -v path="/$path" -v writer="$(cat "$tmp/writer.out")" '
		/Requests\/sec/ { rps = $2 }
		/^ +50%/ { p50 = $2 }
		/^ +99%/ { p99 = $2 }
		/Non-2xx/ { bad = $NF }
		END { printf "%-12s %10s %10s %10s %8d %s\n", path, rps, p50,
		      p99, bad, writer }' "$tmp/wrk.out"
done
echo "database: $(sqlite3 -readonly "$db" 'SELECT count(*) FROM iterations' 2>/dev/null || echo "$N+") iterations; $THREADS wrk threads, $CONNS connections, ${SECS}s each; $(nproc) CPUs"
