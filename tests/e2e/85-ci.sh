# 85-ci: `kflake ci` end to end, ~205 s (measured 204 s at load average 8;
# one ~15 s ccache rebuild for the series kernel unless 80-series left it
# cached; the default kernel from 10-run-default; short custom tests).
# A loopback patchwork carries two series (one applies, one does not);
# the plan also tracks master and runs a C reproducer (tests/tfo-probe.c)
# with two sysctl settings.
#   pass A: SIGTERM during the first run -> exit 130, item back in queue
#   pass B: a second ci exits at once; kill -9 during a run
#   pass C: kill -9 between patchwork's 201 and kflake's commit (hook)
#   pass D: finishes: every check posted exactly once, right states,
#           iterations exactly as planned (nothing lost, nothing redone)
#   pass E: nothing new
# then ci --status, report --matrix, a bad plan, the deployment files.
. "$(dirname "$0")/lib.sh"
tree=${KFLAKE_CACHE:-$HOME/.cache/kflake}/trees/linux-source-6.1
if [ ! -d "$tree/.git" ]; then
	echo "no cached default tree (10-run-default runs first)"
	exit 77
fi
command -v python3 > /dev/null || { echo "python3 is not installed"; exit 77; }
command -v sqlite3 > /dev/null || { echo "sqlite3 is not installed"; exit 77; }
export GIT_AUTHOR_NAME="Kflake Tester" GIT_AUTHOR_EMAIL=tester@example.org
export GIT_AUTHOR_DATE="2024-01-02T03:04:05Z" GIT_COMMITTER_DATE="2024-01-02T03:04:05Z"
export GIT_COMMITTER_NAME="Kflake Tester" GIT_COMMITTER_EMAIL=tester@example.org
g() { git -C "$tree" "$@"; }
base=$(g rev-parse refs/heads/master) || fail "no master branch"
w=$E2E_WORK/ci
rm -rf "$w"
mkdir -p "$w"
DB=$w/ci.db
idx=$w/index

