#!/bin/bash
# Istio's iptables path (istio-compat.md 4.3) for a clean namespace, minus
# Go start-up: legacy residue probe, binary detection (save, version,
# no-op rule add/delete) for iptables and ip6tables, state detection
# (iptables-save, ip6tables-save), iptables-restore --noflush of the rules
# (ip6tables-restore when there are IPv6 rules), final iptables-save.
#   usage: peer-istio-ipt.sh nft|legacy V4.rules [V6.rules]
set -e
b=$1 v4=$2 v6=${3:-}
wait=
[ "$b" = legacy ] && wait=--wait=30
iptables-legacy-save >/dev/null
for x in iptables ip6tables; do
	$x-$b-save >/dev/null
	$x-$b --version >/dev/null
	$x-$b -t nat -A INPUT -p 255 -j RETURN
	$x-$b -t nat -D INPUT -p 255 -j RETURN
done
iptables-$b-save >/dev/null
ip6tables-$b-save >/dev/null
iptables-$b-restore --noflush $wait <"$v4"
if [ -n "$v6" ] && [ -s "$v6" ]; then
	ip6tables-$b-restore --noflush $wait <"$v6"
fi
iptables-$b-save >/dev/null
if [ -n "$v6" ] && [ -s "$v6" ]; then
	ip6tables-$b-save >/dev/null
fi
