#!/bin/sh
# Makes the *.json and *.show golden files in this folder from the real tools (iproute2 6.1):
# loads uplinks.v4.batch and uplinks.v6.batch into a throwaway network namespace set up like the
# kernel lab (veth pairs mlb0/mlb0p .. mlb2/mlb2p, addrgenmode none, the lab's addresses) and
# saves what `ip -json rule show`, `ip -json route show table all`, `ip rule show` and
# `ip route show table all` print. Run as root from this folder: sh make-golden.sh
set -eu
ns=mlbx-golden-$$
ip netns add "$ns"
trap 'ip netns del "$ns"' EXIT
ipn() { ip -n "$ns" "$@"; }
ipn link set lo up
for i in 0 1 2; do
  ipn link add mlb$i type veth peer name mlb${i}p
  ipn link set mlb$i addrgenmode none
  ipn link set mlb${i}p addrgenmode none
  ipn link set mlb$i up
  ipn link set mlb${i}p up
  ipn addr add 192.0.2.$((64 * i + 2))/26 dev mlb$i
  ipn addr add 2001:db8:0:$((i + 1))::2/64 dev mlb$i nodad
done
sleep 1
for f in 4 6; do
  ipn -$f -batch uplinks.v$f.batch
  ipn -$f -json rule show > uplinks.v$f.rules.json
  ipn -$f -json route show table all > uplinks.v$f.routes.json
  ipn -$f rule show > uplinks.v$f.rules.show
  ipn -$f route show table all > uplinks.v$f.routes.show
done
ip -V > iproute2.version
