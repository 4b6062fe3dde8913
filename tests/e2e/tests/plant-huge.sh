#!/bin/bash
# Guest side of e2e 65: this iteration's output file becomes 1 TiB
# (sparse), with a marker at both ends. The host keeps its first and
# last 128 KiB and says so.
out=$(readlink /proc/$$/fd/1)
exec > /dev/null
printf 'HEAD-MARK\n' > "$out"
truncate -s 1T "$out"
printf 'TAIL-MARK\n' | dd of="$out" bs=1 seek=$(( (1 << 40) - 10 )) \
	conv=notrunc status=none
exit 0
