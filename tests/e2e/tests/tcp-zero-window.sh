#!/bin/bash
# A TCP flow stalled on a zero window: the receiver accepts the
# connection and never reads, so its receive queue fills, it advertises
# a zero window, and the sender's data waits behind the persist timer.
# kflake must call it a stall, and its snapshot must say zero window.
set -e
. "$(dirname "$0")/netns-pair.sh" 10.78.0
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
