# 90-bisect: `kflake bisect` names the commit that broke a test, both when
# the culprit breaks it every time and when it only makes it flaky on top
# of a baseline that fails now and then; a killed bisect resumes from the
# database; `kflake check` answers in git bisect run's exit codes.
#
# One history of 10 commits on a side ref of the cached default tree,
# made with git plumbing (its work tree and master are never touched):
#
#   master - c1 - c2 - c3 - c4 - c5 - c6 - c7 - c8 - c9
#                   \             /
#                    s1 ---------'
#
# Every commit but two only adds a file under Documentation/, which no
# kernel compiles. c3 makes veth drop a quarter of the 600-699 byte
# frames at random (veth-udp-small.sh sends 4 and then fails ~70% of the
# time, on top of its own 3% noise); c7 makes veth drop every frame over 1000
# bytes (veth-udp-big.sh always fails). Both bisects run over the same
# range, so the second reuses the first one's kernel images.
. "$(dirname "$0")/lib.sh"
tree=${KFLAKE_CACHE:-$HOME/.cache/kflake}/trees/linux-source-6.1
[ -d "$tree/.git" ] || fail "no cached default tree (10-run-default runs first)"
g() { git -C "$tree" "$@"; }
base=$(g rev-parse refs/heads/master) || fail "no master branch"
idx=$E2E_WORK/bisect.index
# Fixed names and dates: the same commit ids on every run, so kernels
# built by an earlier run come from the image cache.
export GIT_AUTHOR_NAME=kflake-e2e GIT_AUTHOR_EMAIL=e2e@kflake.invalid
export GIT_COMMITTER_NAME=kflake-e2e GIT_COMMITTER_EMAIL=e2e@kflake.invalid
n=0

# mk TREE-OF PATH BLOB MESSAGE PARENT...: a commit whose tree is TREE-OF's
# with PATH set to BLOB.
mk() {
	of=$1 path=$2 blob=$3 msg=$4
	shift 4
	n=$((n + 1))
	GIT_INDEX_FILE=$idx g read-tree "$of" || return 1
	GIT_INDEX_FILE=$idx g update-index --add --cacheinfo "100644,$blob,$path" || return 1
	t=$(GIT_INDEX_FILE=$idx g write-tree) || return 1
	ps=
	for p in "$@"; do ps="$ps -p $p"; done
	# shellcheck disable=SC2086
	echo "$msg" | GIT_AUTHOR_DATE="$((1700000000 + n)) +0000" \
		GIT_COMMITTER_DATE="$((1700000000 + n)) +0000" g commit-tree "$t" $ps
}
doc() {
	printf 'kflake bisect e2e: note %s (not compiled)\n' "$1" | g hash-object -w --stdin
}
# veth_patch COMMIT COMMENT CONDITION: veth.c of COMMIT with an early drop
# in veth_xmit when CONDITION holds.
veth_patch() {
	g show "$1:drivers/net/veth.c" | awk -v c="$2" -v cond="$3" '
		!done && $0 == "\trcv_priv = netdev_priv(rcv);" {
			print "\t/* kflake e2e: " c " */"
			print "\tif (" cond ") {"
			print "\t\tkfree_skb(skb);"
			print "\t\tgoto drop;"
			print "\t}"
			print ""
			done = 1
		}
		{ print }' | g hash-object -w --stdin
}

c1=$(mk "$base" Documentation/kflake-e2e-1.txt "$(doc 1)" "doc: note 1" "$base") || fail "commit c1"
c2=$(mk "$c1" Documentation/kflake-e2e-2.txt "$(doc 2)" "doc: note 2" "$c1") || fail "commit c2"
flaky=$(veth_patch "$c2" "lose a quarter of the 600-699 byte frames" \
	"length >= 600 && length < 700 && get_random_u32() % 100 < 25")
c3=$(mk "$c2" drivers/net/veth.c "$flaky" "veth: sample mid-sized frames (flaky culprit)" "$c2") || fail "commit c3"
c4=$(mk "$c3" Documentation/kflake-e2e-4.txt "$(doc 4)" "doc: note 4" "$c3") || fail "commit c4"
s1=$(mk "$c2" Documentation/kflake-e2e-s.txt "$(doc s)" "doc: side note" "$c2") || fail "commit s1"
c5=$(mk "$c4" Documentation/kflake-e2e-s.txt "$(doc s)" "Merge side notes" "$c4" "$s1") || fail "commit c5"
c6=$(mk "$c5" Documentation/kflake-e2e-6.txt "$(doc 6)" "doc: note 6" "$c5") || fail "commit c6"
solid=$(veth_patch "$c6" "drop every frame over 1000 bytes" "length > 1000")
c7=$(mk "$c6" drivers/net/veth.c "$solid" "veth: cap frame length (deterministic culprit)" "$c6") || fail "commit c7"
c8=$(mk "$c7" Documentation/kflake-e2e-8.txt "$(doc 8)" "doc: note 8" "$c7") || fail "commit c8"
c9=$(mk "$c8" Documentation/kflake-e2e-9.txt "$(doc 9)" "doc: note 9" "$c8") || fail "commit c9"
g update-ref refs/kflake-e2e/bisect "$c9"
g log --oneline --graph "$base^!" "$c9" 2>/dev/null | head -n 12
[ "$(g diff --stat "$c2" "$c3" -- drivers/net/veth.c | wc -l)" -ge 1 ] || fail "c3 does not patch veth.c"

