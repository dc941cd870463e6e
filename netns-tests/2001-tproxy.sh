#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# TPROXY inbound interception with real traffic: a transparent listener on
# the inbound port sees the original destination as its local address, the
# client's connection works end to end, the proxy's own pod-IP traffic over
# lo comes back to inbound, 127.0.0.6 passes through, and the policy routing
# is idempotent and removed by cleanup.
. "$(dirname "$0")/lib/pod.sh"

pod_init tproxy
pod_create

ARGS=(istio-iptables -p 15001 -z 15006 -u 1337 -m TPROXY -i '*' -x "" -b '*'
      -d 15090,15021,15020 --ipv6 on)
for i in $(seq 1 10); do
	meshinit_pod "${ARGS[@]}" || fail "meshinit run $i failed: $(cat "$POD_TMP/meshinit.log")"
done

# policy routing: one rule and one local route per family, whatever the reruns
check "one IPv4 fwmark rule after 10 runs" \
	test "$(in_pod ip -4 rule show | grep -c 'fwmark 0x539 lookup 133')" = 1
check "one IPv6 fwmark rule after 10 runs" \
	test "$(in_pod ip -6 rule show | grep -c 'fwmark 0x539 lookup 133')" = 1
check "one IPv4 local default route in table 133" \
	test "$(in_pod ip -4 route show table 133 | grep -c '^local default dev lo')" = 1
check "one IPv6 local default route in table 133" \
	test "$(in_pod ip -6 route show table 133 | grep -c '^local default dev lo')" = 1
check "::6/128 on lo exactly once" \
	test "$(in_pod ip -6 addr show dev lo | grep -c 'inet6 ::6/128')" = 1

# the proxy: a transparent inbound listener (created as root: IP_TRANSPARENT
# needs CAP_NET_ADMIN), an outbound listener, the app on 8080
listen_pod proxy-in 15006 --transparent
listen_pod proxy-out 15001
listen_pod app 8080 --bind 127.0.0.1 --bind 10.90.0.5 --bind ::1 --bind fd90::5
listen_peer peer 80

ans=$(client_peer 10.90.0.5 8080)
expect "IPv4 inbound is TPROXYed with its original destination intact" "$ans" \
	label=proxy-in dst=10.90.0.5:8080 srcip=10.90.0.1
ans=$(client_peer fd90::5 8080)
expect "IPv6 inbound is TPROXYed with its original destination intact" "$ans" \
	label=proxy-in dst=[fd90::5]:8080 srcip=fd90::1
ans=$(client_peer 10.90.0.5 15090)
expect_err "excluded inbound port 15090 reaches the pod unintercepted" "$ans" refused

# Envoy's inbound passthrough: from 127.0.0.6 to the app, never captured
ans=$(client 1337 1337 10.90.0.5 8080 --src 127.0.0.6)
expect "proxy from 127.0.0.6 to the app's pod IP is not intercepted" "$ans" \
	label=app srcip=127.0.0.6 dst=10.90.0.5:8080
ans=$(client 1337 1337 fd90::5 8080 --src ::6)
expect "proxy from ::6 to the app's pod IP is not intercepted" "$ans" \
	label=app srcip=::6 dst=[fd90::5]:8080

# the proxy's own traffic to the pod IP over lo comes back to inbound (as in
# Istio, the nat output redirect takes it there before the TPROXY mark can)
ans=$(client 1337 1337 10.90.0.5 9999)
expect "proxy to its own pod IP over lo goes to the inbound listener" "$ans" \
	label=proxy-in orig=10.90.0.5:9999
ans=$(client 1337 1337 fd90::5 9999)
expect "proxy to its own pod IPv6 over lo goes to the inbound listener" "$ans" \
	label=proxy-in orig=[fd90::5]:9999

# outbound still goes to the outbound port; the proxy's upstream does not loop
ans=$(client 1000 1000 10.90.0.1 80)
expect "app outbound is redirected to the outbound listener" "$ans" \
	label=proxy-out orig=10.90.0.1:80
ans=$(client 1337 1337 10.90.0.1 80)
expect "proxy upstream reaches the peer directly (no loop)" "$ans" \
	label=peer srcip=10.90.0.5

# a batch the kernel rejects leaves nothing behind: the routes added before
# the commit are rolled back
snapshot() {
	in_pod ip -4 rule show; in_pod ip -6 rule show
	in_pod ip -4 route show table all; in_pod ip -6 route show table all
	# -s: counters move with background IPv6 traffic (ND, MLD)
	in_pod ip addr show; in_pod nft -s list ruleset
}
meshinit_pod --cleanup-only || fail "cleanup failed"
before=$(snapshot)
MESHINIT_FAULT_INJECT=last meshinit_test_pod "${ARGS[@]}"
check "a rejected TPROXY install exits 1" test $? = 1
after=$(snapshot)
check "a rejected TPROXY install leaves rules, routes, addresses as before" \
	test "$before" = "$after"
[ "$before" = "$after" ] || diff <(echo "$before") <(echo "$after")
# and an existing, different install survives a rejected replacement whole
meshinit_pod "${ARGS[@]}" || fail "reinstall failed"
before=$(snapshot)
MESHINIT_FAULT_INJECT=middle meshinit_test_pod istio-iptables -m TPROXY -b 80 -t 1400 -r 140 --ipv6 on
check "a rejected replacement exits 1" test $? = 1
after=$(snapshot)
check "a rejected replacement leaves the previous install byte-identical" \
	test "$before" = "$after"
[ "$before" = "$after" ] || diff <(echo "$before") <(echo "$after")

# cleanup removes the rules, the routes and ::6
meshinit_pod --cleanup-only || fail "cleanup failed"
check "cleanup leaves no fwmark rule" \
	test "$(in_pod ip rule show; in_pod ip -6 rule show)" = "$(in_pod ip rule show | grep -v fwmark; in_pod ip -6 rule show | grep -v fwmark)"
check "cleanup leaves no route in table 133" \
	test -z "$(in_pod ip -4 route show table 133; in_pod ip -6 route show table 133)"
check "cleanup removes ::6 from lo" \
	bash -c "! ip netns exec '$POD_NS' ip -6 addr show dev lo | grep -q 'inet6 ::6/128'"
check "cleanup removes the table" \
	test -z "$(in_pod nft list table inet meshinit 2>/dev/null)"

pod_finish
