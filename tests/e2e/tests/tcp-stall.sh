#!/bin/bash
# A TCP flow stalled the way udpgro's stalls: the sender has data in
# flight and hears no ACK. After connect, netem on the receiver's side
# drops everything it sends back, so the sender's unacked data never
# moves. kflake must call it a stall and its snapshot must show it.
set -e
a=kfa-$$ b=kfb-$$
ip netns add $a
ip netns add $b
ip link add va type veth peer name vb
ip link set va netns $a
ip link set vb netns $b
ip -n $a addr add 10.77.0.1/24 dev va
ip -n $b addr add 10.77.0.2/24 dev vb
for ns in $a $b; do ip -n $ns link set lo up; done
ip -n $a link set va up
ip -n $b link set vb up
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
