# 94-export: NIPA import and the JUnit and KCIDB exports, no VM (~10 s).
#
# 1. NIPA's contest results (fixtures in tests/e2e/nipa, NIPA's format:
#    a combined all-results.json of 28 net-next branches, a results.json
#    manifest naming a result file, from a file and over HTTP from a
#    loopback server) import as runs of kind 'import':
#    retries as second attempts, rates over first attempts only, nested
#    sub-results kept, a second import adds nothing, bad input is refused
#    whole. udpgro-bench-sh starts failing at net-next-2025-06-15: one
#    alert, whose interval holds that branch.
# 2. The exports of the imported run (every JUnit element kind) and of
#    the suite's own runs (E2E_DB, when earlier tests filled it: stalls,
#    crashes) validate: JUnit with xmllint against tests/schemas'
#    Surefire 3.0 XSD, KCIDB with python3-jsonschema against the v5.3
#    schema; each required attribute or field removed, and bad ids,
#    origins and paths, must fail validation.
. "$(dirname "$0")/lib.sh"
schemas=$KFLAKE_HOME/tests/schemas
nipa=$KFLAKE_HOME/tests/e2e/nipa
DB=$E2E_WORK/nipa.db
export DB
rm -f "$DB" "$DB-wal" "$DB-shm"
# Debian's interpreter and its python3-jsonschema, whatever else is on PATH.
py=/usr/bin/python3
$py -c 'import jsonschema' || fail "python3-jsonschema is not installed"
command -v xmllint > /dev/null || fail "xmllint (libxml2-utils) is not installed"

# ---- NIPA import ----
"$KFLAKE" import --nipa "$nipa/all-results.json" --db "$DB" > "$E2E_OUT/nipa-import.txt" 2>&1 ||
	fail "import: $(cat "$E2E_OUT/nipa-import.txt")"
cat "$E2E_OUT/nipa-import.txt"
expect_eq "$(q "SELECT count(*) FROM runs WHERE kind = 'import'")" 28 "imported runs (the unfinished one is not)"
expect_eq "$(q "SELECT count(*) FROM iterations WHERE retry = 0")" 84 "first attempts"
expect_eq "$(q "SELECT count(*) FROM iterations WHERE retry = 1")" 12 "retries"
expect_eq "$(q "SELECT count(*) FROM subresults")" 56 "sub-results"
expect_eq "$(q "SELECT DISTINCT stream FROM imports")" net-next "stream"
expect_eq "$(q "SELECT suite FROM iterations WHERE test = 'udpgro-bench-sh' LIMIT 1")" net "suite (group selftests-net)"
# Rates count first attempts: 12 of 28, not 24 of 40. Each branch is its
# own kernel, so the report has a row per branch (pool.h): summed here.
"$KFLAKE" report --db "$DB" --json > "$E2E_OUT/nipa-report.json" || fail "report"
expect_eq "$(jq -r '[.tests[] | select(.test == "udpgro-bench-sh")] | "\(map(.failures) | add)/\(map(.verdict_runs) | add) in \(length) rows"' "$E2E_OUT/nipa-report.json")" \
	"12/28 in 28 rows" "udpgro-bench-sh first-attempt failures, one row per branch"
# The alert: one, rising, at the branch where the failures start.
expect_eq "$(q "SELECT count(*) FROM alerts")" 1 "alerts"
expect_eq "$(q "SELECT test || ' ' || direction || ' ' || k0 || '/' || n0 || ' ' || k1 || '/' || n1 FROM alerts")" \
	"udpgro-bench-sh worse 0/14 12/14" "alert"
in=$(q "SELECT first <= 'net-next-2025-06-15--00-00' AND last >= 'net-next-2025-06-15--00-00' FROM alerts")
expect_eq "$in" 1 "net-next-2025-06-15 in the alert's interval ($(q "SELECT first || ' .. ' || last FROM alerts"))"
"$KFLAKE" alert show 1 --db "$DB" | tee "$E2E_OUT/nipa-alert.txt"
grep -q "before 0/14 = 0.0%" "$E2E_OUT/nipa-alert.txt" || fail "alert show lacks the rate before"
# Imported twice: nothing new; the scan finds the same alert.
"$KFLAKE" import --nipa "$nipa/all-results.json" --db "$DB" > "$E2E_OUT/nipa-import2.txt" 2>&1 || fail "second import"
grep -q "0 run(s) imported.*28 already imported, 1 not finished" "$E2E_OUT/nipa-import2.txt" ||
	fail "second import: $(cat "$E2E_OUT/nipa-import2.txt")"
expect_eq "$(q "SELECT count(*) || ' ' || max(id) FROM alerts")" "1 1" "alerts after the second import"
# A manifest and the result file it names.
"$KFLAKE" import --nipa "$nipa/manifest/results.json" --db "$DB" > "$E2E_OUT/nipa-manifest.txt" 2>&1 ||
	fail "manifest import: $(cat "$E2E_OUT/nipa-manifest.txt")"
