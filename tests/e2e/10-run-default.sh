# 10-run-default: the README's main job, one iteration: builds (or finds
# cached) the default kernel from linux-source-6.1, boots it in QEMU and
# runs the real udpgro_frglist.sh and udpgro_bench.sh, then checks what
# the database says happened.
. "$(dirname "$0")/lib.sh"
log=$E2E_OUT/run-default.log
kf "$log" run --iterations 1 --db "$E2E_DB"
rc=$?
[ $rc = 0 ] || fail "kflake run exited $rc"
id=$(run_id_of "$log")
[ -n "$id" ] || fail "no run id in the log"
expect_eq "$(q 'SELECT state FROM runs WHERE id = ?1' "$id")" done "run state"
expect_eq "$(q 'SELECT count(*) FROM iterations WHERE run_id = ?1' "$id")" 2 \
	"iterations recorded"
for t in udpgro_frglist.sh udpgro_bench.sh; do
	expect_eq "$(q 'SELECT outcome || "/" || rc FROM iterations WHERE run_id = ?1 AND test = ?2' "$id" "$t")" \
		"pass/0" "$t outcome/rc"
	g=$(q 'SELECT CAST(guest_duration AS INTEGER) FROM iterations WHERE run_id = ?1 AND test = ?2' "$id" "$t")
	[ "$g" -ge 5 ] || fail "$t ran only $g s in the guest"
	echo "ok: $t ran $g s in the guest"
	expect_match "$(q 'SELECT output FROM iterations WHERE run_id = ?1 AND test = ?2' "$id" "$t")" \
		"udp gso" "$t output"
done
expect_eq "$(q 'SELECT k.state FROM kernels k JOIN runs r ON r.kernel_id = k.id WHERE r.id = ?1' "$id")" \
	ok "kernel state"
img=$(q 'SELECT k.image_path FROM kernels k JOIN runs r ON r.kernel_id = k.id WHERE r.id = ?1' "$id")
[ -s "$img" ] || fail "kernel image $img missing"
expect_match "$(q 'SELECT accel FROM runs WHERE id = ?1' "$id")" '^\(tcg\|kvm\)$' "accelerator"
expect_match "$(q 'SELECT qemu_cmdline FROM runs WHERE id = ?1' "$id")" "virtio-9p-pci" "qemu command line"
r=$(q 'SELECT count(*) FROM boots WHERE run_id = ?1 AND ready_seconds > 0' "$id")
expect_eq "$r" 1 "boots that reached the guest"
# Sub-cases ("ipv4: udp gso - over veth touching data") and their
# throughput are recorded and reported.
n=$(q 'SELECT count(*) FROM subresults s JOIN iterations i ON i.id = s.iteration_id WHERE i.run_id = ?1' "$id")
[ "$n" -ge 6 ] || fail "only $n sub-cases recorded"
echo "ok: $n sub-cases recorded"
m=$(q "SELECT count(*) FROM metrics m JOIN iterations i ON i.id = m.iteration_id WHERE i.run_id = ?1 AND m.name LIKE '%MB/s' AND m.value > 0" "$id")
[ "$m" -ge 1 ] || fail "no throughput figures recorded"
echo "ok: $m throughput figures recorded"
"$KFLAKE" report "$id" --db "$E2E_DB" | tee "$E2E_OUT/report.txt"
grep -q "udpgro_bench.sh" "$E2E_OUT/report.txt" || fail "report lacks udpgro_bench.sh"
grep -q "^    median: .*MB/s" "$E2E_OUT/report.txt" || fail "report lacks throughput medians"
"$KFLAKE" show "$id" --db "$E2E_DB" > "$E2E_OUT/show.txt" || fail "show failed"
grep -q "udpgro_frglist.sh" "$E2E_OUT/show.txt" || fail "show lacks the test"
no_qemu_left
