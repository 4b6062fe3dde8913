# bisect-history.sh - the kernel history tests/e2e/90-bisect.sh bisects
# and 92-alerts.sh tracks (sourced after lib.sh): ten commits on the side
# ref refs/kflake-e2e/bisect of the cached default tree, made with git
# plumbing (its work tree and master are never touched):
#
#   master - c1 - c2 - c3 - c4 - c5 - c6 - c7 - c8 - c9
#                   \             /
#                    s1 ---------'
#
# Every commit but two only adds a file under Documentation/, which no
# kernel compiles. c3 makes veth drop a quarter of the 600-699 byte
# frames at random; c7 makes veth drop every frame over 1000 bytes.
# Names and dates are fixed, so the commit ids are the same on every run
# and kernels built by an earlier run come from the image cache. Sets
# tree, g(), base and c1..c9, s1.
tree=${KFLAKE_CACHE:-$HOME/.cache/kflake}/trees/linux-source-6.1
[ -d "$tree/.git" ] || fail "no cached default tree (10-run-default runs first)"
g() { git -C "$tree" "$@"; }
base=$(g rev-parse refs/heads/master) || fail "no master branch"
idx=$E2E_WORK/bisect.index
# Fixed names and dates: the same commit ids on every run, so kernels
# built by an earlier run come from the image cache.
export GIT_AUTHOR_NAME=kflake-e2e GIT_AUTHOR_EMAIL=e2e@kflake.invalid
export GIT_COMMITTER_NAME=kflake-e2e GIT_COMMITTER_EMAIL=e2e@kflake.invalid
n=0

# mk TREE-OF PATH BLOB MESSAGE PARENT...: a commit whose tree is TREE-OF's
# with PATH set to BLOB.
mk() {
	of=$1 path=$2 blob=$3 msg=$4
	shift 4
	n=$((n + 1))
	GIT_INDEX_FILE=$idx g read-tree "$of" || return 1
	GIT_INDEX_FILE=$idx g update-index --add --cacheinfo "100644,$blob,$path" || return 1
	t=$(GIT_INDEX_FILE=$idx g write-tree) || return 1
	ps=
	for p in "$@"; do ps="$ps -p $p"; done
	# shellcheck disable=SC2086
	echo "$msg" | GIT_AUTHOR_DATE="$((1700000000 + n)) +0000" \
		GIT_COMMITTER_DATE="$((1700000000 + n)) +0000" g commit-tree "$t" $ps
}
doc() {
	printf 'kflake bisect e2e: note %s (not compiled)\n' "$1" | g hash-object -w --stdin
}
# veth_patch COMMIT COMMENT CONDITION: veth.c of COMMIT with an early drop
# in veth_xmit when CONDITION holds.
veth_patch() {
	g show "$1:drivers/net/veth.c" | awk -v c="$2" -v cond="$3" '
		!done && $0 == "\trcv_priv = netdev_priv(rcv);" {
			print "\t/* kflake e2e: " c " */"
			print "\tif (" cond ") {"
			print "\t\tkfree_skb(skb);"
			print "\t\tgoto drop;"
			print "\t}"
			print ""
			done = 1
		}
		{ print }' | g hash-object -w --stdin
}

c1=$(mk "$base" Documentation/kflake-e2e-1.txt "$(doc 1)" "doc: note 1" "$base") || fail "commit c1"
c2=$(mk "$c1" Documentation/kflake-e2e-2.txt "$(doc 2)" "doc: note 2" "$c1") || fail "commit c2"
flaky=$(veth_patch "$c2" "lose a quarter of the 600-699 byte frames" \
	"length >= 600 && length < 700 && get_random_u32() % 100 < 25")
c3=$(mk "$c2" drivers/net/veth.c "$flaky" "veth: sample mid-sized frames (flaky culprit)" "$c2") || fail "commit c3"
c4=$(mk "$c3" Documentation/kflake-e2e-4.txt "$(doc 4)" "doc: note 4" "$c3") || fail "commit c4"
s1=$(mk "$c2" Documentation/kflake-e2e-s.txt "$(doc s)" "doc: side note" "$c2") || fail "commit s1"
c5=$(mk "$c4" Documentation/kflake-e2e-s.txt "$(doc s)" "Merge side notes" "$c4" "$s1") || fail "commit c5"
c6=$(mk "$c5" Documentation/kflake-e2e-6.txt "$(doc 6)" "doc: note 6" "$c5") || fail "commit c6"
solid=$(veth_patch "$c6" "drop every frame over 1000 bytes" "length > 1000")
c7=$(mk "$c6" drivers/net/veth.c "$solid" "veth: cap frame length (deterministic culprit)" "$c6") || fail "commit c7"
c8=$(mk "$c7" Documentation/kflake-e2e-8.txt "$(doc 8)" "doc: note 8" "$c7") || fail "commit c8"
c9=$(mk "$c8" Documentation/kflake-e2e-9.txt "$(doc 9)" "doc: note 9" "$c8") || fail "commit c9"
g update-ref refs/kflake-e2e/bisect "$c9"
