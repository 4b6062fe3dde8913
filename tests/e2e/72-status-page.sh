#!/bin/sh
# 72-status-page: the status pages a maintainer triages from, in headless
# Chromium. A database is filled with sqlite3 (three kernels of one test
# line with an onset on the third, a run of 120 iterations with 11
# failures, a CRLF console with a crash report, a 100 KB and an invalid
# UTF-8 test name, a tested series, a bisect, a crash, an alert), its
# tallies rebuilt with `kflake tally --rebuild`, and served. cdp.py (the
# DevTools protocol, standard-library Python) shoots every page to a PNG
# under $E2E_OUT/status/ and checks the DOM and the layout for each item
# of issue 14's status page and each bug it lists; the JSON API's bugs
# are checked with curl and jq. A stranger's markup (test name, series
# subject and submitter, crash title) must stay text on every page, and
# every page must load without a JS exception or console error (CSP
# refusals included). No QEMU. Cost: ~20 s (19 s measured, quiet).
. "$(dirname "$0")/lib.sh"
for tool in curl jq sqlite3 chromium python3; do
	command -v "$tool" >/dev/null || fail "$tool is not installed"
done

db=$E2E_WORK/status.db
out=$E2E_OUT/status
rm -rf "$db" "$db-wal" "$db-shm" "$E2E_WORK/status.artefacts" "$out"
mkdir -p "$out"
"$KFLAKE" tally --rebuild --db "$db" >/dev/null 2>&1 || fail "cannot create $db"

c1=1111111111111111111111111111111111111111
c2=2222222222222222222222222222222222222222
c3=3333333333333333333333333333333333333333
art=$E2E_WORK/status.artefacts/runs/3/boot-1
mkdir -p "$art"
printf 'boot ok\r\nBUG: kernel NULL pointer dereference, address: 0000000000000008\r\nCall Trace:\r\n <TASK>\r\n udp_gro_receive+0x1a/0x40\r\n </TASK>\r\nafter the crash, a line that must stay on screen\r\n' >"$art/console.log"
long=$(head -c 100000 /dev/zero | tr '\0' 'x')
# A stranger's markup, in a test name, a series' subject and submitter and
# a crash title: every page must show it as text (checked in the DOM, and
# by cdp.py's no-console-error rule: the CSP would report a planted image
# or script).
evil='<img src=x onerror=alert(1)><script>alert(2)</script><b class=hostile>"&amp;</b>'
evil_url='%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E%3Cscript%3Ealert(2)%3C%2Fscript%3E%3Cb%20class%3Dhostile%3E%22%26amp%3B%3C%2Fb%3E.sh'

sqlite3 "$db" <<EOF || fail "cannot fill $db"
BEGIN;
INSERT INTO trees(source, path, created_at) VALUES ('linux-source-6.1', '/t', 'now');
INSERT INTO kernels(tree_id, commit_id, config_hash, compiler, cache_key, fragments, config, state, created_at, image_path)
 VALUES (1, '$c1', 'h', 'gcc', 'k1', '[]', '', 'ok', 'now', '/k/1'),
        (1, '$c2', 'h', 'gcc', 'k2', '[]', '', 'ok', 'now', '/k/2'),
        (1, '$c3', 'h', 'gcc', 'k3', '[]', '', 'ok', 'now', '/k/3');
INSERT INTO runs(kind, state, tree_id, ref, commit_id, kernel_id, tests, iterations, argv, fragments, started_at, finished_at, guest_cpus, guest_mem_mb, kconfig_set)
 VALUES ('run', 'done', 1, 'HEAD', '$c1', 1, '["udpgro_frglist.sh"]', 20, '["kflake","run"]', '["/k/kconfigs/base.config","/tmp/extra.config"]', '2024-01-01T00:00:00Z', '2024-01-01T01:00:00Z', 2, 2048, '["kflake:kconfigs/base.config","file:extra.config@0123456789ab"]'),
        ('run', 'done', 1, 'HEAD', '$c2', 2, '["udpgro_frglist.sh"]', 20, '["kflake","run"]', '["/k/kconfigs/base.config","/tmp/extra.config"]', '2024-01-02T00:00:00Z', '2024-01-02T01:00:00Z', 2, 2048, '["kflake:kconfigs/base.config","file:extra.config@0123456789ab"]'),
        ('run', 'done', 1, 'HEAD', '$c3', 3, '["udpgro_frglist.sh"]', 120, '["kflake","run","--kconfig","/tmp/extra.config"]', '["/k/kconfigs/base.config","/tmp/extra.config"]', '2024-01-03T00:00:00Z', '2024-01-03T05:00:00Z', 2, 2048, '["kflake:kconfigs/base.config","file:extra.config@0123456789ab"]');
