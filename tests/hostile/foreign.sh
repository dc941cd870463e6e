#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Foreign state untouched, inside a user+network namespace (run.sh):
# iptables-nft rules and a custom chain, a kube-proxy-like nft table (chains,
# a set, a map), an unrelated ip rule (fwmark 0x99 lookup 99, prio 1000) and
# a route in table 99. Install, rerun, config change (to TPROXY + IPv6 and
# back), a rejected install, cleanup: every foreign object stays
# byte-identical.
. "$(dirname "$0")/lib.sh"
pod
ip -6 addr add fd00::5/64 dev eth0 nodad

if command -v iptables-nft > /dev/null; then
	iptables-nft -t nat -A OUTPUT -p tcp --dport 9 -j RETURN &&
	iptables-nft -t nat -N KUBE-LIKE &&
	iptables-nft -t nat -A KUBE-LIKE -d 10.96.0.1/32 -p tcp --dport 443 -j DNAT --to-destination 10.1.0.9:6443 &&
	iptables-nft -t nat -A PREROUTING -j KUBE-LIKE &&
	iptables-nft -t mangle -A PREROUTING -m mark --mark 0x1337 -j ACCEPT ||
		not_ok "iptables-nft setup"
else
	skipped "iptables-nft not installed: no iptables-nft rules in the mix"
fi
cat > "$T/kube.nft" <<'NFT'
table ip kube-proxy {
	set cluster-ips {
		type ipv4_addr
		elements = { 10.96.0.1, 10.96.0.10 }
	}
	map service-ips {
		type ipv4_addr . inet_proto . inet_service : verdict
		elements = { 10.96.0.1 . tcp . 443 : goto service-x }
	}
	chain service-x {
		meta mark set 0x4000 meta l4proto tcp dnat to 10.1.0.9:6443
	}
	chain services {
		ip daddr . meta l4proto . th dport vmap @service-ips
	}
	chain nat-output {
		type nat hook output priority -100; policy accept;
		jump services
	}
	chain nat-prerouting {
		type nat hook prerouting priority -100; policy accept;
		jump services
	}
}
NFT
nft -f "$T/kube.nft" || not_ok "kube-proxy-like table setup"
ip rule add fwmark 0x99 lookup 99 prio 1000 || not_ok "ip rule setup"
ip route add 10.99.0.0/16 dev eth0 table 99 || not_ok "ip route setup"
ip -6 rule add fwmark 0x99 lookup 99 prio 1000 || not_ok "ip -6 rule setup"

# foreign FILE: everything that is not meshinit's
foreign() {
	{
		echo "== nft list ruleset without table inet meshinit"
		nft -s list ruleset | awk '
			/^table inet meshinit \{/ { skip = 1; next }
			skip && /^\}/ { skip = 0; next }
			!skip'
		echo "== nft list table ip kube-proxy (with counters)"
		nft list table ip kube-proxy
		echo "== ip rule without proto 109"; ip rule | grep -v 'proto 109'
		echo "== ip -6 rule without proto 109"; ip -6 rule | grep -v 'proto 109'
		echo "== ip route show table 99"; ip route show table 99
		echo "== ip route show table main"; ip route show table main
		echo "== ip -6 route show table main (without ::6, meshinit's)"; ip -6 route show table main | grep -v "^::6 "
		echo "== iptables-nft-save"
		iptables-nft-save 2>/dev/null | grep -v '^#'
	} > "$1" 2>&1
}
foreign "$T/ref"
if command -v iptables-nft > /dev/null && ! grep -q 'KUBE-LIKE' "$T/ref"; then
	not_ok "iptables-nft rules not in the reference"
fi
grep -q 'service-ips' "$T/ref" && grep -q 'lookup 99' "$T/ref" &&
	grep -q '10.99.0.0/16' "$T/ref" || not_ok "foreign state not in place"

step() {
	local what=$1; shift
	if "$MESHINIT" "$@" > "$T/out" 2> "$T/err"; then :; else
		rc=$?
		[ "$what" = rejected ] || { not_ok "$what: exit $rc: $(tail -1 "$T/err")"; return; }
	fi
	foreign "$T/now"
	expect_same "$T/ref" "$T/now" "$what: foreign state byte-identical"
}
step "install (default)" -b '*' -x 10.96.0.0/12
step "rerun" -b '*' -x 10.96.0.0/12
step "config change to TPROXY + IPv6" -m TPROXY -b '*' --ipv6 on -r 150 -t 153
step "config change to TPROXY table 133" -m TPROXY -b '*' --ipv6 on
ip rule | grep -q 'fwmark 0x539 lookup 133 proto 109' ||
	not_ok "TPROXY rule of meshinit missing"
step rejected -m TPROXY -b '*' -t 1338
step "back to REDIRECT" -b 80,443
ip rule | grep -q 'proto 109' && not_ok "stale TPROXY rule after the change back"
step cleanup cleanup
nft list tables | grep -q 'inet meshinit' && not_ok "table inet meshinit after cleanup"
finish
