#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# meshinit verify. Installed with Istio's default injection args, then
# verify with NO flags (from the install record): in sync; an added rule,
# a removed rule, added and removed set elements, an added chain: drift
# (exit 4) with a line naming each. Verify with wrong flags (the README's
# old example, without -d): each differing flag named, then the rules.
# TPROXY: `ip rule del fwmark 1337 lookup 133` is drift. A foreign drop
# table and a leftover trace table are drift. Nothing installed: exit 3.
set -u
. "$(dirname "$0")/lib/ns.sh"
ns_init pod
P=mi-dbg-$$-pod
ARGS=(istio-iptables -p 15001 -z 15006 -u 1337 -m REDIRECT -i '*' -x '' -b '*'
	-d 15090,15021,15020 --log_output_level=default:info)
nftp() { ip netns exec $P nft "$@"; }
verify() { $MESHINIT verify --netns $P "$@" >"$T/out" 2>"$T/err"; }
install() { $MESHINIT --netns $P "${ARGS[@]}" >"$T/log" 2>&1 || fail "install: $(cat "$T/log")"; }
expect_drift() { # <why> <line>...   (verify with no flags)
	local why=$1; shift
	verify
	rc=$?
	[ $rc -eq 4 ] || { cat "$T/out" "$T/err"; fail "$why: exit $rc, want 4"; }
	for l in "$@"; do
		grep -qF -- "$l" "$T/out" || { cat "$T/out"; fail "$why: no line '$l'"; }
	done
	grep -q "drift" "$T/err" || fail "$why: no drift error"
	echo "ok: $why"
}

verify
[ $? -eq 3 ] || fail "verify with nothing installed: want exit 3"
echo "ok: nothing installed -> exit 3"

install
verify || { cat "$T/out" "$T/err"; fail "verify (no flags) right after install: exit $?"; }
grep -q "^in sync: .* match how meshinit .* installed them (install record)" "$T/out" ||
	{ cat "$T/out"; fail "no 'in sync' line from the record"; }
echo "ok: in sync, from the install record alone"
verify -p 15001 -z 15006 -u 1337 -m REDIRECT -i '*' -x '' -b '*' -d 15090,15021,15020 ||
	{ cat "$T/out" "$T/err"; fail "verify with the install flags: exit $?"; }
echo "ok: in sync with the install flags"

# wrong flags: the README's old example leaves out -d
verify -p 15001 -z 15006 -u 1337 -i '*' -b '*'
rc=$?
[ $rc -eq 4 ] || { cat "$T/out" "$T/err"; fail "verify with wrong flags: exit $rc, want 4"; }
head -1 "$T/out" | grep -qF "flag -d: installed with '15020-15021,15090', the flags give ''" ||
	{ cat "$T/out"; fail "wrong flags: the first line does not name -d"; }
grep -qF "extra rule 2 in chain istio-inbound: tcp dport @inbound-exclude-ports counter return" "$T/out" ||
	{ cat "$T/out"; fail "wrong flags: the rule drift is not listed after the flags"; }
echo "ok: wrong flags: the flag that differs, then the rule drift"

nftp add rule inet meshinit istio-output tcp dport 9999 counter return || fail "nft add rule"
expect_drift "added rule" "extra rule 8 in chain istio-output: tcp dport 9999 counter return"

install
h=$(nftp -a list chain inet meshinit istio-output | grep -- '-g proxy traffic' | sed -n 's/.*# handle \([0-9]*\)$/\1/p')
[ -n "$h" ] || fail "cannot find the handle of the -g rule"
nftp delete rule inet meshinit istio-output handle "$h" || fail "nft delete rule"
expect_drift "removed rule" "missing rule 5 in chain istio-output: meta skgid @proxy-gids counter return comment \"-g proxy traffic is never captured\""
[ "$(grep -cE "^(missing|extra)" "$T/out")" -eq 1 ] || { cat "$T/out"; fail "one removed rule reported as more than one difference"; }

install
nftp add element inet meshinit proxy-uids '{ 4242 }' || fail "nft add element"
nftp delete element inet meshinit inbound-exclude-ports '{ 15090 }' || fail "nft delete element"
expect_drift "changed set elements (no flags: the record's digest)" \
	"set contents changed since the install"
verify "${ARGS[@]:1}"
[ $? -eq 4 ] || fail "changed set elements, with flags: want exit 4"
grep -qF "missing element 15090 in set inbound-exclude-ports" "$T/out" &&
	grep -qF "flag -d: installed with '15020-15021', the flags give '15020-15021,15090'" "$T/out" ||
	{ cat "$T/out"; fail "changed set elements, with flags: no element lines"; }
echo "ok: changed set elements, with the flags: each element named"

install
nftp add chain inet meshinit extra-chain || fail "nft add chain"
expect_drift "added chain" "extra chain extra-chain"

# TPROXY: the policy rule is part of the capture
ARGS=(istio-iptables -p 15001 -z 15006 -u 1337 -m TPROXY -i '*' -x '' -b '*' -d 15090,15021,15020)
$MESHINIT cleanup --netns $P >/dev/null 2>&1
install
verify || { cat "$T/out" "$T/err"; fail "TPROXY: verify right after install: exit $?"; }
ip -n $P rule del fwmark 1337 lookup 133 || fail "ip rule del"
expect_drift "TPROXY policy rule deleted" "missing TPROXY policy rule (IPv4): ip rule add fwmark 1337 lookup 133"
install
ip -n $P route del local default dev lo table 133 || fail "ip route del"
expect_drift "TPROXY route deleted" "missing TPROXY route (IPv4): ip route add local default dev lo table 133"

# the rest of the namespace
install
nftp add table ip filt
nftp add chain ip filt out '{ type filter hook output priority -200; }'
nftp add rule ip filt out tcp dport 443 drop
expect_drift "foreign drop table" "also in this namespace: table ip filt: chain out (type filter hook output priority -200, 1 rule): 1 drop rule"
nftp delete table ip filt
nftp add table inet meshinit-trace
expect_drift "leftover trace table" "also in this namespace: table inet meshinit-trace: left by a 'meshinit trace'"
$MESHINIT cleanup --trace-only --netns $P >/dev/null 2>&1 || fail "cleanup --trace-only"
verify || { cat "$T/out" "$T/err"; fail "after cleanup --trace-only: exit $?"; }
echo "ok: in sync again after cleanup --trace-only"
