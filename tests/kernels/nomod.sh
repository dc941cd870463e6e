#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A distribution kernel without TPROXY support, inside a check-kernels
# guest (run first in its boot: nothing may have loaded nft_tproxy yet).
# modprobe.d makes the module impossible to load (install nft_tproxy
# /bin/false), then its dependency nf_tproxy_ipv4's file is taken away,
# as on a node whose kernel lacks them. A TPROXY install must fail
# with one error naming what is missing and what to load, and leave the
# namespace byte-identical (ruleset, policy rules, every route table,
# addresses), both in a fresh pod and over an installed REDIRECT config.
# With the module allowed again the same install works (the test is not
# vacuous).
#   nomod.sh MESHINIT          prints "nomod: N passed, N failed, N skipped"
set -u
M=${1:?usage: nomod.sh MESHINIT}
ns=mi-kn-$$-pod
conf=/etc/modprobe.d/mi-check-kernels-nomod.conf
T=$(mktemp -d)
pass=0 fail=0 skip=0
ok() { echo "ok   $*"; pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }
dep=
cleanup() {
	[ -z "$dep" ] || [ -e "$dep" ] || mv "$T/${dep##*/}" "$dep" 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	rm -f "$conf"
	rm -rf "$T"
}
trap cleanup EXIT

snapshot() {
	{
		echo "== nft list ruleset"; ip netns exec "$ns" nft list ruleset
		echo "== ip rule"; ip -n "$ns" rule
		echo "== ip -6 rule"; ip -n "$ns" -6 rule
		echo "== ip route show table all"; ip -n "$ns" route show table all
		echo "== ip -6 route show table all"; ip -n "$ns" -6 route show table all
		echo "== ip addr"; ip -n "$ns" addr
	} >"$1" 2>&1
}
same() { # same A B WHAT
	if cmp -s "$1" "$2"; then ok "$3"; else bad "$3"; diff -u "$1" "$2" | head -40; fi
}
loaded() { grep -q "^$1 " /proc/modules; }

for m in nft_tproxy nf_tproxy_ipv4 nf_tproxy_ipv6; do
	if loaded "$m"; then
		bad "$m is loaded already: this case must run first in its boot"
		echo "nomod: $pass passed, $fail failed, $skip skipped"
		exit 1
	fi
done
if ! modinfo nft_tproxy >/dev/null 2>&1; then
	# built in, or not there at all: the modprobe.d trick cannot apply
	echo "SKIP: nft_tproxy is not a module of $(uname -r)"
	echo "nomod: 0 passed, 0 failed, 1 skipped"
	exit 0
fi

ip netns add "$ns" || exit 1
# no duplicate address detection: a link-local address turning from
# tentative to valid between the two snapshots of a case would show up as
# a change (seen on 6.1 under TCG)
ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.accept_dad=0 \
	net.ipv6.conf.all.accept_dad=0 || exit 1
ip -n "$ns" link set lo up
ip -n "$ns" link add eth0 type veth peer name peer0
ip -n "$ns" addr add 10.1.0.5/24 dev eth0
ip -n "$ns" addr add fd00::5/64 dev eth0 nodad
ip -n "$ns" link set eth0 up
ip -n "$ns" link set peer0 up
# and the link-local addresses are made when the carrier comes up, which
# the kernel reports later (linkwatch): wait for them before any snapshot
for i in $(seq 100); do
	[ -n "$(ip -n "$ns" -6 addr show dev eth0 scope link)" ] &&
		[ -n "$(ip -n "$ns" -6 addr show dev peer0 scope link)" ] && break
	sleep 0.1
done
TPROXY=(istio-iptables -p 15001 -z 15006 -u 1337 -g 1337 -m TPROXY -i '*' -b '*' -d 15090,15021,15020)

# attempt WHAT: a TPROXY install that must fail and change nothing
attempt() {
	local what=$1 rc
	snapshot "$T/before"
	ip netns exec "$ns" "$M" "${TPROXY[@]}" >"$T/out" 2>"$T/err"
	rc=$?
	snapshot "$T/after"
	echo "   stderr: $(cat "$T/err")"
	if [ $rc = 1 ]; then ok "$what: exit 1"; else bad "$what: exit $rc (want 1)"; fi
	if [ "$(grep -c . "$T/err")" = 1 ] && grep -q '^error: ' "$T/err"; then
		ok "$what: one error line"
	else
		bad "$what: stderr is not one error line"
	fi
	if grep -q 'nft_tproxy' "$T/err" && grep -q 'modprobe nft_tproxy' "$T/err"; then
		ok "$what: the error names nft_tproxy and says to load it (modprobe nft_tproxy)"
	else
		bad "$what: the error does not name nft_tproxy and 'modprobe nft_tproxy'"
	fi
	if grep -q 'nf_tproxy_ipv4' "$T/err" && grep -q 'nf_tproxy_ipv6' "$T/err"; then
		ok "$what: the error names the modules it needs (nf_tproxy_ipv4, nf_tproxy_ipv6)"
	else
		bad "$what: the error does not name nf_tproxy_ipv4 and nf_tproxy_ipv6"
	fi
	same "$T/before" "$T/after" "$what: the namespace is byte-identical afterwards"
	if loaded nft_tproxy; then bad "$what: nft_tproxy got loaded"; else ok "$what: nft_tproxy not loaded"; fi
}

echo "install nft_tproxy /bin/false" >"$conf"
attempt "nft_tproxy unloadable, fresh pod"
ip netns exec "$ns" "$M" istio-iptables -p 15001 -z 15006 -u 1337 -g 1337 -m REDIRECT \
	-i '*' -b '*' -d 15090,15021,15020 >/dev/null 2>&1 || bad "REDIRECT install"
attempt "nft_tproxy unloadable, over a REDIRECT install"
# a dependency missing: modprobe does not apply install commands to the
# modules it loads as dependencies, so take the file away (the guest's
# root is a throw-away snapshot) and put it back afterwards
rm -f "$conf"
echo "   loaded now: $(grep -E '^n[a-z_]*tproxy' /proc/modules | awk '{print $1}' | paste -sd' ' -)"
# (an earlier attempt may have loaded it: it must not be there)
if loaded nf_tproxy_ipv4; then rmmod nf_tproxy_ipv4 || bad "cannot unload nf_tproxy_ipv4"; fi
dep=$(modinfo -n nf_tproxy_ipv4)
mv "$dep" "$T/" || bad "cannot move $dep away"
attempt "nf_tproxy_ipv4 missing (nft_tproxy's dependency), over a REDIRECT install"
mv "$T/${dep##*/}" "$dep"

rm -f "$conf"
ip netns exec "$ns" "$M" "${TPROXY[@]}" >"$T/out" 2>"$T/err"
rc=$?
if [ $rc = 0 ] && loaded nft_tproxy && ip netns exec "$ns" nft list chain inet meshinit istio-tproxy >/dev/null 2>&1; then
	ok "with the module loadable again the same install works (nft_tproxy autoloaded)"
else
	bad "module loadable again: exit $rc, $(cat "$T/err")"
fi
echo "nomod: $pass passed, $fail failed, $skip skipped"
[ $fail = 0 ]
