#!/bin/sh
# A test that never finishes: must be classified as a stall.
echo "about to hang"
sleep 100000
