#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make demo: a throw-away pod (network namespace) and peer, meshinit with
# Istio's default sidecar injection arguments, the resulting ruleset, and
# one app connection that lands on the outbound listener (15001) which
# reads its original destination with SO_ORIGINAL_DST. Cleans up after.
. "$(dirname "$0")/lib/pod.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "make demo needs root (it creates network namespaces): sudo make demo"
	exit 1
fi
pod_init demo
pod_create

ARGS=(istio-iptables -p 15001 -z 15006 -u 1337 -m REDIRECT -i '*' -x ""
	-b '*' -d 15090,15021,15020)
echo "== pod $POD_NS: eth0 $POD_IP4, default via peer $PEER_IP4"
echo "== $ MESHINIT ${ARGS[*]}"
if ! in_pod "$MESHINIT" "${ARGS[@]}" --log_output_level=default:warn; then
	echo "FAIL: meshinit exited with an error"
	exit 1
fi
echo "== nft list ruleset (in the pod)"
in_pod nft list ruleset

listen_pod outbound-listener 15001 --bind 0.0.0.0
listen_peer peer 80
echo "== app (uid $APP_UID) connects to $PEER_IP4:80"
a=$(client "$APP_UID" "$APP_UID" "$PEER_IP4" 80)
echo "   answer: $a"
echo "== the redirect rule counted it:"
in_pod nft list chain inet meshinit istio-redirect | grep "redirect to"
if [ "$(field "$a" label)" = outbound-listener ] &&
	[ "$(field "$a" orig)" = "$PEER_IP4:80" ]; then
	echo "PASS: the app's connection to $PEER_IP4:80 landed on the outbound listener :15001, SO_ORIGINAL_DST = $(field "$a" orig)"
	exit 0
fi
echo "FAIL: expected the outbound listener on :15001 with original destination $PEER_IP4:80"
exit 1