start=$(date +%s)
# Deterministic: a failure rate of 1 against 0; two iterations decide a step.
log=$E2E_OUT/bisect-solid.log
kf "$log" bisect --good "$base" --bad "$c9" --test "$E2E_TESTS/veth-udp-big.sh" \
	--ends 4 --timeout 60 --db "$E2E_DB"
rc=$?
expect_eq "$rc" 0 "bisect exit status (deterministic)"
id=$(q 'SELECT max(id) FROM bisects WHERE test LIKE ?1' '%veth-udp-big.sh')
expect_eq "$(q 'SELECT culprit FROM bisects WHERE id = ?1' "$id")" "$c7" "culprit (deterministic)"
expect_eq "$(q 'SELECT state FROM bisects WHERE id = ?1' "$id")" done "bisect state"
conf=$(q 'SELECT confidence >= 0.66 FROM bisects WHERE id = ?1' "$id")
expect_eq "$conf" 1 "confidence at least 0.66"
expect_eq "$(q "SELECT count(*) FROM runs WHERE bisect_id = ?1 AND kind = 'bisect'" "$id")" \
	"$(q 'SELECT count(*) FROM bisect_steps WHERE bisect_id = ?1' "$id")" "one run per step"
grep -q "^first bad commit: $c7" "$log" || fail "the report does not name $c7"
echo "deterministic bisect: $(( $(date +%s) - start )) s"
q "SELECT role, substr(commit_id, 1, 12), runs, failures, decision FROM bisect_steps WHERE bisect_id = ?1 ORDER BY id" "$id"
# Ends at 0/4 and 4/4 give p0 0.02 and p1 0.51 (4/4's lower Wilson
# bound): 2 failures decide bad (LLR 6.48), 7 passes decide good (-4.85).
expect_eq "$(q "SELECT coalesce(max(runs), 2) FROM bisect_steps WHERE bisect_id = ?1 AND role = 'step' AND decision = 'bad'" "$id")" 2 "iterations per bad step"
expect_eq "$(q "SELECT coalesce(max(runs), 7) FROM bisect_steps WHERE bisect_id = ?1 AND role = 'step' AND decision = 'good'" "$id")" 7 "iterations per good step"

# --show and bisects read the same state back.
"$KFLAKE" bisect --show "$id" --db "$E2E_DB" > "$E2E_OUT/bisect-show.txt" || fail "bisect --show"
grep -q "^first bad commit: $c7" "$E2E_OUT/bisect-show.txt" || fail "--show does not name the culprit"
"$KFLAKE" bisect --show "$id" --json --db "$E2E_DB" > "$E2E_OUT/bisect-show.json" || fail "bisect --show --json"
expect_eq "$(jq -r .culprit "$E2E_OUT/bisect-show.json")" "$c7" "--json culprit"
"$KFLAKE" bisects --db "$E2E_DB" | grep -q "^ *$id  done" || fail "kflake bisects does not list bisect $id"

# Resuming a finished bisect replays every step from the database.
runs_before=$(q 'SELECT count(*) FROM runs')
"$KFLAKE" bisect --resume "$id" --db "$E2E_DB" > "$E2E_OUT/bisect-replay.log" 2>&1 ||
	fail "bisect --resume of a finished bisect: $(tail -n 3 "$E2E_OUT/bisect-replay.log")"
expect_eq "$(q 'SELECT count(*) FROM runs')" "$runs_before" "runs after replaying"
expect_eq "$(q 'SELECT culprit FROM bisects WHERE id = ?1' "$id")" "$c7" "culprit after replaying"

# kflake check on the same kernels (cached images): 0 good, 1 bad.
"$KFLAKE" check --ref "$c6" --test "$E2E_TESTS/veth-udp-big.sh" --iterations 2 \
	--db "$E2E_DB" > "$E2E_OUT/check-good.log" 2>&1
expect_eq "$?" 0 "check exit status on c6"
"$KFLAKE" check --ref "$c7" --test "$E2E_TESTS/veth-udp-big.sh" --sprt --p0 0.02 --p1 0.95 \
	--db "$E2E_DB" > "$E2E_OUT/check-bad.log" 2>&1
