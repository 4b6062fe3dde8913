# 66-artefacts-per-db: two databases used in turn each get a run 1; each
# keeps its own console log and outputs (beside the database file), and
# `kflake show` and the web pages of each show their own. A database
# whose console_path names another database's artefacts is refused.
# Cost: ~30 s (two boots of the cached default kernel).
. "$(dirname "$0")/lib.sh"
w=$E2E_WORK/perdb
mkdir -p "$w"
for x in a b; do
	cat > "$w/marker-$x.sh" <<EOS
#!/bin/sh
# Writes its database's marker to the console (kmsg) and to its output.
echo "kflake-e2e-console-marker-$x" > /dev/kmsg
echo "kflake-e2e-output-marker-$x"
EOS
	chmod +x "$w/marker-$x.sh"
done
for x in a b; do
	kf "$w/run-$x.log" run --iterations 1 --db "$w/$x.db" \
		--test "$w/marker-$x.sh" || fail "run in $x.db failed"
	expect_eq "$(run_id_of "$w/run-$x.log")" 1 "run id in $x.db"
done
for x in a b; do
	y=$([ $x = a ] && echo b || echo a)
	con=$(DB=$w/$x.db q 'SELECT console_path FROM boots WHERE run_id = 1 AND seq = 1')
	expect_eq "$con" "$w/$x.artefacts/runs/1/boot-1/console.log" "console of $x.db run 1"
	grep -q "kflake-e2e-console-marker-$x" "$con" || fail "$con lacks its marker"
	grep -q "kflake-e2e-console-marker-$y" "$con" && fail "$con holds $y.db's marker"
	out=$(ls "$w/$x.artefacts/runs/1/boot-1/out/")
	expect_match "$out" "0.out" "outputs of $x.db run 1"
	grep -q "output-marker-$x" "$w/$x.artefacts/runs/1/boot-1/out/0.out" ||
		fail "$x.db's output share holds another run's output"
	"$KFLAKE" show 1 --db "$w/$x.db" --output > "$w/show-$x.txt" || fail "show $x"
	grep -q "console $con\$" "$w/show-$x.txt" || fail "show $x.db: no console line for $con"
	grep -q "kflake-e2e-output-marker-$x" "$w/show-$x.txt" || fail "show $x.db: not its output"
	grep -q "marker-$y" "$w/show-$x.txt" && fail "show $x.db shows $y.db's run"
	echo "ok: $x.db keeps its own console, outputs and show"
done

# The web: each server's boot page is its own database's console.
for x in a b; do
	"$KFLAKE" serve --listen 127.0.0.1:0 --db "$w/$x.db" > "$w/serve-$x.out" 2>&1 &
	spid=$!
	url=
	for _ in $(seq 1 100); do
		url=$(sed -n '1s/^listening on //p' "$w/serve-$x.out")
		[ -n "$url" ] && break
		sleep 0.1
	done
	[ -n "$url" ] || { kill $spid; fail "serve $x.db did not start"; }
	body=$(curl -s --max-time 10 "${url}boot/1/console")
	kill $spid
	wait $spid 2>/dev/null
	echo "$body" | grep -q "kflake-e2e-console-marker-$x" || fail "web of $x.db: /boot/1/console is not its console"
	echo "$body" | grep -q "kflake-e2e-console-marker-$(echo $x | tr ab ba)" && fail "web of $x.db shows the other console"
	echo "ok: web of $x.db shows its own console"
done

# A database that names another database's artefacts: refused.
cp "$w/a.db" "$w/forged.db"
DB=$w/forged.db q 'UPDATE boots SET console_path = ?1 WHERE run_id = 1' "$w/b.artefacts/runs/1/boot-1/console.log"
"$KFLAKE" show 1 --db "$w/forged.db" > "$w/show-forged.txt" || fail "show forged"
grep -q "refused: outside this database's artefacts" "$w/show-forged.txt" ||
	fail "show does not refuse another database's console: $(grep console "$w/show-forged.txt")"
echo "ok: a path outside the database's artefacts is refused"
no_qemu_left