grep -q "1 run(s) imported (7 iteration(s), 4 retries, 3 sub-result(s)); 0 already imported, 1 not finished" \
	"$E2E_OUT/nipa-manifest.txt" || fail "manifest import: $(cat "$E2E_OUT/nipa-manifest.txt")"
run=$(q "SELECT run_id FROM imports WHERE branch = 'net-2025-07-01--00-00'")
expect_eq "$(q "SELECT outcome FROM iterations WHERE run_id = ?1 AND test = 'crash-sh'" "$run")" crash "crash-sh outcome"
expect_eq "$(q "SELECT group_concat(outcome || ':' || retry, ' ') FROM (SELECT outcome, retry FROM iterations WHERE run_id = ?1 AND test = 'flaky-sh' ORDER BY retry)" "$run")" \
	"fail:0 pass:1" "flaky-sh: a failure, then a passing retry"
expect_eq "$(q "SELECT group_concat(s.name || ':' || s.outcome, ' ') FROM subresults s JOIN iterations i ON i.id = s.iteration_id WHERE i.run_id = ?1 AND i.test = 'nested-sh'" "$run")" \
	"case-a:pass case-b:fail case-b:pass" "nested-sh sub-results (first attempt, retry)"
# The same manifest over HTTP: its result file is fetched beside it.
port=$((20000 + ($$ + 7) % 20000))
/usr/bin/python3 -m http.server --bind 127.0.0.1 --directory "$nipa/manifest" "$port" \
	> "$E2E_OUT/nipa-http.log" 2>&1 &
hpid=$!
for i in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port/results.json" && break; sleep 0.1; done
DB=$E2E_WORK/nipa-url.db "$KFLAKE" import --nipa "http://127.0.0.1:$port/results.json" \
	--db "$E2E_WORK/nipa-url.db" > "$E2E_OUT/nipa-url.txt" 2>&1
rc=$?
kill "$hpid"
wait "$hpid" 2> /dev/null
expect_eq "$rc" 0 "import of a manifest URL"
grep -q "1 run(s) imported (7 iteration(s), 4 retries" "$E2E_OUT/nipa-url.txt" || fail "URL import: $(cat "$E2E_OUT/nipa-url.txt")"
grep -q '"GET /results-1001.json' "$E2E_OUT/nipa-http.log" || fail "the result file was not fetched beside the manifest"
# Bad input: one line naming it, exit 1, nothing written.
before=$(q "SELECT count(*) FROM iterations")
bad=$E2E_WORK/nipa-bad
mkdir -p "$bad"
sed 's/"result": "skip"/"result": "maybe"/' "$nipa/manifest/results-1001.json" |
	sed 's/net-2025-07-01/net-2025-07-09/' > "$bad/run.json"
"$KFLAKE" import --nipa "$bad/run.json" --db "$DB" > "$E2E_OUT/nipa-bad.txt" 2>&1
expect_eq "$?" 1 "exit status on a bad result value"
expect_match "$(head -n 1 "$E2E_OUT/nipa-bad.txt")" "run.json: results\[4\] (skip-sh): result must be pass, fail or skip" "error line"
printf '[{"url": "../../etc/passwd", "branch": "b", "executor": "e"}]\n' > "$bad/results.json"
"$KFLAKE" import --nipa "$bad/results.json" --db "$DB" > "$E2E_OUT/nipa-bad2.txt" 2>&1
expect_eq "$?" 1 "exit status on a manifest that climbs out"
expect_match "$(cat "$E2E_OUT/nipa-bad2.txt")" "not an http(s) URL or a plain relative name" "manifest error"
printf '{"executor": "e", "branch": "b", "results": [' > "$bad/cut.json"
"$KFLAKE" import --nipa "$bad/cut.json" --db "$DB" > "$E2E_OUT/nipa-bad3.txt" 2>&1
expect_eq "$?" 1 "exit status on cut-off JSON"
expect_match "$(cat "$E2E_OUT/nipa-bad3.txt")" "cut.json: not JSON" "JSON error"
expect_eq "$(q "SELECT count(*) FROM iterations")" "$before" "iterations after the bad imports"

# ---- exports of the imported run: every JUnit element ----
"$KFLAKE" export --junit "$E2E_OUT/nipa.xml" "$run" --db "$DB" || fail "export --junit"
$py "$schemas/junit-check.py" "$schemas/surefire-3.0.xsd" "$E2E_OUT/nipa.xml" || fail "JUnit validation"
x() { xmllint --xpath "$1" "$E2E_OUT/nipa.xml" 2>/dev/null; }
expect_eq "$(x 'string(//testcase[@name="crash-sh"]/error/@type)')" crash "crash-sh: <error type=crash>"
expect_eq "$(x 'count(//testcase[@name="fail-sh"]/failure)')" 1 "fail-sh: <failure>"
expect_eq "$(x 'count(//testcase[@name="flaky-sh"]/flakyFailure)')" 1 "flaky-sh: one <flakyFailure>"
expect_eq "$(x 'count(//testcase[@name="flaky-sh"]/failure)')" 0 "flaky-sh: no <failure>"
expect_eq "$(x 'count(//testcase[@name="skip-sh"]/skipped)')" 1 "skip-sh: <skipped>"
expect_eq "$(x 'count(//testcase[@name="pass-sh"]/*)')" 0 "pass-sh: passed"
expect_eq "$(x 'string(//testcase[@name="skip-sh"]/@classname)')" net-forwarding "classname is the suite"
expect_eq "$(x 'string(//property[@name="net/flaky-sh.retries"]/@value)')" 1 "retries property"
expect_eq "$(x 'string(//property[@name="net/fail-sh.ci95"]/@value)')" "0.2065 1.0000" "interval property (1/1)"
expect_eq "$(x 'string(/testsuite/@errors)') $(x 'string(/testsuite/@failures)') $(x 'string(/testsuite/@skipped)')" \
	"1 1 1" "suite counts"
