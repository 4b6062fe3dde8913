# 86-until: `kflake run --until decided --max 20` stops each test at its
# first verdict (docs/STATISTICS.md) and never runs more than --max:
# a test that always fails is `failing` after 16 (a fixed run: 20), a
# coin flip `flaky` as soon as it has both outcomes (not by 20 with
# chance 2^-19). ~21 s (measured at load average 8: one boot, 19 short
# iterations on the default kernel from 10-run-default; its own database).
. "$(dirname "$0")/lib.sh"
w=$E2E_WORK/until
rm -rf "$w"
mkdir -p "$w"
DB=$w/until.db
cat > "$w/coin.sh" <<'EOF'
#!/bin/sh
# Fails half the time, at random.
n=$(od -An -N1 -tu1 /dev/urandom)
[ "$n" -lt 128 ] && { echo "tails ($n)"; exit 1; }
echo "heads ($n)"
EOF
chmod +x "$w/coin.sh"
kf "$w/run.log" run --until decided --max 20 --timeout 60s --db "$DB" -q \
	--test "$E2E_TESTS/fail.sh" --test "$w/coin.sh"
expect_eq "$?" 0 "exit status"
n() { q "SELECT count(*) FROM iterations WHERE test = ?1" "$1"; }
expect_eq "$(n fail.sh)" 16 "fail.sh's iterations"
c=$(n coin.sh)
[ "$c" -ge 2 ] && [ "$c" -le 20 ] || fail "coin.sh ran $c iterations, expected 2..20"
expect_eq "$(q "SELECT count(DISTINCT outcome) FROM iterations WHERE test = 'coin.sh'")" 2 "coin.sh's outcomes"
expect_eq "$(q "SELECT count(*) FROM iterations WHERE test = 'coin.sh' AND seq < ?1 AND outcome <> (SELECT outcome FROM iterations WHERE test = 'coin.sh' AND seq = 1)" "$c")" 0 \
	"coin.sh stopped at its first change of outcome"
grep -q "^fail.sh .* failing" "$w/run.log" || fail "fail.sh is not failing in the table"
grep -q "^coin.sh .* flaky" "$w/run.log" || fail "coin.sh is not flaky in the table"
expect_eq "$(q "SELECT state FROM runs")" done "the run's state"
no_qemu_left
