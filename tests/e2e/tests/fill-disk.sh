#!/bin/sh
# Writes 200 MB of output: on a small filesystem under the artefacts
# (e2e 68-disk-full) that fills the disk in the middle of a run. sync
# before the end: the share is mounted cache=loose, and without it the
# last megabytes reach the host after the item ended, so whether the
# host saw a full disk when it recorded the item depended on timing.
yes kflake-e2e-fill | head -c 200000000
echo "head exited $?" >&2
sync
exit 0
