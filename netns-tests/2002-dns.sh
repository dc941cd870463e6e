#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# DNS capture with real traffic: app queries to the resolv.conf servers (UDP
# and TCP, IPv4 and IPv6) land on the agent's port 15053, the proxy's own
# queries and excluded init containers go upstream, --capture-all-dns
# captures any address, conntrack zones split the flows, and the
# no-nameserver and missing-file cases behave as documented.
. "$(dirname "$0")/lib/pod.sh"

pod_init dns
pod_create
command -v conntrack >/dev/null || skip "no conntrack(8)"

printf 'search svc.cluster.local\nnameserver 10.90.0.1\nnameserver fd90::1%%eth0\noptions ndots:5\n' \
	>"$POD_TMP/resolv.conf"
BASE=(istio-iptables -p 15001 -z 15006 -u 1337 -m REDIRECT -i '*' -x ""
      -b '*' -d 15090,15021,15020 --ipv6 on --resolv-conf "$POD_TMP/resolv.conf")

meshinit_pod "${BASE[@]}" --redirect-dns --exclude-outbound-uids 1001 ||
	fail "meshinit failed: $(cat "$POD_TMP/meshinit.log")"

listen_pod dns-proxy 15053 --uid 1337 --gid 1337
listen_pod dns-proxy 15053 --udp --uid 1337 --gid 1337
listen_pod proxy-out 15001
listen_peer upstream 53
listen_peer upstream 53 --udp

ans=$(client 1000 1000 10.90.0.1 53 --udp)
expect "app UDP query to the resolv.conf server goes to the agent" "$ans" \
	label=dns-proxy dst=127.0.0.1:15053
ans=$(client 1000 1000 10.90.0.1 53)
expect "app TCP query to the resolv.conf server goes to the agent" "$ans" \
	label=dns-proxy orig=10.90.0.1:53
ans=$(client 1000 1000 fd90::1 53 --udp)
expect "app UDP query to the IPv6 server (zone suffix dropped) goes to the agent" "$ans" \
	label=dns-proxy dst=[::1]:15053
ans=$(client 1337 1337 10.90.0.1 53 --udp)
expect "the agent's (proxy uid) UDP query goes upstream" "$ans" \
	label=upstream srcip=10.90.0.5
ans=$(client 1337 1337 10.90.0.1 53)
expect "the agent's TCP query goes upstream" "$ans" label=upstream srcip=10.90.0.5
ans=$(client 1001 1001 10.90.0.1 53 --udp)
expect "an excluded init container's query goes upstream" "$ans" \
	label=upstream srcip=10.90.0.5
ans=$(client 1000 1000 10.91.0.53 53 --udp)
expect "app UDP to a non-resolv.conf address is not captured" "$ans" \
	label=upstream dst=10.91.0.53:53

# conntrack zones: the app's query to the server was set to zone 2 in raw
# output; the upstream reply to the agent was set to zone 1 in raw prerouting
ct=$(in_pod conntrack -L -p udp 2>/dev/null)
check "app query to the server is tracked in conntrack zone 2" \
	grep -Eq 'dst=10\.90\.0\.1 sport=[0-9]+ dport=53 .*zone=2' <<<"$ct"
check "upstream replies from the server are tracked in conntrack zone 1" \
	grep -Eq 'src=10\.90\.0\.1 dst=10\.90\.0\.5 sport=53 .*zone=1' <<<"$ct"

# --capture-all-dns: port 53 to any address
meshinit_pod "${BASE[@]}" --redirect-dns --capture-all-dns || fail "capture-all failed"
ans=$(client 1000 1000 10.91.0.53 53 --udp)
expect "with --capture-all-dns an app query to any address goes to the agent" "$ans" \
	label=dns-proxy
ans=$(client 1337 1337 10.91.0.53 53 --udp)
expect "with --capture-all-dns the agent still goes upstream" "$ans" label=upstream

# resolv.conf without servers: DNS capture off, with Istio's warning
printf 'search svc.cluster.local\n' >"$POD_TMP/empty.conf"
: >"$POD_TMP/meshinit.log"
meshinit_pod "${BASE[@]}" --redirect-dns --resolv-conf "$POD_TMP/empty.conf" ||
	fail "no-server run failed"
check "no nameserver: Istio's warning is logged" \
	grep -q 'no DNS servers provided. DNS capture disabled.' "$POD_TMP/meshinit.log"
ans=$(client 1000 1000 10.90.0.1 53 --udp)
expect "no nameserver: DNS is not captured" "$ans" label=upstream

# a missing resolv.conf is an error only when it is needed
before=$(in_pod nft -s list ruleset)
meshinit_pod "${BASE[@]}" --redirect-dns --resolv-conf "$POD_TMP/missing.conf"
check "missing resolv.conf with --redirect-dns: exit 1" test $? = 1
check "missing resolv.conf: the error names the file" \
	grep -q "failed to load $POD_TMP/missing.conf" "$POD_TMP/meshinit.log"
check "missing resolv.conf: the previous rules stay in place" \
	test "$before" = "$(in_pod nft -s list ruleset)"
meshinit_pod "${BASE[@]}" --resolv-conf "$POD_TMP/missing.conf"
check "missing resolv.conf without DNS capture: fine" test $? = 0

pod_finish
