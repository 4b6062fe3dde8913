#!/usr/bin/python3
# veth-udp.py NS_A NS_B SIZE COUNT NOISE - the UDP exchange behind the
# bisect end-to-end tests: send COUNT datagrams of SIZE bytes from
# namespace NS_A to NS_B over a veth pair (set up by the caller) and
# fail unless all arrive. NOISE is a failure rate the script adds on its
# own, standing in for the rare environmental flake of a real test.
import ctypes
import os
import random
import socket
import sys

CLONE_NEWNET = 0x40000000
libc = ctypes.CDLL(None, use_errno=True)


def enter(ns):
    fd = os.open("/run/netns/" + ns, os.O_RDONLY)
    if libc.setns(fd, CLONE_NEWNET):
        raise OSError(ctypes.get_errno(), "setns " + ns)
    os.close(fd)


ns_a, ns_b, size, count, noise = sys.argv[1:6]
size, count, noise = int(size), int(count), float(noise)
# One process, two namespaces: a socket stays in the one it was made in.
enter(ns_b)
rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
rx.bind(("10.99.0.2", 4000))
rx.settimeout(1.0)
enter(ns_a)
tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
got = 0
for i in range(count):
    tx.sendto(bytes([i]) * size, ("10.99.0.2", 4000))
    try:
        data = rx.recv(65536)
        got += len(data) == size
    except socket.timeout:
        # One lost datagram decides the outcome: stop waiting for more.
        print("datagram %d of %d lost" % (i + 1, count))
        break
print("received %d of %d datagrams of %d bytes" % (got, count, size))
if random.random() < noise:
    print("simulated environmental noise")
    sys.exit(1)
sys.exit(0 if got == count else 1)