expect_eq "$?" 1 "check --sprt exit status on c7"
grep "^check:" "$E2E_OUT/check-bad.log"
# Reproducible images: c5 differs from c6 only under Documentation/, so
# its kernel is byte for byte c6's (what bisect's "identical image to
# its parent" warning relies on); c7 changes veth.c.
"$KFLAKE" check --ref "$c5" --test "$E2E_TESTS/veth-udp-big.sh" --iterations 1 \
	--db "$E2E_DB" > "$E2E_OUT/check-c5.log" 2>&1
expect_eq "$?" 0 "check exit status on c5"
img() { q "SELECT image_sha1 FROM kernels WHERE commit_id = ?1 AND state = 'ok' ORDER BY id DESC LIMIT 1" "$1"; }
expect_match "$(img "$c6")" '^[0-9a-f]\{40\}$' "c6 image sha1"
expect_eq "$(img "$c5")" "$(img "$c6")" "image of c5 (doc-only change) = image of c6"
[ "$(img "$c7")" != "$(img "$c6")" ] || fail "c7 changes veth.c but its image equals c6's"
"$KFLAKE" check --ref no-such-ref --test "$E2E_TESTS/veth-udp-big.sh" \
	--db "$E2E_DB" > "$E2E_OUT/check-fault.log" 2>&1
expect_eq "$?" 128 "check exit status on an unknown ref"

# Flaky: killed after its first step, then resumed.
start=$(date +%s)
log=$E2E_OUT/bisect-flaky.log
# An extra fragment (one the config already has, so the images stay the
# cached ones): --resume must build with it too, from the database.
extra=$E2E_WORK/bisect-extra.config
echo CONFIG_VETH=y > "$extra"
"$KFLAKE" bisect --good "$base" --bad "$c9" --test "$E2E_TESTS/veth-udp-small.sh" \
	--ends 12 --timeout 60 --kconfig "$extra" --db "$E2E_DB" > "$log" 2>&1 &
pid=$!
id=
# Kill it half-way through its first step (or right after it): the
# iterations that step recorded must count after the resume.
for i in $(seq 900); do
	id=$(q 'SELECT max(id) FROM bisects WHERE test LIKE ?1' '%veth-udp-small.sh')
	if [ -n "$id" ]; then
		mid=$(q "SELECT count(*) FROM bisect_steps s JOIN runs r ON r.bisect_id = s.bisect_id AND r.commit_id = s.commit_id JOIN iterations i ON i.run_id = r.id WHERE s.bisect_id = ?1 AND s.role = 'step' AND s.decision IS NULL" "$id")
		done=$(q "SELECT count(*) FROM bisect_steps WHERE bisect_id = ?1 AND decision IS NOT NULL" "$id")
		[ "$mid" -ge 1 ] || [ "$done" -ge 3 ] && break
	fi
	kill -0 $pid 2> /dev/null || break
	sleep 1
done
# SIGKILL leaves its QEMU or make behind: end them by pid, group first.
kids=$(pgrep -P $pid)
kill -9 $pid 2> /dev/null
wait $pid
for k in $kids; do kill -9 -- -"$k" 2> /dev/null || kill -9 "$k" 2> /dev/null; done
sleep 1
cat "$log"
[ -n "$id" ] || fail "the flaky bisect did not start"
expect_eq "$(q 'SELECT state FROM bisects WHERE id = ?1' "$id")" running "state right after SIGKILL"
echo "killed bisect $id after $(q 'SELECT count(*) FROM bisect_steps WHERE bisect_id = ?1 AND decision IS NOT NULL' "$id") finished step(s)"
log=$E2E_OUT/bisect-flaky-resume.log
kf "$log" bisect --resume "$id" --db "$E2E_DB"
rc=$?
expect_eq "$rc" 0 "bisect --resume exit status (flaky)"
expect_eq "$(q 'SELECT culprit FROM bisects WHERE id = ?1' "$id")" "$c3" "culprit (flaky)"
grep -q "(from the database)" "$log" || fail "the resumed bisect did not reuse finished steps"
expect_eq "$(q "SELECT count(*) FROM runs WHERE bisect_id = ?1 AND coalesce(fragments, '') NOT LIKE ?2" "$id" "%bisect-extra.config%")" 0 \
	"bisect runs without the --kconfig fragment"
echo "flaky bisect: $(( $(date +%s) - start )) s"
echo "iterations per step (flaky):"
q "SELECT role, substr(commit_id, 1, 12), runs, failures, errors, decision, round(confidence, 3) FROM bisect_steps WHERE bisect_id = ?1 ORDER BY id" "$id"
no_qemu_left
