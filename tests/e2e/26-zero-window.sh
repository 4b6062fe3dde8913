# 26-zero-window: a receiver that stops reading stalls its sender on a
# zero window; the output watchdog catches the stall, and the snapshot's
# analysis names the class tcp-zero-window (persist timer armed, the
# receiver's Recv-Q full), which show and the Stalls page group by.
# Cost: ~30 s (one boot, a 10 s idle watchdog, the snapshot).
. "$(dirname "$0")/lib.sh"
log=$E2E_OUT/zero-window.log
kf "$log" run --iterations 1 --timeout 120 --idle 10 --db "$E2E_DB" \
	--test "$E2E_TESTS/tcp-zero-window.sh"
rc=$?
[ $rc = 0 ] || fail "kflake run exited $rc"
id=$(run_id_of "$log")
expect_eq "$(q 'SELECT outcome FROM iterations WHERE run_id = ?1' "$id")" stall "outcome"
expect_eq "$(q 'SELECT label FROM snapshots n JOIN iterations i ON i.id = n.iteration_id WHERE i.run_id = ?1' "$id")" \
	tcp-zero-window "stall class"
summary=$(q 'SELECT summary FROM snapshots n JOIN iterations i ON i.id = n.iteration_id WHERE i.run_id = ?1' "$id")
expect_match "$summary" "10.78.0.1:[0-9]* -> 10.78.0.2:9000 tcp-zero-window" "summary names the connection"
expect_match "$summary" "persist timer armed" "summary: persist timer"
expect_match "$summary" "is not reading: Recv-Q [1-9]" "summary: the receiver's full queue"
"$KFLAKE" show "$id" --db "$E2E_DB" > "$E2E_OUT/zero-window-show.txt"
grep -A1 "^stalls:" "$E2E_OUT/zero-window-show.txt" | grep -q "tcp-zero-window: 1 iteration(s) of tcp-zero-window.sh" ||
	fail "show does not group the stall by class: $(grep -A2 '^stalls:' "$E2E_OUT/zero-window-show.txt")"
no_qemu_left
