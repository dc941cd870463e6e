#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# meshinit verify: in sync after install; an added rule, a removed rule,
# an added and a removed set element, other flags: drift (exit 4) with a
# line naming each; nothing installed: exit 3.
set -u
. "$(dirname "$0")/lib/ns.sh"
ns_init pod
P=mi-dbg-$$-pod
ARGS=(-p 15001 -z 15006 -u 1337 -g 1337 -m REDIRECT -i '*' -x 10.0.0.0/8,192.168.0.0/16 -b '*' -d 15090,15021,15020)
nftp() { ip netns exec $P nft "$@"; }
verify() { $MESHINIT verify --netns $P "$@" >"$T/out" 2>"$T/err"; }
install() { $MESHINIT --netns $P "${ARGS[@]}" >"$T/log" 2>&1 || fail "install: $(cat "$T/log")"; }
expect_drift() { # <why> <line>...
	local why=$1; shift
	verify "${ARGS[@]}"
	rc=$?
	[ $rc -eq 4 ] || { cat "$T/out" "$T/err"; fail "$why: exit $rc, want 4"; }
	for l in "$@"; do
		grep -qF -- "$l" "$T/out" || { cat "$T/out"; fail "$why: no line '$l'"; }
	done
	grep -q "drift" "$T/err" || fail "$why: no drift error"
	echo "ok: $why"
}

verify "${ARGS[@]}"
[ $? -eq 3 ] || fail "verify with nothing installed: want exit 3"
echo "ok: nothing installed -> exit 3"

install
verify "${ARGS[@]}" || { cat "$T/out" "$T/err"; fail "verify right after install: exit $?"; }
grep -q "^in sync" "$T/out" || fail "no 'in sync' line"
echo "ok: in sync"

nftp add rule inet meshinit istio-output tcp dport 9999 counter return || fail "nft add rule"
expect_drift "added rule" "extra rule 9 in chain istio-output: meta l4proto tcp tcp dport 9999 return"

install
h=$(nftp -a list chain inet meshinit istio-output | grep -- '-g proxy traffic' | sed -n 's/.*# handle \([0-9]*\)$/\1/p')
[ -n "$h" ] || fail "cannot find the handle of the -g rule"
nftp delete rule inet meshinit istio-output handle "$h" || fail "nft delete rule"
expect_drift "removed rule" "missing rule 5 in chain istio-output: meta skgid @proxy-gids return  # -g proxy traffic is never captured"
[ "$(grep -cE "^(missing|extra)" "$T/out")" -eq 1 ] || { cat "$T/out"; fail "one removed rule reported as more than one difference"; }

install
nftp add element inet meshinit proxy-uids '{ 4242 }' || fail "nft add element"
nftp delete element inet meshinit exclude-cidrs4 '{ 192.168.0.0/16 }' || fail "nft delete element"
expect_drift "changed set elements" "extra element 4242 in set proxy-uids" \
	"missing element 192.168.0.0/16 in set exclude-cidrs4"

install
nftp add chain inet meshinit extra-chain || fail "nft add chain"
nftp delete set inet meshinit proxy-gids 2>/dev/null # in use: stays
expect_drift "added chain" "extra chain extra-chain"

install
ARGS2=("${ARGS[@]}")
ARGS2[5]=1338 # -u 1338 instead of 1337
verify "${ARGS2[@]}"
[ $? -eq 4 ] || fail "verify with other flags: want exit 4"
grep -qF "missing element 1338 in set proxy-uids" "$T/out" || { cat "$T/out"; fail "other flags: no element line"; }
echo "ok: other flags -> drift"
