#!/bin/sh
# bisect e2e: 5 UDP datagrams of 1200 bytes over veth must all arrive
# (the deterministic culprit of tests/e2e/90-bisect.sh drops them).
exec "$(dirname "$0")/veth-udp.sh" 1200 5 0
