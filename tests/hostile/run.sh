#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/hostile/run.sh SUITE|all: run robustness suites, each in its own
# throw-away user+network namespace (unshare -Urn; works as root too).
#   hostile  malformed input table (hostile.py)
#   sigkill  200 SIGKILLed installs (sigkill.py)
#   features IPv6 disabled by sysctl; TPROXY without nft_tproxy
#   scale    100,000 CIDRs through an @FILE list
#   foreign  iptables-nft, kube-proxy-like table, ip rules untouched
# $MESHINIT is the binary; for "all", $MESHINIT_SAN (sanitizer build) runs
# the suites where a crash matters most (hostile, features, foreign).
dir=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)
: "${MESHINIT:?MESHINIT unset}"

if ! unshare -Urn true 2>/dev/null; then
	echo "SKIP robust: cannot create user+network namespaces (unshare -Urn)"
	exit 0
fi

suite() {
	local name=$1 bin=$2
	echo "== $name"
	case $name in
	hostile|sigkill)
		MESHINIT=$bin unshare -Urn "$PY" "$dir/$name.py";;
	*)
		MESHINIT=$bin unshare -Urn bash "$dir/$name.sh";;
	esac
}

pass=0 fail=0
run() {
	if suite "$1" "$2"; then pass=$((pass + 1)); else
		fail=$((fail + 1)); echo "FAIL suite $1"; fi
}
if [ "$1" = all ]; then
	san=${MESHINIT_SAN:-$MESHINIT}
	run hostile "$san"
	run sigkill "$MESHINIT"
	run features "$san"
	run scale "$MESHINIT"
	run foreign "$san"
else
	run "$1" "$MESHINIT"
fi
echo "robust: $pass passed, $fail failed"
[ $fail -eq 0 ]
