# 21-idle-progress: the idle watchdog stops a test that is inactive, not
# one that is merely silent. With --idle 5, silent-setup.sh (20 s without
# output, starting a command each second) passes, while hang.sh (one
# blocked process) is a stall within seconds of the limit, in the same
# run. Before this, a namespace setup slowed by --stress throttle was
# killed as a stall. Cost: one boot; 61 s at host load 5-6.
. "$(dirname "$0")/lib.sh"
log=$E2E_OUT/idle-progress.log
kf "$log" run --iterations 1 --timeout 90 --idle 5 --db "$E2E_DB" \
	--test "$E2E_TESTS/silent-setup.sh" --test "$E2E_TESTS/hang.sh"
rc=$?
[ $rc = 0 ] || fail "kflake run exited $rc"
id=$(run_id_of "$log")
expect_eq "$(q 'SELECT outcome FROM iterations WHERE run_id = ?1 AND test = ?2' "$id" silent-setup.sh)" \
	pass "silent-setup.sh outcome (20 s silent, starting commands)"
g=$(q 'SELECT CAST(guest_duration AS INTEGER) FROM iterations WHERE run_id = ?1 AND test = ?2' "$id" silent-setup.sh)
[ "$g" -ge 20 ] || fail "silent-setup.sh ran $g s, less than its 20 s"
s=$(q 'SELECT max_silence FROM iterations WHERE run_id = ?1 AND test = ?2' "$id" silent-setup.sh)
echo "ok: silent-setup.sh ran $g s; longest inactive stretch $s s"
expect_eq "$(q 'SELECT max_silence < 5 FROM iterations WHERE run_id = ?1 AND test = ?2' "$id" silent-setup.sh)" \
	1 "its recorded silence is below the idle limit"
expect_eq "$(q 'SELECT outcome FROM iterations WHERE run_id = ?1 AND test = ?2' "$id" hang.sh)" \
	stall "hang.sh outcome"
expect_match "$(q 'SELECT reason FROM iterations WHERE run_id = ?1 AND test = ?2' "$id" hang.sh)" \
	"no output for 5 s and no new process" "hang.sh stall reason"
d=$(q 'SELECT CAST(duration AS INTEGER) FROM iterations WHERE run_id = ?1 AND test = ?2' "$id" hang.sh)
[ "$d" -lt 60 ] || fail "hang.sh took $d s to be called a stall (idle 5 s)"
echo "ok: hang.sh stopped after $d s"
no_qemu_left
