#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The init-container exclusions of 0003 over IPv6 (fd90::/64), given as
# flags this time, with --dual-stack:
#   --exclude-outbound-uids 1001 --exclude-outbound-gids 2000
#   --exclude-outbound-ports-for-uids 'tcp:443:1002'
# The original destination is read with IP6T_SO_ORIGINAL_DST by a plain
# listener; HAProxy 2.6 cannot read it, so its IPv6 outbound frontend
# forwards to the fixed upstream [fd90::1]:80 (see lib/pod.sh).
. "$(dirname "$0")/lib/pod.sh"

ARGS=(istio-iptables -p 15001 -z 15006 -u 1337 -m REDIRECT -i '*' -x ""
	-b '*' -d 15090,15021,15020 --dual-stack
	--exclude-outbound-uids 1001 --exclude-outbound-gids 2000
	--exclude-outbound-ports-for-uids 'tcp:443:1002')
P6="[$PEER_IP6]"

pod_init 0004
pod_create
listen_pod app 8080 --bind 127.0.0.1 --bind ::1 --bind "$POD_IP6"
listen_peer peer80 80
listen_peer peer443 443

check "meshinit --dual-stack with the exclusion flags" meshinit_pod "${ARGS[@]}"
check "the ruleset has IPv6 rules (ip6 daddr ::1)" \
	eval 'in_pod nft list table inet meshinit | grep -q "ip6 daddr ::1"'

no_proxy_phase() {
	local when=$1 a
	a=$(client 1001 1001 "$PEER_IP6" 80)
	expect "$when: excluded uid 1001 -> $P6:80 reaches the peer directly" \
		"$a" label=peer80 srcip="$POD_IP6" proxy=-
	a=$(client 1003 2000 "$PEER_IP6" 80)
	expect "$when: excluded gid 2000 -> $P6:80 reaches the peer directly" \
		"$a" label=peer80 srcip="$POD_IP6" proxy=-
	a=$(client 1002 1002 "$PEER_IP6" 443)
	expect "$when: uid 1002 -> $P6:443 (tcp:443:1002) reaches the peer directly" \
		"$a" label=peer443 srcip="$POD_IP6" proxy=-
	a=$(client 1000 1000 "$PEER_IP6" 80 --timeout 5)
	expect_err "$when: app uid 1000 -> $P6:80 fails with ECONNREFUSED, not a 5 s timeout" \
		"$a" refused
	a=$(client 1002 1002 "$PEER_IP6" 80 --timeout 5)
	expect_err "$when: uid 1002 -> $P6:80 (port not excluded) is refused" \
		"$a" refused
}

echo "# IPv6 phase 1: before the proxy"
no_proxy_phase "before proxy"

echo "# IPv6: original destination seen by a plain listener on 15001"
listen_pod outbound 15001 --bind ::
a=$(client 1000 1000 "$PEER_IP6" 443)
expect "app -> $P6:443 lands on 15001 with IP6T_SO_ORIGINAL_DST $P6:443" \
	"$a" label=outbound orig="$P6:443"
a=$(client 1002 1002 "$PEER_IP6" 80)
expect "uid 1002 -> $P6:80 lands on 15001 with original dst $P6:80" \
	"$a" label=outbound orig="$P6:80"
pid_reap "$LISTEN_PID"

echo "# IPv6 phase 2: HAProxy runs"
haproxy_start 8080
a=$(client 1000 1000 "$PEER_IP6" 80)
expect "init container uid 1000 -> $P6:80 goes through HAProxy" \
	"$a" label=peer80 srcip="$POD_IP6" "proxy^=PROXY_TCP6_${POD_IP6}_"
a=$(client 1002 1002 "$PEER_IP6" 80)
expect "uid 1002 -> $P6:80 goes through HAProxy" \
	"$a" label=peer80 "proxy^=PROXY_TCP6_${POD_IP6}_"
a=$(client 1002 1002 "$PEER_IP6" 443)
expect "uid 1002 -> $P6:443 bypasses HAProxy" "$a" label=peer443 proxy=-
a=$(client 1001 1001 "$PEER_IP6" 80)
expect "excluded uid 1001 -> $P6:80 bypasses HAProxy" "$a" label=peer80 proxy=-
expect_count "HAProxy outbound6 sessions" "$(haproxy_sessions outbound6)" 2
expect_count "HAProxy upstream6 connections = proxied sessions (no loop)" \
	"$(haproxy_sessions upstream6)" 2
a=$(client_peer "$POD_IP6" 8080)
expect "peer -> [$POD_IP6]:8080 reaches the app through HAProxy from 127.0.0.6" \
	"$a" label=app srcip=127.0.0.6
a=$(client 1000 1000 ::1 8080)
expect "app -> [::1]:8080 is not captured" "$a" label=app srcip=::1
a=$(client 1000 1000 "$POD_IP6" 8080)
expect "app -> own pod IP [$POD_IP6]:8080 is not captured" \
	"$a" label=app srcip="$POD_IP6"
a=$(client 1000 1000 "$POD_IP6" 8080 --src ::6)
expect "app from ::6 -> [$POD_IP6]:8080 is not captured" "$a" label=app srcip=::6
expect_count "HAProxy inbound sessions" "$(haproxy_sessions inbound)" 1

echo "# IPv6 phase 3: the proxy exited"
haproxy_stop
no_proxy_phase "after proxy"

pod_finish
