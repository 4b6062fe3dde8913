#!/bin/bash
# A TCP flow stalled the way udpgro's stalls: the sender has data in
# flight and hears no ACK. After connect, netem on the receiver's side
# drops everything it sends back, so the sender's unacked data never
# moves. kflake must call it a stall and its snapshot must show it.
set -e
. "$(dirname "$0")/netns-pair.sh" 10.77.0
ip netns exec $b python3 -c '
import socket
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("10.77.0.2", 9000))
l.listen(1)
c, _ = l.accept()
while c.recv(65536):
    pass
' &
sleep 1
ip netns exec $a python3 -c '
import socket, sys
s = socket.create_connection(("10.77.0.2", 9000))
print("connected", flush=True)
open("/tmp/kflake-connected", "w").close()
while True:
    s.sendall(b"x" * 65536)
' &
for i in $(seq 50); do
	[ -e /tmp/kflake-connected ] && break
	sleep 0.1
done
tc -n $b qdisc add dev vb root netem loss 100%
echo "receiver now drops everything; the sender is on its own"
wait
