#!/usr/bin/env bash
# The kernel read-back (issue 11 items 1, 2, 4). For every golden config:
# installed through netlink, the table read back from the kernel equals
# the plan its install record describes (verify with no flags: in sync)
# and the plan of the install flags (verify with them: in sync); the
# record is in the table (nft lists it); every rule status prints is in
# `nft list ruleset` as it is. Then drift: a deleted TPROXY ip rule and
# route, other flags; and the rest of the capture picture: Istio's own
# nftables table, iptables-nft ISTIO_* chains, a foreign drop table, a
# leftover trace table, each named by status and counted by verify.
. "$(dirname "$0")/lib.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
n=0
while IFS=$'\t' read -r name ipv6 servers env args; do
	case $name in '#'* | '') continue ;; esac
	d="$T/$name"
	mkdir -p "$d"
	: >"$d/resolv.conf"
	if [ "$servers" != - ]; then
		for s in $servers; do echo "nameserver $s" >>"$d/resolv.conf"; done
	fi
	set -f
	argv=()
	for a in $args; do if [ "$a" = "''" ]; then argv+=(""); else argv+=("$a"); fi; done
	envv=()
	[ "$env" != - ] && for e in $env; do envv+=("$e"); done
	set +f
	argv+=(--ipv6 "$ipv6" --resolv-conf "$d/resolv.conf")
	printf '%s\0' "${argv[@]}" >"$d/args"
	printf "%s\n" "${envv[@]+"${envv[@]}"}" | grep -v "^$" >"$d/env" || true
	export D=$d
	in_ns '
	set +e
	mapfile -d "" argv <"$D/args"; mapfile -t envv <"$D/env"
	env ${envv[@]+"${envv[@]}"} "$MESHINIT" "${argv[@]}" >"$D/install.log" 2>&1 || { echo install >"$D/failed"; exit 0; }
	"$MESHINIT" verify >"$D/verify0" 2>&1; echo $? >"$D/rc0"
	env ${envv[@]+"${envv[@]}"} "$MESHINIT" verify "${argv[@]}" >"$D/verify1" 2>&1; echo $? >"$D/rc1"
	"$MESHINIT" status >"$D/status" 2>&1; echo $? >"$D/rcs"
	nft list ruleset >"$D/nft"
	' || fail "$name: namespace setup failed"
	if [ -e "$d/failed" ]; then
		# a kernel without nft_tproxy cannot install TPROXY cases
		grep -q tproxy "$d/install.log" && { skipped "$name: TPROXY not available here"; continue; }
		fail "$name: install failed: $(cat "$d/install.log")"
	fi
	[ "$(cat "$d/rc0")" = 0 ] || { cat "$d/verify0"; fail "$name: verify with no flags: exit $(cat "$d/rc0"), want 0"; }
	[ "$(cat "$d/rc1")" = 0 ] || { cat "$d/verify1"; fail "$name: verify with the install flags: exit $(cat "$d/rc1"), want 0"; }
	[ "$(cat "$d/rcs")" = 0 ] || fail "$name: status exit $(cat "$d/rcs")"
	grep -q '^installed with: ' "$d/status" || fail "$name: status shows no install record"
	grep -q 'install-record' "$d/nft" && grep -q 'comment "meshinit=' "$d/nft" ||
		fail "$name: nft list ruleset shows no install record"
	rules=0
	while IFS= read -r line; do
		rule=${line#*rule [0-9]*: }
		grep -qF -- "$rule" "$d/nft" || fail "$name: status rule not in nft list ruleset: '$rule'"
		rules=$((rules + 1))
	done < <(grep -E '^		rule [0-9]+: ' "$d/status")
	[ $rules -gt 0 ] || fail "$name: status listed no rules"
	ok "$name: read back = the record's plan = the flags' plan; $rules status rules found in nft list ruleset"
	n=$((n + 1))
done <"$ROOT/tests/golden/cases.tsv"
[ $n -ge 8 ] || fail "only $n golden configs read back"

# drift of the TPROXY routing and of the flags
in_ns '
set +e
"$MESHINIT" -p 15001 -z 15006 -u 1337 -m TPROXY -i "*" -b "*" --ipv6 off >"$T/tp.log" 2>&1 || exit 10
ip rule del fwmark 1337 lookup 133
"$MESHINIT" verify >"$T/tp.rule" 2>&1; echo $? >"$T/tp.rule.rc"
"$MESHINIT" -p 15001 -z 15006 -u 1337 -m TPROXY -i "*" -b "*" --ipv6 off >>"$T/tp.log" 2>&1 || exit 11
ip route del local default dev lo table 133
"$MESHINIT" verify >"$T/tp.route" 2>&1; echo $? >"$T/tp.route.rc"
"$MESHINIT" verify -p 15001 -z 15006 -u 1337 -m REDIRECT -i "*" -b "*" --ipv6 off >"$T/tp.flags" 2>&1; echo $? >"$T/tp.flags.rc"
exit 0
' && rc=0 || rc=$?
if [ $rc = 10 ] && grep -qi tproxy "$T/tp.log"; then
	skipped "TPROXY routing drift: nft_tproxy not available here"
else
	[ $rc = 0 ] || fail "TPROXY install failed: $(cat "$T/tp.log")"
	[ "$(cat "$T/tp.rule.rc")" = 4 ] && grep -qF "missing TPROXY policy rule (IPv4): ip rule add fwmark 1337 lookup 133" "$T/tp.rule" ||
		{ cat "$T/tp.rule"; fail "verify after ip rule del: want exit 4 naming the rule"; }
	ok "ip rule del fwmark 1337 lookup 133: verify exits 4 and names it"
	[ "$(cat "$T/tp.route.rc")" = 4 ] && grep -qF "missing TPROXY route (IPv4): ip route add local default dev lo table 133" "$T/tp.route" ||
		{ cat "$T/tp.route"; fail "verify after ip route del: want exit 4 naming the route"; }
	ok "ip route del local default dev lo table 133: verify exits 4 and names it"
	[ "$(cat "$T/tp.flags.rc")" = 4 ] && grep -qF "flag -m: installed with 'TPROXY', the flags give 'REDIRECT'" "$T/tp.flags" ||
		{ cat "$T/tp.flags"; fail "verify -m REDIRECT over a TPROXY install: want the -m line"; }
	ok "verify with other flags names the flag (-m) first"
fi

# the rest of the capture picture
command -v iptables-nft >/dev/null || fail "iptables-nft is not installed (make deps)"
in_ns '
set +e
nft add table inet istio-proxy-nat
nft add chain inet istio-proxy-nat prerouting "{ type nat hook prerouting priority -100; }"
nft add rule inet istio-proxy-nat prerouting tcp dport 8080 redirect to :15006
iptables-nft -t nat -N ISTIO_OUTPUT && iptables-nft -t nat -A OUTPUT -p tcp -j ISTIO_OUTPUT
"$MESHINIT" status >"$T/o.none" 2>"$T/o.none.err"; echo $? >"$T/o.none.rc"
"$MESHINIT" -i "*" -b "*" --ipv6 off >"$T/o.log" 2>&1 || exit 10
nft add table ip filt
nft add chain ip filt out "{ type filter hook output priority -200; policy drop; }"
nft add table inet meshinit-trace
"$MESHINIT" status -O json >"$T/o.json" 2>&1; echo $? >"$T/o.json.rc"
"$MESHINIT" verify >"$T/o.verify" 2>&1; echo $? >"$T/o.verify.rc"
exit 0
' || fail "capture picture: install failed: $(cat "$T/o.log")"
[ "$(cat "$T/o.none.rc")" = 3 ] || fail "status without meshinit: exit $(cat "$T/o.none.rc"), want 3"
grep -qF "table inet istio-proxy-nat: Istio's own nftables capture" "$T/o.none" &&
	grep -qF "table ip nat (iptables-nft): Istio's iptables rules (chains ISTIO_OUTPUT)" "$T/o.none" ||
	{ cat "$T/o.none" "$T/o.none.err"; fail "status without meshinit does not name Istio's tables"; }
ok "no meshinit table: status names Istio's nftables table and iptables-nft ISTIO_OUTPUT (exit 3)"
"$PY" - "$T/o.json" <<'PY' || fail "status JSON: the other tables are wrong: $(cat "$T/o.json")"
import json, sys
d = json.load(open(sys.argv[1]))
kinds = {o["what"]: o["kind"] for o in d["others"]}
assert kinds.get("table inet istio-proxy-nat") == "istio-nftables", kinds
assert kinds.get("table ip nat (iptables-nft)") == "istio-iptables-nft", kinds
assert kinds.get("table inet meshinit-trace") == "meshinit-trace", kinds
filt = [o for o in d["others"] if o["what"] == "table ip filt"][0]
assert filt["kind"] == "foreign" and "policy drop" in filt["effect"], filt
assert d["installed_by"] and d["unread_rules"] == 0, d
PY
ok "status -O json: Istio's table, iptables-nft, a policy-drop table and a trace table, each with its kind"
[ "$(cat "$T/o.verify.rc")" = 4 ] && [ "$(grep -c '^also in this namespace: ' "$T/o.verify")" = 4 ] ||
	{ cat "$T/o.verify"; fail "verify: want exit 4 and the four other tables"; }
ok "verify counts the four other tables as drift (exit 4)"
finish
