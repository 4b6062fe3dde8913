#!/bin/sh
# Passes after 2 s: long enough for a test of the harness to act while
# an iteration runs (e2e 95-kill9 kills kflake then).
sleep 2
echo "slept 2 s"
exit 0
