#!/bin/sh
# A test that passes at once: for tests of the harness, not the kernel.
echo "quick pass on $(uname -r)"
exit 0
