#!/usr/bin/env bash
# Istio's default injection config, IPv6 detected (an IPv4 address on lo
# makes the detection deterministic: IPv6 off), read back from the kernel
# with `nft -j list ruleset` and checked object by object.
. "$(dirname "$0")/lib.sh"

in_ns '
ip addr add 240.240.240.240/32 dev lo
"$MESHINIT" istio-iptables -p 15001 -z 15006 -u 1337 -m REDIRECT -i "*" -x "" \
	-b "*" -d 15090,15021,15020 --log_output_level=default:info >"$T/log" 2>&1 || {
	echo "rc=$?" >>"$T/log"; }
nft -j list ruleset >"$T/ruleset.json"
' || fail "namespace run failed"
if grep -q '^rc=' "$T/log"; then
	cat "$T/log" >&2
	fail "meshinit failed"
fi
ok "meshinit exit 0"
grep -q "installed table inet meshinit" "$T/log" || fail "no summary log line: $(tail -3 "$T/log")"
ok "summary line logged"

"$PY" - "$T/ruleset.json" <<'PY' || fail "ruleset check failed"
import json, sys
objs = json.load(open(sys.argv[1]))["nftables"]
tables = [o["table"] for o in objs if "table" in o]
chains = {o["chain"]["name"]: o["chain"] for o in objs if "chain" in o}
sets = {o["set"]["name"]: o["set"] for o in objs if "set" in o}
rules = [o["rule"] for o in objs if "rule" in o]
errors = []
def check(cond, what):
    print(("ok - " if cond else "FAIL - ") + what)
    if not cond:
        errors.append(what)

check([(t["family"], t["name"]) for t in tables] == [("inet", "meshinit")],
      "exactly one table: inet meshinit (got %s)" % [(t["family"], t["name"]) for t in tables])
want_base = {
    "nat-prerouting": ("nat", "prerouting", -100),
    "nat-output": ("nat", "output", -100),
}
for name, (typ, hook, prio) in want_base.items():
    c = chains.get(name)
    check(c is not None and (c.get("type"), c.get("hook"), c.get("prio")) == (typ, hook, prio)
          and c.get("policy", "accept") == "accept",
          "base chain %s: type %s hook %s prio %d" % (name, typ, hook, prio))
regular = {"istio-inbound", "istio-redirect", "istio-in-redirect", "istio-output"}
check(set(chains) == set(want_base) | regular, "chains are %s (got %s)" % (sorted(set(want_base) | regular), sorted(chains)))
for name in regular:
    check("hook" not in chains.get(name, {}), "%s is a regular chain" % name)
per_chain = {}
for r in rules:
    per_chain.setdefault(r["chain"], []).append(r)
counts = {k: len(v) for k, v in per_chain.items()}
check(counts == {"nat-prerouting": 1, "nat-output": 1, "istio-inbound": 3,
                 "istio-redirect": 1, "istio-in-redirect": 1, "istio-output": 7},
      "rule counts per chain (got %s)" % counts)
check(len(rules) == 14, "14 rules in all (got %d)" % len(rules))
check(all(any("counter" in e for e in r["expr"]) for r in rules), "every rule has a counter")
check(all(r.get("comment") for r in rules), "every rule has a comment")
def elems(name):
    s = sets.get(name, {})
    out = []
    for e in s.get("elem", []):
        out.append(e)
    return out
check(set(sets) == {"proxy-uids", "proxy-gids", "inbound-exclude-ports", "install-record"}, "sets (got %s)" % sorted(sets))
rec = "".join(e["elem"]["comment"] for e in sorted(sets["install-record"]["elem"], key=lambda e: e["elem"]["val"]))
check(rec.startswith("meshinit=") and " p=15001 z=15006 " in rec and " b=* i=* " in rec, "install-record holds the record (got %r)" % rec)
check(sets["proxy-uids"]["type"] == "uid" and elems("proxy-uids") == [1337], "proxy-uids = {1337}")
check(sets["proxy-gids"]["type"] == "gid" and elems("proxy-gids") == [1337], "proxy-gids = {1337}")
ex = sets["inbound-exclude-ports"]
check("interval" in ex.get("flags", []), "inbound-exclude-ports is an interval set")
check(elems("inbound-exclude-ports") == [{"range": [15020, 15021]}, 15090],
      "inbound-exclude-ports = {15020-15021, 15090} (got %s)" % elems("inbound-exclude-ports"))
redir = [e for r in per_chain["istio-redirect"] for e in r["expr"] if "redirect" in e]
check(redir and redir[0]["redirect"].get("port") == 15001, "istio-redirect redirects to 15001 (%s)" % redir)
inredir = [e for r in per_chain["istio-in-redirect"] for e in r["expr"] if "redirect" in e]
check(inredir and inredir[0]["redirect"].get("port") == 15006, "istio-in-redirect redirects to 15006")
last = per_chain["istio-output"][-1]["expr"]
check({"jump": {"target": "istio-redirect"}} in last and len(last) == 2,
      "istio-output ends with the catch-all jump to istio-redirect (-i '*')")
check(not any(("ip6" in json.dumps(r)) for r in rules), "IPv6 detected off: no ip6 matches")
sys.exit(1 if errors else 0)
PY
ok "kernel ruleset matches the default Istio plan"
finish