INSERT INTO boots(run_id, seq, accel, cmdline, console_path, ready_seconds, end_reason, started_at)
 VALUES (3, 1, 'tcg', 'qemu-system-x86_64', '$art/console.log', 4.3, 'done', '2024-01-03T00:00:00Z');
WITH RECURSIVE n(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM n WHERE k < 120)
INSERT INTO iterations(run_id, boot_id, test, suite, seq, outcome, rc, reason, duration, guest_duration, timeout, output, console, started_at, finished_at)
 SELECT r.id, CASE WHEN r.id = 3 THEN 1 END, 'udpgro_frglist.sh', 'net', n.k,
	CASE WHEN r.id = 3 AND n.k % 11 = 5 THEN 'fail' ELSE 'pass' END,
	CASE WHEN r.id = 3 AND n.k % 11 = 5 THEN 1 ELSE 0 END,
	CASE WHEN r.id = 3 AND n.k % 11 = 5 THEN 'exit 1' ELSE 'exit 0' END,
	20 + n.k % 7, 19 + n.k % 7, 90, '# ok', '',
	strftime('%Y-%m-%dT%H:%M:%SZ', r.started_at, '+' || (n.k * 60) || ' seconds'), r.started_at
 FROM runs r JOIN n ON n.k <= r.iterations;
INSERT INTO subresults(iteration_id, name, outcome)
 SELECT id, 'ipv4: udp gso - over veth touching data', outcome FROM iterations;
INSERT INTO subresults(iteration_id, name, outcome)
 SELECT id, 'ipv6: udp gso - over veth touching data', 'pass' FROM iterations;
INSERT INTO iterations(run_id, test, suite, seq, outcome, rc, reason, duration, timeout, started_at)
 VALUES (3, '$long', 'path', 1, 'fail', 1, 'long name', 1, 90, '2024-01-03T04:00:00Z'),
        (3, CAST(X'6261642dff2d75746638' AS TEXT), 'path', 1, 'pass', 0, CAST(X'726561736f6e20ff' AS TEXT), 1, 90, '2024-01-03T04:00:00Z'),
        (3, '$evil.sh', 'path', 1, 'pass', 0, '$evil', 1, 90, '2024-01-03T04:00:00Z');
INSERT INTO crashes(fingerprint, kind, title, frames, report, first_seen, last_seen, count)
 VALUES ('fp', 'bug', 'BUG: kernel NULL pointer dereference in udp_gro_receive $evil', 'udp_gro_receive', 'BUG: kernel NULL pointer dereference', 'now', 'now', 1);
INSERT INTO crash_hits(crash_id, iteration_id, run_id, kernel_id, test, report, seen_at)
 VALUES (1, 5, 3, 3, 'udpgro_frglist.sh', 'BUG', 'now');
INSERT INTO series(source, kind, msgid, subject, submitter, patch_count, state, base_commit, result_commit, pw_id, created_at)
 VALUES ('pw:https://patchwork.example.org/7', 'patchwork', '<0.cover@example.org>', 'net: make udp gro faster $evil', 'Dev $evil <dev@example.org>', 1, 'tested', '$c2', '$c3', 7, 'now');
INSERT INTO patches(series_id, seq, subject, author, msgid, commit_id)
 VALUES (1, 1, '[PATCH 1/1] net: make udp gro faster', 'Dev', '<1.patch@example.org>', '$c3');
