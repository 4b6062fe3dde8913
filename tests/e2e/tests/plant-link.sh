#!/bin/bash
# Guest side of e2e 65: replace this iteration's output and snapshot files
# in the output share by symlinks to a host secret (/etc/shadow). A host
# that followed them would store the secret in the database.
out=$(readlink /proc/$$/fd/1)
echo "planting links at $out"
rm -f "$out" "${out%.out}.snapshot"
ln -s /etc/shadow "$out"
ln -s /etc/shadow "${out%.out}.snapshot"
exit 0
