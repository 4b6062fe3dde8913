# 67-sigterm: SIGTERM (what systemd and CI runners send) stops a run as
# Ctrl-C does: the iterations that finished are kept, the run is marked
# interrupted, kflake exits 130 and leaves no QEMU.
# Cost: ~15 s (one boot of the cached default kernel).
. "$(dirname "$0")/lib.sh"
log=$E2E_OUT/sigterm.log
"$KFLAKE" run --iterations 20 --db "$E2E_DB" --test "$E2E_TESTS/sleep-pass.sh" > "$log" 2>&1 &
pid=$!
i=0
while [ $i -lt 1200 ]; do
	id=$(run_id_of "$log")
	if [ -n "$id" ] && [ "$(q 'SELECT count(*) FROM iterations WHERE run_id = ?1' "$id")" -ge 1 ]; then
		break
	fi
	sleep 0.1
	i=$((i + 1))
done
kill -TERM $pid
wait $pid
rc=$?
cat "$log"
expect_eq "$rc" 130 "exit status after SIGTERM"
n=$(q 'SELECT count(*) FROM iterations WHERE run_id = ?1' "$id")
[ "$n" -ge 1 ] && [ "$n" -lt 20 ] || fail "$n iterations kept"
echo "ok: $n iteration(s) kept"
expect_eq "$(q 'SELECT state FROM runs WHERE id = ?1' "$id")" interrupted "run state"
expect_eq "$(q 'SELECT count(*) FROM iterations WHERE run_id = ?1 AND outcome != ?2' "$id" pass)" 0 \
	"no half-recorded iteration"
no_qemu_left $pid
