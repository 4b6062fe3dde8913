# 50-build-fail: a commit that does not compile is a clear one-line error
# naming the first compiler error, exit 1, and a run marked failed; the
# error shows the last lines of the build's output and its full log,
# which is kept (kernels.build_log) where the next build cannot delete
# it. The broken commit is made with git plumbing on a side ref of the
# cached default tree, without touching its work tree. Cost: ~40 s (two
# incremental builds that fail at init/version.c).
. "$(dirname "$0")/lib.sh"
tree=${KFLAKE_CACHE:-$HOME/.cache/kflake}/trees/linux-source-6.1
[ -d "$tree/.git" ] || fail "no cached default tree (10-run-default runs first)"
g() { git -C "$tree" "$@"; }
base=$(g rev-parse refs/heads/master) || fail "no master branch"
idx=$E2E_WORK/broken.index
blob=$(g show "$base:init/version.c" | sed 's/^#include <generated\/utsrelease.h>/&\nthis is not C;/' |
	g hash-object -w --stdin) || fail "hash-object"
GIT_INDEX_FILE=$idx g read-tree "$base"
GIT_INDEX_FILE=$idx g update-index --cacheinfo "100644,$blob,init/version.c"
t=$(GIT_INDEX_FILE=$idx g write-tree)
c=$(echo "kflake e2e: a commit that does not build" | g commit-tree "$t" -p "$base")
g update-ref refs/kflake-e2e/broken "$c"
log=$E2E_OUT/build-fail.log
kf "$log" run --ref "$c" --iterations 1 --db "$E2E_DB" \
	--test "$E2E_TESTS/quick-pass.sh"
rc=$?
expect_eq "$rc" 1 "exit status"
grep -q "error: kernel ${c%"${c#????????????}"} does not build: init/version.c:[0-9]*:[0-9]*: error: " "$log" ||
	fail "the error does not name the first compiler error"
id=$(run_id_of "$log")
expect_eq "$(q 'SELECT state FROM runs WHERE id = ?1' "$id")" failed "run state"
expect_match "$(q 'SELECT error FROM runs WHERE id = ?1' "$id")" "init/version.c" "run error"
expect_eq "$(q 'SELECT count(*) FROM iterations WHERE run_id = ?1' "$id")" 0 "iterations"
expect_eq "$(q 'SELECT k.state FROM kernels k JOIN runs r ON r.kernel_id = k.id WHERE r.id = ?1' "$id")" failed "kernel state"

# The error shows its cause: the log's last lines, and the kept log.
klog=$(q 'SELECT k.build_log FROM kernels k JOIN runs r ON r.kernel_id = k.id WHERE r.id = ?1' "$id")
cache=${KFLAKE_CACHE:-$HOME/.cache/kflake}
expect_match "$klog" "^$cache/logs/build-${c%"${c#????????????}"}-" "kernel build_log"
grep -q "this is not C" "$klog" || fail "the kept log $klog lacks the compiler's output"
grep -q "full log: $klog" "$log" || fail "the error does not name the kept log"
grep -q "^kflake: last lines of $klog:" "$log" || fail "no tail of the log shown"
sed -n "/^kflake: last lines of /,\$p" "$log" | grep -q "^    .*Error [0-9]" ||
	fail "the tail does not show make's error"
echo "ok: the error shows the log's tail and names $klog"

# The next build (the same broken commit again) keeps its own log.
log2=$E2E_OUT/build-fail-2.log
kf "$log2" run --ref "$c" --iterations 1 --db "$E2E_DB" \
	--test "$E2E_TESTS/quick-pass.sh" > /dev/null
id2=$(run_id_of "$log2")
klog2=$(q 'SELECT k.build_log FROM kernels k JOIN runs r ON r.kernel_id = k.id WHERE r.id = ?1' "$id2")
[ "$klog2" != "$klog" ] && [ -s "$klog2" ] || fail "second build log '$klog2'"
[ -s "$klog" ] || fail "the next build deleted $klog"
echo "ok: $klog survived the next build ($klog2)"
