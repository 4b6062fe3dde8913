#!/bin/sh
# Silent for 20 s while it keeps starting commands, as a selftest setting
# up namespaces under host stress does (udpgro_frglist.sh printed nothing
# for over 15 s under --stress throttle, its `ip` commands waiting on
# RCU). It works, so it is not a stall, whatever the idle limit.
echo "setting up"
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
	sleep 1
done
echo "set up; done"
exit 0
