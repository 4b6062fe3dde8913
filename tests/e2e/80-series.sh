# 80-series: a two-patch series on top of the default tree (comments in
# net/ipv4/udp_offload.c and net/core/gro.c, made with git plumbing
# without touching the work tree), served by a loopback patchwork, is
# applied, built, run against its base and given a verdict.
. "$(dirname "$0")/lib.sh"
tree=${KFLAKE_CACHE:-$HOME/.cache/kflake}/trees/linux-source-6.1
if [ ! -d "$tree/.git" ]; then
	echo "no cached default tree (10-run-default runs first)"
	exit 77
fi
command -v python3 > /dev/null || { echo "python3 is not installed"; exit 77; }
export GIT_AUTHOR_NAME="Kflake Tester" GIT_AUTHOR_EMAIL=tester@example.org
export GIT_AUTHOR_DATE="2024-01-02T03:04:05Z" GIT_COMMITTER_DATE="2024-01-02T03:04:05Z"
export GIT_COMMITTER_NAME="Kflake Tester" GIT_COMMITTER_EMAIL=tester@example.org
g() { git -C "$tree" "$@"; }
base=$(g rev-parse refs/heads/master) || fail "no master branch"
idx=$E2E_WORK/series.index

# commit PARENT FILE MESSAGE: PARENT with one comment line added to FILE.
commit() {
	blob=$(g show "$1:$2" | sed '1a\
/* kflake e2e: a harmless comment. */' | g hash-object -w --stdin) || fail "hash-object $2"
	GIT_INDEX_FILE=$idx g read-tree "$1"
	GIT_INDEX_FILE=$idx g update-index --cacheinfo "100644,$blob,$2"
	t=$(GIT_INDEX_FILE=$idx g write-tree)
	printf '%s\n\nSigned-off-by: Kflake Tester <tester@example.org>\n' "$3" |
		g commit-tree "$t" -p "$1"
}
c1=$(commit "$base" net/ipv4/udp_offload.c "udp: add a harmless comment") || fail "commit 1"
c2=$(commit "$c1" net/core/gro.c "net: gro: add a harmless comment") || fail "commit 2"
mbox=$E2E_WORK/series.mbox
g format-patch --stdout "$base..$c2" > "$mbox" || fail "format-patch"
expect_eq "$(grep -c '^Subject: \[PATCH' "$mbox")" 2 "patches in the mbox"

portfile=$E2E_WORK/pwserver.port
rm -f "$portfile"
python3 "$(dirname "$0")/pwserver.py" "$mbox" "$portfile" &
server=$!
trap 'kill $server 2> /dev/null' EXIT
i=0
while [ ! -s "$portfile" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
port=$(cat "$portfile") || fail "the patchwork stand-in did not start"

log=$E2E_OUT/series.log
kf "$log" run --series "pw:http://127.0.0.1:$port/1" --iterations 2 \
	--db "$E2E_DB" --test "$E2E_TESTS/quick-pass.sh"
rc=$?
expect_eq "$rc" 0 "exit status"
sid=$(q "SELECT id FROM series WHERE source = ?1 ORDER BY id DESC LIMIT 1" "pw:http://127.0.0.1:$port/1")
[ -n "$sid" ] || fail "no series row"
expect_eq "$(q 'SELECT state FROM series WHERE id = ?1' "$sid")" tested "series state"
expect_eq "$(q 'SELECT kind || " " || patch_count || " " || pw_id FROM series WHERE id = ?1' "$sid")" "patchwork 2 1" "kind, patches, pw id"
expect_eq "$(q 'SELECT base_commit FROM series WHERE id = ?1' "$sid")" "$base" "base commit"
result=$(q 'SELECT result_commit FROM series WHERE id = ?1' "$sid")
expect_match "$result" '^[0-9a-f]\{40\}$' "result commit"
ref=refs/kflake/series/$sid-$(printf %.12s "$result")
expect_eq "$(g rev-parse "$ref")" "$result" "$ref"
expect_eq "$(g rev-parse "$result^^")" "$base" "result commit's grandparent"
expect_eq "$(g diff --stat "$c2" "$result" | wc -l)" 0 "result tree = the series' tree"
expect_eq "$(q 'SELECT group_concat(seq || ":" || subject, ",") FROM (SELECT * FROM patches WHERE series_id = ?1 ORDER BY seq)' "$sid")" \
	"1:udp: add a harmless comment,2:net: gro: add a harmless comment" "patches"
expect_eq "$(q 'SELECT count(*) FROM patches WHERE series_id = ?1 AND commit_id IS NOT NULL AND trailers LIKE ?2' "$sid" '%Signed-off-by%')" 2 "patch commits and trailers"
expect_eq "$(q 'SELECT count(*) FROM runs WHERE series_id = ?1 AND commit_id = ?2 AND state = ?3' "$sid" "$result" done)" 1 "series run"
# The base ran here, or earlier on the same commit and config (reused).
n=$(q "SELECT count(*) FROM iterations i JOIN runs r ON r.id = i.run_id WHERE r.commit_id = ?1 AND r.series_id IS NULL AND r.state = 'done' AND i.test = 'quick-pass.sh'" "$base")
[ "$n" -ge 2 ] || fail "only $n base iterations of quick-pass.sh"
echo "ok: $n base iterations"
grep -q "reusing" "$log" || expect_eq "$(q 'SELECT count(*) FROM runs WHERE commit_id = ?1 AND series_id IS NULL AND id > (SELECT min(id) FROM runs WHERE series_id = ?2)' "$base" "$sid")" 1 "base run"
grep -q "^  quick-pass.sh: base [0-9]*/[0-9]* failed .*Fisher p = " "$log" || fail "no comparison line"
grep -q "^    verdict: \(undecided: \)\?no change detected (with [0-9]* " "$log" || fail "no verdict line"
echo "ok: verdict printed"
no_qemu_left
