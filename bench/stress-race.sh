#!/bin/sh
# bench/stress-race.sh - the amplification factor of every --stress mode
# on a controllable race (tests/e2e/tests/race.c: a nice-19 worker with a
# 2 ms window between check and use, an RT reaper that frees 15 ms after
# the check). Runs RACE_N (default 40) iterations plain and under each
# mode on the cached default kernel, then prints per mode: failures,
# rate with its 95% Wilson interval, the factor over the plain rate, the
# one-sided Fisher p against plain, and the median iteration time (the
# cost). Only race's own verdict counts ("USE AFTER FREE", exit 1: hit;
# "no race", exit 0: miss); iterations with neither (it could not run)
# are listed as not measured. Uses its own database; the host load goes
# with the figures, since TCG timing depends on it.
#
#   sh bench/stress-race.sh [MODE...]     (default: none and every mode)
#   RACE_N=20                 iterations per mode
#   RACE_HOST_LOAD=2          stress-ng --cpu 2 on the host meanwhile
#   RACE_CFLAGS=-DDELAY_US=N  a resized race (race.c's WINDOW_US,
#                             DELAY_US, RUN_MS)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
K=${KFLAKE:-$top/kflake}
[ -x "$K" ] || { echo "stress-race: build kflake first (make)"; exit 1; }
n=${RACE_N:-40}
tmp=$(mktemp -d /tmp/kflake-stress-race.XXXXXX)
# The sandboxed QEMU runs as nobody: it must reach the race binary.
chmod 755 "$tmp"
db=${RACE_DB:-$tmp/race.db}
load=
trap 'rm -rf "$tmp"; [ -z "$load" ] || kill "$load" 2>/dev/null' EXIT
modes=${*:-none cpu jitter mem net throttle vcpus}

gcc -O2 -static -pthread ${RACE_CFLAGS:-} -o "$tmp/race" \
	"$top/tests/e2e/tests/race.c"
chmod 755 "$tmp/race"
echo "== race amplification: $n iterations per mode, $(nproc) host CPUs${RACE_CFLAGS:+, $RACE_CFLAGS}"
if [ -n "${RACE_HOST_LOAD:-}" ]; then
	stress-ng --cpu "$RACE_HOST_LOAD" --timeout 3600 -q &
	load=$!
	echo "host load: stress-ng --cpu $RACE_HOST_LOAD"
	sleep 20
fi
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for m in $modes; do
	"$K" run --iterations "$n" --test "$tmp/race" --stress "$m" \
		--db "$db" -q > "$tmp/$m.log" 2>&1 ||
		{ echo "stress-race: the run under $m failed:"; tail -5 "$tmp/$m.log"; exit 1; }
	echo "  $m done (load $(cut -d' ' -f1 /proc/loadavg))"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$db" $modes <<'EOF'
import math, sqlite3, sys

db, modes = sys.argv[1], sys.argv[2:]
con = sqlite3.connect(db)

def wilson(k, n, z=1.959964):
    if n == 0:
        return 0.0, 1.0
    p = k / n
    c = (p + z * z / (2 * n)) / (1 + z * z / n)
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, c - h), min(1.0, c + h)

def fisher_greater(k1, n1, k2, n2):
    """P(the stressed side has k2 or more of the K failures)."""
    K, N = k1 + k2, n1 + n2
    return sum(math.comb(n2, x) * math.comb(n1, K - x)
               for x in range(k2, min(K, n2) + 1)) / math.comb(N, K)

rows = {}
for m in modes:
    stress = "" if m == "none" else m
    k, n, bad = con.execute(
        "SELECT sum(hit), sum(hit OR miss), sum(NOT (hit OR miss)) FROM "
        "(SELECT i.outcome = 'fail' AND i.rc = 1 AND "
        "i.output LIKE '%USE AFTER FREE%' AS hit, i.outcome = 'pass' AND "
        "i.rc = 0 AND i.output LIKE '%: no race%' AS miss "
        "FROM iterations i JOIN runs r ON r.id = i.run_id "
        "WHERE r.stress = ?)", (stress,)).fetchone()
    d = sorted(x for (x,) in con.execute(
        "SELECT i.duration FROM iterations i JOIN runs r ON "
        "r.id = i.run_id WHERE r.stress = ?", (stress,)))
    rows[m] = (k or 0, n or 0, bad or 0, d[len(d) // 2] if d else 0)

base = rows.get("none")
print("%-9s %9s %8s %17s %8s %10s %9s %5s" % ("mode", "failed", "rate",
      "95% CI", "factor", "Fisher p", "median s", "n/m"))
for m in modes:
    k, n, bad, med = rows[m]
    lo, hi = wilson(k, n)
    rate = k / n if n else 0
    if base and m != "none" and base[1]:
        b = base[0] / base[1]
        factor = "%.1fx" % (rate / b) if b > 0 else ("inf" if rate else "-")
        p = "%.2g" % fisher_greater(base[0], base[1], k, n)
    else:
        factor, p = "-", "-"
    print("%-9s %4d/%-4d %7.1f%% [%5.1f%%, %5.1f%%] %8s %10s %9.1f %5d" % (
          m, k, n, 100 * rate, 100 * lo, 100 * hi, factor, p, med, bad))
print("(n/m: iterations that did not run the race to a verdict)")
EOF
