#!/bin/bash
# Guest side of e2e 65: this iteration's output file becomes a fifo. A
# host that opened it for reading without O_NONBLOCK would hang forever.
out=$(readlink /proc/$$/fd/1)
rm -f "$out"
mkfifo "$out" 2> "${out%.out}.mkfifo" || exit 3
exit 0
