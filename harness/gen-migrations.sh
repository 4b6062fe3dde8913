#!/bin/sh
# gen-migrations.sh - embeds db/NNN-name.sql into the binary as an array of
# (version, name, sql) so a kflake binary carries every migration it needs.
set -e
echo '/* Generated from db/NNN-name.sql by harness/gen-migrations.sh. */'
echo '#include "store.h"'
i=0
for f in "$@"; do
	echo "static const char mig_$i[] = {"
	xxd -i < "$f"
	echo ", 0x00 };"
	i=$((i + 1))
done
echo 'const struct store_migration store_migrations[] = {'
i=0
for f in "$@"; do
	base=$(basename "$f" .sql)
	ver=$(echo "$base" | sed 's/^0*\([0-9][0-9]*\)-.*/\1/')
	echo "	{ $ver, \"$base\", mig_$i },"
	i=$((i + 1))
done
echo '	{ 0, 0, 0 },'
echo '};'
