# lib.sh - helpers for the end-to-end tests (sourced).
# Every check prints what it compared, so a failing log explains itself.

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

no_qemu_left() {
	if pgrep -f "qemu-system-x86_64 -name kflake" > /dev/null; then
		fail "a QEMU process was left behind"
	fi
}
