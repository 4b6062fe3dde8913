#!/bin/sh
# bench/web.sh - requests per second and latency of `kflake serve`'s
# /flakes page and /api/tests, measured with wrk (keep-alive) against
# databases of 100,000 and 1,000,000 iterations (written by bench/gendb.c
# through the store and record API, so the kept tallies are as a run
# leaves them) while a writer commits 10 iterations a second, each in its
# own transaction (ten times the fastest real run).
#
# For each size it prints: the cached server under load (2 wrk threads,
# 16 connections), a reply that misses the cache (the server run with
# KFLAKE_WEB_CACHE=0, one connection, so every reply is made afresh), and
# the same cached load with keep-alive off ("Connection: close"), which
# is what keep-alive saves. "rss" is the server's resident memory after
# the measurement and "peak" its high-water mark (VmRSS, VmHWM), in MiB:
# what the reply cache costs. Targets (issue 14): at 1M, /flakes and
# /api/tests >= 2,000 req/s with p99 <= 20 ms; a miss <= 5 ms.
#
#   KFLAKE=./kflake BENCH_SIZES="100000 1000000" BENCH_SECONDS=10 sh bench/web.sh
set -eu
cd "$(dirname "$0")/.."

KFLAKE=${KFLAKE:-./kflake}
SIZES=${BENCH_SIZES:-100000 1000000}
SECS=${BENCH_SECONDS:-10}
THREADS=${BENCH_THREADS:-2}
CONNS=${BENCH_CONNECTIONS:-16}
RATE=${BENCH_WRITE_RATE:-10}

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

serve() {	# db [env...]: start a server, set $url and $pid
	db=$1
	shift
	env "$@" "$KFLAKE" serve --listen 127.0.0.1:0 --db "$db" \
		>"$tmp/serve.out" 2>"$tmp/serve.err" &
	pid=$!
	url=
	for _ in $(seq 1 100); do
		url=$(sed -n '1s/^listening on //p' "$tmp/serve.out")
		[ -n "$url" ] && return 0
		sleep 0.1
	done
	echo "bench/web.sh: server did not start: $(cat "$tmp/serve.err")" >&2
	exit 1
}

unserve() {
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null || true
	pid=
}

# mib FIELD: the server's VmRSS or VmHWM in MiB
mib() {
	awk -v f="$1:" '$1 == f { printf "%d", $2 / 1024 }' "/proc/$pid/status"
}

# measure LABEL PATH THREADS CONNS [wrk options]: one line of figures
measure() {
	label=$1 path=$2 t=$3 c=$4
	shift 4
	"$tmp/gendb" --writer "$db" "$((SECS + 1))" "$RATE" >"$tmp/writer.out" &
	wpid=$!
	wrk -t"$t" -c"$c" -d"${SECS}s" --latency "$@" "$url$path" >"$tmp/wrk.out"
	wait "$wpid"
	awk -v label="$label" -v path="/$path" -v writer="$(cat "$tmp/writer.out")" \
	    -v rss="$(mib VmRSS)" -v peak="$(mib VmHWM)" '
		/Requests\/sec/ { rps = $2 }
		/^ +50%/ { p50 = $2 }
		/^ +99%/ { p99 = $2 }
		/Non-2xx/ { bad = $NF }
		END { printf "%-10s %-10s %10s %9s %9s %8d %5s %5s  %s\n", label,
		      path, rps, p50, p99, bad, rss, peak, writer }' "$tmp/wrk.out"
}

echo "$(nproc) CPUs; wrk $THREADS threads x $CONNS connections, ${SECS}s each; writer $RATE iterations/s"
for n in $SIZES; do
	db=$tmp/bench-$n.db
	start=$(date +%s)
	"$tmp/gendb" "$db" "$n" >"$tmp/gen.out"
	echo
	echo "== $(sqlite3 -readonly "$db" 'SELECT count(*) FROM iterations' 2>/dev/null || echo "$n+") iterations, $(sqlite3 -readonly "$db" 'SELECT count(*) FROM tallies' 2>/dev/null || echo '?') tally rows (generated in $(( $(date +%s) - start )) s)"
	printf '%-10s %-10s %10s %9s %9s %8s %5s %5s  %s\n' mode path req/s p50 p99 non-2xx rss peak writer
	serve "$db"
	measure cached flakes "$THREADS" "$CONNS"
	measure cached api/tests "$THREADS" "$CONNS"
	measure no-keepalv api/tests "$THREADS" "$CONNS" -H "Connection: close"
	unserve
	serve "$db" KFLAKE_WEB_CACHE=0
	measure miss flakes 1 1
	measure miss api/tests 1 1
	unserve
	rm -f "$db" "$db-wal" "$db-shm"
done
