# 96-stress-race: stress makes a real race fail significantly more often.
# tests/e2e/tests/race.c (a use-after-free with a fixed window: a nice-19
# worker checks, works WINDOW_US of CPU, uses; an RT reaper frees
# DELAY_US after the check) runs RACE_N iterations plain and RACE_N under
# --stress cpu; one-sided Fisher's exact p must be below 0.01.
# Only the race's own verdict counts: an iteration is a hit when race
# printed "USE AFTER FREE" and exited 1, a miss when it printed "no race"
# and exited 0. Anything else (the guest could not execute it: exit 126,
# "Permission denied"; race could not set itself up: exit 2) is not a
# measurement, and more than 2 of those per side fail the test. (The
# former 95-stress-race counted every failed iteration as a hit, and on
# the merged main, where the sandboxed QEMU runs as nobody and could not
# reach the 0700 work directory, reported plain 16/16, cpu 16/16, p = 1.)
# Measured (docs/STRESS.md; 25 ms grace, 20 per side, 2026-11-30): quiet
# host plain 2/20, cpu 20/20 (p = 1.7e-9); with stress-ng --cpu 2 on the
# host plain 1/20, cpu 18/20 (p = 2.9e-8); beside stress-ng --cpu 4 (load
# 7) plain 0/20, cpu 20/20 (p = 7.3e-12). p stays below 0.01 up to plain
# 13/20 against cpu 20/20, or plain 10/20 against cpu 18/20.
# Cost: 49 s quiet, 66 s beside stress-ng --cpu 2, 105 s at load 7 (2
# boots, 40 iterations of ~1-1.5 s).
. "$(dirname "$0")/lib.sh"
n=${RACE_N:-20}
race=$E2E_WORK/race
# RACE_CFLAGS resizes the race (e.g. -DDELAY_US=...): for bench/ and to
# show the test can fail, never set in make test.
gcc -O2 -static -pthread ${RACE_CFLAGS:-} -o "$race" "$E2E_TESTS/race.c" ||
	fail "cannot build race.c"
# The sandboxed QEMU runs as nobody: the binary must be readable and
# executable by others (tests/run makes $E2E_WORK 0755).
chmod 755 "$race"
for mode in none cpu; do
	log=$E2E_OUT/race-$mode.log
	kf "$log" run --iterations "$n" --db "$E2E_DB" --test "$race" \
		--timeout 120 --stress "$mode" > /dev/null ||
		fail "race run under $mode exited $?"
	id=$(run_id_of "$log")
	expect_eq "$(q 'SELECT stress FROM runs WHERE id = ?1' "$id")" \
		"$([ $mode = none ] && echo '' || echo $mode)" "run $id stress"
	hit=$(q "SELECT count(*) FROM iterations WHERE run_id = ?1 AND
		outcome = 'fail' AND rc = 1 AND output LIKE '%USE AFTER FREE%'" "$id")
	miss=$(q "SELECT count(*) FROM iterations WHERE run_id = ?1 AND
		outcome = 'pass' AND rc = 0 AND output LIKE '%: no race%'" "$id")
	bad=$((n - hit - miss))
	echo "race under $mode: $hit of $((hit + miss)) iterations hit the race ($bad not measured)"
	if [ "$bad" -gt 2 ]; then
		q "SELECT seq, outcome, rc, substr(output, 1, 200) FROM iterations
			WHERE run_id = ?1 AND NOT (coalesce(output, '') LIKE
			'%USE AFTER FREE%' OR coalesce(output, '') LIKE '%: no race%')
			LIMIT 3" "$id"
		fail "$bad of $n iterations under $mode did not run the race to a verdict"
	fi
	eval "k_$mode=\$hit n_$mode=\$((hit + miss))"
done
# One-sided Fisher: P(at least k_cpu of the K hits land on the stressed
# side) with both margins fixed.
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
