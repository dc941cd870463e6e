#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Large batches, inside a user+network namespace (run.sh): -x with 100,000
# IPv4 CIDRs (every other /32, so none merge) and 20,000 IPv6 ones, given
# as an @FILE list (one argv string or env value holds at most 128 KiB).
# The install must succeed in one transaction (no ENOBUFS), the set must
# hold every element, verify must agree, a rerun and cleanup must work.
. "$(dirname "$0")/lib.sh"
pod
N4=${SCALE_N4:-100000}
N6=${SCALE_N6:-20000}
/usr/bin/python3 - "$N4" "$N6" > "$T/x.list" <<'PY'
import sys
n4, n6 = int(sys.argv[1]), int(sys.argv[2])
for i in range(n4):
    a = 2 * i                       # never adjacent: no interval merging
    print("10.%d.%d.%d/32" % (a >> 16, (a >> 8) & 255, a & 255))
for i in range(n6):
    print("fd00:%x::/64" % (2 * i))
PY
[ "$(wc -l < "$T/x.list")" -eq $((N4 + N6)) ] || not_ok "list generation"

count4() { nft list set inet meshinit exclude-cidrs4 | grep -oE '10\.[0-9]+\.[0-9]+\.[0-9]+' | wc -l; }
count6() { nft list set inet meshinit exclude-cidrs6 | grep -oE 'fd00:[0-9a-f:]*/64' | wc -l; }

"$MESHINIT" -b '*' --ipv6 on -x "@$T/x.list" > "$T/out" 2> "$T/err"; rc=$?
if [ $rc -eq 0 ] && ! grep -qi 'ENOBUFS\|No buffer space' "$T/err" "$T/out"; then
	ok "install with $N4 + $N6 -x CIDRs: exit 0 ($(grep -o 'installed table.*' "$T/out"))"
else
	not_ok "install: exit $rc: $(tail -2 "$T/err")"
fi
n=$(count4); [ "$n" -eq "$N4" ] && ok "exclude-cidrs4 holds all $n elements" ||
	not_ok "exclude-cidrs4 holds $n elements, want $N4"
n=$(count6); [ "$n" -eq "$N6" ] && ok "exclude-cidrs6 holds all $n elements" ||
	not_ok "exclude-cidrs6 holds $n elements, want $N6"
nft list set inet meshinit exclude-cidrs4 | grep -q '10\.1\.134\.158' &&
	ok "a late element (10.1.134.158) is there" || not_ok "10.1.134.158 missing"
"$MESHINIT" verify -b '*' --ipv6 on -x "@$T/x.list" > "$T/verify" 2>&1; rc=$?
[ $rc -eq 0 ] && ok "verify: in sync" || not_ok "verify: exit $rc: $(tail -3 "$T/verify")"

# rerun (replace 120k elements with 120k) and a change to a small config
"$MESHINIT" -b '*' --ipv6 on -x "@$T/x.list" > /dev/null 2> "$T/err"; rc=$?
[ $rc -eq 0 ] && [ "$(count4)" -eq "$N4" ] && ok "rerun: exit 0, same set" ||
	not_ok "rerun: exit $rc $(tail -1 "$T/err")"
ISTIO_SERVICE_EXCLUDE_CIDR="@$T/x.list" "$MESHINIT" -b '*' --ipv6 on > /dev/null 2> "$T/err"; rc=$?
[ $rc -eq 0 ] && [ "$(count4)" -eq "$N4" ] && ok "the env value @FILE works too" ||
	not_ok "env @FILE: exit $rc $(tail -1 "$T/err")"
"$MESHINIT" -b '*' -x 10.0.0.0/8 > /dev/null 2>&1 && [ "$(count4)" -eq 1 ] &&
	ok "back to one -x CIDR" || not_ok "shrinking to one CIDR"
"$MESHINIT" cleanup > /dev/null 2>&1 && ! nft list tables | grep -q meshinit &&
	ok "cleanup" || not_ok "cleanup"
finish