# commit PARENT FILE MESSAGE LINE: PARENT with LINE added after line 1 of FILE.
commit() {
	blob=$(g show "$1:$2" | sed "1a\\
$4" | g hash-object -w --stdin) || fail "hash-object $2"
	GIT_INDEX_FILE=$idx g read-tree "$1"
	GIT_INDEX_FILE=$idx g update-index --cacheinfo "100644,$blob,$2"
	t=$(GIT_INDEX_FILE=$idx g write-tree)
	printf '%s\n\nSigned-off-by: Kflake Tester <tester@example.org>\n' "$3" |
		g commit-tree "$t" -p "$1"
}
# Series 1 applies: a comment in udp_offload.c.
c1=$(commit "$base" net/ipv4/udp_offload.c "udp: a harmless comment" \
	"/* kflake e2e 85: a harmless comment. */") || fail "commit 1"
g format-patch --stdout "$base..$c1" > "$w/s1.mbox" || fail "format-patch 1"
# Series 2 does not: it edits a line master does not have.
x=$(commit "$base" net/core/gro.c "x" "/* kflake e2e 85: not on master */") || fail "commit x"
c2=$(commit "$x" net/core/gro.c "net: gro: edit a line master lacks" \
	"/* kflake e2e 85: not on master, edited */") || fail "commit 2"
g format-patch --stdout "$x..$c2" > "$w/s2.mbox" || fail "format-patch 2"

printf 'sekrit-token-85\n' > "$w/token"
chmod 600 "$w/token"
python3 "$(dirname "$0")/pwserver.py" --series "2=$w/s2.mbox" \
	--token sekrit-token-85 --checks "$w/checks.jsonl" --hooks "$w/hooks.jsonl" \
	"$w/s1.mbox" "$w/port" &
server=$!
trap 'kill $server 2> /dev/null' EXIT
i=0
while [ ! -s "$w/port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
port=$(cat "$w/port") || fail "the patchwork stand-in did not start"
cat > "$w/plan.json" <<EOF
{
  "name": "e2e",
  "trees": [{"tree": "default", "refs": ["master"]}],
  "tests": [
    {"test": "$E2E_TESTS/quick-pass.sh", "iterations": 10},
    {"test": "$E2E_TESTS/tfo-probe.c", "name": "tfo-on", "iterations": 1,
     "sysctls": {"net.ipv4.tcp_fastopen": 1}},
    {"test": "$E2E_TESTS/tfo-probe.c", "name": "tfo-off", "iterations": 1,
     "sysctls": {"net.ipv4.tcp_fastopen": 0}}
  ],
  "timeout": "90s",
  "detect": 0.6,
  "patchwork": {"url": "http://127.0.0.1:$port/api/1.3/", "project": "netdevbpf",
                "token_file": "token", "base": "master"},
  "results": {"checks": true, "status_url": "http://kflake.example/",
              "webhook": "http://127.0.0.1:$port/hook"},
  "retention": {"days": 30}
}
EOF
ci() { "$KFLAKE" ci --plan "$w/plan.json" --db "$DB" "$@"; }
# In the background, kflake itself (not a subshell running ci()) so that
# $! is the pid the signals go to and the one its lock names.

# wait_iterations N: until a running run has N iterations (or 240 s).
wait_iterations() {
	i=0
	while [ $i -lt 2400 ]; do
		n=$(sqlite3 "$DB" "SELECT count(*) FROM iterations i JOIN runs r ON r.id = i.run_id WHERE r.state = 'running'" 2> /dev/null)
		[ "${n:-0}" -ge "$1" ] && return 0
		kill -0 "$KPID" 2> /dev/null || return 1
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

echo "== pass A: SIGTERM in the middle of a run"
"$KFLAKE" ci --plan "$w/plan.json" --db "$DB" --once > "$w/a.log" 2>&1 &
KPID=$!
wait_iterations 1 || { cat "$w/a.log"; fail "pass A never ran an iteration"; }
kill -TERM $KPID
wait $KPID
rc=$?
cat "$w/a.log"
expect_eq "$rc" 130 "exit status after SIGTERM"
no_qemu_left
expect_eq "$(q "SELECT state FROM runs ORDER BY id DESC LIMIT 1")" interrupted "the run SIGTERM stopped"
expect_eq "$(q "SELECT kind || ' ' || state FROM ci_items WHERE kind = 'series' ORDER BY id LIMIT 1")" "series queued" "its item, back in the queue"
a_iters=$(q "SELECT count(*) FROM iterations")
[ "$a_iters" -ge 1 ] || fail "pass A kept no iteration"

echo "== pass B: a second instance; kill -9 in a run"
"$KFLAKE" ci --plan "$w/plan.json" --db "$DB" --once > "$w/b.log" 2>&1 &
KPID=$!
wait_iterations 1 || { cat "$w/b.log"; fail "pass B never ran an iteration"; }
start=$(date +%s)
ci --once > "$w/b2.log" 2>&1
rc=$?
cat "$w/b2.log"
expect_eq "$rc" 1 "a second ci's exit status"
expect_match "$(cat "$w/b2.log")" "another kflake ci (pid $KPID) is working on" "its message"
[ $(( $(date +%s) - start )) -le 5 ] || fail "the second ci did not exit at once"
kill -KILL $KPID
wait $KPID
cat "$w/b.log"
no_qemu_left

echo "== pass C: kill -9 between patchwork's 201 and kflake's commit"
rm -f "$w/posted"
KFLAKE_TEST_CHECK_POSTED_HOOK=$w/posted "$KFLAKE" ci --plan "$w/plan.json" --db "$DB" --once > "$w/c.log" 2>&1 &
KPID=$!
i=0
while [ ! -e "$w/posted" ] && [ $i -lt 2400 ] && kill -0 $KPID 2> /dev/null; do
	sleep 0.1
	i=$((i + 1))
done
[ -e "$w/posted" ] || { cat "$w/c.log"; fail "pass C never posted a check"; }
kill -KILL $KPID
wait $KPID
cat "$w/c.log"
expect_eq "$(wc -l < "$w/checks.jsonl")" 1 "checks patchwork holds"
expect_eq "$(q "SELECT status FROM ci_checks")" intent "kflake's record of it"

echo "== pass D: finish"
kf "$w/d.log" ci --plan "$w/plan.json" --db "$DB" --once
rc=$?
expect_eq "$rc" 0 "exit status"
expect_eq "$(q "SELECT group_concat(kind || ':' || state, ' ') FROM (SELECT * FROM ci_items ORDER BY id)")" \
	"series:done series:done ref:done" "items"
# Series before refs: the ref's item was started after both series'.
expect_eq "$(q "SELECT count(*) FROM ci_items s, ci_items r WHERE s.kind = 'series' AND r.kind = 'ref' AND s.started_at > r.started_at")" 0 "series ran before the ref"
# Every check exactly once on patchwork; the one whose commit was killed
# was found by the GET, not posted again.
sort_checks() { python3 -c 'import json,sys
for l in sys.stdin: c = json.loads(l); print(c["patch"], c["context"], c["state"])' < "$w/checks.jsonl" | sort; }
expect_eq "$(sort_checks | tr '\n' ';')" \
	"11 kflake-quick-pass success;11 kflake-tfo-off warning;11 kflake-tfo-on warning;21 kflake-apply warning;" \
	"checks on patchwork (patch, context, state)"
expect_eq "$(q "SELECT count(*) FROM ci_checks WHERE status = 'found'")" 1 "checks found by GET after the kill"
expect_eq "$(q "SELECT count(*) FROM ci_checks WHERE status = 'posted'")" 3 "checks posted"
expect_eq "$(grep -c '"target_url": "http://kflake.example/series/[0-9]*"' "$w/checks.jsonl")" 4 "checks with the series page as target_url"
grep -q '"context": "kflake-quick-pass".*base 0/10 failed, series 0/10, Fisher p = 1: no change detected' "$w/checks.jsonl" ||
	fail "quick-pass check description"
grep -q '"context": "kflake-apply".*does not apply' "$w/checks.jsonl" || fail "apply check description"
echo "ok: descriptions"
# Iterations exactly as planned on every kernel: the killed runs' count.
s1=$(q "SELECT result_commit FROM series WHERE result_commit IS NOT NULL LIMIT 1")
for side in "$s1" "$base"; do
	got=$(q "SELECT group_concat(test || '=' || n, ' ') FROM (SELECT i.test, count(*) n FROM iterations i JOIN runs r ON r.id = i.run_id JOIN ci_item_runs l ON l.run_id = r.id JOIN ci_items c ON c.id = l.item_id WHERE r.commit_id = ?1 AND c.kind = 'series' GROUP BY i.test ORDER BY i.test)" "$side")
	expect_eq "$got" "quick-pass.sh=10 tfo-off=1 tfo-on=1" "series item's iterations on $(printf %.12s "$side")"
done
expect_eq "$(q "SELECT group_concat(test || '=' || n, ' ') FROM (SELECT i.test, count(*) n FROM iterations i JOIN ci_item_runs l ON l.run_id = i.run_id JOIN ci_items c ON c.id = l.item_id WHERE c.kind = 'ref' GROUP BY i.test ORDER BY i.test)")" \
	"quick-pass.sh=10 tfo-off=1 tfo-on=1" "ref item's iterations"
k=$(q "SELECT count(*) FROM runs r WHERE r.state = 'interrupted' AND EXISTS (SELECT 1 FROM iterations i WHERE i.run_id = r.id)")
[ "$k" -ge 2 ] || fail "only $k interrupted runs kept iterations"
echo "ok: $k interrupted runs' iterations count"
expect_eq "$(q "SELECT count(*) FROM runs WHERE state = 'running'")" 0 "runs left running"
grep -q '"plan": *"e2e"' "$w/hooks.jsonl" || fail "no webhook summary"
expect_match "$(tail -n 1 "$w/hooks.jsonl")" '"checks": *{"posted": *3, *"already_there": *1' "webhook summary of pass D"
grep -q "^ci pass of plan e2e: " "$w/d.log" || fail "no printed summary"
no_qemu_left

echo "== pass E: nothing new"
runs=$(q "SELECT count(*) FROM runs")
kf "$w/e.log" ci --plan "$w/plan.json" --db "$DB" --once -q
expect_eq "$?" 0 "exit status"
expect_eq "$(q "SELECT count(*) FROM runs")" "$runs" "runs after a second pass"
expect_eq "$(q "SELECT count(*) FROM ci_items")" 3 "items after a second pass"
expect_eq "$(wc -l < "$w/checks.jsonl")" 4 "checks after a second pass"
grep -q "0 item(s) worked on" "$w/e.log" || fail "pass E worked on something"

echo "== status, matrix"
ci --status > "$w/status.txt" || fail "ci --status"
cat "$w/status.txt"
expect_eq "$(grep -c ' done ' "$w/status.txt")" 3 "done items in the status"
"$KFLAKE" report --matrix --db "$DB" > "$w/matrix.txt" || fail "report --matrix"
cat "$w/matrix.txt"
grep -q "master@$(printf %.12s "$base") / base of series" "$w/matrix.txt" || fail "no column for master (the series' base)"
grep -q "series [0-9]* 'udp: a harmless comment'" "$w/matrix.txt" || fail "no column for the series"
grep -q "^tfo-on .*errno=EINPROGRESS.*errno=EINPROGRESS" "$w/matrix.txt" || fail "tfo-on: EINPROGRESS on both kernels"
grep -q "^tfo-off .*errno=EOPNOTSUPP.*errno=EOPNOTSUPP" "$w/matrix.txt" || fail "tfo-off: EOPNOTSUPP on both kernels"
grep -q "^quick-pass.sh .*0/20 0% " "$w/matrix.txt" || fail "quick-pass on master (base and ref)"
grep -q "^quick-pass.sh .*0/10 0% " "$w/matrix.txt" || fail "quick-pass on the series"
"$KFLAKE" report --matrix --json --db "$DB" | python3 -c '
import json, sys
m = json.load(sys.stdin)
assert len(m["kernels"]) == 2, m["kernels"]
t = {x["test"]: x for x in m["tests"]}
assert [c["values"][0]["value"] for c in t["tfo-off"]["cells"]] == ["errno=EOPNOTSUPP"] * 2
' || fail "matrix JSON"
echo "ok: matrix"
# The same on the status server's Matrix page (names and values escaped).
"$KFLAKE" serve --listen 127.0.0.1:0 --db "$DB" > "$w/serve.out" 2> "$w/serve.err" &
spid=$!
i=0
while [ $i -lt 50 ] && ! grep -q '^listening on ' "$w/serve.out"; do sleep 0.1; i=$((i + 1)); done
url=$(sed -n '1s/^listening on //p' "$w/serve.out")
[ -n "$url" ] || fail "serve did not start: $(cat "$w/serve.err")"
curl -sf "${url}matrix" > "$w/matrix.html" || fail "GET /matrix"
curl -sf "${url}api/matrix" > "$w/matrix.json" || fail "GET /api/matrix"
kill $spid
wait $spid
grep -q "<code>errno=EOPNOTSUPP</code>" "$w/matrix.html" || fail "/matrix lacks tfo-off's value"
grep -q "base of series" "$w/matrix.html" || fail "/matrix lacks the base column"
python3 -c 'import json,sys; assert len(json.load(open(sys.argv[1]))["kernels"]) == 2' "$w/matrix.json" ||
	fail "/api/matrix"
echo "ok: /matrix and /api/matrix"

echo "== a bad plan"
sed 's/"iterations": 10/"iteratons": 10/' "$w/plan.json" > "$w/bad.json"
"$KFLAKE" ci --plan "$w/bad.json" --db "$DB" --once > "$w/bad.log" 2>&1
expect_eq "$?" 2 "exit status"
expect_eq "$(wc -l < "$w/bad.log")" 1 "error lines"
expect_match "$(cat "$w/bad.log")" "bad.json: tests\[0\].iteratons: unknown field" "error"

echo "== deployment files"
dep=$KFLAKE_HOME/docs/deploy
if command -v systemd-analyze > /dev/null; then
	sed "s#/opt/kflake/kflake#$KFLAKE#; s#^User=kflake#User=root#; s#^Group=kflake#Group=root#; s#/var/lib/kflake#$w#g" \
		"$dep/kflake-ci.service" > "$w/kflake-ci.service"
	cp "$dep/kflake-ci.timer" "$w/"
	out=$(cd "$w" && systemd-analyze verify ./kflake-ci.service ./kflake-ci.timer 2>&1)
	expect_eq "$?/$out" "0/" "systemd-analyze verify"
else
	echo "skip: no systemd-analyze"
fi
line=$(grep -v '^#' "$dep/kflake-ci.cron" | grep -v '^[A-Z_]*=' | grep .)
expect_match "$line" '^[0-9*/,-]* [0-9*/,-]* [0-9*/,-]* [0-9*/,-]* [0-9*/,-]* kflake .*kflake ci --plan [^ ]* --once' "cron line"
