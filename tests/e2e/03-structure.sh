#!/bin/sh
# 03-structure: the shape issue 14 asked for, checked on the source.
# 1. The call graph of harness/ (cscope) has no loop among the web
#    files: routing and request helpers, pages, API, HTML and SVG each
#    call only what is below them. The file-level graph is printed.
# 2. No SQL in builtin/ or in the HTML code (the pages, their shared
#    pieces, the HTML builder and the SVG): they read the read model.
# Cost: ~2 s.
. "$(dirname "$0")/lib.sh"
command -v cscope >/dev/null || fail "cscope is not installed"
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d /tmp/kflake-structure.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$top"

cscope -b -k -f "$tmp/cscope.out" harness/*.c harness/builtin/*.c ||
	fail "cscope could not index harness/"
cs() { cscope -d -L "$@" -f "$tmp/cscope.out"; }

# Functions other files can call: the non-static definitions of web*.c.
cs -1 '.*' | awk '$1 ~ /^harness\/web[a-z_]*\.c$/ {
	line = $0; sub(/^[^ ]+ [^ ]+ [0-9]+ /, "", line)
	if (line ~ /^static / || line !~ /\(/ || line ~ /;[ \t]*$/) next
	sub(/\(.*/, "", line); n = split(line, w, /[ *]+/)
	if (w[n] != "") print $1, w[n] }' | sort -u >"$tmp/defs"
[ -s "$tmp/defs" ] || fail "no web functions found"

# Edges file -> file it calls (or takes the address of: the route table)
# between two different web files.
: >"$tmp/edges"
while read -r file fn; do
	cs -0 "$fn" | awk -v to="$file" '$1 ~ /^harness\/web[a-z_]*\.c$/ &&
		$1 != to { print $1, to }' >>"$tmp/edges"
done <"$tmp/defs"
sort -u "$tmp/edges" -o "$tmp/edges"
echo "web call graph (file -> file it calls):"
sed 's/^/  /' "$tmp/edges"
[ -s "$tmp/edges" ] || fail "the web files call nothing of each other?"

# A loop is a file that reaches itself.
loop=$(awk '{ e[$1] = e[$1] " " $2; n[$1]; n[$2] }
	function reach(a, b, seen,   k, m, i) {
		if (a in seen) return 0; seen[a]
		m = split(e[a], k, " ")
		for (i = 1; i <= m; i++)
			if (k[i] == b || reach(k[i], b, seen)) return 1
		return 0 }
	END { for (f in n) { delete s; if (reach(f, f, s)) print f } }' "$tmp/edges")
[ -z "$loop" ] || fail "the web files call each other in a loop through: $loop"
echo "ok: no loop among $(cut -d' ' -f1 "$tmp/defs" | sort -u | wc -l) web files"

# No SQL where issue 14 said there must be none.
sql='SELECT |INSERT |UPDATE [a-z_]* SET|DELETE FROM|sqlite3_(prepare|step|column|bind)|store_(prepare|exec|query|sql_)'
files="harness/builtin/*.c harness/web_html.c harness/web_page*.c harness/web_svg.c harness/web_history.c harness/web_matrix.c"
# shellcheck disable=SC2086
if grep -nE "$sql" $files; then
	fail "SQL in builtin/ or the HTML code (above)"
fi
echo "ok: no SQL in builtin/ or the HTML code"
