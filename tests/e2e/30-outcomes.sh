# 30-outcomes: kselftest exit codes and kernel warnings map to outcomes:
# 0 pass, 4 skip, 1 fail, and a WARNING (LKDTM) that leaves the kernel
# alive makes a failure with the report's fingerprint; both WARNINGs
# group into one crash row, and all of it ran in one boot. Two
# iterations decide nothing, so --fail-on undecided makes the exit 3.
# Processes a test leaves behind (leave-child.sh) are gone before the
# next test (no-leftover.sh) starts.
. "$(dirname "$0")/lib.sh"
log=$E2E_OUT/outcomes.log
kf "$log" run --iterations 2 --db "$E2E_DB" --test "$E2E_TESTS/quick-pass.sh" \
	--test "$E2E_TESTS/skip.sh" --test "$E2E_TESTS/fail.sh" \
	--test "$E2E_TESTS/warn.sh" --test "$E2E_TESTS/leave-child.sh" \
	--test "$E2E_TESTS/no-leftover.sh" --fail-on undecided
rc=$?
[ $rc = 3 ] || fail "kflake run --fail-on undecided exited $rc, expected 3"
grep -q "fail.sh is undecided (2 of 2 failed; --fail-on)" "$log" ||
	fail "--fail-on does not name fail.sh"
id=$(run_id_of "$log")
for pair in quick-pass.sh:pass skip.sh:skip fail.sh:fail warn.sh:fail \
	leave-child.sh:pass no-leftover.sh:pass; do
	t=${pair%%:*} o=${pair#*:}
	expect_eq "$(q 'SELECT group_concat(outcome) FROM iterations WHERE run_id = ?1 AND test = ?2' "$id" "$t")" \
		"$o,$o" "$t outcomes"
done
expect_match "$(q 'SELECT reason FROM iterations WHERE run_id = ?1 AND test = ?2 LIMIT 1' "$id" warn.sh)" \
	"kernel warning: warning" "warn.sh reason"
expect_eq "$(q 'SELECT count(DISTINCT crash_id) FROM iterations WHERE run_id = ?1 AND test = ?2' "$id" warn.sh)" 1 \
	"one fingerprint for both warnings"
expect_eq "$(q 'SELECT count(*) FROM crash_hits WHERE run_id = ?1' "$id")" 2 "crash hits"
expect_match "$(q 'SELECT c.title FROM crashes c JOIN iterations i ON i.crash_id = c.id WHERE i.run_id = ?1 LIMIT 1' "$id")" \
	"lkdtm" "crash title names the function"
expect_eq "$(q 'SELECT count(*) FROM boots WHERE run_id = ?1' "$id")" 1 "boots"
"$KFLAKE" show "$id" --db "$E2E_DB" > "$E2E_OUT/outcomes-show.txt"
grep -q "^crashes:" "$E2E_OUT/outcomes-show.txt" || fail "show does not list the crash"
no_qemu_left
