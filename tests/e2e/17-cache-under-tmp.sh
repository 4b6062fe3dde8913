# 17-cache-under-tmp: a cache under /tmp (as CI machines often have) is
# hidden in the guest by its tmpfs /tmp unless kflake keeps it visible.
# The whole payload must stay reachable, not only the test's directory
# (udpgro_frglist.sh loads ../bpf/xdp_dummy.bpf.o), and links must be
# resolved on the host: the guest would resolve them into its own /tmp.
# The cache here is a real directory under /tmp whose trees and kernels
# are links to the real cache (so the image comes from there); the
# payload is built into it.
. "$(dirname "$0")/lib.sh"
real=${KFLAKE_CACHE:-$HOME/.cache/kflake}
cache=$E2E_WORK/cache
case "$cache" in /tmp/*) ;; *) fail "E2E_WORK ($E2E_WORK) is not under /tmp" ;; esac
mkdir -p "$cache"
ln -sfn "$real/trees" "$cache/trees"
ln -sfn "$real/kernels" "$cache/kernels"
export KFLAKE_CACHE="$cache"
log=$E2E_OUT/cache-under-tmp.log
kf "$log" run --iterations 1 --db "$E2E_DB" --test net:udpgro_frglist.sh
rc=$?
[ $rc = 0 ] || fail "kflake run exited $rc"
grep -q "^\[build\] cached image" "$log" || fail "the kernel was rebuilt"
grep -q "^\[payload\] built $cache/payload/" "$log" || fail "the payload is not under $cache"
id=$(run_id_of "$log")
expect_eq "$(q 'SELECT outcome || "/" || rc FROM iterations WHERE run_id = ?1' "$id")" \
	"pass/0" "udpgro_frglist.sh with the cache under /tmp"
no_qemu_left
