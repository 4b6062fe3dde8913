# 65-guest-confinement: the guest is a stranger's kernel running a
# stranger's test. (1) The files it leaves in its output share are read
# safely: a symlink to a host secret, a fifo and a 1 TiB file are each
# refused or cut, with the reason recorded on the iteration, and nothing
# outside the share is read. (2) Its root is a curated view: the
# database, home directories, the cache's trees and kernels, this
# checkout's .git and host secrets are "no such file" inside it, while
# the system, the runners and the test's own directory are there.
# (3) What the guest creates in the share belongs to nobody, not root.
# (4) When QEMU runs as nobody (kflake is root), a test in a directory
# nobody may not enter is refused before the run starts, in one line.
# Cost: ~20 s (one boot of the cached default kernel, 4 short tests).
. "$(dirname "$0")/lib.sh"
cache=${KFLAKE_CACHE:-$HOME/.cache/kflake}
top=$(cd "$(dirname "$0")/../.." && pwd)
gt=$E2E_WORK/guest-tests
mkdir -p "$gt"
# The peek test names host paths it must not see, baked in on the host:
# a secret beside its own directory, the database, home directories, the
# cache's trees and kernels, this checkout's .git, host secrets in /etc.
# Directories on the way to what it may see exist, empty: $HOME may hold
# .cache (the payload is below it) and the first directory of a checkout
# or work directory below it, nothing else.
echo "host secret" > "$E2E_WORK/secret.txt"
{
	echo '#!/bin/bash'
	echo 'bad=0'
	for p in "$E2E_WORK/secret.txt" "$E2E_DB" "$E2E_DB-wal" /home \
		"$HOME/.ssh" "$HOME/.bashrc" "$cache/trees" "$cache/kernels" \
		"$top/.git" "$top/harness" /etc/shadow /etc/ssh /etc/sudoers; do
		printf 'if [ -e %s ]; then echo "VISIBLE %s"; bad=1; else echo "absent %s"; fi\n' \
			"'$p'" "$p" "$p"
	done
	printf 'home=$(ls -A %s 2>/dev/null | tr "\\n" " ")\n' "'$HOME'"
	echo 'echo "in home: $home"'
	# Only the directories on the way to what it may see: .cache (the
	# payload), and the checkout's or this work directory's first
	# component when they are below $HOME (a checkout in ~/kflake).
	allow=.cache
	for d in "$top" "$gt"; do
		case $d in "$HOME"/*) r=${d#"$HOME"/}; allow="$allow ${r%%/*}" ;; esac
	done
	printf 'for e in $home; do case " %s " in *" $e "*) ;; *) echo "UNEXPECTED in home: $e"; bad=1 ;; esac; done\n' "$allow"
	echo 'cat /etc/shadow 2>&1 | head -n 1'
	for p in /usr/bin/bash /etc/passwd "$top/runners/init" "$gt/peek.sh"; do
		printf '[ -r %s ] || { echo "MISSING %s"; bad=1; }\n' "'$p'" "$p"
	done
	echo 'exit $bad'
} > "$gt/peek.sh"
cp "$E2E_TESTS"/plant-link.sh "$E2E_TESTS"/plant-fifo.sh \
	"$E2E_TESTS"/plant-huge.sh "$gt/"
chmod +x "$gt"/*.sh
log=$E2E_OUT/guest-confinement.log
kf "$log" run --iterations 1 --db "$E2E_DB" --timeout 60 \
	--test "$gt/plant-link.sh" --test "$gt/plant-fifo.sh" \
	--test "$gt/plant-huge.sh" --test "$gt/peek.sh"
rc=$?
[ $rc = 0 ] || fail "kflake run exited $rc"
id=$(run_id_of "$log")
iter() { q "SELECT $1 FROM iterations WHERE run_id = ?1 AND test = ?2" "$id" "$2"; }

# (2) The curated root.
out=$(iter output peek.sh)
echo "$out"
expect_eq "$(iter outcome peek.sh)" pass "peek.sh (nothing host-private visible, its own files there)"
echo "$out" | grep -q "^VISIBLE" && fail "the guest sees: $(echo "$out" | grep ^VISIBLE)"
expect_match "$out" "No such file or directory" "reading /etc/shadow in the guest"

# (1) Links, fifos and huge files from the guest.
expect_match "$(iter artefact_error plant-link.sh)" "\.out: a symbolic link; not read" "output link refused"
expect_match "$(iter artefact_error plant-link.sh)" "\.snapshot: a symbolic link; not read" "snapshot link refused"
expect_eq "$(iter "coalesce(output, 'NULL')" plant-link.sh)" NULL "output of the link test"
expect_eq "$(q 'SELECT count(*) FROM snapshots s JOIN iterations i ON i.id = s.iteration_id WHERE i.run_id = ?1' "$id")" 0 "snapshots stored"
# QEMU running as nobody over a security_model=none share cannot make a
# fifo (the guest's mkfifo fails: ENXIO); as another user it can, and
# then the host refuses it. Either way the run went on (no hang).
share=$(dirname "$(q 'SELECT console_path FROM boots WHERE run_id = ?1 AND seq = 1' "$id")")/out
if [ -s "$share/1.mkfifo" ]; then
	expect_eq "$(iter outcome plant-fifo.sh)" fail "the guest that could not make its fifo"
	echo "ok: the guest could not make a fifo: $(cat "$share/1.mkfifo")"
else
	expect_match "$(iter artefact_error plant-fifo.sh)" "\.out: a fifo; not read" "fifo refused"
fi
expect_match "$(iter artefact_error plant-huge.sh)" "1.0 TiB, more than 256 KiB; kept the first and last 128.0 KiB" "huge file cut"
expect_match "$(iter output plant-huge.sh)" "^HEAD-MARK" "head of the huge file"
# Whatever the host read, no line of /etc/shadow reached the database.
root=$(head -n 1 /etc/shadow | cut -d: -f1-2)
n=$(q "SELECT count(*) FROM iterations WHERE run_id = ?1 AND (instr(coalesce(output, ''), ?2) OR instr(coalesce(console, ''), ?2))" "$id" "$root")
expect_eq "$n" 0 "iterations holding a line of the host's /etc/shadow"
"$KFLAKE" show "$id" --db "$E2E_DB" > "$E2E_OUT/guest-confinement.show" || fail "show failed"
grep -q "guest file: .*a symbolic link; not read" "$E2E_OUT/guest-confinement.show" ||
	fail "kflake show does not say what was refused"
echo "ok: kflake show lists the refused files"

# (3) The share's files are nobody's when kflake runs as root.
if [ "$(id -u)" = 0 ]; then
	owners=$(find "$share" -mindepth 1 ! -name plan ! -name keep -printf '%u\n' | sort -u | tr '\n' ' ')
	expect_eq "$owners" "nobody " "owners of what the guest created in $share"

	# (4) A 0700 directory (mktemp's): QEMU as nobody could not read it.
	priv=$E2E_WORK/private
	mkdir -p "$priv" && cp "$E2E_TESTS/quick-pass.sh" "$priv/" && chmod 700 "$priv"
	start=$(date +%s)
	"$KFLAKE" run --iterations 1 --db "$E2E_DB" --test "$priv/quick-pass.sh" \
		> "$E2E_OUT/guest-private.log" 2>&1
	rc=$?
	cat "$E2E_OUT/guest-private.log"
	expect_eq "$rc" 2 "exit status for a test the guest cannot reach"
	grep -q "the guest cannot reach it: QEMU runs as nobody and $priv is mode 0700" \
		"$E2E_OUT/guest-private.log" || fail "the refusal does not name the directory and its mode"
	[ $(( $(date +%s) - start )) -le 5 ] || fail "the refusal took more than 5 s"
	echo "ok: a test in a 0700 directory is refused before the run"
fi
no_qemu_left
