# 15-cached-rerun: the same job again rebuilds nothing (kernel image and
# payload come from the cache) and reaches the first test quickly. The
# run is stopped with SIGINT once the first iteration started: it must
# end as 'interrupted', exit 130 and leave no QEMU behind.
. "$(dirname "$0")/lib.sh"
log=$E2E_OUT/rerun.log
start=$(date +%s)
"$KFLAKE" run --iterations 1 --db "$E2E_DB" > "$log" 2>&1 &
pid=$!
i=0
while ! grep -q "^\[boot\] boot 1" "$log" && [ $i -lt 600 ]; do
	sleep 0.1
	i=$((i + 1))
done
first=$(( $(date +%s) - start ))
sleep 8
kill -INT $pid
wait $pid
rc=$?
cat "$log"
expect_eq "$rc" 130 "exit status after SIGINT"
grep -q "^\[build\] cached image" "$log" || fail "the kernel was rebuilt"
grep -q "^\[payload\] cached" "$log" || fail "the payload was rebuilt"
grep -q "importing" "$log" && fail "the tree was imported again"
id=$(run_id_of "$log")
expect_eq "$(q 'SELECT state FROM runs WHERE id = ?1' "$id")" interrupted "run state"
echo "ok: start to first boot took ${first} s"
[ "$first" -le 30 ] || fail "a cached rerun took ${first} s to boot"
no_qemu_left $pid
