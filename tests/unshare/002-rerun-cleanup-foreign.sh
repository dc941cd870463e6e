#!/usr/bin/env bash
# Reruns and cleanup, with a foreign ruleset present:
#  - the same config twice: `nft list ruleset` byte-identical;
#  - another config: no trace of the old one (its set is gone);
#  - --cleanup-only twice: exit 0, no meshinit table left;
#  - a foreign `table inet foreign` and `table ip foreign4` survive
#    install, rerun and cleanup byte-identical.
. "$(dirname "$0")/lib.sh"

in_ns '
set +e
run() { "$MESHINIT" "$@" >>"$T/log" 2>&1; echo "$* -> $?" >>"$T/rcs"; }
cat >"$T/foreign.nft" <<EOT
table inet foreign {
	set keep { type ipv4_addr; elements = { 192.0.2.1 } }
	chain out { type filter hook output priority 0; policy accept; ip daddr @keep counter accept; }
}
table ip foreign4 {
	chain pre { type nat hook prerouting priority -100; tcp dport 8080 counter redirect to :9090; }
}
EOT
nft -f "$T/foreign.nft" || exit 3
nft list table inet foreign >"$T/foreign.0"; nft list table ip foreign4 >>"$T/foreign.0"
nft list ruleset >"$T/r0"
A="istio-iptables -p 15001 -z 15006 -u 1337 -m REDIRECT -i * -x 10.0.0.0/8,192.168.0.0/16 -b * -d 15090,15021,15020 --ipv6 off"
B="-p 15011 -u 1000 -b 80,443 -i 172.16.0.0/12 --ipv6 off"
set -f
run $A; nft list ruleset >"$T/a1"
nft list table inet foreign >"$T/foreign.1"; nft list table ip foreign4 >>"$T/foreign.1"
run $A; nft list ruleset >"$T/a2"
run $B; nft list ruleset >"$T/b1"; nft -j list ruleset >"$T/b1.json"
nft list table inet foreign >"$T/foreign.2"; nft list table ip foreign4 >>"$T/foreign.2"
run --cleanup-only; nft list ruleset >"$T/c1"
run cleanup; nft list ruleset >"$T/c2"
nft list table inet foreign >"$T/foreign.3"; nft list table ip foreign4 >>"$T/foreign.3"
exit 0
' || fail "namespace setup failed (exit $?)"

if grep -v -- '-> 0$' "$T/rcs"; then
	cat "$T/log" >&2
	fail "a meshinit run failed"
fi
ok "install A, rerun A, install B, --cleanup-only, cleanup: all exit 0"
grep -q "table inet meshinit" "$T/a1" || fail "no meshinit table after install"
same "$T/a1" "$T/a2" "rerun with the same config changed the ruleset"
ok "rerun with the same config: nft list ruleset byte-identical"
grep -q "exclude-cidrs4" "$T/a1" || fail "config A has no exclude-cidrs4 set"
grep -q "exclude-cidrs4\|inbound-exclude-ports\|15001" "$T/b1" &&
	fail "config B still shows config A's sets or port: $(grep -n 'exclude-cidrs4\|inbound-exclude-ports\|15001' "$T/b1")"
grep -q "redirect to :15011" "$T/b1" || fail "config B is not installed"
"$PY" - "$T/b1.json" <<'PY' || fail "config B ruleset has traces of A"
import json, sys
objs = json.load(open(sys.argv[1]))["nftables"]
ours = [o for o in objs for k in ("set", "chain", "rule") if k in o and o[k]["table"] == "meshinit"]
sets = {o["set"]["name"]: o["set"].get("elem") for o in ours if "set" in o}
assert sets.get("proxy-uids") == [1000], sets
assert "exclude-cidrs4" not in sets and "inbound-exclude-ports" not in sets, sets
tables = sorted((o["table"]["family"], o["table"]["name"]) for o in objs if "table" in o)
assert tables == [("inet", "foreign"), ("inet", "meshinit"), ("ip", "foreign4")], tables
PY
ok "rerun with another config: old sets and ports gone, new config present"
for f in c1 c2; do
	grep -q meshinit "$T/$f" && fail "meshinit table still there after cleanup ($f)"
done
ok "--cleanup-only and cleanup (twice): no meshinit table"
for i in 1 2 3; do
	same "$T/foreign.0" "$T/foreign.$i" "foreign tables changed (step $i)"
done
ok "foreign tables byte-identical after install, rerun and cleanup"
same "$T/r0" "$T/c2" "the ruleset after cleanup differs from the one before install"
ok "after cleanup the whole ruleset is byte-identical to the one before install"
finish
