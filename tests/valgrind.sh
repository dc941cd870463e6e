#!/usr/bin/env bash
# Memory check of the normal (non-sanitizer) build under valgrind, inside
# a throw-away user+network namespace: install, rerun (replace), cleanup,
# dry run, plus a TPROXY install and a rejected batch (error paths), and
# the read-back: status (text, JSON), verify with and without flags, with
# drift, a hand-added rule, other tables, and cleanup --trace-only.
# Any leak of any kind or memory error fails (--error-exitcode=1).
set -euo pipefail
cd "$(dirname "$0")/.."
MESHINIT=${MESHINIT:-$PWD/meshinit}
# the fault-injection step needs the test hooks: the test build
MESHINIT_TEST=${MESHINIT_TEST:-$PWD/build/meshinit-test}
[ -x "$MESHINIT_TEST" ] ||
	{ echo "valgrind: no test build $MESHINIT_TEST"; exit 1; }
command -v valgrind >/dev/null || { echo "valgrind: SKIP: valgrind not installed"; exit 77; }
unshare -Urn true 2>/dev/null || { echo "valgrind: SKIP: no unshare -Urn"; exit 77; }
T=$(mktemp -d "${TMPDIR:-/tmp}/mi-valgrind.XXXXXX")
trap 'rm -rf "$T"' EXIT
printf 'nameserver 127.0.0.53\nnameserver ::127.0.0.53\n' >"$T/resolv.conf"
export MESHINIT MESHINIT_TEST T
VG="valgrind -q --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all --error-exitcode=99 --num-callers=40 --suppressions=$PWD/tests/valgrind.supp"
export VG
unshare -Urn bash -c '
set -u
ip link set lo up
pass=0 fail=0
step() {
	local want=$1 name=$2 bin=${BIN:-$MESHINIT}
	shift 2
	$VG --log-file="$T/vg.$name" "$bin" "$@" >"$T/out.$name" 2>&1
	local rc=$?
	if [ $rc = "$want" ] && ! [ -s "$T/vg.$name" ]; then
		echo "ok - $name (exit $rc, valgrind clean)"
		pass=$((pass + 1))
	else
		echo "not ok - $name: exit $rc (want $want)"
		head -60 "$T/vg.$name"
		tail -3 "$T/out.$name"
		fail=$((fail + 1))
	fi
}
A="istio-iptables -p 15001 -z 15006 -u 1337 -m REDIRECT -i * -x 10.0.0.0/8 -b * -d 15090,15021,15020 --ipv6 on --redirect-dns --resolv-conf $T/resolv.conf"
set -f
step 0 install $A
step 0 rerun $A
step 0 replace -u 1000 -b 80,443 -q 9000-9100 -o 53 --exclude-outbound-ports-for-uids tcp:443:1001 --ipv6 off
step 0 tproxy -m TPROXY -b 80 -i "*" --ipv6 on
step 0 check --check $A
step 0 status status
step 0 status-json status -O json
step 0 verify-record verify
step 4 verify-flags verify -u 1337 -b "*" -i "*" --ipv6 on
nft add rule inet meshinit istio-output log
nft add table inet istio-proxy-nat
nft add chain inet istio-proxy-nat out "{ type nat hook output priority -100; }"
nft add rule inet istio-proxy-nat out tcp dport 80 redirect to :15001
nft add table inet meshinit-trace
step 0 status-raw-others status
step 4 verify-drift verify
step 0 cleanup-trace cleanup --trace-only
step 0 cleanup --cleanup-only
step 3 status-absent status
step 0 cleanup-again cleanup
step 0 dry-run --dry-run $A
export MESHINIT_FAULT_INJECT=middle
BIN=$MESHINIT_TEST step 1 rejected-batch $A
unset MESHINIT_FAULT_INJECT
step 1 bad-value -p 0
step 255 bad-flag --no-such-flag
echo "valgrind: $pass passed, $fail failed"
[ $fail = 0 ]
'
