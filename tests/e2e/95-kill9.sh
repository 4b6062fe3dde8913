# 95-kill9: kflake is SIGKILLed at random moments in each of its four
# phases: build (a one-line kconfig fragment makes a new image key, so a
# build starts), boot (QEMU started, guest not ready), iteration (a test
# running in the guest) and commit (inside the database transaction that
# records an iteration: $KFLAKE_FAULT_PAUSE=commit holds it open for a
# second): KILL9_ROUNDS (default 5) rounds of the four, 20 kills at
# random moments in a random order (bench/kill9.sh runs 10 rounds); an
# iteration or commit kill hits the first, second or third iteration.
# Each kill's phase is read back from kflake's own event stream and
# logged. After every kill: no QEMU of that kflake (nor any other child
# it recorded in its pidfiles) is alive within 2 s, PRAGMA
# integrity_check is ok, every iteration kflake reported finished is in
# the database (at least one kill must come after such a report), and
# the next run marks the killed run interrupted and works. The last run is stopped by SIGTERM
# (what systemd and CI runners send), as Ctrl-C stops it: the iterations
# that finished are kept, the run is interrupted, exit 130, no QEMU left.
# Cost: ~130 s quiet, 287 s at load 6 (21 short runs of the cached
# default kernel, most to a ready guest; the build is killed within 3 s
# of starting).
. "$(dirname "$0")/lib.sh"
cache=${KFLAKE_CACHE:-$HOME/.cache/kflake}
test=$E2E_TESTS/sleep-pass.sh
work=$E2E_WORK/kill9
mkdir -p "$work"
DB=$E2E_WORK/kill9.db
export DB

# KILL9_ROUNDS of each phase, in a random order.
plan=$(i=0; while [ $i -lt "${KILL9_ROUNDS:-5}" ]; do
	printf '%s\n' build boot iteration commit; i=$((i + 1)); done | shuf)

# rnd LO HI: a random number of seconds between LO and HI.
rnd() {
	awk -v lo="$1" -v hi="$2" -v s="$(od -An -N4 -tu4 /dev/urandom)" \
		'BEGIN { srand(s); printf "%.2f", lo + rand() * (hi - lo) }'
}

# wait_for LOG PATTERN: until PATTERN is in LOG (or 120 s, or kflake ended).
wait_for() {
	i=0
	while ! grep -q "$2" "$1" 2>/dev/null; do
		kill -0 "$pid" 2>/dev/null || return 1
		[ $i -lt 1200 ] || return 1
		sleep 0.1
		i=$((i + 1))
	done
}

# wait_more LOG PATTERN N: until PATTERN is in LOG more than N times.
wait_more() {
	i=0
	while [ "$(grep -c "$2" "$1" 2>/dev/null)" -le "$3" ]; do
		kill -0 "$pid" 2>/dev/null || return 1
		[ $i -lt 1200 ] || return 1
		sleep 0.1
		i=$((i + 1))
	done
}

# The phase kflake was in, from the last of its events in LOG.
phase_of() {
	awk '/"step": *"(build|payload|boot)"/ { sub(/.*"step": *"/, ""); sub(/".*/, ""); ph = $0 }
	     /"event": *"(ready|iteration)"/ { ph = "between" }
	     /"event": *"begin"/ { ph = "iteration" }
	     /fault point commit/ { ph = "commit" }
	     END { print ph }' "$1"
}

# What kflake $1 recorded in its pidfiles that is still alive (same pid,
# same start time, not a zombie): QEMU, builds.
children_alive() {
	for f in "$cache/pids/$1-"*; do
		[ -e "$f" ] || continue
		set -- "$1" $(head -n 1 "$f")
		[ -r "/proc/$2/stat" ] || continue
		stat=$(sed 's/.*) //' "/proc/$2/stat")
		[ "$(echo "$stat" | cut -d' ' -f20)" = "$3" ] || continue
		[ "$(echo "$stat" | cut -d' ' -f1)" = Z ] && continue
		echo "$(sed -n 4p "$f") (pid $2)"
	done
	pgrep -af "kflake-$1-[0-9]" | cut -c1-80
}

# What a kflake killed as its sandbox started left, once the next
# kflake has started (it reaps at start, before it builds or boots).
orphans_of=
check_reaped() {
	[ -n "$orphans_of" ] || return 0
	[ -z "$(children_alive $orphans_of)" ] ||
		fail "kflake $orphans_of's leftovers outlived the next run's start: $(children_alive $orphans_of)"
	echo "ok: the next run reaped what kflake $orphans_of left"
	orphans_of=
}

