# 95-stress-race: stress makes a real race fail significantly more often.
# tests/e2e/tests/race.c (a use-after-free with a fixed window: a nice-19
# worker checks, works WINDOW_US, uses; an RT reaper frees DELAY_US after
# the check) runs RACE_N iterations plain and RACE_N under --stress
# cpu; one-sided Fisher's exact p must be below 0.01. Measured here at
# load 9 (2026-11-30): plain 4/20, cpu 20/20 (p = 7.7e-8); plain on a
# quieter host 1/30 (docs/STRESS.md). With 16 per side even plain 6/16
# against cpu 16/16 gives p = 1.2e-4: a wide margin.
# Cost: 113 s measured at load 9 with 20 per side (boot 13-14 s, not
# 4.3 s); with 16 per side ~25 s quiet, scaled by boot time (not measured
# quiet). Budget with 93-stress: 90 s quiet.
. "$(dirname "$0")/lib.sh"
n=${RACE_N:-16}
race=$E2E_WORK/race
gcc -O2 -static -pthread -o "$race" "$E2E_TESTS/race.c" || fail "cannot build race.c"
for mode in none cpu; do
	log=$E2E_OUT/race-$mode.log
	kf "$log" run --iterations "$n" --db "$E2E_DB" --test "$race" \
		--stress "$mode" > /dev/null || fail "race run under $mode exited $?"
	id=$(run_id_of "$log")
	eval "k_$mode=\$(q \"SELECT count(*) FROM iterations WHERE run_id = ?1 AND outcome = 'fail'\" \"\$id\")"
	eval "n_$mode=\$(q \"SELECT count(*) FROM iterations WHERE run_id = ?1 AND outcome IN ('pass', 'fail')\" \"\$id\")"
	eval "echo \"race under $mode: \$k_$mode of \$n_$mode iterations hit the race\""
	expect_eq "$(q 'SELECT stress FROM runs WHERE id = ?1' "$id")" \
		"$([ $mode = none ] && echo '' || echo $mode)" "run $id stress"
done
[ "$n_none" -ge $((n - 2)) ] && [ "$n_cpu" -ge $((n - 2)) ] ||
	fail "too few counted iterations ($n_none, $n_cpu of $n)"
# One-sided Fisher: P(at least k_cpu of the K failures land on the
# stressed side) with both margins fixed.
p=$(python3 -c '
import math, sys
k1, n1, k2, n2 = map(int, sys.argv[1:])
K, N = k1 + k2, n1 + n2
p = sum(math.comb(n2, x) * math.comb(n1, K - x)
        for x in range(k2, min(K, n2) + 1)) / math.comb(N, K)
print("%.3g" % p)' "$k_none" "$n_none" "$k_cpu" "$n_cpu")
echo "Fisher one-sided p = $p (plain $k_none/$n_none, cpu $k_cpu/$n_cpu)"
python3 -c "import sys; sys.exit(0 if float('$p') < 0.01 else 1)" ||
	fail "stress cpu did not make the race significantly more frequent (p = $p)"
echo "ok: p < 0.01"
