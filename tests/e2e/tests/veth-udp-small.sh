#!/bin/sh
# bisect e2e: 4 UDP datagrams of 600 bytes over veth must all arrive;
# the script itself fails 3% of the time (a noisy baseline), and the
# flaky culprit of tests/e2e/90-bisect.sh drops a quarter of them.
exec "$(dirname "$0")/veth-udp.sh" 600 4 0.03
