#!/bin/sh
# 50-web.sh - `kflake serve` against the database a real short run filled
# (E2E_DB, from an earlier e2e test): status codes and JSON with curl,
# then headless Chromium renders /, /flakes and the run page; their text
# must carry the run's figures as sqlite3 reads them from the database.
# Exit 77 (skip) when there is no such database.
set -eu

: "${KFLAKE:?KFLAKE must name the kflake binary}"
if [ -z "${E2E_DB:-}" ] || [ ! -s "$E2E_DB" ]; then
	echo "50-web: skip: E2E_DB is unset or missing (needs a real run)"
	exit 77
fi
for tool in curl sqlite3 chromium; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "50-web: FAIL: $tool is not installed" >&2
		exit 1
	fi
done

tmp=$(mktemp -d /tmp/kflake-e2e-web.XXXXXX)
out=${E2E_OUT:-$tmp/out}
mkdir -p "$out"
pid=
cleanup() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

fail() {
	echo "50-web: FAIL: $*" >&2
	exit 1
}

q() {
	sqlite3 -readonly -batch -noheader "$E2E_DB" "$1"
}

# Chromium prints text as the DOM holds it: escape what HTML escapes.
html() {
	printf '%s' "$1" | sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' \
		-e 's/>/\&gt;/g'
}

"$KFLAKE" serve --listen 127.0.0.1:0 --db "$E2E_DB" \
	>"$tmp/serve.out" 2>"$tmp/serve.err" &
pid=$!
url=
for _ in $(seq 1 100); do
	url=$(sed -n '1s/^listening on //p' "$tmp/serve.out")
	[ -n "$url" ] && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
[ -n "$url" ] || fail "server did not start: $(cat "$tmp/serve.err")"
case $url in
http://127.0.0.1:[0-9]*/) ;;
*) fail "unexpected first line: $url" ;;
esac

code() {
	curl -s -o "$tmp/body" -w '%{http_code}' "$url${1#/}"
}

expect() {
	got=$(code "$2")
	[ "$got" = "$1" ] || fail "GET $2: $got, expected $1"
}

# The kept tallies the pages read agree with a recount of the iterations.
"$KFLAKE" tally --check --db "$E2E_DB" || fail "kflake tally --check"

run=$(q "SELECT min(id) FROM runs")
last=$(q "SELECT max(id) FROM runs")
[ -n "$run" ] || fail "E2E_DB has no runs"
iters=$(q "SELECT count(*) FROM iterations WHERE run_id = $run")
fails=$(q "SELECT count(*) FROM iterations WHERE run_id = $run AND
	   outcome IN ('fail', 'stall', 'crash')")
[ "$iters" -gt 0 ] || fail "run $run has no iterations"

for p in / /runs /flakes "/run/$run" /crashes /series /api/running \
	"/api/runs" "/api/run/$run" /api/tests /static/style.css; do
	expect 200 "$p"
done
expect 404 /no/such/page
expect 404 /run/999999999
expect 400 '/flakes?limit=0'
expect 400 '/api/runs?commit=not-hex'
expect 400 '/flakes?unknown=1'

code "/api/run/$run" >/dev/null
grep -q "\"id\":$run," "$tmp/body" || fail "/api/run/$run lacks its id"
# Runs are listed newest first: with one per page, this page is run $run.
page=$(q "SELECT count(*) FROM runs WHERE id >= $run")
code "/api/runs?limit=1&page=$page" >/dev/null
grep -q "^{\"items\":\[{\"id\":$run," "$tmp/body" ||
	fail "/api/runs page $page is not run $run"
grep -qF "\"done\":$iters,\"failures\":$fails," "$tmp/body" ||
	fail "/api/runs: run $run should have $fails of $iters failing"

shoot() {	# name path width height
	rm -rf "$tmp/chrome"
	timeout 90 chromium --headless --no-sandbox --disable-gpu \
		--disable-background-networking --disable-quic --no-first-run \
		--disable-component-update --disable-sync \
		--user-data-dir="$tmp/chrome" --hide-scrollbars \
		--window-size="$3,$4" --screenshot="$out/$1.png" \
		"$url${2#/}" >/dev/null 2>&1 || fail "chromium failed on $2"
	sig=$(head -c 8 "$out/$1.png" | od -An -tx1 | tr -d ' \n')
	[ "$sig" = 89504e470d0a1a0a ] || fail "$1.png is not a PNG"
	[ "$(wc -c <"$out/$1.png")" -gt 2000 ] || fail "$1.png is empty"
}

dom() {	# path -> $tmp/dom
	rm -rf "$tmp/chrome"
	timeout 90 chromium --headless --no-sandbox --disable-gpu \
		--disable-background-networking --disable-quic --no-first-run \
		--disable-component-update --disable-sync \
		--user-data-dir="$tmp/chrome" --dump-dom "$url${1#/}" \
		>"$tmp/dom" 2>/dev/null || fail "chromium --dump-dom $1 failed"
	cp "$tmp/dom" "$out/$(echo "${1#/}" | tr '/?' '__' | sed 's/^$/overview/').html"
}

has() {
	grep -qF -- "$1" "$tmp/dom" || fail "$2: page lacks '$1'"
}

shoot overview / 1280 900
shoot flakes /flakes 1280 900
shoot run "/run/$run" 1280 900
shoot flakes-phone /flakes 390 844

# Overview: the newest run, and the totals the database holds.
dom /
has "<a href=\"/run/$last\">$last</a>" overview
has "$(q "SELECT count(*) FROM runs") runs, $(q "SELECT count(*) FROM iterations WHERE retry = 0") iterations" overview

# Run page: iteration and failure counts, and each test's k/n.
dom "/run/$run"
has "<dt>Iterations</dt><dd>$iters ($fails failed)</dd>" run
q "SELECT test, sum(outcome IN ('fail', 'stall', 'crash')),
	  sum(outcome IN ('fail', 'stall', 'crash', 'pass'))
   FROM iterations WHERE run_id = $run GROUP BY test" >"$tmp/tests"
while IFS='|' read -r test k n; do
	has "$(html "$test")" run
	has "($k/$n)" "run ($test)"
done <"$tmp/tests"

# Flakes: every test's failures on each kernel (pool) it ran on, never
# two kernels counted together.
dom "/flakes?limit=500"
q "SELECT i.test, sum(i.outcome IN ('fail', 'stall', 'crash')),
	  sum(i.outcome IN ('fail', 'stall', 'crash', 'pass'))
   FROM iterations i JOIN runs r ON r.id = i.run_id WHERE i.retry = 0
   GROUP BY i.test, i.suite, coalesce(r.kernel_id, -r.id), r.kconfig_set,
	    r.guest_cpus, r.guest_mem_mb, r.stress, r.executor" >"$tmp/tests"
while IFS='|' read -r test k n; do
	has "$(html "$test")" flakes
	has "($k/$n)" "flakes ($test)"
done <"$tmp/tests"

kill "$pid"
wait "$pid" || fail "serve did not exit cleanly on SIGTERM"
pid=
echo "50-web: ok ($iters iterations of run $run; screenshots in $out)"
