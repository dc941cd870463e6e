#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Istio's default sidecar injection arguments, real TCP traffic, plain
# listeners (no proxy): who lands on 15001/15006 and who is not captured.
. "$(dirname "$0")/lib/pod.sh"

ISTIO_ARGS=(istio-iptables -p 15001 -z 15006 -u 1337 -m REDIRECT -i '*'
	-x "" -b '*' -d 15090,15021,15020 --ipv6 on)

pod_init 0001
pod_create

listen_pod outbound 15001
listen_pod inbound 15006
listen_pod app 8080
for p in 15090 15021 15020; do
	listen_pod "app$p" "$p"
done
listen_peer peer80 80
listen_peer peer443 443

check "meshinit applies Istio's default injection rules" \
	meshinit_pod "${ISTIO_ARGS[@]}"

echo "# outbound"
a=$(client 1000 1000 "$PEER_IP4" 80)
expect "app uid 1000 -> $PEER_IP4:80 lands on 15001 with SO_ORIGINAL_DST $PEER_IP4:80" \
	"$a" label=outbound orig="$PEER_IP4:80" srcip="$POD_IP4"
a=$(client 1000 1000 "$PEER_IP6" 80)
expect "app uid 1000 -> [$PEER_IP6]:80 lands on 15001 with IP6T_SO_ORIGINAL_DST [$PEER_IP6]:80" \
	"$a" label=outbound orig="[$PEER_IP6]:80"
a=$(client 1337 1337 "$PEER_IP4" 80)
expect "proxy uid 1337 -> $PEER_IP4:80 is not captured (peer answers, sees $POD_IP4)" \
	"$a" label=peer80 srcip="$POD_IP4" dst="$PEER_IP4:80"
a=$(client 1337 1337 "$PEER_IP6" 80)
expect "proxy uid 1337 -> [$PEER_IP6]:80 is not captured" \
	"$a" label=peer80 srcip="$POD_IP6"
a=$(client 1000 1000 127.0.0.1 8080)
expect "app -> 127.0.0.1:8080 is not captured (reaches the app)" \
	"$a" label=app srcip=127.0.0.1
a=$(client 1000 1000 ::1 8080)
expect "app -> [::1]:8080 is not captured (reaches the app)" \
	"$a" label=app srcip=::1
a=$(client 1000 1000 "$POD_IP4" 8080)
expect "app -> own pod IP $POD_IP4:8080 is not captured (Istio: lo + non-proxy uid returns)" \
	"$a" label=app srcip="$POD_IP4"
a=$(client 1000 1000 "$POD_IP4" 8080 --src 127.0.0.6)
expect "app from source 127.0.0.6 -> $POD_IP4:8080 is not captured" \
	"$a" label=app srcip=127.0.0.6
a=$(client 1337 1337 "$POD_IP4" 8080)
expect "proxy uid 1337 -> own pod IP $POD_IP4:8080 goes to inbound 15006" \
	"$a" label=inbound orig="$POD_IP4:8080"

echo "# inbound"
a=$(client_peer "$POD_IP4" 8080)
expect "peer -> $POD_IP4:8080 lands on 15006 with SO_ORIGINAL_DST $POD_IP4:8080" \
	"$a" label=inbound orig="$POD_IP4:8080" srcip="$PEER_IP4"
a=$(client_peer "$POD_IP6" 8080)
expect "peer -> [$POD_IP6]:8080 lands on 15006" \
	"$a" label=inbound orig="[$POD_IP6]:8080" srcip="$PEER_IP6"
for p in 15090 15021 15020; do
	a=$(client_peer "$POD_IP4" "$p")
	expect "peer -> $POD_IP4:$p (-d) is not captured" \
		"$a" label="app$p" srcip="$PEER_IP4"
done

echo "# -x 10.90.0.0/24"
check "meshinit with -x 10.90.0.0/24" meshinit_pod istio-iptables -p 15001 \
	-z 15006 -u 1337 -m REDIRECT -i '*' -x 10.90.0.0/24 -b '*' \
	-d 15090,15021,15020
a=$(client 1000 1000 "$PEER_IP4" 80)
expect "app -> $PEER_IP4:80 (in the excluded CIDR) reaches the peer directly" \
	"$a" label=peer80 srcip="$POD_IP4"
a=$(client 1000 1000 10.91.0.1 80)
expect "app -> 10.91.0.1:80 (outside the excluded CIDR) is still captured" \
	"$a" label=outbound orig=10.91.0.1:80

echo "# -o 80"
check "meshinit with -o 80" meshinit_pod istio-iptables -p 15001 \
	-z 15006 -u 1337 -m REDIRECT -i '*' -x "" -o 80 -b '*' \
	-d 15090,15021,15020
a=$(client 1000 1000 "$PEER_IP4" 80)
expect "app -> $PEER_IP4:80 (excluded port) reaches the peer directly" \
	"$a" label=peer80 srcip="$POD_IP4"
a=$(client 1000 1000 "$PEER_IP4" 443)
expect "app -> $PEER_IP4:443 is still captured" \
	"$a" label=outbound orig="$PEER_IP4:443"

echo "# cleanup"
check "meshinit cleanup" meshinit_pod cleanup
a=$(client 1000 1000 "$PEER_IP4" 443)
expect "after cleanup app -> $PEER_IP4:443 reaches the peer directly" \
	"$a" label=peer443 srcip="$POD_IP4"

pod_finish
