# 60-interrupt: Ctrl-C (SIGINT) in the middle of a run keeps the
# iterations that finished, marks the run interrupted, exits 130 and
# leaves no QEMU behind; a run whose process was SIGKILLed leaves no QEMU
# either and is marked interrupted by the next kflake run.
. "$(dirname "$0")/lib.sh"
log=$E2E_OUT/interrupt.log
"$KFLAKE" run --iterations 50 --db "$E2E_DB" \
	--test "$E2E_TESTS/quick-pass.sh" > "$log" 2>&1 &
pid=$!
i=0
while [ $i -lt 900 ]; do
	id=$(run_id_of "$log")
	if [ -n "$id" ] && [ "$(q 'SELECT count(*) FROM iterations WHERE run_id = ?1' "$id")" -ge 2 ]; then
		break
	fi
	sleep 0.2
	i=$((i + 1))
done
kill -INT $pid
wait $pid
rc=$?
cat "$log"
expect_eq "$rc" 130 "exit status"
n=$(q 'SELECT count(*) FROM iterations WHERE run_id = ?1' "$id")
[ "$n" -ge 2 ] && [ "$n" -lt 50 ] || fail "$n iterations kept"
echo "ok: $n iterations kept"
expect_eq "$(q 'SELECT state FROM runs WHERE id = ?1' "$id")" interrupted "run state"
expect_eq "$(q 'SELECT count(*) FROM iterations WHERE run_id = ?1 AND outcome != ?2' "$id" pass)" 0 \
	"no half-recorded iteration"
no_qemu_left $pid

# SIGKILL: nothing can be recorded then; the next run notices.
"$KFLAKE" run --iterations 50 --db "$E2E_DB" \
	--test "$E2E_TESTS/quick-pass.sh" > "$log.2" 2>&1 &
pid=$!
# Killed once QEMU runs (killed while bwrap starts, a sandbox can miss
# --die-with-parent: e2e 95 checks the next run reaps it).
i=0
while ! pgrep -f "^qemu-system-x86_64 -name kflake-$pid-[0-9]" > /dev/null && [ $i -lt 600 ]; do
	sleep 0.1
	i=$((i + 1))
done
id2=$(run_id_of "$log.2")
kill -KILL $pid
wait $pid 2>/dev/null
# Its QEMU dies with it (PR_SET_PDEATHSIG, bwrap --die-with-parent).
no_qemu_left $pid
expect_eq "$(q 'SELECT state FROM runs WHERE id = ?1' "$id2")" running "state right after SIGKILL"
"$KFLAKE" run --iterations 1 --db "$E2E_DB" --test "$E2E_TESTS/quick-pass.sh" > "$log.3" 2>&1 ||
	fail "the next run failed"
expect_eq "$(q 'SELECT state FROM runs WHERE id = ?1' "$id2")" interrupted "state after the next run"
