#!/bin/bash
# Fails when a process leave-child.sh started is still alive: a test's
# leftovers must not run on into the next test.
if pgrep -f kflake-e2e-leftover > /dev/null; then
	echo "leftover processes: $(pgrep -af kflake-e2e-leftover)"
	exit 1
fi
echo "no leftovers"
exit 0
