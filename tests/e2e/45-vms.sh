# 45-vms: --vms 2 runs the quick outcome tests on two guests from one
# queue and leaves what one guest would: every test has k = 1, 2 once
# with the outcome it has alone (the same counts as 30-outcomes, 20-stall
# and 40-crash give with one guest), both guest slots ran, a guest that
# crashed (panic.sh) or stalled (hang.sh) was replaced while the other
# went on, and progress names the guests. Then Ctrl-C of a --vms 2 run
# keeps what finished, names the k that did not, and duplicates nothing.
# Cost: ~50 s (100 s measured at load 4-5 on the shared 2-core machine,
# 34 s of it waiting for another run's tree lock: two guests under TCG,
# 6 boots of ~10 s there, two 10 s stalls, then a short interrupted run).
. "$(dirname "$0")/lib.sh"
log=$E2E_OUT/vms.log
kf "$log" run --vms 2 --iterations 2 --timeout 10 --db "$E2E_DB" \
	--test "$E2E_TESTS/quick-pass.sh" --test "$E2E_TESTS/skip.sh" \
	--test "$E2E_TESTS/fail.sh" --test "$E2E_TESTS/panic.sh" \
	--test "$E2E_TESTS/hang.sh"
rc=$?
[ $rc = 0 ] || fail "kflake run --vms 2 exited $rc"
id=$(run_id_of "$log")
expect_eq "$(q 'SELECT vms FROM runs WHERE id = ?1' "$id")" 2 "runs.vms"
# Two 2-vCPU guests on fewer than 4 CPUs share cores: pooled apart.
over=
[ "$(nproc)" -lt 4 ] && over=overcommit
expect_eq "$(q 'SELECT stress FROM runs WHERE id = ?1' "$id")" "$over" "runs.stress"
for pair in quick-pass.sh:pass skip.sh:skip fail.sh:fail panic.sh:crash \
	hang.sh:stall; do
	t=${pair%%:*} o=${pair#*:}
	expect_eq "$(q 'SELECT group_concat(outcome) FROM (SELECT outcome FROM iterations WHERE run_id = ?1 AND test = ?2 ORDER BY seq)' "$id" "$t")" \
		"$o,$o" "$t outcomes"
	expect_eq "$(q 'SELECT group_concat(seq) FROM (SELECT seq FROM iterations WHERE run_id = ?1 AND test = ?2 ORDER BY seq)' "$id" "$t")" \
		"1,2" "$t k"
done
expect_eq "$(q 'SELECT count(*) FROM iterations WHERE run_id = ?1' "$id")" 10 "iterations"
expect_eq "$(q 'SELECT count(DISTINCT guest) FROM boots WHERE run_id = ?1' "$id")" 2 "guest slots used"
expect_eq "$(q "SELECT count(*) FROM boots WHERE run_id = ?1 AND end_reason = 'crash'" "$id")" 2 "boots ended by a crash"
expect_eq "$(q "SELECT count(*) FROM boots WHERE run_id = ?1 AND end_reason = 'stall'" "$id")" 2 "boots ended by a stall"
# When a guest crashed or stalled, the other was in the middle of a test
# and finished it: the run went on while the guest was replaced.
overlap=$(q "SELECT count(*) FROM boots b JOIN iterations i ON i.run_id = b.run_id
	JOIN boots o ON o.id = i.boot_id AND o.guest != b.guest
	WHERE b.run_id = ?1 AND b.end_reason IN ('crash', 'stall')
	AND i.started_at <= b.finished_at AND i.finished_at > b.finished_at" "$id")
[ "$overlap" -ge 1 ] || fail "no guest ran on while the other was replaced"
echo "ok: $overlap test(s) ran on one guest across the other's crash or stall"
grep -q "guest 2" "$log" || fail "progress does not name guest 2"
no_qemu_left

# Ctrl-C with two guests busy: what finished stays, k never repeats.
log=$E2E_OUT/vms-interrupt.log
"$KFLAKE" run --vms 2 --iterations 40 --db "$E2E_DB" \
	--test "$E2E_TESTS/pass-1s.sh" > "$log" 2>&1 &
pid=$!
i=0
while [ $i -lt 900 ]; do
	id=$(run_id_of "$log")
	if [ -n "$id" ] && [ "$(q 'SELECT count(*) FROM iterations WHERE run_id = ?1' "$id")" -ge 4 ]; then
		break
	fi
	sleep 0.2
	i=$((i + 1))
done
kill -INT $pid
wait $pid
rc=$?
cat "$log"
expect_eq "$rc" 130 "exit status after SIGINT"
expect_eq "$(q 'SELECT state FROM runs WHERE id = ?1' "$id")" interrupted "run state"
n=$(q 'SELECT count(*) FROM iterations WHERE run_id = ?1' "$id")
[ "$n" -ge 4 ] && [ "$n" -lt 40 ] || fail "$n iterations kept"
expect_eq "$(q 'SELECT count(DISTINCT seq) FROM iterations WHERE run_id = ?1' "$id")" "$n" "distinct k"
# A k below the highest recorded that is missing must be named.
max=$(q 'SELECT max(seq) FROM iterations WHERE run_id = ?1' "$id")
err=$(q 'SELECT error FROM runs WHERE id = ?1' "$id")
k=1
while [ $k -le "$max" ]; do
	if [ "$(q 'SELECT count(*) FROM iterations WHERE run_id = ?1 AND seq = ?2' "$id" $k)" = 0 ]; then
		expect_match "$err" "pass-1s.sh k=$k" "missing k=$k reported"
	fi
	k=$((k + 1))
done
echo "ok: $n iterations kept, k up to $max, error: $err"
no_qemu_left $pid
