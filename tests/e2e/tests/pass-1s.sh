#!/bin/sh
# A test that passes after a second: long enough that a run can be
# stopped (scancel, Ctrl-C) between two of its iterations.
sleep 1
echo "passed after a second"
exit 0
