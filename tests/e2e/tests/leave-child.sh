#!/bin/bash
# Passes, but leaves two processes behind, as a test that forgets to stop
# its servers would: a plain background child, and a daemon in a session
# of its own. The harness must end both with the test.
setsid -f bash -c 'exec -a kflake-e2e-leftover sleep 600' < /dev/null > /dev/null 2>&1
exec -a kflake-e2e-leftover sleep 600 &
echo "left two processes behind"
exit 0