UPDATE runs SET series_id = 1 WHERE id = 3;
INSERT INTO series_verdicts(series_id, series_run, base_run, test, subcase, base_failures, base_runs, series_failures, series_runs, p_value, change, verdict, created_at)
 VALUES (1, 3, 2, 'udpgro_frglist.sh', NULL, 0, 20, 11, 120, 0.21, 'no change', 'no change detected (with 20 base and 120 series runs)', 'now'),
        (1, 3, 2, 'udpgro_frglist.sh', 'ipv4: udp gso - over veth touching data', 0, 20, 11, 120, 0.21, 'no change', 'no change detected', 'now');
INSERT INTO bisects(good, bad, test, state, params, p0, p1, culprit, confidence, note, started_at, finished_at)
 VALUES ('$c1', '$c3', 'net:udpgro_frglist.sh', 'done', '{}', 0.0, 0.09, '$c3', 0.97, 'found', 'now', 'now');
INSERT INTO bisect_steps(bisect_id, commit_id, role, run_id, runs, failures, errors, decision, confidence, created_at)
 VALUES (1, '$c1', 'good-end', 1, 20, 0, 0, 'good', 0.95, 'now'),
        (1, '$c3', 'bad-end', 3, 120, 11, 0, 'bad', 0.95, 'now'),
        (1, '$c2', 'step', 2, 20, 0, 0, 'good', 0.96, 'now'),
        (1, '$c3', 'step', 3, 120, 11, 0, 'bad', 0.97, 'now');
INSERT INTO alerts(axis, branch, test, suite, pool, direction, good, first, nominal, last, positions, k0, n0, k1, n1, log_bf, prob, fisher_p, created_at, updated_at)
 VALUES ('git', 'master', 'udpgro_frglist.sh', 'net', '["[]",2,2048,"","local"]', 'worse', '$c2', '$c3', '$c3', '$c3', 1, 0, 40, 11, 120, 4.2, 0.9, 0.02, 'now', 'now');
COMMIT;
EOF
"$KFLAKE" tally --rebuild --db "$db" >/dev/null || fail "kflake tally --rebuild"
"$KFLAKE" tally --check --db "$db" >/dev/null || fail "kflake tally --check"

# `kflake report` without a run keeps the kernels apart and says so.
"$KFLAKE" report --db "$db" >"$out/report.txt" || fail "kflake report"
grep -q "^  pool 3: kernel 3 (commit 333333333333)" "$out/report.txt" ||
	fail "report does not name the pools"
grep -q "^pool test  *iter " "$out/report.txt" || fail "report: 'runs' still counts iterations"

"$KFLAKE" serve --listen 127.0.0.1:0 --db "$db" >"$E2E_WORK/status-serve.out" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT
url=
for _ in $(seq 1 100); do
	url=$(sed -n '1s/^listening on //p' "$E2E_WORK/status-serve.out")
	[ -n "$url" ] && break
	sleep 0.1
done
[ -n "$url" ] || fail "server did not start"
u=${url%/}

# The API's bugs, with curl and jq.
api() { curl -s "$u$1"; }
code() { curl -s -o /dev/null -w '%{http_code}' "$u$1"; }
expect_eq "$(api '/api/tests?limit=1' | jq -r '.more')" true "/api/tests more"
expect_eq "$(code '/api/test/udpgro_frglist.sh?page=2')" 200 "/api/test/NAME?page=2"
expect_eq "$(code '/api/test/udpgro_frglist.sh?outcome=crash')" 200 "/api/test/NAME?outcome=crash"
expect_eq "$(api '/api/test/udpgro_frglist.sh?outcome=crash' | jq '.iterations.items | length')" 0 "outcome=crash is empty"
expect_eq "$(api '/api/run/3' | jq -r '.iterations_per_test, (.iterations | type)' | tr '\n' ' ')" "120 object " "/api/run/3 planned count and iteration list"
expect_eq "$(api '/api/runs' | jq -r '.items[0].tests | type')" array "tests in /api/runs"
expect_eq "$(api '/api/run/3' | jq -r '.tests | type')" array "tests in /api/run/ID"
for p in /api/runs /api/tests /api/crashes /api/series /api/bisects /api/alerts; do
	expect_eq "$(api "$p" | jq -r 'keys | join(",")')" "items,limit,more,page" "list shape of $p"
