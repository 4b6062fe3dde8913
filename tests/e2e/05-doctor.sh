# 05-doctor: `kflake doctor` passes on a machine .ci/install-deps set up,
# and with rsync gone from PATH (the fresh-machine failure of issue 9)
# doctor names it with the apt-get line, and `kflake run` on an empty
# cache stops within seconds, before importing or building anything;
# `kflake check` calls that a harness fault (128). Cost: ~3 s.
. "$(dirname "$0")/lib.sh"

out=$E2E_OUT/doctor.log
"$KFLAKE" doctor --db "$E2E_DB" > "$out" 2>&1
rc=$?
cat "$out"
expect_eq "$rc" 0 "doctor exit status on a set-up machine"
for check in "build programs" "payload programs" "guest tools" qemu \
	accelerator disk database "kernel source"; do
	grep -q "^\(ok\|warn\)  *$check" "$out" || fail "no passing '$check' line"
done
echo "ok: every check has a passing line"

json=$("$KFLAKE" doctor --db "$E2E_DB" --json) || fail "doctor --json failed"
expect_eq "$(echo "$json" | jq -r .ok)" true "doctor --json ok"
expect_eq "$(echo "$json" | jq -r '[.checks[] | select(.status == "fail")] | length')" 0 \
	"failed checks in JSON"
expect_match "$(echo "$json" | jq -r '.checks[] | select(.name == "guest tools") | .detail')" \
	"nstat" "guest tools checked"
# The tests' own tools, chromium first (72-status-page needs it): on a
# machine install-deps set up they are all there, not merely a warning.
expect_eq "$(echo "$json" | jq -r '.checks[] | select(.name == "test tools") | .status + " " + (.detail | split(" ")[0])')" \
	"ok chromium" "test tools checked"

# Whatever doctor asks for, install-deps installs.
for p in $("$KFLAKE" doctor --packages); do
	grep -v '^#' "$KFLAKE_HOME/.ci/install-deps" | grep -qw -- "$p" ||
		fail "doctor needs $p, .ci/install-deps does not install it"
done
echo "ok: .ci/install-deps names every package doctor checks for"

# A PATH like the user's, with every program but rsync.
bin=$E2E_WORK/no-rsync-bin
mkdir -p "$bin"
IFS=:
for d in $PATH; do
	# Earlier PATH entries win, as in a lookup: ln skips names taken.
	[ -d "$d" ] && ln -s "$d"/* "$bin"/ 2> /dev/null
done
unset IFS
rm -f "$bin/rsync"
[ ! -e "$bin/rsync" ] && [ -e "$bin/make" ] || fail "could not build the PATH"

PATH=$bin "$KFLAKE" doctor --db "$E2E_DB" > "$out" 2>&1
rc=$?
cat "$out"
expect_eq "$rc" 1 "doctor exit status without rsync"
grep -q "^FAIL  build programs: missing rsync (the kernel's headers_install)" "$out" ||
	fail "doctor does not name rsync"
grep -q "apt-get install -y rsync" "$out" || fail "doctor gives no apt-get line"

cache=$E2E_WORK/empty-cache
db=$E2E_WORK/doctor-run.db
mkdir -p "$cache"
start=$(date +%s)
# Without the preflight this would import and build for ten minutes.
PATH=$bin KFLAKE_CACHE=$cache timeout 60 "$KFLAKE" run --db "$db" > "$out" 2>&1
rc=$?
secs=$(( $(date +%s) - start ))
cat "$out"
expect_eq "$rc" 1 "run exit status without rsync"
[ "$secs" -le 10 ] || fail "run took $secs s to stop"
echo "ok: run stopped after $secs s"
grep -q "error: build programs: missing rsync" "$out" || fail "run does not name rsync"
grep -q "apt-get install -y rsync" "$out" || fail "run gives no apt-get line"
[ -z "$(ls -A "$cache")" ] || fail "run wrote to the cache: $(ls "$cache")"
[ ! -e "$db" ] || fail "run created a database before its checks"
echo "ok: nothing imported, built or recorded"

PATH=$bin KFLAKE_CACHE=$cache "$KFLAKE" check --db "$db" \
	--test "$E2E_TESTS/quick-pass.sh" > "$out" 2>&1
rc=$?
cat "$out"
expect_eq "$rc" 128 "check exit status without rsync"
grep -q "missing rsync" "$out" || fail "check does not name rsync"
exit 0
