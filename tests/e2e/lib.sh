# lib.sh - helpers for the end-to-end tests (sourced).
# Every check prints what it compared, so a failing log explains itself.

# A fresh machine has no git identity (git config user.*): commits the
# tests make name their own unless a test names another.
export GIT_AUTHOR_NAME="${GIT_AUTHOR_NAME:-kflake-e2e}"
export GIT_AUTHOR_EMAIL="${GIT_AUTHOR_EMAIL:-e2e@kflake.invalid}"
export GIT_COMMITTER_NAME="${GIT_COMMITTER_NAME:-kflake-e2e}"
export GIT_COMMITTER_EMAIL="${GIT_COMMITTER_EMAIL:-e2e@kflake.invalid}"

fail() {
	echo "FAIL: $*"
	exit 1
}

# q SQL [PARAM...]: run a query on $E2E_DB; parameters are bound, never
# spliced (the sqlite3 shell's .param).
q() {
	sql=$1
	shift
	{
		i=1
		for p in "$@"; do
			printf '.param set ?%d "%s"\n' "$i" "$p"
			i=$((i + 1))
		done
		printf '%s;\n' "$sql"
	} | sqlite3 -batch -noheader "${DB:-$E2E_DB}"
}

expect_eq() {
	[ "$1" = "$2" ] || fail "$3: got '$1', expected '$2'"
	echo "ok: $3 = '$1'"
}

expect_match() {
	echo "$1" | grep -q -- "$2" || fail "$3: '$1' does not match '$2'"
	echo "ok: $3 matches '$2'"
}

# The run id kflake printed ("[run] run N: ...") in a log.
run_id_of() {
	sed -n 's/^\[run\] run \([0-9]*\):.*/\1/p' "$1" | head -n 1
}

# kf LOG ARGS...: run kflake with ARGS, output to LOG (and shown), and
# remember its pid in KPID; returns kflake's exit status.
kf() {
	log=$1
	shift
	"$KFLAKE" "$@" > "$log" 2>&1 &
	KPID=$!
	wait $KPID
	rc=$?
	cat "$log"
	return $rc
}

# No QEMU of the kflake process $1 (default: the last kf) is running.
# Its QEMUs (and their bwrap sandboxes) are named -name kflake-<pid>-<n>,
# so other users' VMs on the same machine are never mistaken for ours.
no_qemu_left() {
	p=${1:-$KPID}
	sleep 0.5
	if pgrep -f "kflake-$p-[0-9]" > /dev/null; then
		fail "a QEMU process of kflake $p was left behind"
	fi
	echo "ok: no QEMU of kflake $p left"
}
