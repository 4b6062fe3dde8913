# 52-qemu-fail: when QEMU cannot start a guest, the error shows QEMU's
# own words and the log they are in. The real QEMU is asked for more
# guest memory than this machine has (--mem 65536: "cannot set up guest
# memory"), on the cached default kernel with a short custom test: each
# failed boot shows QEMU's words, and two in a row stop the run. Cost: ~3 s.
. "$(dirname "$0")/lib.sh"
probe=$(timeout 20 qemu-system-x86_64 -m 65536 -nodefaults -display none \
	-accel tcg -kernel /nonexistent 2>&1)
case $probe in
*"cannot set up guest memory"*) ;;
*) echo "skip: QEMU can allocate 64 GiB here, so it starts"; exit 77 ;;
esac
log=$E2E_OUT/qemu-fail.log
kf "$log" run --iterations 2 --mem 65536 --db "$E2E_DB" \
	--test "$E2E_TESTS/quick-pass.sh"
rc=$?
expect_eq "$rc" 1 "exit status"
id=$(run_id_of "$log")
qlog=$(grep -o "last lines of [^:]*qemu\.log" "$log" | head -n 1)
qlog=${qlog#last lines of }
[ -s "$qlog" ] || fail "no QEMU log shown (got '$qlog')"
sed -n "/^kflake: last lines of /,\$p" "$log" |
	grep -q "^    qemu-system-x86_64: cannot set up guest memory" ||
	fail "QEMU's error is not shown"
expect_eq "$(q 'SELECT state FROM runs WHERE id = ?1' "$id")" failed "run state"
expect_match "$(q 'SELECT error FROM runs WHERE id = ?1' "$id")" "qemu.log" "run error names the log"
no_qemu_left