done
expect_eq "$(api '/api/run/3?limit=5' | jq -r '.iterations.more, .boots.more' | tr '\n' ' ')" "true false " "nested lists say more"
expect_eq "$(api '/api/crash/1' | jq -r '.hits | keys | join(",")')" "items,limit,more,page" "nested list shape"
api '/api/tests?test=bad-' | jq -r '.items[0].test' | grep -q "bad-$(printf '\357\277\275')-utf8" ||
	fail "invalid UTF-8 is not U+FFFD in JSON"

# The pages, in Chromium: a PNG each, and the DOM and layout checks.
noxss='["strangers markup stays text", "document.querySelectorAll(\"img[src=x], b.hostile, body script\").length === 0"]'
shown='["strangers markup shown as text", "document.body.textContent.includes(\"<img src=x onerror=alert(1)><script>alert(2)</script><b class=hostile>\\\"&amp;</b>\")"]'
cat >"$E2E_WORK/status-pages.json" <<EOF
[
 {"name": "overview", "url": "$u/", "checks": [$noxss,
  ["what changed since the previous kernel", "document.querySelector('table.changes .change-new-failures') !== null && document.querySelector('table.changes').textContent.includes('udpgro_frglist.sh')"],
  ["no verdict badge on every run", "document.querySelectorAll('table.runs .badge.v-flaky').length === 0"]]},
 {"name": "flakes", "url": "$u/flakes?sort=name", "checks": [$noxss, $shown,
  ["rows per kernel, columns named honestly", "[...document.querySelectorAll('table.flakes th')].map(t => t.textContent).join('|').startsWith('Test|Kernel|Iterations|')"],
  ["a 100 KB name keeps the table on screen", "document.querySelector('table.flakes').getBoundingClientRect().right <= window.innerWidth + 1 && document.documentElement.scrollWidth <= window.innerWidth + 1"],
  ["invalid UTF-8 shows as U+FFFD", "document.body.textContent.includes('bad-\\uFFFD-utf8')"],
  ["sub-cases on each kernel's row", "document.querySelectorAll('table.flakes tr.sub').length >= 6"]]},
 {"name": "flakes-paged", "url": "$u/flakes?limit=2", "checks": [
  ["/flakes has a pager", "document.querySelector('a[rel=next]') !== null && document.querySelector('a[rel=next]').href.includes('limit=2')"]]},
 {"name": "flakes-filter", "url": "$u/flakes?test=frglist", "checks": [
  ["the test filter matches substrings", "document.querySelectorAll('table.flakes a.name').length === 3"]]},
 {"name": "runs", "url": "$u/runs?limit=2", "checks": [
  ["the next link keeps limit", "document.querySelector('a[rel=next]').getAttribute('href') === '/runs?limit=2&page=2'"]]},
 {"name": "run", "url": "$u/run/3?limit=10", "checks": [$noxss, $shown,
  ["every failure first, across all pages", "document.querySelectorAll('section.failures details.failure').length === 12 && (document.querySelector('section.failures').compareDocumentPosition(document.getElementById('iterations')) & Node.DOCUMENT_POSITION_FOLLOWING) !== 0"],
  ["the reproduce line has the fragments and enough iterations", "(t => t.includes('--kconfig /tmp/extra.config') && /--iterations (2[0-9]|3[0-9])\\\\b/.test(t))(document.querySelector('section.failures pre.reproduce').textContent)"],
  ["iterations paged", "document.querySelectorAll('table.iters tr').length === 11"]]},
 {"name": "test", "url": "$u/test/udpgro_frglist.sh", "checks": [
  ["the onset", "document.querySelector('dd.onset').textContent.includes('first failed on') && document.querySelector('dd.onset code').title === '$c3'"],
  ["rates before and since, with intervals", "(t => t.includes('0.0% (0/40)') && t.includes('9.2% (11/120)') && t.includes('95% interval'))(document.querySelector('dl.history').textContent)"],
  ["the trend", "document.querySelector('dd.trend .badge') !== null"],
  ["a plot with kernel boundaries, y ticks, a legend and the limit", "document.querySelectorAll('figure.plot .boundary').length >= 2 && document.querySelectorAll('figure.plot .ytick').length >= 3 && document.querySelector('figure.plot .legend') !== null && document.querySelector('figure.plot .limit') !== null && document.querySelectorAll('figure.plot text.group').length >= 2"],
  ["sub-cases with their own history per kernel", "document.querySelectorAll('table.flakes tr.sub').length === 6"]]},
 {"name": "boot", "url": "$u/boot/1", "checks": [
  ["CRLF: no U+FFFD at line ends", "!document.querySelector('pre.console').textContent.includes('\\uFFFD')"],
  ["the crash highlight is inline", "[...document.querySelectorAll('pre.console .crash')].every(e => getComputedStyle(e).display === 'inline')"],
  ["the line after the report stays on screen", "(r => { r.setStart(document.querySelector('pre.console').lastChild, 1); r.setEnd(document.querySelector('pre.console').lastChild, 10); const b = r.getBoundingClientRect(); return b.left >= 0 && b.left < 100; })(document.createRange())"]]},
 {"name": "iteration", "url": "$u/iteration/5", "checks": [
  ["an iteration page with its reproduce line", "document.querySelector('pre.reproduce') !== null"]]},
 {"name": "test-stranger", "url": "$u/test/$evil_url", "checks": [$noxss, $shown,
  ["the name is the heading", "document.querySelector('h1').textContent.includes('<b class=hostile>')"]]},
 {"name": "series", "url": "$u/series/1", "checks": [$noxss, $shown,
  ["the stored verdict per test", "document.querySelectorAll('table.verdicts tr').length === 3 && document.querySelector('table.verdicts').textContent.includes('no change detected')"],
  ["links to patchwork and lore", "document.querySelector('a.patchwork').href === 'https://patchwork.example.org/api/series/7/' && document.querySelector('a.lore').href === 'https://lore.kernel.org/all/0.cover%40example.org/'"]]},
 {"name": "bisect", "url": "$u/bisect/1", "checks": [
  ["steps, evidence and the culprit", "document.querySelectorAll('table.steps tr').length === 5 && document.querySelector('code.culprit').textContent === '$c3' && document.querySelector('table.steps tr.culprit') !== null"]]},
 {"name": "bisects", "url": "$u/bisects", "checks": [["listed", "document.querySelector('a[href=\"/bisect/1\"]') !== null"]]},
 {"name": "alerts", "url": "$u/alerts", "checks": [["the alert", "document.getElementById('alert-1') !== null"]]},
 {"name": "crash", "url": "$u/crash/1", "checks": [$noxss, $shown, ["its hits", "document.querySelector('a[href=\"/iteration/5\"]') !== null"]]},
 {"name": "crashes", "url": "$u/crashes", "checks": [$noxss, $shown]},
 {"name": "series-list", "url": "$u/series", "checks": [$noxss, $shown]},
 {"name": "stalls", "url": "$u/stalls", "checks": [$noxss]},
 {"name": "error", "url": "$u/run/999999", "checks": [
  ["errors are pages with navigation", "document.querySelector('h1.error').textContent === '404 Not found' && document.querySelectorAll('nav a').length >= 8"]]},
 {"name": "flakes-phone", "url": "$u/flakes", "width": 390, "height": 844, "checks": [
  ["fits a phone", "document.querySelector('main').getBoundingClientRect().right <= window.innerWidth + 1"]]}
]
EOF
python3 "$(dirname "$0")/cdp.py" "$E2E_WORK/status-pages.json" "$out" ||
	fail "status pages (PNGs in $out)"
n=$(ls "$out"/*.png | wc -l)
[ "$n" -ge 20 ] || fail "only $n screenshots"
echo "ok: $n pages shot and checked (PNGs in $out)"
