# 35-kselftest: any kselftest, not only the udpgro scripts: a C test of
# another target (sigaltstack:sas, a TEST_GEN_PROGS built by the payload
# from the same tree) runs, its KTAP results become sub-results, and the
# target's settings timeout (the kselftest default, 45 s) applies.
. "$(dirname "$0")/lib.sh"
log=$E2E_OUT/kselftest.log
kf "$log" run --iterations 1 --db "$E2E_DB" --test sigaltstack:sas
rc=$?
[ $rc = 0 ] || fail "kflake run exited $rc"
id=$(run_id_of "$log")
expect_eq "$(q 'SELECT outcome || "/" || suite FROM iterations WHERE run_id = ?1' "$id")" \
	"pass/sigaltstack" "outcome/suite"
expect_eq "$(q 'SELECT CAST(timeout AS INTEGER) FROM iterations WHERE run_id = ?1' "$id")" 45 "timeout"
n=$(q "SELECT count(*) FROM subresults s JOIN iterations i ON i.id = s.iteration_id WHERE i.run_id = ?1 AND s.outcome = 'pass'" "$id")
[ "$n" -ge 2 ] || fail "only $n KTAP results recorded"
echo "ok: $n KTAP sub-results recorded"
expect_match "$(q 'SELECT output FROM iterations WHERE run_id = ?1' "$id")" "TAP version 13" "KTAP output"
"$KFLAKE" report "$id" --db "$E2E_DB" > "$E2E_OUT/kselftest-report.txt"
grep -q "sub-cases" "$E2E_OUT/kselftest-report.txt" || fail "report lacks sub-cases"
no_qemu_left
