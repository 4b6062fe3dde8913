# 25-tcp-stall: a TCP flow whose ACKs are all dropped after connect
# (sender's data in flight, nothing coming back) is a stall, caught by
# the output watchdog well before the hard timeout; its snapshot shows
# the sender's unacked data and its class, tcp-rto-backoff (the
# retransmit timer firing with growing backoff), which show groups by.
. "$(dirname "$0")/lib.sh"
log=$E2E_OUT/tcp-stall.log
kf "$log" run --iterations 1 --timeout 120 --idle 10 --db "$E2E_DB" \
	--test "$E2E_TESTS/tcp-stall.sh"
rc=$?
[ $rc = 0 ] || fail "kflake run exited $rc"
id=$(run_id_of "$log")
expect_eq "$(q 'SELECT outcome FROM iterations WHERE run_id = ?1' "$id")" stall "outcome"
expect_match "$(q 'SELECT reason FROM iterations WHERE run_id = ?1' "$id")" "no output" "stall reason"
d=$(q 'SELECT CAST(duration AS INTEGER) FROM iterations WHERE run_id = ?1' "$id")
[ "$d" -lt 60 ] || fail "the stall took $d s to detect"
echo "ok: stall detected after $d s (hard limit 120 s)"
expect_eq "$(q 'SELECT label FROM snapshots n JOIN iterations i ON i.id = n.iteration_id WHERE i.run_id = ?1' "$id")" \
	tcp-rto-backoff "stall class"
expect_match "$(q 'SELECT summary FROM snapshots n JOIN iterations i ON i.id = n.iteration_id WHERE i.run_id = ?1' "$id")" \
	"10.77.0.1:[0-9]* -> 10.77.0.2:9000 tcp-rto-backoff: unacked [1-9][0-9]*, Send-Q [1-9]" "snapshot summary"
"$KFLAKE" show "$id" --db "$E2E_DB" > "$E2E_OUT/tcp-stall-show.txt"
grep -A1 "^stalls:" "$E2E_OUT/tcp-stall-show.txt" | grep -q "tcp-rto-backoff: 1 iteration(s) of tcp-stall.sh" ||
	fail "show does not group the stall by class"
grep -q "unacked:" "$E2E_OUT/tcp-stall-show.txt" || fail "show lacks ss output"
no_qemu_left
