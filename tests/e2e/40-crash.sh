# 40-crash: a guest that panics (sysrq-c) is a crash; the next iteration
# runs in a fresh VM; the two panics group under one fingerprint.
. "$(dirname "$0")/lib.sh"
log=$E2E_OUT/crash.log
kf "$log" run --iterations 2 --db "$E2E_DB" --test "$E2E_TESTS/panic.sh" \
	--test "$E2E_TESTS/quick-pass.sh"
rc=$?
[ $rc = 0 ] || fail "kflake run exited $rc"
id=$(run_id_of "$log")
expect_eq "$(q 'SELECT group_concat(outcome) FROM iterations WHERE run_id = ?1 AND test = ?2' "$id" panic.sh)" \
	"crash,crash" "panic.sh outcomes"
expect_eq "$(q 'SELECT group_concat(outcome) FROM iterations WHERE run_id = ?1 AND test = ?2' "$id" quick-pass.sh)" \
	"pass,pass" "quick-pass.sh outcomes"
expect_eq "$(q 'SELECT count(*) FROM boots WHERE run_id = ?1' "$id")" 3 "boots"
expect_eq "$(q 'SELECT count(DISTINCT crash_id) FROM iterations WHERE run_id = ?1 AND test = ?2' "$id" panic.sh)" 1 \
	"one fingerprint for both panics"
expect_match "$(q 'SELECT reason FROM iterations WHERE run_id = ?1 AND test = ?2 LIMIT 1' "$id" panic.sh)" \
	"kernel died" "crash reason"
expect_match "$(q 'SELECT console FROM iterations WHERE run_id = ?1 AND test = ?2 LIMIT 1' "$id" panic.sh)" \
	"sysrq" "console excerpt"
no_qemu_left
