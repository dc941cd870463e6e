#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Istio's default injection arguments with a real proxy: HAProxy as uid
# 1337 on 15001 (to the original destination) and 15006 (to the app from
# 127.0.0.6). Proof that bytes went through it: the peer receives HAProxy's
# PROXY protocol header, the app sees 127.0.0.6, and HAProxy's session
# counters (stats socket) move by exactly the expected amount.
. "$(dirname "$0")/lib/pod.sh"

pod_init 0002
pod_create
listen_pod app 8080 --bind 127.0.0.1 --bind "$POD_IP4" --bind "$POD_IP6"
listen_peer peer80 80
listen_peer peer443 443

check "meshinit applies Istio's default injection rules" \
	meshinit_pod istio-iptables -p 15001 -z 15006 -u 1337 -m REDIRECT \
	-i '*' -x "" -b '*' -d 15090,15021,15020 --ipv6 on
haproxy_start 8080
echo "# HAProxy runs as uid $PROXY_UID (pid $(cat "$POD_TMP/proxy/haproxy.pid"))"
check "HAProxy runs as uid $PROXY_UID" \
	test "$(stat -c %u "/proc/$(head -n1 "$POD_TMP/proxy/haproxy.pid")")" = "$PROXY_UID"

echo "# outbound app -> peer through HAProxy"
a=$(client 1000 1000 "$PEER_IP4" 80)
expect "app -> $PEER_IP4:80 reaches the peer through HAProxy (PROXY header, original dst kept)" \
	"$a" label=peer80 srcip="$POD_IP4" "proxy^=PROXY_TCP4_${POD_IP4}_${PEER_IP4}_" dst="$PEER_IP4:80"
a=$(client 1000 1000 "$PEER_IP4" 443)
expect "app -> $PEER_IP4:443 reaches peer port 443 through HAProxy" \
	"$a" label=peer443 srcip="$POD_IP4" "proxy^=PROXY_TCP4_${POD_IP4}_${PEER_IP4}_" dst="$PEER_IP4:443"
a=$(client 1000 1000 10.99.1.2 80)
expect "app -> 10.99.1.2:80 (any address) is forwarded to that address" \
	"$a" label=peer80 dst=10.99.1.2:80 "proxy^=PROXY_TCP4_${POD_IP4}_10.99.1.2_"
expect_count "HAProxy outbound frontend saw exactly the 3 sessions" \
	"$(haproxy_sessions outbound)" 3
expect_count "HAProxy original_dst backend made exactly 3 upstream connections (no loop)" \
	"$(haproxy_sessions original_dst)" 3

a=$(client 1337 1337 "$PEER_IP4" 80)
expect "uid 1337 itself -> $PEER_IP4:80 is not captured (no PROXY header)" \
	"$a" label=peer80 proxy=-
expect_count "HAProxy outbound sessions unchanged" "$(haproxy_sessions outbound)" 3

echo "# IPv6 outbound (HAProxy forwards [::]:15001 to $HAPROXY_V6_UPSTREAM)"
a=$(client 1000 1000 "$PEER_IP6" 80)
expect "app -> [$PEER_IP6]:80 reaches the peer through HAProxy" \
	"$a" label=peer80 srcip="$POD_IP6" "proxy^=PROXY_TCP6_${POD_IP6}_"
expect_count "HAProxy outbound6 frontend saw 1 session" "$(haproxy_sessions outbound6)" 1

echo "# inbound peer -> app through HAProxy"
a=$(client_peer "$POD_IP4" 8080)
expect "peer -> $POD_IP4:8080 reaches the app through HAProxy from 127.0.0.6" \
	"$a" label=app srcip=127.0.0.6 dst=127.0.0.1:8080
a=$(client_peer "$POD_IP6" 8080)
expect "peer -> [$POD_IP6]:8080 reaches the app through HAProxy from 127.0.0.6" \
	"$a" label=app srcip=127.0.0.6 dst=127.0.0.1:8080
expect_count "HAProxy inbound frontend saw 2 sessions" "$(haproxy_sessions inbound)" 2
expect_count "HAProxy outbound sessions unchanged by inbound traffic" \
	"$(haproxy_sessions outbound)" 3

pod_finish
