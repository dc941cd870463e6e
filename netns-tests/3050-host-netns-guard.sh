#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The node's initial network namespace is never changed by a slip (issue
# 11 item 6). This machine's own namespace is never touched: the refusal
# is exercised in a namespace of the test's own that the test build is
# told counts as the initial one (MESHINIT_TEST_INITIAL_NETNS; the rule
# itself is unit-tested in tests/test-netns.c), the host is only read
# (status), and the no-misfire cases are real pods: PID 1 of a new PID
# namespace inside the pod's network namespace, meshinit PID 1 or not
# (shareProcessNamespace), with the release binary.
set -u
. "$(dirname "$0")/lib/ns.sh"
ns_init pod
P=mi-dbg-$$-pod
ARGS=(-p 15001 -z 15006 -u 1337 -m REDIRECT -i '*' -b '*')
[ -x "${MESHINIT_TEST:-}" ] || fail "no test build at ${MESHINIT_TEST:-} (make build/meshinit-test)"
command -v unshare >/dev/null || skip "no unshare(1)"
ruleset() { ip netns exec $P nft list ruleset; }
installed() { ip netns exec $P nft list table inet meshinit >/dev/null 2>&1; }

# read-only on the host: status says this is the node's own namespace
$MESHINIT status >"$T/out" 2>"$T/err"
check "status on the node names the node's initial namespace" \
	grep -q "node's initial network namespace" "$T/err"
$MESHINIT status --netns $P >"$T/out" 2>"$T/err"
check "status in a pod's namespace does not" \
	bash -c '! grep -q "initial network namespace" "$0"' "$T/err"

# refused, nothing changed: install, --check, cleanup, trace, explain --kernel
export MESHINIT_TEST_INITIAL_NETNS=/var/run/netns/$P
refused() { # <what> <args...>
	local what=$1 before after rc
	shift
	before=$(ruleset)
	timeout 20 "$MESHINIT_TEST" --netns $P "$@" >"$T/out" 2>"$T/err"
	rc=$?
	after=$(ruleset)
	if [ $rc = 1 ] && grep -q "refusing to change the node's initial network namespace" "$T/err" &&
		grep -q -- "--allow-host-netns" "$T/err" && [ "$before" = "$after" ]; then
		ok "$what: refused (exit 1), ruleset unchanged"
	else
		not_ok "$what: exit $rc, $(head -c 300 "$T/err")"
	fi
}
refused "install" "${ARGS[@]}"
refused "install --check" --check "${ARGS[@]}"
refused "istio-iptables (Istio's word)" istio-iptables "${ARGS[@]}"
refused "--cleanup-only" --cleanup-only
refused "cleanup" cleanup
refused "trace" trace --dst 10.0.0.1
refused "explain --kernel" explain --kernel --direction out --uid 1000 --gid 1000 --dst 10.0.0.1:80 "${ARGS[@]}"
check "nothing of meshinit's in the namespace after the refusals" bash -c '! ip netns exec '$P' nft list table inet meshinit >/dev/null 2>&1'

# allowed: what changes nothing, and anything with --allow-host-netns
"$MESHINIT_TEST" --netns $P --dry-run "${ARGS[@]}" >"$T/out" 2>"$T/err"
check "--dry-run is not refused (changes nothing)" grep -q "table inet meshinit" "$T/out"
"$MESHINIT_TEST" --netns $P explain --direction out --uid 1000 --gid 1000 --dst 10.0.0.1:80 "${ARGS[@]}" >"$T/out" 2>"$T/err"
check "explain without --kernel is not refused" grep -qi "captured\|redirect" "$T/out"
"$MESHINIT_TEST" --netns $P --allow-host-netns "${ARGS[@]}" >"$T/out" 2>"$T/err"
check "--allow-host-netns installs" installed
"$MESHINIT_TEST" --netns $P status >"$T/out" 2>"$T/err"
check "status works there and gives the note" grep -q "initial network namespace" "$T/err"
"$MESHINIT_TEST" --netns $P verify "${ARGS[@]}" >"$T/out" 2>"$T/err"
check "verify is not refused (read-only)" test $? = 0
"$MESHINIT_TEST" --netns $P cleanup --allow-host-netns >"$T/out" 2>"$T/err"
check "cleanup --allow-host-netns removes" bash -c '! ip netns exec '$P' nft list table inet meshinit >/dev/null 2>&1'
unset MESHINIT_TEST_INITIAL_NETNS

# no misfire in a pod: PID 1 of the pod's PID namespace is in the pod's
# network namespace (the pause process); meshinit not PID 1, then PID 1
ip netns exec $P unshare --pid --fork --mount-proc bash -c \
	'sleep 30 & "$0" "$@"; rc=$?; kill %1; exit $rc' "$MESHINIT" "${ARGS[@]}" >"$T/out" 2>&1
check "shareProcessNamespace-like pod, meshinit not PID 1: installs (exit 0)" test $? = 0
check "... and the rules are there" installed
$MESHINIT --netns $P cleanup >/dev/null 2>&1
ip netns exec $P unshare --pid --fork --mount-proc "$MESHINIT" "${ARGS[@]}" >"$T/out" 2>&1
check "pod with meshinit as PID 1 of its PID namespace: installs" test $? = 0
check "... and the rules are there" installed
# a node debugger entering the pod (this shell sees the node's PID 1)
$MESHINIT --netns $P "${ARGS[@]}" >"$T/out" 2>&1
check "--netns from the node's PID namespace: installs" test $? = 0
$MESHINIT --netns $P cleanup >"$T/out" 2>&1
check "--netns cleanup from the node: exit 0" test $? = 0
finish