"$KFLAKE" export --kcidb "$E2E_OUT/nipa.json" "$run" --db "$DB" || fail "export --kcidb"
$py "$schemas/kcidb-check.py" "$schemas/kcidb-5.3.json" "$E2E_OUT/nipa.json" || fail "KCIDB validation"
expect_eq "$(jq '.tests | length' "$E2E_OUT/nipa.json")" 11 "one KCIDB test per attempt (7 + 4 retries)"
expect_eq "$(jq -r '.tests[] | select(.misc.outcome == "crash") | .status' "$E2E_OUT/nipa.json")" FAIL "crash -> FAIL"
expect_eq "$(jq -r '[.tests[] | select(.path == "net.flaky-sh") | .status] | join(",")' "$E2E_OUT/nipa.json")" "FAIL,PASS" "flaky-sh attempts"
expect_eq "$(jq -r '.tests[] | select(.path == "net-forwarding.skip-sh") | .status' "$E2E_OUT/nipa.json")" SKIP "skip -> SKIP"
expect_eq "$(jq -r '.version.major, .version.minor' "$E2E_OUT/nipa.json" | tr '\n' .)" "5.3." "version"
# Everything imported (--since), both formats.
"$KFLAKE" export --junit "$E2E_OUT/nipa-all.xml" --since 2025-06-01 --db "$DB" || fail "export --since"
$py "$schemas/junit-check.py" --no-negative "$schemas/surefire-3.0.xsd" "$E2E_OUT/nipa-all.xml" || fail "JUnit --since"
expect_eq "$(xmllint --xpath 'string(/testsuite/@tests)' "$E2E_OUT/nipa-all.xml")" 91 "testcases of 29 runs (28 x 3 + 7)"
"$KFLAKE" export --kcidb - --since 2025-06-01 --db "$DB" > "$E2E_OUT/nipa-all.json" || fail "export --kcidb -"
$py "$schemas/kcidb-check.py" --no-negative "$schemas/kcidb-5.3.json" "$E2E_OUT/nipa-all.json" || fail "KCIDB --since"
"$KFLAKE" export --junit x.xml --since yesterday --db "$DB" > "$E2E_OUT/export-bad.txt" 2>&1
expect_eq "$?" 2 "exit status on a bad --since"

# ---- exports of the suite's own runs (stalls, crashes), when there ----
if [ -s "$E2E_DB" ] && [ "$(DB=$E2E_DB q 'SELECT count(*) FROM iterations')" -gt 0 ]; then
	"$KFLAKE" export --junit "$E2E_OUT/e2e.xml" --since 2000-01-01 --db "$E2E_DB" || fail "export of E2E_DB"
	$py "$schemas/junit-check.py" --no-negative "$schemas/surefire-3.0.xsd" "$E2E_OUT/e2e.xml" || fail "JUnit of E2E_DB"
	"$KFLAKE" export --kcidb "$E2E_OUT/e2e.json" --since 2000-01-01 --db "$E2E_DB" || fail "KCIDB of E2E_DB"
	$py "$schemas/kcidb-check.py" "$schemas/kcidb-5.3.json" "$E2E_OUT/e2e.json" || fail "KCIDB of E2E_DB"
	stalls=$(DB=$E2E_DB q "SELECT count(*) FROM iterations WHERE outcome = 'stall'")
	expect_eq "$(jq '[.tests[] | select(.misc.outcome == "stall" and .status == "FAIL" and (.misc.reason | length) > 0)] | length' "$E2E_OUT/e2e.json")" \
		"$stalls" "stalls exported as FAIL with their reason"
	classes=$(DB=$E2E_DB q "SELECT group_concat(label, ' ') FROM (SELECT n.label FROM snapshots n JOIN iterations i ON i.id = n.iteration_id WHERE i.outcome = 'stall' AND n.label IS NOT NULL ORDER BY i.id)")
	expect_eq "$(jq -r '[.tests[] | select(.misc.outcome == "stall" and .misc.stall_class) | .misc.stall_class] | join(" ")' "$E2E_OUT/e2e.json")" \
		"$classes" "stall classes in misc"
	[ "$stalls" = 0 ] || expect_match "$(xmllint --xpath 'string(//error[@type="stall"]/@message)' "$E2E_OUT/e2e.xml")" \
		"stalled" "a stall's JUnit <error>"
else
	echo "no E2E_DB runs: exported the imported runs only"
fi
