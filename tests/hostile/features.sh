#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Missing kernel features, inside a user+network namespace (run.sh):
#  1. IPv6 disabled by sysctl: --ipv6 auto installs IPv4 rules only;
#     --ipv6 on fails on ::6 with a clear error and changes nothing.
#  2. nft_tproxy missing (a user namespace cannot load modules): a TPROXY
#     install fails naming the rejected rule and changes nothing. Skipped
#     when the kernel has nft_tproxy (built in or already loaded).
. "$(dirname "$0")/lib.sh"
pod
ip -6 addr add fd00::5/64 dev eth0 nodad
for k in all default lo eth0; do
	sysctl -qw "net.ipv6.conf.$k.disable_ipv6=1" ||
		not_ok "cannot set net.ipv6.conf.$k.disable_ipv6"
done
if ip -6 addr show | grep -q inet6; then
	not_ok "IPv6 addresses remain after disable_ipv6=1"
fi

# -- 1a: --ipv6 auto on an IPv6-disabled pod
"$MESHINIT" -b '*' -x 10.0.0.0/8 > "$T/out" 2> "$T/err"; rc=$?
if [ $rc -eq 0 ] && [ ! -s "$T/err" ]; then ok "--ipv6 auto installs (exit 0)"
else not_ok "--ipv6 auto: exit $rc: $(cat "$T/err")"; fi
grep -q '^ENABLE_INBOUND_IPV6=false' "$T/out" &&
	ok "IPv6 treated as off" || not_ok "IPv6 not reported off"
nft list ruleset > "$T/rules"
grep -q 'table inet meshinit' "$T/rules" || not_ok "no table installed"
if grep -Eq 'ip6 |nfproto ipv6|exclude-cidrs6' "$T/rules"; then
	not_ok "IPv6 rules installed: $(grep -E 'ip6 |nfproto ipv6' "$T/rules" | head -3)"
else ok "no IPv6 rules"; fi
"$MESHINIT" -m TPROXY -b '*' > /dev/null 2> "$T/err"; rc=$?
if [ $rc -eq 0 ] && ip rule | grep -q 'lookup 133' &&
	! ip -6 rule 2>/dev/null | grep -q 'lookup 133'; then
	ok "TPROXY with --ipv6 auto: IPv4 policy routing only"
else not_ok "TPROXY --ipv6 auto: exit $rc $(cat "$T/err")"; fi
ip -6 addr show dev lo | grep -q '::6' && not_ok "::6 added with IPv6 off"

# -- 1b: --ipv6 on: ::6 cannot be added -> exit 1, nothing changed
for args in "-m TPROXY -b * --ipv6 on" "-b * --ipv6 on" "-m TPROXY -b 80 -r 200 -t 77 --ipv6 on"; do
	snapshot "$T/before"
	# shellcheck disable=SC2086
	(set -f; "$MESHINIT" $args > /dev/null 2> "$T/err"); rc=$?
	snapshot "$T/after"
	if [ $rc -eq 1 ] && one_line "$T/err" && grep -q '::6' "$T/err" &&
		grep -q 'IPv6' "$T/err"; then
		ok "'$args' on an IPv6-disabled pod: exit 1, $(cat "$T/err")"
	else
		not_ok "'$args': exit $rc, stderr: $(cat "$T/err")"
	fi
	expect_same "$T/before" "$T/after" "'$args' failure changed nothing"
done
"$MESHINIT" cleanup > /dev/null 2>&1 || not_ok "cleanup"

# -- 2: nft_tproxy missing
printf '%s\n' 'table inet mi_probe {' ' chain c {' \
	'  type filter hook prerouting priority -150;' \
	'  meta l4proto tcp tproxy ip to :1' ' }' '}' > "$T/probe.nft"
if nft -f "$T/probe.nft" 2> "$T/probe"; then
	nft delete table inet mi_probe
	# not a skip: this kernel cannot lack it; make check-kernels runs
	# this case in a Debian kernel with the module taken away
	echo "$SUITE: n/a - nft_tproxy is built in or loaded here: its absence is tested by make check-kernels"
elif ! grep -Eq 'No such file or directory|Operation not supported' "$T/probe"; then
	not_ok "the tproxy probe failed for another reason: $(cat "$T/probe")"
else
	echo "$SUITE: nft itself cannot use tproxy here: $(head -1 "$T/probe")"
	"$MESHINIT" -b '*' > /dev/null 2>&1 || not_ok "default install"
	snapshot "$T/before"
	"$MESHINIT" -m TPROXY -b '*' > /dev/null 2> "$T/err"; rc=$?
	snapshot "$T/after"
	if [ $rc -eq 1 ] && one_line "$T/err" && grep -q 'istio-tproxy' "$T/err" &&
		grep -q 'nft_tproxy' "$T/err"; then
		ok "TPROXY without nft_tproxy: exit 1, $(cat "$T/err")"
	else
		not_ok "TPROXY without nft_tproxy: exit $rc, stderr: $(cat "$T/err")"
	fi
	expect_same "$T/before" "$T/after" "rejected TPROXY install changed nothing"
fi
finish
