# 82-series-sandbox: a stranger's series whose Makefile, while building,
# writes into the source tree, a host directory, the object directory and
# ccache, and opens a TCP connection to a listener on the host. Built in
# the sandbox, it fails to build with a clear error, and nothing outside
# the sandbox changed: no file appeared, the listener saw no connection,
# and what it wrote to the object directory and ccache went to private
# layers that are gone. --no-sandbox is refused for it.
# Cost: ~40 s (the series is configured in its layer and fails at prepare).
. "$(dirname "$0")/lib.sh"
cache=${KFLAKE_CACHE:-$HOME/.cache/kflake}
tree=$cache/trees/linux-source-6.1
if [ ! -d "$tree/.git" ]; then
	echo "no cached default tree (10-run-default runs first)"
	exit 77
fi
[ "$(id -u)" = 0 ] || { echo "untrusted builds layer with overlayfs (root)"; exit 77; }
export GIT_AUTHOR_NAME="Mallory" GIT_AUTHOR_EMAIL=mallory@example.org
export GIT_AUTHOR_DATE="2024-01-02T03:04:05Z" GIT_COMMITTER_DATE="2024-01-02T03:04:05Z"
export GIT_COMMITTER_NAME="Mallory" GIT_COMMITTER_EMAIL=mallory@example.org
g() { git -C "$tree" "$@"; }
w=$E2E_WORK/hostile
mkdir -p "$w"
objdir=$cache/obj/$(printf %s "$(cd "$tree" && pwd -P)" | git hash-object --stdin | cut -c1-12)
ccdir=$(ccache -k cache_dir)
outside="$tree/kflake-escaped-srctree $w/kflake-escaped-host $objdir/kflake-escape-objdir $ccdir/kflake-escape-ccache"
rm -f $outside

portfile=$w/port
python3 -c '
import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(5)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
c, a = s.accept(); open(sys.argv[2], "w").write("connected from %s\n" % (a,))
' "$portfile" "$w/connected" &
listener=$!
trap 'kill $listener 2>/dev/null' EXIT
i=0
while [ ! -s "$portfile" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
port=$(cat "$portfile") || fail "no listener"

base=$(g rev-parse refs/heads/master) || fail "no master branch"
idx=$w/index
blob=$({ g show "$base:Makefile"; printf '\n# A hostile series.\nPHONY += kflake-escape\nkflake-escape:\n'
	for f in $outside; do printf '\t-touch %s\n' "$f"; done
	printf '\tpython3 -c %s\n' "'import socket; socket.create_connection((\"127.0.0.1\", $port), 3)'"
	printf 'prepare: kflake-escape\n'; } | g hash-object -w --stdin) || fail "hash-object"
GIT_INDEX_FILE=$idx g read-tree "$base"
GIT_INDEX_FILE=$idx g update-index --cacheinfo "100644,$blob,Makefile"
t=$(GIT_INDEX_FILE=$idx g write-tree)
c=$(printf 'kbuild: be helpful\n\nSigned-off-by: Mallory <mallory@example.org>\n' | g commit-tree "$t" -p "$base")
g format-patch --stdout "$base..$c" > "$w/hostile.mbox" || fail "format-patch"

log=$E2E_OUT/series-sandbox.log
kf "$log" run --series "$w/hostile.mbox" --ref "$base" --iterations 1 \
	--db "$E2E_DB" --test "$E2E_TESTS/quick-pass.sh"
rc=$?
expect_eq "$rc" 1 "exit status"
grep -q "verdict: the series does not build" "$log" || fail "no clear verdict"
grep -q "does not build: .*kflake-escape" "$log" || fail "the error does not name the failing step"
id=$(q "SELECT max(id) FROM runs WHERE series_id IS NOT NULL")
expect_eq "$(q 'SELECT build_sandbox FROM runs WHERE id = ?1' "$id")" bwrap-untrusted "the run record"
blog=$(q 'SELECT k.build_log FROM runs r JOIN kernels k ON k.id = r.kernel_id WHERE r.id = ?1' "$id")
# In its own network namespace only its own loopback answers (nobody).
grep -q "Connection refused\|Network is unreachable" "$blog" ||
	fail "$blog: the connection did not fail as expected"
grep -q "kflake-escaped-srctree': Read-only file system" "$blog" || fail "$blog: the tree was not read-only"
for f in $outside; do
	[ -e "$f" ] && fail "the build wrote $f"
done
echo "ok: nothing written outside the sandbox ($outside)"
[ -e "$w/connected" ] && fail "the build connected: $(cat "$w/connected")"
echo "ok: the listener saw no connection"

# --no-sandbox is for local trees only.
kf "$E2E_OUT/series-nosandbox.log" run --series "$w/hostile.mbox" --ref "$base" \
	--iterations 1 --db "$E2E_DB" --test "$E2E_TESTS/quick-pass.sh" --no-sandbox
expect_eq "$?" 1 "exit status with --no-sandbox"
grep -q "no-sandbox: only for a local tree" "$E2E_OUT/series-nosandbox.log" || fail "--no-sandbox was not refused"
for f in $outside; do
	[ -e "$f" ] && fail "the build wrote $f"
done
no_qemu_left
