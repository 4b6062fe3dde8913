# 20-stall: a test that hangs is recorded as a stall within its timeout,
# with a forensic snapshot, and the next test runs in a fresh VM.
. "$(dirname "$0")/lib.sh"
log=$E2E_OUT/stall.log
start=$(date +%s)
kf "$log" run --iterations 1 --timeout 8 --db "$E2E_DB" \
	--test "$E2E_TESTS/hang.sh" --test "$E2E_TESTS/quick-pass.sh"
rc=$?
[ $rc = 0 ] || fail "kflake run exited $rc"
id=$(run_id_of "$log")
expect_eq "$(q 'SELECT outcome FROM iterations WHERE run_id = ?1 AND test = ?2' "$id" hang.sh)" stall "hang.sh outcome"
d=$(q 'SELECT CAST(duration AS INTEGER) FROM iterations WHERE run_id = ?1 AND test = ?2' "$id" hang.sh)
[ "$d" -ge 8 ] && [ "$d" -le 30 ] || fail "stall took $d s for an 8 s timeout"
echo "ok: stall detected after $d s"
expect_match "$(q 'SELECT reason FROM iterations WHERE run_id = ?1 AND test = ?2' "$id" hang.sh)" "timeout" "stall reason"
expect_eq "$(q 'SELECT count(*) FROM snapshots n JOIN iterations i ON i.id = n.iteration_id WHERE i.run_id = ?1' "$id")" 1 "snapshots"
expect_match "$(q 'SELECT content FROM snapshots n JOIN iterations i ON i.id = n.iteration_id WHERE i.run_id = ?1' "$id")" "=== nstat" "snapshot content"
expect_eq "$(q 'SELECT outcome FROM iterations WHERE run_id = ?1 AND test = ?2' "$id" quick-pass.sh)" pass "quick-pass.sh outcome"
expect_eq "$(q 'SELECT count(*) FROM boots WHERE run_id = ?1' "$id")" 2 "boots (fresh VM after the stall)"
no_qemu_left
