#!/bin/sh
# bench/until.sh - one real run of each `--until decided` stopping rule
# (QEMU on the cached default kernel, its own database), against the
# fixed counts bench/seqsim compares them with:
#   1. plain: a test failing ~30% of the time at random and one that
#      always passes, --until decided --max 50 (fixed: 50 each);
#   2. base against series (a one-comment series as an mbox, the same
#      test on both): rounds of 5 per side until a 20-point rise is ruled
#      out (fixed at equal power: 60 per side, docs/STATISTICS.md).
# Prints the iterations each used. About 5 minutes under TCG.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
K=$top/kflake
[ -x "$K" ] || { echo "bench: build kflake first (make)"; exit 1; }
tree=${KFLAKE_CACHE:-$HOME/.cache/kflake}/trees/linux-source-6.1
[ -d "$tree/.git" ] || { echo "bench: run 'make run' once first (no cached tree)"; exit 1; }
tmp=$(mktemp -d /tmp/kflake-bench-until.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
# The sandboxed QEMU runs as nobody: it must reach the tests written here.
chmod 755 "$tmp"
db=$tmp/until.db

cat > "$tmp/flaky30.sh" <<'EOF'
#!/bin/sh
# Fails about 30% of the time (77/256), at random.
n=$(od -An -N1 -tu1 /dev/urandom)
[ "$n" -lt 77 ] && { echo "unlucky ($n)"; exit 1; }
echo "lucky ($n)"
EOF
chmod +x "$tmp/flaky30.sh"

echo "== 1. plain: --until decided --max 50"
"$K" run --until decided --max 50 --test "$tmp/flaky30.sh" \
	--test "$top/tests/e2e/tests/quick-pass.sh" --db "$db" -q > "$tmp/plain.txt"
sqlite3 "$db" "SELECT printf('%-14s %3d iterations (fixed: 50), %d failed', test, count(*), sum(outcome = 'fail')) FROM iterations GROUP BY test ORDER BY test"
grep -E "^(flaky30|quick-pass)" "$tmp/plain.txt" | sed 's/  */ /g'

echo "== 2. base against series: --until decided (cap 80 per side)"
export GIT_AUTHOR_NAME=Bench GIT_AUTHOR_EMAIL=bench@example.org \
	GIT_COMMITTER_NAME=Bench GIT_COMMITTER_EMAIL=bench@example.org \
	GIT_AUTHOR_DATE="2024-01-02T03:04:05Z" GIT_COMMITTER_DATE="2024-01-02T03:04:05Z"
g() { git -C "$tree" "$@"; }
base=$(g rev-parse refs/heads/master)
blob=$(g show "$base:net/ipv4/udp_offload.c" | sed '1a\
/* kflake bench/until.sh: a harmless comment. */' | g hash-object -w --stdin)
GIT_INDEX_FILE=$tmp/index g read-tree "$base"
GIT_INDEX_FILE=$tmp/index g update-index --cacheinfo "100644,$blob,net/ipv4/udp_offload.c"
c=$(printf 'udp: a harmless comment\n' | g commit-tree "$(GIT_INDEX_FILE=$tmp/index g write-tree)" -p "$base")
g format-patch --stdout "$base..$c" > "$tmp/series.mbox"
# A database of its own: nothing on record to reuse for the base.
db=$tmp/series.db
start=$(date +%s)
"$K" run --series "$tmp/series.mbox" --until decided \
	--test "$top/tests/e2e/tests/quick-pass.sh" --db "$db" -q > "$tmp/series.txt"
secs=$(( $(date +%s) - start ))
grep -E "quick-pass|verdict" "$tmp/series.txt"
sqlite3 "$db" "SELECT printf('%-6s side: %d iterations in %d run(s)', CASE WHEN r.series_id IS NULL THEN 'base' ELSE 'series' END, count(*), count(DISTINCT r.id)) FROM iterations i JOIN runs r ON r.id = i.run_id GROUP BY r.series_id IS NULL"
echo "series run: ${secs} s wall (fixed design of equal power: 60 per side)"
