#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# meshinit status: exit 3 on an empty namespace; text and JSON after an
# install; counters move when an app (uid 1000) connects out.
set -u
. "$(dirname "$0")/lib/ns.sh"
ns_init pod peer
P=mi-dbg-$$-pod Q=mi-dbg-$$-peer
ip link add mi$$a netns $P type veth peer name mi$$b netns $Q || fail "veth"
ip -n $P addr add 10.231.0.1/24 dev mi$$a && ip -n $P link set mi$$a up
ip -n $Q addr add 10.231.0.2/24 dev mi$$b && ip -n $Q link set mi$$b up
ARGS=(-p 15001 -z 15006 -u 1337 -g 1337 -m REDIRECT -i '*' -x '' -b '*' -d 15090,15021,15020)

# nothing installed
$MESHINIT status --netns $P >"$T/out" 2>"$T/err"
rc=$?
[ $rc -eq 3 ] || fail "status on an empty namespace: exit $rc, want 3"
grep -q "meshinit is not installed in this network namespace" "$T/err" ||
	fail "status on an empty namespace: message missing: $(cat "$T/err")"
[ ! -s "$T/out" ] || fail "status on an empty namespace wrote to stdout"
echo "ok: empty namespace -> exit 3"

$MESHINIT --netns $P "${ARGS[@]}" >"$T/log" 2>&1 || fail "install: $(cat "$T/log")"

# text
$MESHINIT status --netns $P >"$T/text" || fail "status text exit $?"
for want in "table inet meshinit" \
	"chain nat-output { type nat hook output priority -100 }" \
	"chain istio-output" \
	"redirect to :15001  # -p outbound capture port" \
	"meta skuid @proxy-uids return  # -u proxy traffic is never captured" \
	"set proxy-uids { type uid; 1 element }" \
	"15020-15021, 15090"; do
	grep -qF -- "$want" "$T/text" || { cat "$T/text"; fail "status text lacks '$want'"; }
done
echo "ok: status text"

# JSON, and the counters before and after traffic
counts() {
	$MESHINIT status --netns $P -O json >"$T/json" || fail "status -O json exit $?"
	python3 - "$T/json" <<'PY' || fail "status JSON is wrong: $(cat "$T/json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["table"] == {"family": "inet", "name": "meshinit"}, d["table"]
chains = {c["name"]: c for c in d["chains"]}
assert chains["nat-output"]["hook"] == "output" and chains["nat-output"]["priority"] == -100
sets = {s["name"]: s for s in d["sets"]}
assert sets["proxy-uids"]["elements"] == ["1337"], sets["proxy-uids"]
assert sets["inbound-exclude-ports"]["flags"] == ["interval"]
red = chains["istio-redirect"]["rules"]
assert red[0]["comment"] == "-p outbound capture port", red
out = chains["istio-output"]["rules"]
assert all("packets" in r and "bytes" in r and r["handle"] > 0 for r in out)
last = out[-1]
assert last["rule"] == "jump istio-redirect", last
print(red[0]["packets"], last["packets"], chains["nat-output"]["rules"][0]["packets"])
PY
}
read -r red0 out0 nat0 < <(counts)
[ "$red0" = 0 ] && [ "$out0" = 0 ] || fail "counters not zero after install: $red0 $out0"
echo "ok: status JSON"
# an app connection to the peer: captured, redirected to 15001 (refused)
ip netns exec $P setpriv --reuid 1000 --regid 1000 --clear-groups \
	timeout 5 bash -c 'echo x >/dev/tcp/10.231.0.2/8080' 2>/dev/null
read -r red1 out1 nat1 < <(counts)
[ "$red1" -gt "$red0" ] || fail "istio-redirect counter did not move: $red0 -> $red1"
[ "$out1" -gt "$out0" ] || fail "istio-output capture counter did not move: $out0 -> $out1"
[ "$nat1" -gt "$nat0" ] || fail "nat-output counter did not move: $nat0 -> $nat1"
echo "ok: counters moved (istio-redirect $red0 -> $red1, istio-output $out0 -> $out1)"
