#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Init-container exclusions over a pod's whole life, IPv4, HAProxy as the
# proxy. The exclusions come from the environment, as in a Pod manifest:
#   MESHINIT_EXCLUDE_OUTBOUND_UIDS=1001            uid 1001 never captured
#   MESHINIT_EXCLUDE_OUTBOUND_GIDS=2000            gid 2000 never captured
#   MESHINIT_EXCLUDE_OUTBOUND_PORTS_FOR_UIDS=tcp:443:1002
#                                                  uid 1002 bypasses for 443 only
# Phases: before the proxy starts, while it runs, after it exited.
. "$(dirname "$0")/lib/pod.sh"

pod_init 0003
pod_create
listen_pod app 8080 --bind 127.0.0.1 --bind "$POD_IP4"
listen_peer peer80 80
listen_peer peer443 443

check "meshinit: Istio defaults + exclusions from MESHINIT_EXCLUDE_* env" \
	env MESHINIT_EXCLUDE_OUTBOUND_UIDS=1001 \
	MESHINIT_EXCLUDE_OUTBOUND_GIDS=2000 \
	MESHINIT_EXCLUDE_OUTBOUND_PORTS_FOR_UIDS=tcp:443:1002 \
	ip netns exec "$POD_NS" "$MESHINIT" istio-iptables -p 15001 -z 15006 \
	-u 1337 -m REDIRECT -i '*' -x "" -b '*' -d 15090,15021,15020 \
	>>"$POD_TMP/meshinit.log" 2>&1

# no proxy: excluded identities reach the peer, the rest is refused at
# once (REDIRECT to 127.0.0.1:15001 where nothing listens answers RST)
no_proxy_phase() {
	local when=$1 a
	a=$(client 1001 1001 "$PEER_IP4" 80)
	expect "$when: excluded uid 1001 -> $PEER_IP4:80 reaches the peer directly" \
		"$a" label=peer80 srcip="$POD_IP4" proxy=-
	a=$(client 1003 2000 "$PEER_IP4" 80)
	expect "$when: excluded gid 2000 (uid 1003) -> $PEER_IP4:80 reaches the peer directly" \
		"$a" label=peer80 srcip="$POD_IP4" proxy=-
	a=$(client 1002 1002 "$PEER_IP4" 443)
	expect "$when: uid 1002 -> $PEER_IP4:443 (tcp:443:1002) reaches the peer directly" \
		"$a" label=peer443 proxy=-
	a=$(client 1000 1000 "$PEER_IP4" 80 --timeout 5)
	expect_err "$when: app uid 1000 -> $PEER_IP4:80 fails with ECONNREFUSED, not a 5 s timeout" \
		"$a" refused
	a=$(client 1002 1002 "$PEER_IP4" 80 --timeout 5)
	expect_err "$when: uid 1002 -> $PEER_IP4:80 (port not excluded) is refused" \
		"$a" refused
	a=$(client 1001 1000 "$PEER_IP4" 80 --timeout 5)
	expect "$when: uid 1001 with gid 1000 is still excluded (uid match)" \
		"$a" label=peer80 proxy=-
	a=$(client 1000 1000 127.0.0.1 8080)
	expect "$when: app -> 127.0.0.1:8080 is not captured" "$a" label=app
}

echo "# phase 1: init containers before the proxy starts"
no_proxy_phase "before proxy"

echo "# phase 2: the proxy runs"
haproxy_start 8080
a=$(client 1000 1000 "$PEER_IP4" 80)
expect "init container uid 1000 -> $PEER_IP4:80 goes through HAProxy" \
	"$a" label=peer80 srcip="$POD_IP4" "proxy^=PROXY_TCP4_${POD_IP4}_${PEER_IP4}_"
a=$(client 1002 1002 "$PEER_IP4" 80)
expect "uid 1002 -> $PEER_IP4:80 goes through HAProxy" \
	"$a" label=peer80 "proxy^=PROXY_TCP4_${POD_IP4}_${PEER_IP4}_"
expect_count "HAProxy outbound sessions" "$(haproxy_sessions outbound)" 2
a=$(client 1002 1002 "$PEER_IP4" 443)
expect "uid 1002 -> $PEER_IP4:443 bypasses HAProxy" "$a" label=peer443 proxy=-
a=$(client 1001 1001 "$PEER_IP4" 80)
expect "excluded uid 1001 -> $PEER_IP4:80 bypasses HAProxy" "$a" label=peer80 proxy=-
a=$(client 1003 2000 "$PEER_IP4" 443)
expect "excluded gid 2000 -> $PEER_IP4:443 bypasses HAProxy" "$a" label=peer443 proxy=-
expect_count "HAProxy outbound sessions unchanged by excluded traffic" \
	"$(haproxy_sessions outbound)" 2
expect_count "HAProxy upstream connections = proxied sessions (its own traffic does not loop)" \
	"$(haproxy_sessions original_dst)" 2

a=$(client_peer "$POD_IP4" 8080)
expect "peer -> $POD_IP4:8080 reaches the app through HAProxy from 127.0.0.6" \
	"$a" label=app srcip=127.0.0.6
expect_count "HAProxy inbound sessions" "$(haproxy_sessions inbound)" 1
a=$(client 1000 1000 127.0.0.1 8080)
expect "app -> 127.0.0.1:8080 is not captured" "$a" label=app srcip=127.0.0.1
a=$(client 1000 1000 "$POD_IP4" 8080)
expect "app -> own pod IP $POD_IP4:8080 is not captured (as Istio: lo, not the proxy uid)" \
	"$a" label=app srcip="$POD_IP4"
a=$(client 1337 1337 "$POD_IP4" 8080)
expect "proxy uid -> own pod IP $POD_IP4:8080 goes to inbound 15006 (HAProxy, from 127.0.0.6)" \
	"$a" label=app srcip=127.0.0.6
expect_count "HAProxy inbound sessions" "$(haproxy_sessions inbound)" 2
expect_count "HAProxy outbound sessions unchanged by local traffic" \
	"$(haproxy_sessions outbound)" 2

echo "# phase 3: the proxy exited (completed Job)"
hpid=$(head -n1 "$POD_TMP/proxy/haproxy.pid")
haproxy_stop
check "HAProxy (pid $hpid) has exited" eval '! pid_alive "$hpid"'
no_proxy_phase "after proxy"

pod_finish
