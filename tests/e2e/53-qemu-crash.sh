# 53-qemu-crash: when QEMU itself dies of a fault signal before the guest
# is ready (Debian 12's QEMU 7.2 segfaults now and then in multi-threaded
# TCG while a 2-vCPU guest sets up its PCI BARs), the boot is done again
# and no iteration is charged. In a private mount namespace (only this
# test's kflake sees it) /usr/bin/qemu-system-x86_64 is a script that
# kills itself with SIGSEGV on boot 1 and runs the real QEMU after: the
# sandbox binds /usr, so QEMU inside it is the script too. The copy of
# QEMU sits on a tmpfs at /usr/games because QEMU finds its modules and
# firmware relative to its own path (../lib, ../share). Cached default
# kernel, quick-pass.sh x 2. Cost: ~10 s.
. "$(dirname "$0")/lib.sh"
command -v unshare > /dev/null || { echo "unshare is not installed"; exit 77; }
log=$E2E_OUT/qemu-crash.log
unshare -m --propagation private sh -c '
	set -e
	mount -t tmpfs kflake-e2e /usr/games
	cp /usr/bin/qemu-system-x86_64 /usr/games/real-qemu
	cat > /usr/games/crash-qemu <<EOS
#!/bin/sh
case " \$* " in
*"/boot-1/out,"*) kill -SEGV \$\$ ;;
esac
exec /usr/games/real-qemu "\$@"
EOS
	chmod 755 /usr/games/crash-qemu
	mount --bind /usr/games/crash-qemu /usr/bin/qemu-system-x86_64
	exec "$0" run --iterations 2 --db "$1" --test "$2"
' "$KFLAKE" "$E2E_DB" "$E2E_TESTS/quick-pass.sh" > "$log" 2>&1
rc=$?
cat "$log"
expect_eq "$rc" 0 "exit status"
expect_match "$(cat "$log")" "QEMU itself crashed (exit status 139), not the guest: booting again" "the message"
id=$(run_id_of "$log")
expect_eq "$(q "SELECT group_concat(outcome) FROM iterations WHERE run_id = ?1" "$id")" "pass,pass" "iterations"
expect_eq "$(q "SELECT group_concat(end_reason, ' ') FROM (SELECT end_reason FROM boots WHERE run_id = ?1 ORDER BY id)" "$id")" "qemu-crashed done" "boots"
expect_eq "$(q "SELECT state FROM runs WHERE id = ?1" "$id")" done "run state"
