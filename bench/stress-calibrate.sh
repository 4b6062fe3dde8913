#!/bin/sh
# bench/stress-calibrate.sh - does any --stress mode make the real udpgro
# GSO stall show up? Runs udpgro_frglist.sh and udpgro_bench.sh on the
# kernel with the upstream fix (linux-source-6.1, 6.1.192) and on the same
# kernel with the fix fully reverted (bench/udpgro-revert.mbox, applied as
# a series), plain and under each stress mode, and prints the table
# docs/STRESS.md keeps: stall and failure rates with 95% Wilson intervals,
# Fisher's two-sided p between the kernels, stall signatures, and the cost
# per iteration.
#
#   sh bench/stress-calibrate.sh [--db PATH] [--iterations N] [MODE...]
#   sh bench/stress-calibrate.sh --table [--db PATH] [MODE...]
#
# MODEs: none (plain) and the --stress modes (default: none throttle vcpus
# cpu jitter net mem). Each mode is one `kflake run --series` of N (default
# 10) iterations per kernel; the series' base run is skipped when the
# database already holds N comparable iterations (same stress). Adaptive,
# as the calibration was run: a first pass of 10 for every mode, then more
# only for modes where something stalled or failed:
#
#   sh bench/stress-calibrate.sh                       # 10 per kernel/mode
#   sh bench/stress-calibrate.sh --more 20             # +20 where any failed
#
# Results accumulate in the database (default ~/.local/share/kflake/
# stress-calibration.db), so it can run in sittings; each sitting logs the
# host load (TCG timing depends on it) in <db>.sittings. About 25 minutes
# per mode and pass at 10 iterations on 2 idle cores, more under stress.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
K=${KFLAKE:-$top/kflake}
mbox=$top/bench/udpgro-revert.mbox
db=${KFLAKE_CALIBRATION_DB:-$HOME/.local/share/kflake/stress-calibration.db}
n=10 more=0 table=0
while [ $# -gt 0 ]; do
	case $1 in
	--db) db=$2; shift 2 ;;
	--iterations) n=$2; shift 2 ;;
	--more) more=$2; shift 2 ;;
	--table) table=1; shift ;;
	-h|--help) sed -n '2,30p' "$0"; exit 0 ;;
	-*) echo "stress-calibrate: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
modes=${*:-none throttle vcpus cpu jitter net mem}
[ -x "$K" ] || { echo "stress-calibrate: build kflake first (make)"; exit 1; }
mkdir -p "$(dirname "$db")"

# Counted iterations and failures of each side under a stress, from the
# database: "<failed> <counted>" for the series (reverted) kernel.
failed_any() {
	sqlite3 "$db" "SELECT count(*) FROM iterations i JOIN runs r ON
		r.id = i.run_id WHERE r.stress = '$1' AND i.outcome IN
		('fail', 'stall', 'crash')" 2>/dev/null || echo 0
}

if [ $table = 0 ]; then
	echo "$(date -u +%FT%TZ) start: $(cut -d' ' -f1-3 /proc/loadavg) load," \
		"modes: $modes, n=$n, more=$more" >> "$db.sittings"
	for m in $modes; do
		s=$m
		[ "$m" = none ] && s=""
		iters=$n
		if [ "$more" -gt 0 ]; then
			[ "$(failed_any "$s")" -gt 0 ] || continue
			iters=$more
		fi
		echo "== $m: $iters iteration(s) per kernel (load $(cut -d' ' -f1 /proc/loadavg))"
		"$K" run --series "$mbox" --stress "$m" --iterations "$iters" \
			--db "$db" -q || echo "stress-calibrate: $m: kflake exited $?"
		echo "$(date -u +%FT%TZ) $m done: $(cut -d' ' -f1-3 /proc/loadavg) load" \
			>> "$db.sittings"
	done
fi

echo
echo "sittings (UTC, load averages 1/5/15 min):"
sed 's/^/  /' "$db.sittings" 2>/dev/null || true
python3 "$top/bench/stress-table.py" "$db" $modes
