#!/bin/sh
# A kernel WARNING that does not kill the guest (LKDTM): the iteration is
# a failure with the report's fingerprint, and the run goes on.
echo WARNING > /sys/kernel/debug/provoke-crash/DIRECT
echo "warned"
exit 0