k=0 prev= counts= after_rows=0
for phase in $plan; do
	k=$((k + 1))
	log=$work/kill$k.log
	set -- run --json --iterations 3 --timeout 60 --db "$DB" --test "$test"
	pause=
	case $phase in
	build)
		# A kconfig never built: a new image key, so a build starts.
		printf 'CONFIG_LOCALVERSION="-kill9-%s-%s"\n' "$$" "$k" > "$work/frag$k"
		set -- "$@" --kconfig "$work/frag$k"
		;;
	commit) pause=commit ;;
	esac
	KFLAKE_FAULT_PAUSE=$pause "$KFLAKE" "$@" > "$log" 2>&1 &
	pid=$!
	case $phase in
	build) wait_for "$log" '"step": *"build"' && sleep "$(rnd 0.3 2.5)" ;;
	boot) wait_for "$log" '"step": *"boot"' && sleep "$(rnd 0.1 1.5)" ;;
	# In the first, second or third iteration: a kill after some have
	# finished checks that each one reported is stored.
	iteration)
		wait_more "$log" '"event": *"begin"' "$(shuf -i 0-2 -n 1)" &&
			sleep "$(rnd 0 1.5)" ;;
	commit)
		# Every transaction pauses; the one wanted records an iteration.
		wait_more "$log" '"event": *"begin"' "$(shuf -i 0-2 -n 1)" &&
			n0=$(grep -c 'fault point commit' "$log" || :) &&
			wait_more "$log" 'fault point commit' "$n0" &&
			paused=1 && sleep "$(rnd 0 0.5)" ;;
	esac
	id=$(sed -n 's/.*"message": *"run \([0-9]*\):.*/\1/p' "$log" | head -n 1)
	kill -KILL $pid 2>/dev/null || fail "kill $k: kflake had already exited: $(tail -n 3 "$log")"
	wait $pid 2>/dev/null
	got=$(phase_of "$log")
	# stderr's pause line and stdout's events may reach the log out of
	# order: a pause seen after an iteration began is the commit.
	[ "$phase" = commit ] && [ "${paused:-}" = 1 ] && got=commit
	paused=
	echo "kill $k: planned $phase, landed in $got (run $id)"
	counts="$counts $got"
	[ -n "$id" ] || fail "kill $k: no run id in $log"
	# The previous killed run was closed by this one.
	if [ -n "$prev" ]; then
		expect_eq "$(q 'SELECT state FROM runs WHERE id = ?1' "$prev")" interrupted "kill $((k - 1)): run $prev"
	fi
	check_reaped
	i=0
	while [ -n "$(children_alive $pid)" ] && [ $i -lt 20 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if [ -n "$(children_alive $pid)" ]; then
		# Killed while bwrap started: its --die-with-parent was not set
		# yet. The next kflake must reap it (by the QEMU's -name).
		echo "kill $k: outlived kflake $pid by 2 s: $(children_alive $pid); the next run must reap it"
		orphans_of=$pid
	else
		echo "ok: kill $k: nothing of kflake $pid alive after $i/10 s"
	fi
	expect_eq "$(q 'PRAGMA integrity_check')" ok "kill $k: integrity_check"
	reported=$(grep -c '"event": *"iteration"' "$log")
	stored=$(q 'SELECT count(*) FROM iterations WHERE run_id = ?1' "$id")
	# A kill between COMMIT and the report loses the report, not the row.
	[ "$stored" -ge "$reported" ] && [ "$stored" -le $((reported + 1)) ] ||
		fail "kill $k: $reported iteration(s) reported, $stored stored"
	echo "ok: kill $k: $reported reported, $stored stored"
	[ "$reported" = 0 ] || after_rows=$((after_rows + 1))
	prev=$id
done

# Every phase was hit.
for p in build boot iteration commit; do
	n=$(echo "$counts" | tr ' ' '\n' | grep -c "^$p\$")
	echo "kills in $p: $n"
	[ "$n" -ge 1 ] || fail "no kill landed in $p (phases:$counts)"
done
# The reported-is-stored check had something to check.
echo "kills after an iteration was reported: $after_rows"
[ "$after_rows" -ge 1 ] || fail "no kill came after a reported iteration"

# The next run works and closes the last killed run; SIGTERM stops it
# as Ctrl-C does.
log=$work/term.log
"$KFLAKE" run --iterations 20 --db "$DB" --test "$test" > "$log" 2>&1 &
pid=$!
i=0
while [ $i -lt 1200 ]; do
	id=$(run_id_of "$log")
	if [ -n "$id" ] && [ "$(q 'SELECT count(*) FROM iterations WHERE run_id = ?1' "$id")" -ge 1 ]; then
		break
	fi
	kill -0 $pid 2>/dev/null || fail "the run after the kills ended: $(tail -n 3 "$log")"
	sleep 0.1
	i=$((i + 1))
done
check_reaped
kill -TERM $pid
wait $pid
rc=$?
cat "$log"
expect_eq "$(q 'SELECT state FROM runs WHERE id = ?1' "$prev")" interrupted "the last killed run"
expect_eq "$rc" 130 "exit status after SIGTERM"
n=$(q 'SELECT count(*) FROM iterations WHERE run_id = ?1' "$id")
[ "$n" -ge 1 ] && [ "$n" -lt 20 ] || fail "$n iterations kept"
echo "ok: $n iteration(s) kept after SIGTERM"
expect_eq "$(q 'SELECT state || "/" || (SELECT count(*) FROM iterations WHERE run_id = ?1 AND outcome != ?2) FROM runs WHERE id = ?1' "$id" pass)" \
	"interrupted/0" "the SIGTERMed run (state/iterations not passed)"
expect_eq "$(q 'SELECT count(*) FROM runs WHERE state = ?1' running)" 0 "runs left running"
no_qemu_left $pid
