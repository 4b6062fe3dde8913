#!/bin/sh
# bisect e2e: 2 UDP datagrams of 600 bytes over veth must both arrive;
# the script itself fails 3% of the time (a noisy baseline), and the
# flaky culprit of tests/e2e/90-bisect.sh drops a quarter of them.
exec "$(dirname "$0")/veth-udp.sh" 600 2 0.03
