# 93-stress: a run under --stress is stored with its modes, every mode is
# really applied (guest: busy loops, stress-ng, the noise namespaces;
# host: QEMU stopped and continued, vCPU threads in cgroups with a quota
# and pinned), the run is shown with its modes, and its iterations never
# pool with unstressed ones: its learned stall limits ignore the plain
# runs' history, and report puts it in a pool of its own.
# Cost: 158 s measured at load 9 on the shared 2 cores (2026-11-30; the
# guests were ready after 13-19 s, not 4.3 s): ~45 s quiet, scaled by
# boot time (not measured quiet). Two short runs on the cached default
# kernel: 5 plain passes of a probe, then one probe under all six modes
# (44 s at load 9; --timeout 150 so a loaded host cannot make it a stall).
# With 96-stress-race (~50 s quiet) ~95 s quiet together.
. "$(dirname "$0")/lib.sh"
# A test that reports what --stress put beside it in the guest; run
# plain first, then stressed, with a watcher on the host that samples
# QEMU's state and its vCPU threads.
probe=$E2E_WORK/stress-probe.sh
cat > "$probe" <<'EOF'
#!/bin/bash
# What --stress put beside this test, as the guest sees it (builtins
# where possible: every exec is slow in a stressed TCG guest).
cmdline=$(< /proc/cmdline)
echo "cmdline: $cmdline"
# Give the stress time to start (plain: nothing to wait for).
case $cmdline in *kflake.stress=*) sleep 2 ;; esac
for f in /proc/[0-9]*/cmdline; do
	mapfile -d '' args < "$f" 2>/dev/null
	case "${args[*]}" in
	*stress-ng* | *kflake-stress-cpu* | *stress_flood*) echo "${args[*]}" ;;
	esac
done
echo /run/netns/*
tc -n kflake-noise-a qdisc show dev kfn0
exit 0
EOF
chmod +x "$probe"
# The plain side: 5 passes of the same test, enough history to learn
# stall limits from (the stressed run must not).
log=$E2E_OUT/stress-plain.log
kf "$log" run --iterations 5 --db "$E2E_DB" --test "$probe" ||
	fail "plain run exited $?"
plain=$(run_id_of "$log")
expect_eq "$(q 'SELECT stress FROM runs WHERE id = ?1' "$plain")" "" "plain run's stress"
expect_match "$(q 'SELECT output FROM iterations WHERE run_id = ?1' "$plain")" \
	"^cmdline: " "plain probe ran"
log=$E2E_OUT/stress-run.log
"$KFLAKE" run --iterations 1 --timeout 150 --db "$E2E_DB" --test "$probe" \
	--stress vcpus,throttle,jitter,net,mem,cpu > "$log" 2>&1 &
KPID=$!
seen_t= seen_cg= seen_pin=
while kill -0 $KPID 2>/dev/null; do
	for q in $(pgrep -f "^qemu-system[^ ]* -name kflake-$KPID-[0-9]"); do
		[ "$(cut -d' ' -f3 /proc/$q/stat 2>/dev/null)" = T ] && seen_t=1
		for t in /proc/$q/task/*; do
			grep -q '^CPU 0/' "$t/comm" 2>/dev/null || continue
			grep -q "kflake-$KPID-" "$t/cgroup" 2>/dev/null && seen_cg=1
			[ "$(taskset -pc "${t##*/}" 2>/dev/null | sed 's/.*: //')" != \
				"$(taskset -pc $$ | sed 's/.*: //')" ] && seen_pin=1
		done
	done
	sleep 0.05
done
wait $KPID
rc=$?
cat "$log"
[ $rc = 0 ] || fail "stressed run exited $rc"
no_qemu_left
id=$(run_id_of "$log")
expect_eq "$(q 'SELECT stress FROM runs WHERE id = ?1' "$id")" \
	"cpu,jitter,mem,net,throttle,vcpus" "stored stress (canonical order)"
expect_eq "$(q 'SELECT outcome FROM iterations WHERE run_id = ?1' "$id")" pass "outcome"
out=$(q 'SELECT output FROM iterations WHERE run_id = ?1' "$id")
expect_match "$out" "kflake.stress=cpu,mem,net" "guest modes on the kernel command line"
expect_match "$out" "stress-ng" "mem: stress-ng runs beside the test"
expect_match "$out" "kflake-stress-cpu" "cpu: busy loops run beside the test"
expect_match "$out" "stress_flood" "net: floods run beside the test"
expect_match "$out" "kflake-noise-a" "net: noise namespaces"
expect_match "$out" "netem" "net: netem on the noise veth"
[ -n "$seen_t" ] || fail "jitter: QEMU was never seen stopped"
echo "ok: jitter: QEMU seen stopped"
[ -n "$seen_cg" ] || fail "throttle: vCPU 0 never seen in a kflake cgroup"
echo "ok: throttle: vCPU 0 in its own cgroup"
[ -n "$seen_pin" ] || fail "vcpus: vCPU 0 never seen pinned"
echo "ok: vcpus: vCPU 0 pinned"
ls -d /sys/fs/cgroup/cpu/kflake-$KPID-* 2>/dev/null &&
	fail "the run's cgroups were left behind"
echo "ok: no cgroup left"

# Never pooled: the stressed run learned no limits from the plain passes.
expect_match "$(grep 'limits' "$log")" "(0 passing iteration(s) of history" \
	"stressed run's stall limits ignore plain history"
# Shown with its modes, and in its own pool.
expect_match "$("$KFLAKE" show "$id" --db "$E2E_DB")" \
	"cpu,jitter,mem,net,throttle,vcpus" "show names the modes"
rep=$("$KFLAKE" report --db "$E2E_DB")
echo "$rep"
expect_match "$rep" "stress cpu,jitter,mem,net,throttle,vcpus" "report names the stressed pool"
# The web pages show it too: the run page and the run list carry a
# stress badge, the runs API the stress field.
"$KFLAKE" serve --listen 127.0.0.1:0 --db "$E2E_DB" > "$E2E_WORK/serve.out" 2>&1 &
spid=$!
url=
for _ in $(seq 1 100); do
	url=$(sed -n '1s/^listening on //p' "$E2E_WORK/serve.out")
	[ -n "$url" ] && break
	sleep 0.1
done
[ -n "$url" ] || { kill $spid; fail "kflake serve did not start"; }
page=$(curl -s "${url}run/$id")
list=$(curl -s "${url}runs")
api=$(curl -s "${url}api/runs")
plain_page=$(curl -s "${url}run/$plain")
kill $spid
wait $spid 2>/dev/null
expect_match "$page" 'badge stress">stress cpu,jitter,mem,net,throttle,vcpus<' "run page badge"
expect_match "$list" 'badge stress">stress cpu,jitter,mem,net,throttle,vcpus<' "run list badge"
expect_match "$api" '"stress": *"cpu,jitter,mem,net,throttle,vcpus"' "runs API"
echo "$plain_page" | grep -q 'badge stress' && fail "the plain run's page has a stress badge"
echo "ok: the plain run's page has none"
