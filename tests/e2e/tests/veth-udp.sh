#!/bin/sh
# veth-udp.sh SIZE COUNT NOISE: two namespaces joined by a veth pair,
# then veth-udp.py sends COUNT datagrams of SIZE bytes across.
set -e
a=kfa-$$ b=kfb-$$
ip netns add $a
ip netns add $b
trap 'ip netns del $a; ip netns del $b' EXIT
ip link add va netns $a type veth peer name vb netns $b
ip -n $a addr add 10.99.0.1/24 dev va
ip -n $b addr add 10.99.0.2/24 dev vb
ip -n $a link set va up
ip -n $b link set vb up
python3 "$(dirname "$0")/veth-udp.py" $a $b "$1" "$2" "$3"
