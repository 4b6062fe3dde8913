#!/bin/sh
# alerts e2e: 11 UDP datagrams of 600 bytes over veth must all arrive.
# No noise of its own: it passes on every kernel before c3 of
# tests/e2e/bisect-history.sh, and fails about 96% of the time from c3 on
# (c3 drops a quarter of the 600-699 byte frames: 1 - 0.75^11).
exec "$(dirname "$0")/veth-udp.sh" 600 11 0
