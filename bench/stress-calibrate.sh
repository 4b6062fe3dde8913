#!/bin/sh
# bench/stress-calibrate.sh - does any --stress mode make the real udpgro
# GSO stall show up? Runs udpgro_frglist.sh and udpgro_bench.sh on the
# kernel with the upstream fix (linux-source-6.1, 6.1.192: "fixed") and on
# the same kernel with the fix fully reverted (bench/udpgro-revert.mbox,
# applied as a series: "reverted"), plain and under each stress mode, and
# prints the table docs/STRESS.md keeps: stall and failure rates with 95%
# Wilson intervals, Fisher's two-sided p between the kernels, the stall
# snapshots' classes and the cost per iteration.
#
#   sh bench/stress-calibrate.sh [--db PATH] [--iterations N]
#       [--kernel fixed|reverted|both] [MODE...]
#   sh bench/stress-calibrate.sh --more N [--db PATH] [MODE...]
#   sh bench/stress-calibrate.sh --table [--db PATH] [MODE...]
#
# MODEs: none (plain) and the --stress modes (default: none throttle vcpus
# cpu jitter net mem). Adaptive, as the calibration was run:
#
#   first pass   N (default 10) iterations of both tests per mode and
#                kernel (`kflake run --ref COMMIT --stress MODE`).
#                --kernel picks one kernel, so that two sittings can run
#                the two kernels side by side under the same host load;
#   --more N     for every mode where either kernel stalled or failed:
#                `run --series --until decided --max N` (at most N more
#                iterations per test on both kernels under that stress,
#                stopping at the sequential test's verdict: regression,
#                improvement, or no 20-point rise), so Fisher's p between
#                them means something.
#
# A mode whose kernel already has N iterations in the database is
# skipped, so the calibration runs in sittings (one per mode: wrap
# each in /work/coord/heavy on a shared machine). Each sitting logs the
# host load in <db>.sittings: TCG timing depends on it. Results go to
# ~/.local/share/kflake/stress-calibration.db unless --db says otherwise.
# Cost: 2-5 minutes per iteration of the two tests on 2 busy cores.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
K=${KFLAKE:-$top/kflake}
mbox=$top/bench/udpgro-revert.mbox
db=${KFLAKE_CALIBRATION_DB:-$HOME/.local/share/kflake/stress-calibration.db}
n=10 more=0 table=0 kernels="fixed reverted"
while [ $# -gt 0 ]; do
	case $1 in
	--db) db=$2; shift 2 ;;
	--iterations) n=$2; shift 2 ;;
	--more) more=$2; shift 2 ;;
	--table) table=1; shift ;;
	--kernel)
		case $2 in
		fixed|reverted) kernels=$2 ;;
		both) kernels="fixed reverted" ;;
		*) echo "stress-calibrate: --kernel: '$2' is not fixed, reverted or both" >&2
		   exit 2 ;;
		esac
		shift 2 ;;
	-h|--help) sed -n '2,37p' "$0"; exit 0 ;;
	-*) echo "stress-calibrate: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
modes=${*:-none throttle vcpus cpu jitter net mem}
[ -x "$K" ] || { echo "stress-calibrate: build kflake first (make)"; exit 1; }
mkdir -p "$(dirname "$db")"

# The two kernels' commits: the series' base (fixed) and result (reverted).
json=$("$K" series fetch "$mbox" --db "$db" --json)
commit() {
	echo "$json" | python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}
fixed=$(commit base)
rev=$(commit result)

# count COMMIT STRESS OUTCOME...: iterations of one kernel under one mode
# (the values are bound, never spliced: a MODE comes from the command
# line).
count() {
	{
		printf '.param set ?1 "%s"\n.param set ?2 "%s"\n' "$1" "$2"
		shift 2
		printf "SELECT count(*) FROM iterations i JOIN runs r ON r.id = i.run_id WHERE r.commit_id = ?1 AND r.stress = ?2 AND i.outcome IN ('%s');\n" \
			"$(echo "$*" | sed "s/ /', '/g")"
	} | sqlite3 -batch -noheader "$db" 2>/dev/null || echo 0
}

if [ $table = 0 ]; then
	echo "$(date -u +%FT%TZ) start: load $(cut -d' ' -f1-3 /proc/loadavg)," \
		"modes: $modes, kernels: $kernels, n=$n, more=$more" >> "$db.sittings"
	for m in $modes; do
		s=$m
		[ "$m" = none ] && s=""
		if [ "$more" -gt 0 ]; then
			bad=$(($(count "$rev" "$s" fail stall crash) +
				$(count "$fixed" "$s" fail stall crash)))
			[ "$bad" -gt 0 ] || continue
			echo "== $m: up to $more more per kernel (load $(cut -d' ' -f1 /proc/loadavg))"
			"$K" run --series "$mbox" --stress "$m" --until decided \
				--max "$more" --db "$db" -q ||
				echo "stress-calibrate: $m: exit $?"
			echo "$(date -u +%FT%TZ) $m more done: load" \
				"$(cut -d' ' -f1-3 /proc/loadavg)" >> "$db.sittings"
		else
			for k in $kernels; do
				c=$fixed
				[ $k = reverted ] && c=$rev
				have=$(count "$c" "$s" pass fail stall crash skip)
				if [ "$have" -ge $((2 * n)) ]; then
					echo "== $m, $k: $have iterations on record, skipped"
					continue
				fi
				left=$((n - have / 2))
				echo "== $m, $k: $left per test (load $(cut -d' ' -f1 /proc/loadavg))"
				"$K" run --ref "$c" --stress "$m" --iterations "$left" \
					--db "$db" -q || echo "stress-calibrate: $m: exit $?"
				echo "$(date -u +%FT%TZ) $m $k done: load" \
					"$(cut -d' ' -f1-3 /proc/loadavg)" >> "$db.sittings"
			done
		fi
	done
fi

echo
echo "sittings (UTC, load averages 1/5/15 min):"
sed 's/^/  /' "$db.sittings" 2>/dev/null || true
python3 "$top/bench/stress-table.py" "$db" $modes
