#!/bin/bash
# A TCP flow stalled on a zero window: the receiver accepts the
# connection and never reads, so its receive queue fills, it advertises
# a zero window, and the sender's data waits behind the persist timer.
# kflake must call it a stall, and its snapshot must say zero window.
set -e
a=kfa-$$ b=kfb-$$
ip netns add $a
ip netns add $b
ip link add va type veth peer name vb
ip link set va netns $a
ip link set vb netns $b
ip -n $a addr add 10.78.0.1/24 dev va
ip -n $b addr add 10.78.0.2/24 dev vb
for ns in $a $b; do ip -n $ns link set lo up; done
ip -n $a link set va up
ip -n $b link set vb up
ip netns exec $b python3 -c '
import socket, time
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("10.78.0.2", 9000))
l.listen(1)
c, _ = l.accept()
time.sleep(100000)
' &
sleep 1
ip netns exec $a python3 -c '
import socket
s = socket.create_connection(("10.78.0.2", 9000))
print("connected; the receiver never reads", flush=True)
while True:
    s.sendall(b"x" * 65536)
' &
wait
