#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# --run-validation: passes with the rules (as root with -u 0 right after
# install, and as the proxy uid with --skip-rule-apply); fails with exit
# 126, Istio's message and a diagnosis read from the kernel otherwise.
set -u
. "$(dirname "$0")/lib/ns.sh"
ns_init pod
P=mi-dbg-$$-pod
ARGS=(-p 15001 -z 15006 -m REDIRECT -i '*' -b '*' --probe-timeout 3s)
ISTIO="iptables validation failed; workload is not ready for Istio."
as() { # <uid> [setpriv options] -- command...
	local uid=$1; shift
	ip netns exec $P setpriv --reuid "$uid" --regid "$uid" --clear-groups "$@"
}
as 1337 -- true 2>/dev/null || { echo "SKIP: setpriv cannot switch uid"; exit 77; }
as 1337 -- test -x "${MESHINIT%% *}" || { echo "SKIP: $MESHINIT not executable by uid 1337"; exit 77; }

# no rules at all
$MESHINIT --netns $P "${ARGS[@]}" -u 1337 --skip-rule-apply --run-validation >"$T/out" 2>"$T/err"
rc=$?
[ $rc -eq 126 ] || fail "no rules: exit $rc, want 126"
grep -qF "$ISTIO" "$T/err" || fail "no rules: no Istio message: $(cat "$T/err")"
grep -q "diagnosis: no meshinit rules installed" "$T/err" || fail "no rules: diagnosis: $(cat "$T/err")"
grep -q "cni.repair.deletePods=true" "$T/out" || fail "no rules: no repair hint in the log"
echo "ok: no rules -> 126, no meshinit rules installed"

# someone else's (Istio's own) tables, none of ours
ip netns exec $P nft add table inet istio-proxy-nat
$MESHINIT --netns $P "${ARGS[@]}" -u 1337 --skip-rule-apply --run-validation >"$T/out" 2>"$T/err"
[ $? -eq 126 ] || fail "istio tables: want 126"
grep -q "Istio's own tables are there (inet istio-proxy-nat)" "$T/err" || fail "istio tables: $(cat "$T/err")"
ip netns exec $P nft delete table inet istio-proxy-nat
echo "ok: Istio's tables named"

# install and validate in one run, root being the proxy (-u 0)
$MESHINIT --netns $P "${ARGS[@]}" -u 0 --run-validation >"$T/out" 2>"$T/err" ||
	fail "install + validation as -u 0: exit $?: $(cat "$T/err" "$T/out")"
grep -q "Validation passed, iptables rules established" "$T/out" || fail "no pass message"
grep -q "Listening on 127.0.0.1:15006" "$T/out" || fail "no listener log"
echo "ok: install + validation passes"

# CNI style: rules for uid 1337, validation run as uid 1337, no privilege
$MESHINIT --netns $P "${ARGS[@]}" -u 1337 >"$T/log" 2>&1 || fail "install -u 1337"
as 1337 -- $MESHINIT "${ARGS[@]}" -u 1337 --skip-rule-apply --run-validation >"$T/out" 2>"$T/err" ||
	fail "validation as uid 1337: exit $?: $(cat "$T/err")"
grep -q "Validation passed" "$T/out" || fail "as 1337: no pass message"
echo "ok: validation as the proxy uid passes"

# the same rules, the probe running as uid 1000 (NET_ADMIN only to read them)
as 1000 --inh-caps=+net_admin --ambient-caps=+net_admin -- \
	$MESHINIT "${ARGS[@]}" -u 1337 --skip-rule-apply --run-validation >"$T/out" 2>"$T/err"
rc=$?
[ $rc -eq 126 ] || fail "uid 1000: exit $rc, want 126"
grep -q "diagnosis: the probe's uid 1000 is not among the proxy uids in set proxy-uids (1337)" "$T/err" ||
	fail "uid 1000: diagnosis: $(cat "$T/err")"
echo "ok: wrong uid -> 126, diagnosed"

# IPv6 pod (first usable address is IPv6): the probe goes to [::6]
ip -n $P link add name mi$$v0 type veth peer name mi$$v1 || fail "veth"
ip -n $P link set mi$$v0 up && ip -n $P link set mi$$v1 up
ip -n $P -6 addr add fd00:231::1/64 dev mi$$v0 nodad
$MESHINIT --netns $P "${ARGS[@]}" -u 0 --run-validation >"$T/out" 2>"$T/err" ||
	fail "IPv6 install + validation: exit $?: $(cat "$T/err")"
grep -q "Listening on \[::1\]:15006" "$T/out" || fail "IPv6: no [::1] listener"
ip -n $P -6 addr del ::6/128 dev lo || fail "::6 was not on lo after an IPv6 install"
$MESHINIT --netns $P "${ARGS[@]}" -u 0 --skip-rule-apply --run-validation >"$T/out" 2>"$T/err"
rc=$?
[ $rc -eq 126 ] || fail "IPv6 without ::6: exit $rc, want 126"
grep -q "diagnosis: ::6 is missing on lo" "$T/err" || fail "IPv6 without ::6: diagnosis: $(cat "$T/err")"
echo "ok: IPv6 probe passes; without ::6 on lo -> 126, diagnosed"
