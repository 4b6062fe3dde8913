#!/bin/sh
# Writes 200 MB of output: on a small filesystem under the artefacts
# (e2e 68-disk-full) that fills the disk in the middle of a run.
yes kflake-e2e-fill | head -c 200000000
echo "head exited $?" >&2
exit 0
