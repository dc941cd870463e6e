#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# meshinit status, with no flags but --netns: exit 3 on an empty namespace;
# after an install with Istio's default injection args, how it was
# installed (the install record), the rules as the plan's printer writes
# them (each one found in `nft list ruleset`), text and JSON; counters
# move when an app (uid 1000) connects out; Istio's own table, an
# iptables-nft ISTIO_OUTPUT chain, a foreign drop table and a leftover
# trace table are each named with what they do; cleanup --trace-only.
set -u
. "$(dirname "$0")/lib/ns.sh"
ns_init pod peer
P=mi-dbg-$$-pod Q=mi-dbg-$$-peer
ip link add mi$$a netns $P type veth peer name mi$$b netns $Q || fail "veth"
ip -n $P addr add 10.231.0.1/24 dev mi$$a && ip -n $P link set mi$$a up
ip -n $Q addr add 10.231.0.2/24 dev mi$$b && ip -n $Q link set mi$$b up
# Istio's default injection (the istio-init container's args)
ARGS=(istio-iptables -p 15001 -z 15006 -u 1337 -m REDIRECT -i '*' -x '' -b '*'
	-d 15090,15021,15020 --log_output_level=default:info)

# nothing installed
$MESHINIT status --netns $P >"$T/out" 2>"$T/err"
rc=$?
[ $rc -eq 3 ] || fail "status on an empty namespace: exit $rc, want 3"
grep -q "meshinit is not installed in this network namespace" "$T/err" ||
	fail "status on an empty namespace: message missing: $(cat "$T/err")"
[ ! -s "$T/out" ] || fail "status on an empty namespace wrote to stdout"
echo "ok: empty namespace -> exit 3"

$MESHINIT --netns $P "${ARGS[@]}" >"$T/log" 2>&1 || fail "install: $(cat "$T/log")"

# text, no flags: the record says how it was installed
$MESHINIT status --netns $P >"$T/text" || fail "status text exit $?"
for want in "installed by meshinit " \
	"installed with: -p 15001 -z 15006 -e 15008 -u 1337 -g 1337 -m REDIRECT -b '*' -d 15020-15021,15090 -i '*'" \
	"table inet meshinit {" \
	"	chain nat-output {" \
	"		type nat hook output priority -100;" \
	"rule 1: meta l4proto tcp counter packets 0 bytes 0 redirect to :15001 comment \"-p outbound capture port\"" \
	"rule 4: meta skuid @proxy-uids counter packets 0 bytes 0 return comment \"-u proxy traffic is never captured\"" \
	"	set proxy-uids {" \
	"elements = { 15020-15021, 15090 }" \
	"TPROXY routing: not needed" \
	"other capture state in this namespace: none"; do
	grep -qF -- "$want" "$T/text" || { cat "$T/text"; fail "status text lacks '$want'"; }
done
echo "ok: status text: the record and the rules"
# every rule line is what `nft list ruleset` shows (same printer both ways)
ip netns exec $P nft list ruleset >"$T/nft"
n=0
while IFS= read -r line; do
	rule=${line#*rule [0-9]*: }
	grep -qF -- "$rule" "$T/nft" || fail "status rule not in nft list ruleset: '$rule'"
	n=$((n + 1))
done < <(grep -E '^		rule [0-9]+: ' "$T/text")
[ $n -eq 14 ] || fail "status listed $n rules, want 14"
echo "ok: status's $n rules are greppable in nft list ruleset"

# JSON, and the counters before and after traffic
counts() {
	$MESHINIT status --netns $P -O json >"$T/json" || fail "status -O json exit $?"
	python3 - "$T/json" <<'PY' || fail "status JSON is wrong: $(cat "$T/json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["table"] == {"family": "inet", "name": "meshinit"}, d["table"]
assert d["installed_by"] and "-d 15020-15021,15090" in d["installed_with"], d
assert d["sets_as_installed"] is True and d["unread_rules"] == 0, d
assert d["others"] == [] and d["routing"]["tproxy_needed"] is False, d
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

# a rule added by hand: shown, read back as far as it goes, never dropped
ip netns exec $P nft add rule inet meshinit istio-output log prefix x || fail "nft add rule"
$MESHINIT status --netns $P >"$T/text" || fail "status exit $?"
grep -qF "rule 8: # not read back by meshinit: [ log" "$T/text" ||
	{ cat "$T/text"; fail "status: a hand-added rule is not shown raw"; }
grep -qF "1 rule of table inet meshinit was not read back" "$T/text" ||
	fail "status: no count of rules not read back"
echo "ok: a hand-added rule is shown raw"

# everything else that touches traffic, each named with what it does
nftp() { ip netns exec $P nft "$@"; }
nftp add table inet istio-proxy-nat
nftp add chain inet istio-proxy-nat prerouting '{ type nat hook prerouting priority -100; }'
nftp add rule inet istio-proxy-nat prerouting tcp dport 8080 redirect to :15006
nftp add table ip filt
nftp add chain ip filt out '{ type filter hook output priority -200; }'
nftp add rule ip filt out tcp dport 443 drop
nftp add table inet meshinit-trace
# iptables-nft as a writer in the test's own namespace (make deps installs it)
command -v iptables-nft >/dev/null || fail "iptables-nft is not installed (make deps)"
ip netns exec $P iptables-nft -t nat -N ISTIO_OUTPUT
ip netns exec $P iptables-nft -t nat -A OUTPUT -p tcp -j ISTIO_OUTPUT
ip netns exec $P iptables-nft -t nat -A ISTIO_OUTPUT -p tcp -j REDIRECT --to-ports 15001
$MESHINIT status --netns $P >"$T/text" || fail "status exit $?"
for want in "table inet istio-proxy-nat: Istio's own nftables capture" \
	"redirects or rewrites destinations (1), at the priority of meshinit's nat chain" \
	"table ip filt: chain out (type filter hook output priority -200, 1 rule): 1 drop rule, before meshinit's nat chain there" \
	"table inet meshinit-trace: left by a 'meshinit trace' that did not finish" \
	"table ip nat (iptables-nft): Istio's iptables rules (chains ISTIO_OUTPUT)"; do
	grep -qF -- "$want" "$T/text" || { cat "$T/text"; fail "status text lacks '$want'"; }
done
echo "ok: Istio's table, iptables-nft ISTIO_OUTPUT, a foreign drop, a trace table: each named"
$MESHINIT cleanup --trace-only --netns $P >"$T/log" 2>&1 || fail "cleanup --trace-only: $(cat "$T/log")"
nftp list tables >"$T/tables"
grep -q "meshinit-trace" "$T/tables" && fail "cleanup --trace-only left the trace table"
grep -q "table inet meshinit$" "$T/tables" || fail "cleanup --trace-only removed table inet meshinit"
grep -q "istio-proxy-nat" "$T/tables" || fail "cleanup --trace-only removed another table"
echo "ok: cleanup --trace-only removes the trace table only"

# no meshinit table, Istio's own capture present: not just "not installed"
$MESHINIT cleanup --netns $P >"$T/log" 2>&1 || fail "cleanup: $(cat "$T/log")"
$MESHINIT status --netns $P >"$T/out" 2>"$T/err"
rc=$?
[ $rc -eq 3 ] || fail "status without meshinit, with Istio's table: exit $rc, want 3"
grep -qF "table inet istio-proxy-nat: Istio's own nftables capture" "$T/out" ||
	{ cat "$T/out" "$T/err"; fail "status without meshinit does not name Istio's table"; }
grep -qF "but other capture state is" "$T/err" || fail "status error does not point at the rest"
echo "ok: no meshinit table: Istio's own capture is still shown"
