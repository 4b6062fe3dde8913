#!/bin/sh
# bench/vms.sh - parallel guests on this host (docs/SCALING.md): for N = 1,
# 2, 3 guests at once (--vms N), the same number of iterations of one
# test, and per N:
#   - iterations per hour (process start to end, boots included);
#   - CPU per guest: QEMU's user+system time over the run's wall time
#     (1.00 = one host core busy all the time), from /proc/<pid>/stat of
#     every QEMU of the run, sampled each second;
#   - memory per guest: each QEMU's peak resident set (VmHWM);
#   - the test's median runtime inside the guest, which shows what
#     sharing cores costs each guest.
# The host's load average is printed too: on a shared machine the
# figures are only as quiet as the machine was.
#
#   BENCH_VMS_TEST   test (default net:udpgro_frglist.sh)
#   BENCH_VMS_ITER   iterations per N (default 6)
#   BENCH_VMS_LIST   guest counts (default "1 2 3")
#   BENCH_VMS_CPUS   vCPUs per guest (default 2: on 2 cores N >= 2 then
#                    oversubscribes; 1 shows N guests that do not)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
K=${KFLAKE:-$top/kflake}
[ -x "$K" ] || { echo "bench: build kflake first (make)"; exit 1; }
test=${BENCH_VMS_TEST:-net:udpgro_frglist.sh}
iters=${BENCH_VMS_ITER:-6}
list=${BENCH_VMS_LIST:-1 2 3}
cpus=${BENCH_VMS_CPUS:-2}
tmp=$(mktemp -d /tmp/kflake-bench-vms.XXXXXX)
db=$tmp/bench.db
trap 'rm -rf "$tmp"' EXIT
hz=$(getconf CLK_TCK)

# Tree, kernel and payload in the cache first (not part of any figure).
"$K" run --iterations 1 --cpus "$cpus" --test "$test" --db "$db" -q > /dev/null

# sample KPID OUT: each second, every QEMU of kflake KPID (named
# kflake-KPID-N, under bwrap): "pid cpu_ticks hwm_kb", last wins.
sample() {
	while kill -0 "$1" 2>/dev/null; do
		for p in $(pgrep -f "^qemu-system[^ ]* -name kflake-$1-[0-9]" || true); do
			t=$(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null) || continue
			m=$(awk '/^VmHWM/ { print $2 }' "/proc/$p/status" 2>/dev/null) || continue
			[ -n "$t" ] && [ -n "$m" ] && echo "$p $t $m"
		done >> "$2"
		sleep 1
	done
}

echo "== parallel guests: $iters x $test per N, $(nproc) host CPUs, guest $cpus vCPU(s) 2048 MB"
for n in $list; do
	: > "$tmp/samples.$n"
	t0=$(date +%s.%N)
	"$K" run --vms "$n" --cpus "$cpus" --iterations "$iters" --test "$test" --db "$db" \
		-q > "$tmp/run.$n" 2>&1 &
	kpid=$!
	sample "$kpid" "$tmp/samples.$n" &
	spid=$!
	wait "$kpid" || { cat "$tmp/run.$n"; echo "bench: run with --vms $n failed"; exit 1; }
	t1=$(date +%s.%N)
	wait "$spid" 2>/dev/null || true
	load=$(cut -d' ' -f1 /proc/loadavg)
	run=$(sqlite3 "$db" "SELECT max(id) FROM runs")
	med=$(sqlite3 "$db" "SELECT guest_duration FROM iterations WHERE run_id = $run AND guest_duration IS NOT NULL ORDER BY guest_duration" |
		awk '{ v[NR] = $1 } END { if (!NR) print 0; else print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }')
	outc=$(sqlite3 "$db" "SELECT group_concat(outcome || ':' || c) FROM (SELECT outcome, count(*) c FROM iterations WHERE run_id = $run GROUP BY outcome)")
	boots=$(sqlite3 "$db" "SELECT count(*) FROM boots WHERE run_id = $run")
	awk -v n="$n" -v it="$iters" -v t0="$t0" -v t1="$t1" -v hz="$hz" \
	    -v med="$med" -v load="$load" -v outc="$outc" -v boots="$boots" '
		{ cpu[$1] = $2; if ($3 > hwm[$1]) hwm[$1] = $3 }
		END {
			wall = t1 - t0; c = 0; m = 0; k = 0
			for (p in cpu) { c += cpu[p] / hz; m += hwm[p]; k++ }
			printf "N=%d: %d iterations in %.0f s = %.0f iterations/h; " \
			       "per guest %.2f CPU cores, peak RSS %.0f MB (%d QEMU " \
			       "processes, %d boots); test median %.1f s in the guest; " \
			       "outcomes %s; load %s\n", n, it, wall, it * 3600 / wall,
			       c / wall / n, k ? m / k / 1024 : 0, k, boots, med,
			       outc, load
		}' "$tmp/samples.$n"
done
