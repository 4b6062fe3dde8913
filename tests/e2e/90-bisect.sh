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
. "$(dirname "$0")/bisect-history.sh"
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
