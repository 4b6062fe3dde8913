# netns-pair.sh NET - sourced by the TCP stall tests: namespaces $a and
# $b joined by a veth pair, NET.1 in $a and NET.2 in $b (a /24), links up.
a=kfa-$$ b=kfb-$$
ip netns add $a
ip netns add $b
ip link add va type veth peer name vb
ip link set va netns $a
ip link set vb netns $b
ip -n $a addr add "$1.1/24" dev va
ip -n $b addr add "$1.2/24" dev vb
for ns in $a $b; do ip -n $ns link set lo up; done
ip -n $a link set va up
ip -n $b link set vb up
