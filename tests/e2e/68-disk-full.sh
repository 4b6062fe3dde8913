# 68-disk-full: (1) the early free-space check refuses a run before it
# starts, in one line naming the floor, leaving no run behind. (2) A disk
# that fills during a run (database and artefacts on a 48 MB tmpfs, the
# floor lowered with KFLAKE_MIN_FREE_MB so the check passes, a test that
# writes 200 MB): one clear error line, the run marked failed with the
# reason, the iteration that filled the disk not counted, the database
# intact; once there is space again, the next run works.
# Runs in its own mount namespace (unshare -m), so the tmpfs goes with it.
# Cost: ~30 s (two boots of the cached default kernel).
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "needs root for a tmpfs"; exit 77; }
if [ -z "${KFLAKE_E2E_IN_NS:-}" ]; then
	exec unshare --mount --propagation private \
		env KFLAKE_E2E_IN_NS=1 sh "$0" "$@"
fi
small=$E2E_WORK/small
mkdir -p "$small"
mount -t tmpfs -o size=48m tmpfs "$small" || fail "cannot mount a tmpfs"
DB=$small/k.db
export DB

# (1) The floor, before anything starts: 100 MB, which the cache has and
# the 48 MB tmpfs under the database does not.
KFLAKE_MIN_FREE_MB=100 "$KFLAKE" run --db "$DB" --iterations 1 \
	--test "$E2E_TESTS/quick-pass.sh" > "$E2E_OUT/disk-floor.log" 2>&1
rc=$?
cat "$E2E_OUT/disk-floor.log"
expect_eq "$rc" 1 "exit status below the floor"
expect_match "$(head -n 1 "$E2E_OUT/disk-floor.log")" \
	"^kflake: error: .*$small.*: 0.0 GiB free; .* needs 0.1 GiB; fix: free space there" \
	"the early check's message"
[ -e "$DB" ] && expect_eq "$(q 'SELECT count(*) FROM runs')" 0 "runs recorded by a refused run"
echo "ok: nothing recorded"

# (2) The disk fills during the run.
log=$E2E_OUT/disk-full.log
KFLAKE_MIN_FREE_MB=8 "$KFLAKE" run -q --db "$DB" --iterations 2 \
	--test "$E2E_TESTS/fill-disk.sh" > "$log" 2>&1
rc=$?
cat "$log"
df -h "$small"
expect_eq "$rc" 1 "exit status when the disk fills"
expect_eq "$(grep -c '^kflake: error:' "$log")" 1 "error lines"
expect_match "$(grep '^kflake: error:' "$log")" \
	"^kflake: error: run [0-9]* stopped: disk full: $small.* MB free" "the error"
id=$(q 'SELECT max(id) FROM runs')
expect_eq "$(q 'SELECT state FROM runs WHERE id = ?1' "$id")" failed "run state"
expect_match "$(q 'SELECT error FROM runs WHERE id = ?1' "$id")" "disk full: $small" "run error"
expect_eq "$(q 'SELECT count(*) FROM iterations WHERE run_id = ?1' "$id")" 0 \
	"iterations recorded (the one that filled the disk is not the kernel's)"
expect_eq "$(q 'PRAGMA integrity_check')" ok "integrity_check"

# (3) Space again: the next run works.
find "$small/k.artefacts" -name '*.out' -size +1M -delete
KFLAKE_MIN_FREE_MB=8 kf "$E2E_OUT/disk-after.log" run --db "$DB" --iterations 1 \
	--test "$E2E_TESTS/quick-pass.sh" || fail "the run after freeing space failed"
id=$(run_id_of "$E2E_OUT/disk-after.log")
expect_eq "$(q 'SELECT state || "/" || (SELECT group_concat(outcome) FROM iterations WHERE run_id = ?1) FROM runs WHERE id = ?1' "$id")" \
	"done/pass" "the run after"
no_qemu_left
