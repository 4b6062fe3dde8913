#!/bin/sh
# Crashes the guest kernel (sysrq-c): must be classified as a crash, and
# the next iteration must run in a fresh VM.
echo "crashing the kernel"
echo c > /proc/sysrq-trigger
sleep 30
