#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# meshinit-cni end to end: Debian's CNI plugins (loopback, bridge,
# host-local) chained with meshinit-cni in a conflist, run by
# tests/cni/runtime.py as the CNI spec says a runtime does, against the TLS
# API stand-in (tests/cni/apiserver.py). Real pod namespaces with eth0 and
# an address from host-local, real traffic (tests the netns-tests' mitool.py
# listeners: original destination as the proxy sees it), and the same pod
# with meshinit as istio-init for comparison. Prints
# "cni-e2e: N passed, N failed, N skipped" last (tests/lib/testlib.sh). Root.
set -u
TEST_NAME=cni-e2e
. "$(dirname "$0")/lib.sh"

cni_init

# conflist FILE VERSION TYPE EXTRA: loopback, bridge (host-local IPAM),
# then TYPE (meshinit-cni or istio-cni) with Istio's plugin keys + EXTRA
conflist() {
	local file=$1 ver=$2 type=$3 extra=${4:-}
	cat > "$file" <<-CONF
	{
	  "cniVersion": "$ver",
	  "name": "k8s-pod-network",
	  "plugins": [
	    {"type": "loopback"},
	    {"type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": false,
	     "ipam": {"type": "host-local", "dataDir": "$T/ipam",
	              "ranges": [[{"subnet": "10.22.0.0/24", "gateway": "10.22.0.1"}]],
	              "routes": [{"dst": "0.0.0.0/0"}]}},
	    {"type": "$type", "name": "istio-cni", "ambient_enabled": false,
	     "cni_agent_run_dir": "$T/run", "dns": {}, "enable_ambient_detection_retry": false,
	     "enablement_selectors": [], "exclude_namespaces": ["kube-system", "istio-system"],
	     "ipam": {}, "native_nftables": true, "plugin_log_level": "debug",
	     "pod_namespace": "istio-system"$extra}
	  ]
	}
	CONF
}

# a conflist without meshinit-cni: the pod that gets meshinit as istio-init
cat > "$T/plain.conflist" <<EOF2
{"cniVersion": "1.0.0", "name": "k8s-pod-network", "plugins": [
  {"type": "loopback"},
  {"type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": false,
   "ipam": {"type": "host-local", "dataDir": "$T/ipam",
            "ranges": [[{"subnet": "10.22.0.0/24", "gateway": "10.22.0.1"}]],
            "routes": [{"dst": "0.0.0.0/0"}]}}]}
EOF2

# rt CMD CONFLIST POD K8S_NS K8S_NAME: run the chain for pod namespace POD
rt() {
	local cmd=$1 list=$2 pod=$3 kns=$4 kname=$5
	ip netns exec "$NODE" "$PY" "$HERE/runtime.py" "$cmd" "$list" \
		"/var/run/netns/$NS_PREFIX-$pod" "ctr-$pod" --cni-path "$CNI_PATH" \
		--args "IgnoreUnknown=1;K8S_POD_NAMESPACE=$kns;K8S_POD_NAME=$kname;K8S_POD_INFRA_CONTAINER_ID=ctr-$pod;K8S_POD_UID=uid-$kname" \
		--state "$T/state/$pod"
}

pod_ip() {
	ip -n "$NS_PREFIX-$1" -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1
}

has_table() {
	ip netns exec "$NS_PREFIX-$1" nft list table inet meshinit >/dev/null 2>&1
}

# the plugin's last stderr (its log) for pod POD and command CMD
plugin_log() {
	cat "$T/state/$1/2-"*".$2.err" 2>/dev/null
}

# the error JSON code the chain printed (file), or "none"
err_code() {
	"$PY" -c 'import json,sys
try:
    print(json.load(open(sys.argv[1])).get("code", "none"))
except Exception:
    print("none")' "$1"
}

# listeners in pod POD: the proxy (uid 1337) on 15001 (outbound) and 15006
# (inbound), the DNS agent on 15053, the app on 9080 and 15021
listen() {
	local ns=$1 label=$2 port=$3 ready i
	shift 3
	ready="$T/ready.$label.$port.$RANDOM"
	ip netns exec "$ns" "$PY" "$T/mitool.py" listen "$label" "$port" --ready "$ready" "$@" \
		>>"$T/listen.log" 2>&1 &
	CNI_PIDS+=($!)
	for i in $(seq 1 100); do
		[ -s "$ready" ] && return 0
		sleep 0.05
	done
	not_ok "listener $label:$port in $ns did not start"
}

pod_listeners() {
	local ns="$NS_PREFIX-$1" tp=${2:-}
	listen "$ns" proxy-out 15001 --uid 1337 --gid 1337
	if [ -n "$tp" ]; then	# IP_TRANSPARENT needs CAP_NET_ADMIN: root, as Envoy holds it
		listen "$ns" proxy-in 15006 --transparent
	else
		listen "$ns" proxy-in 15006 --uid 1337 --gid 1337
	fi
	listen "$ns" dns-agent 15053 --udp --uid 1337 --gid 1337
	listen "$ns" app 9080 --uid 1000 --gid 1000
	listen "$ns" app-health 15021 --uid 1337 --gid 1337
}

conn() {	# conn POD UID HOST PORT [args]: a client in the pod as UID
	local pod=$1 u=$2
	shift 2
	ip netns exec "$NS_PREFIX-$pod" setpriv --reuid "$u" --regid "$u" --clear-groups \
		"$PY" "$T/mitool.py" connect "$@" 2>&1
}

conn_node() {	# conn_node HOST PORT: a client on the node (the peer)
	ip netns exec "$NODE" "$PY" "$T/mitool.py" connect "$@" 2>&1
}

# matrix POD: the traffic outcomes of a pod, one line per probe, with the
# pod's own address replaced by POD_IP (so two pods compare)
matrix() {
	local pod=$1 ip
	ip=$(pod_ip "$pod")
	{
		echo "app 1000 -> node:8080      $(conn "$pod" 1000 10.22.0.1 8080)"
		echo "init 1001 -> node:8080     $(conn "$pod" 1001 10.22.0.1 8080)"
		echo "init 1002 -> node:443      $(conn "$pod" 1002 10.22.0.1 443)"
		echo "init 1002 -> node:8080     $(conn "$pod" 1002 10.22.0.1 8080)"
		echo "proxy 1337 -> node:8080    $(conn "$pod" 1337 10.22.0.1 8080)"
		echo "app 1000 -> node:15020     $(conn "$pod" 1000 10.22.0.1 15020)"
		echo "app 1000 -> 127.0.0.1:9080 $(conn "$pod" 1000 127.0.0.1 9080)"
		echo "app 1000 udp node:53       $(conn "$pod" 1000 10.22.0.1 53 --udp --timeout 2)"
		echo "node -> pod:9080           $(conn_node "$ip" 9080)"
		echo "node -> pod:15021          $(conn_node "$ip" 15021)"
	} | sed -e "s/$ip/POD_IP/g" -e 's/src=[^ ]*//; s/srcip=[^ ]*//' | tr -s ' '
}

field_of() {	# field_of LINE KEY
	echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1
}

# the node: the upstream every pod talks to (10.22.0.1 is cni0's address)
node_listeners() {
	listen "$NODE" node 8080 --bind 10.22.0.1
	listen "$NODE" node 443 --bind 10.22.0.1
	listen "$NODE" node 15020 --bind 10.22.0.1
	listen "$NODE" node-dns 53 --udp --bind 10.22.0.1
}

echo "== 1. injected pod, REDIRECT, init-container exclusions, CNI 1.0.0 (type meshinit-cni)"
conflist "$T/v1.conflist" 1.0.0 meshinit-cni
pod_json default app-redirect \
	'ann["meshinit.io/exclude-outbound-uids"] = "1001"; ann["meshinit.io/exclude-outbound-ports-for-uids"] = "tcp:443:1002"'
cni_ns_add "$NS_PREFIX-p1"
# the node agent's log socket (<cni_agent_run_dir>/log.sock)
"$PY" "$HERE/agentlog.py" "$T/run/log.sock" "$T/agent-log" "$T/agent.ready" \
	>>"$T/agent.out" 2>&1 &
CNI_PIDS+=($!)
for i in $(seq 1 100); do [ -s "$T/agent.ready" ] && break; sleep 0.05; done
if rt ADD "$T/v1.conflist" p1 default app-redirect > "$T/p1.add" 2>"$T/p1.add.err"; then
	ok "ADD of the chain succeeds"
else
	not_ok "ADD of the chain: $(cat "$T/p1.add" "$T/p1.add.err"; plugin_log p1 ADD | tail -n 5)"
fi
IP1=$(pod_ip p1)
check "the pod has eth0 with an address from host-local ($IP1)" test -n "$IP1"
check "meshinit-cni passed the bridge's result through unchanged" "$PY" -c '
import json, sys
a = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))
sys.exit(0 if a.get("prevResult") == b else 1)' "$T/state/p1/2-meshinit-cni.ADD.in" "$T/state/p1/2-meshinit-cni.ADD.out"
check "table inet meshinit is in the pod" has_table p1
check "nothing of meshinit's in the node namespace" \
	sh -c "! ip netns exec $NODE nft list table inet meshinit >/dev/null 2>&1"
check "the plugin logged JSON lines to stderr" sh -c "grep -q '\"msg\":\"pod default/app-redirect: programming the capture' $T/state/p1/2-meshinit-cni.ADD.err"
check "and to Istio's local log file ($T/run/istio-cni.log)" grep -q 'app-redirect' "$T/run/istio-cni.log"
check "and POSTed to the node agent's log socket as a JSON array of JSON lines" "$PY" -c '
import json, sys
for line in open(sys.argv[1]):
    path, body = line.split(" ", 1)
    msgs = [json.loads(l) for l in json.loads(body)]
    if path == "/log" and any("programming the capture" in m["msg"] and m["level"] == "info"
                              and "time" in m for m in msgs):
        sys.exit(0)
sys.exit(1)' "$T/agent-log"
check "the API stand-in was asked for the pod with the bearer token" \
	grep -q '^GET /api/v1/namespaces/default/pods/app-redirect 200$' "$T/api.log"
# istio-validation, as the injector runs it: uid 1337, no capabilities,
# before the proxy starts
if ip netns exec "$NS_PREFIX-p1" setpriv --reuid 1337 --regid 1337 --clear-groups \
	--inh-caps=-all --bounding-set=-all "$MESHINIT" istio-iptables -p 15001 -z 15006 -u 1337 \
	-m REDIRECT -i '*' -x "" -b '*' -d 15090,15021,15020 --run-validation --skip-rule-apply \
	> "$T/p1.validation" 2>&1; then
	ok "istio-validation (meshinit --run-validation --skip-rule-apply as uid 1337) passes"
else
	not_ok "istio-validation failed: $(tail -n 3 "$T/p1.validation")"
fi
check "CHECK of the chain: in sync" rt CHECK "$T/v1.conflist" p1 default app-redirect
node_listeners
pod_listeners p1
M1=$(matrix p1)
echo "$M1" | sed 's/^/#   /'
out=$(echo "$M1" | grep '^app 1000 -> node:8080')
check "app uid 1000 -> 10.22.0.1:8080 reaches the proxy on 15001 with the original destination" \
	test "$(field_of "$out" label)" = proxy-out -a "$(field_of "$out" orig)" = 10.22.0.1:8080
out=$(echo "$M1" | grep '^init 1001')
check "excluded init-container uid 1001 goes direct to the node" test "$(field_of "$out" label)" = node
out=$(echo "$M1" | grep '^init 1002 -> node:443')
check "uid 1002 (tcp:443 only) goes direct to 443" test "$(field_of "$out" label)" = node
out=$(echo "$M1" | grep '^init 1002 -> node:8080')
check "uid 1002 to 8080 is captured" test "$(field_of "$out" label)" = proxy-out
out=$(echo "$M1" | grep '^proxy 1337')
check "the proxy uid 1337 goes direct" test "$(field_of "$out" label)" = node
out=$(echo "$M1" | grep '^node -> pod:9080')
check "inbound to the pod's 9080 lands on 15006 with the original destination" \
	test "$(field_of "$out" label)" = proxy-in -a "$(field_of "$out" orig)" = POD_IP:9080
out=$(echo "$M1" | grep '^node -> pod:15021')
check "inbound to 15021 (always excluded) reaches the app directly" test "$(field_of "$out" label)" = app-health
out=$(echo "$M1" | grep '^app 1000 -> node:15020')
check "outbound to 15020 is not captured (Istio's CNI default excludeOutboundPorts)" \
	test "$(field_of "$out" label)" = node

echo "== 2. the same pod with meshinit as istio-init: same rules, same traffic outcome"
cni_ns_add "$NS_PREFIX-p2"
rt ADD "$T/plain.conflist" p2 default app-init > "$T/p2.add" 2>&1 || not_ok "plain ADD: $(cat "$T/p2.add")"
# the injector's istio-init arguments for this pod, plus -o 15020: Istio's
# CNI plugin excludes outbound 15020 by default; the injector passes no -o
ip netns exec "$NS_PREFIX-p2" "$MESHINIT" istio-iptables -p 15001 -z 15006 -u 1337 -m REDIRECT \
	-i '*' -x "" -b '*' -d 15090,15021,15020 -o 15020 --log_output_level=default:info \
	--exclude-outbound-uids 1001 --exclude-outbound-ports-for-uids tcp:443:1002 > "$T/p2.init" 2>&1 ||
	not_ok "meshinit as istio-init: $(tail -n 3 "$T/p2.init")"
rules() { ip netns exec "$NS_PREFIX-$1" nft list table inet meshinit | sed 's/packets [0-9]* bytes [0-9]*//'; }
check "the CNI pod's table equals the istio-init pod's" diff <(rules p1) <(rules p2)
pod_listeners p2
M2=$(matrix p2)
check "every probe has the same outcome in both pods ($(echo "$M1" | wc -l) probes)" diff <(echo "$M1") <(echo "$M2")

echo "== 3. drift: CHECK reports what verify reports; ADD again repairs it"
ip netns exec "$NS_PREFIX-p1" nft add rule inet meshinit istio-output tcp dport 9999 return
rt CHECK "$T/v1.conflist" p1 default app-redirect > "$T/p1.check" 2>/dev/null
check "CHECK fails with code 104 (drift)" test "$(err_code "$T/p1.check")" = 104
check "the details name the extra rule" grep -q 'extra rule.*dport 9999' "$T/p1.check"
# a rerun of meshinit-cni's ADD with the same input (the bridge plugin
# refuses a second ADD of the same container, so not the whole chain)
check "ADD again (a rerun of meshinit-cni) succeeds" sh -c "ip netns exec $NODE env CNI_COMMAND=ADD \
	CNI_CONTAINERID=ctr-p1 CNI_NETNS=/var/run/netns/$NS_PREFIX-p1 CNI_IFNAME=eth0 CNI_PATH=$CNI_PATH \
	CNI_ARGS='K8S_POD_NAMESPACE=default;K8S_POD_NAME=app-redirect' \
	$MESHINIT_CNI < $T/state/p1/2-meshinit-cni.ADD.in > $T/p1.readd 2>&1"
check "CHECK is in sync again" rt CHECK "$T/v1.conflist" p1 default app-redirect
check "one table, no duplicate" test "$(ip netns exec "$NS_PREFIX-p1" nft list tables | grep -c meshinit)" = 1

echo "== 4. DEL in reverse order; then DEL of a namespace that is gone"
check "DEL of the chain succeeds" rt DEL "$T/v1.conflist" p1 default app-redirect
check "meshinit's table is gone from the pod" sh -c "! ip netns exec $NS_PREFIX-p1 nft list table inet meshinit >/dev/null 2>&1"
check "eth0 is gone (bridge DEL ran after meshinit-cni's)" sh -c "! ip -n $NS_PREFIX-p1 link show eth0 >/dev/null 2>&1"
ip netns del "$NS_PREFIX-p1"
check "meshinit-cni DEL on a namespace that no longer exists succeeds" \
	sh -c "ip netns exec $NODE env CNI_COMMAND=DEL CNI_CONTAINERID=ctr-p1 CNI_NETNS=/var/run/netns/$NS_PREFIX-p1 \
	CNI_IFNAME=eth0 CNI_PATH=$CNI_PATH CNI_ARGS='K8S_POD_NAMESPACE=default;K8S_POD_NAME=app-redirect' \
	$MESHINIT_CNI < $T/state/p1/2-meshinit-cni.ADD.in > $T/p1.del 2>&1"
check "the whole chain's DEL on the gone namespace succeeds" rt DEL "$T/v1.conflist" p1 default app-redirect

echo "== 5. TPROXY (sidecar.istio.io/interceptionMode), CNI 0.4.0, installed as istio-cni"
conflist "$T/v04.conflist" 0.4.0 istio-cni
pod_json default app-tproxy 'ann["sidecar.istio.io/interceptionMode"] = "TPROXY"'
cni_ns_add "$NS_PREFIX-p3"
check "ADD succeeds" rt ADD "$T/v04.conflist" p3 default app-tproxy > "$T/p3.add" 2>&1
check "the rules TPROXY inbound to 15006" sh -c "ip netns exec $NS_PREFIX-p3 nft list table inet meshinit | grep -q 'tproxy ip to :15006'"
check "ip rule fwmark 1337 lookup 133 exists in the pod" sh -c "ip -n $NS_PREFIX-p3 rule | grep -q 'fwmark 0x539 lookup 133'"
check "local default route in table 133" sh -c "ip -n $NS_PREFIX-p3 route show table 133 | grep -q '^local default dev lo'"
pod_listeners p3 transparent
IP3=$(pod_ip p3)
out=$(conn_node "$IP3" 9080)
check "inbound to 9080 lands on 15006 keeping the original destination as its address ($out)" \
	test "$(field_of "$out" label)" = proxy-in -a "$(field_of "$out" dst)" = "$IP3:9080"
check "CHECK: in sync" rt CHECK "$T/v04.conflist" p3 default app-tproxy
cni_ns_add "$NS_PREFIX-p4"
rt ADD "$T/plain.conflist" p4 default app-tproxy-init > /dev/null 2>&1
ip netns exec "$NS_PREFIX-p4" "$MESHINIT" istio-iptables -p 15001 -z 15006 -u 1337 -m TPROXY \
	-i '*' -x "" -b '*' -d 15090,15021,15020 -o 15020 > "$T/p4.init" 2>&1
check "same table as meshinit as istio-init with -m TPROXY" diff <(rules p3) <(rules p4)
check "same policy routing" diff <(ip -n "$NS_PREFIX-p3" rule) <(ip -n "$NS_PREFIX-p4" rule)

echo "== 6. DNS capture from the istio-proxy env (ISTIO_META_DNS_CAPTURE), dual stack env, CNI 0.3.1"
conflist "$T/v03.conflist" 0.3.1 istio-cni
pod_json default app-dns 'env("ISTIO_META_DNS_CAPTURE", "true"); env("INVALID_DROP", "true")'
cni_ns_add "$NS_PREFIX-p5"
check "ADD succeeds" rt ADD "$T/v03.conflist" p5 default app-dns > "$T/p5.add" 2>&1
check "DNS is redirected to 15053 for any address (CNI mode captures all DNS)" \
	sh -c "ip netns exec $NS_PREFIX-p5 nft list table inet meshinit | grep -q 'redirect to :15053'"
check "INVALID_DROP: invalid packets are dropped" \
	sh -c "ip netns exec $NS_PREFIX-p5 nft list table inet meshinit | grep -q 'ct state invalid.*drop'"
pod_listeners p5
out=$(conn p5 1000 10.22.0.1 53 --udp --timeout 2)
check "app uid 1000 udp to 10.22.0.1:53 reaches the agent on 15053 ($out)" test "$(field_of "$out" label)" = dns-agent
out=$(conn p5 1337 10.22.0.1 53 --udp --timeout 2)
check "the proxy's own DNS goes upstream ($out)" test "$(field_of "$out" label)" = node-dns

echo "== 7. pods left alone: not injected, injection disabled, excluded namespace"
pod_json default plain 'del ann["sidecar.istio.io/status"]; pod["spec"]["containers"].pop(); pod["spec"]["initContainers"] = []'
cni_ns_add "$NS_PREFIX-p6"
check "ADD of a pod without a sidecar succeeds" rt ADD "$T/v1.conflist" p6 default plain > /dev/null 2>&1
check "and installs nothing" sh -c "! ip netns exec $NS_PREFIX-p6 nft list table inet meshinit >/dev/null 2>&1"
check "the log says why" sh -c "grep -q 'does not have istio-proxy container' $T/state/p6/2-meshinit-cni.ADD.err"
pod_json default off 'pod["metadata"]["labels"]["sidecar.istio.io/inject"] = "false"'
cni_ns_add "$NS_PREFIX-p7"
check "ADD of an inject=false pod succeeds, installs nothing" sh -c \
	"$(declare -f rt); NS_PREFIX=$NS_PREFIX NODE=$NODE PY=$PY HERE=$HERE CNI_PATH=$CNI_PATH T=$T; rt ADD $T/v1.conflist p7 default off >/dev/null 2>&1 && ! ip netns exec $NS_PREFIX-p7 nft list table inet meshinit >/dev/null 2>&1"
pod_json kube-system sys-pod ''
cni_ns_add "$NS_PREFIX-p8"
before=$(wc -l < "$T/api.log")
check "ADD in an excluded namespace succeeds" rt ADD "$T/v1.conflist" p8 kube-system sys-pod > /dev/null 2>&1
check "installs nothing" sh -c "! ip netns exec $NS_PREFIX-p8 nft list table inet meshinit >/dev/null 2>&1"
check "and does not ask the API server" test "$(wc -l < "$T/api.log")" = "$before"

echo "== 8. errors: pod not found, answer that is not a Pod, API down (Istio's 30 x 1 s retries)"
conflist "$T/fast.conflist" 1.0.0 meshinit-cni ', "meshinit": {"api_retries": 3, "api_retry_interval": "100ms"}'
cni_ns_add "$NS_PREFIX-p9"
rt ADD "$T/fast.conflist" p9 default missing > "$T/p9.add" 2>/dev/null
check "pod not found: CNI error 101" test "$(err_code "$T/p9.add")" = 101
check "after 3 attempts, saying not found" grep -q 'after 3 attempts.*not found' "$T/p9.add"
check "the API server was asked 3 times" test "$(grep -c 'pods/missing 404' "$T/api.log")" = 3
check "nothing applied" sh -c "! ip netns exec $NS_PREFIX-p9 nft list table inet meshinit >/dev/null 2>&1"
mkdir -p "$T/pods/default"
echo '{"kind": "Service", "apiVersion": "v1", "metadata": {"name": "svc"}}' > "$T/pods/default/svc.json"
rt DEL "$T/fast.conflist" p9 default missing > /dev/null 2>&1
rt ADD "$T/fast.conflist" p9 default svc > "$T/p9.svc" 2>/dev/null
check "an answer that is not a Pod: CNI error 101 'not a Pod'" sh -c "test $(err_code "$T/p9.svc") = 101 && grep -q 'not a Pod' $T/p9.svc"
echo '<html>gateway timeout</html>' > "$T/pods/default/html.json"
rt DEL "$T/fast.conflist" p9 default svc > /dev/null 2>&1
rt ADD "$T/fast.conflist" p9 default html > "$T/p9.html" 2>/dev/null
check "an answer that is not JSON: CNI error 101" sh -c "test $(err_code "$T/p9.html") = 101 && grep -q 'is not JSON' $T/p9.html"
check "nothing applied" sh -c "! ip netns exec $NS_PREFIX-p9 nft list table inet meshinit >/dev/null 2>&1"
rt DEL "$T/fast.conflist" p9 default html > /dev/null 2>&1
api_stop
pod_json default app-down ''
rt ADD "$T/v1.conflist" p9 default app-down > "$T/p9.down" 2>/dev/null
check "API down: CNI error 101 after Istio's 30 attempts" sh -c "test $(err_code "$T/p9.down") = 101 && grep -q 'after 30 attempts' $T/p9.down"
check "the log shows attempt 1 (warn) and attempts 2-30 (debug)" test \
	"$(grep -c 'failed to get pod default/app-down (attempt' "$T/state/p9/2-meshinit-cni.ADD.err")" = 30
check "nothing applied" sh -c "! ip netns exec $NS_PREFIX-p9 nft list table inet meshinit >/dev/null 2>&1"
api_start

echo "== 9. bad input: CNI error JSON, nothing applied"
# plugin CMD STDIN-FILE ENV...: meshinit-cni alone, on pod p9
plugin() {
	local in=$1
	shift
	ip netns exec "$NODE" env -i PATH=/usr/bin:/bin "$@" "$MESHINIT_CNI" < "$in" 2>>"$T/bad.log"
}
STD="CNI_COMMAND=ADD CNI_CONTAINERID=c9 CNI_IFNAME=eth0 CNI_PATH=$CNI_PATH CNI_ARGS=K8S_POD_NAMESPACE=default;K8S_POD_NAME=app-redirect"
NETNS="CNI_NETNS=/var/run/netns/$NS_PREFIX-p9"
good=$T/state/p1/2-meshinit-cni.ADD.in
# shellcheck disable=SC2086
{
	printf '{"cniVersion": "1.0.0", "type": "meshinit-cni", ' > "$T/bad1.json"
	plugin "$T/bad1.json" $STD $NETNS > "$T/bad1.out"
	check "malformed conf JSON: code 6" test "$(err_code "$T/bad1.out")" = 6
	plugin "$good" $STD > "$T/bad2.out"
	check "missing CNI_NETNS: code 4" sh -c "test $(err_code "$T/bad2.out") = 4 && grep -q CNI_NETNS $T/bad2.out"
	sed 's/"cniVersion": "1.0.0"/"cniVersion": "7.0.0"/' "$good" > "$T/bad3.json"
	plugin "$T/bad3.json" $STD $NETNS > "$T/bad3.out"
	check "unknown CNI version: code 1" test "$(err_code "$T/bad3.out")" = 1
	printf 'clusters: [\n  - {server: \n' > "$T/bad-kubeconfig"
	"$PY" -c 'import json,sys; c=json.load(open(sys.argv[1])); c["kubernetes"]={"kubeconfig": sys.argv[2]}; print(json.dumps(c))' \
		"$good" "$T/bad-kubeconfig" > "$T/bad4.json"
	plugin "$T/bad4.json" $STD $NETNS > "$T/bad4.out"
	check "a kubeconfig that does not parse: code 100 naming the file" sh -c \
		"test $(err_code "$T/bad4.out") = 100 && grep -q 'bad-kubeconfig.*YAML error' $T/bad4.out"
	plugin "$good" $STD "CNI_NETNS=/var/run/netns/$NODE" > "$T/bad5.out"
	check "CNI_NETNS = the node's own namespace is refused (code 4)" sh -c \
		"test $(err_code "$T/bad5.out") = 4 && grep -q \"node's own network namespace\" $T/bad5.out"
	pod_json default bad-ann 'ann["traffic.sidecar.istio.io/includeInboundPorts"] = "80,http"'
	sed 's/app-redirect/bad-ann/' <<< "$STD" > /dev/null
	plugin "$good" ${STD/app-redirect/bad-ann} $NETNS > "$T/bad6.out"
	check "an invalid annotation: code 102 naming it" sh -c \
		"test $(err_code "$T/bad6.out") = 102 && grep -q 'includeInboundPorts' $T/bad6.out"
}
check "nothing applied in the pod" sh -c "! ip netns exec $NS_PREFIX-p9 nft list table inet meshinit >/dev/null 2>&1"
check "nothing applied in the node namespace" sh -c "! ip netns exec $NODE nft list table inet meshinit >/dev/null 2>&1"
check "VERSION lists the implemented versions" sh -c \
	"echo '{\"cniVersion\":\"1.0.0\"}' | CNI_COMMAND=VERSION $MESHINIT_CNI | $PY -c 'import json,sys; sys.exit(json.load(sys.stdin)[\"supportedVersions\"] != [\"0.3.0\", \"0.3.1\", \"0.4.0\", \"1.0.0\"])'"

echo "== 10. client certificate instead of a token"
api_stop
api_start --client-ca "$T/pki/ca.crt"
cat > "$T/kc-cert" <<KC
apiVersion: v1
kind: Config
current-context: c
contexts: [{name: c, context: {cluster: k, user: u}}]
clusters: [{name: k, cluster: {server: "https://127.0.0.1:6443", certificate-authority: pki/ca.crt}}]
users: [{name: u, user: {client-certificate: pki/client.crt, client-key: pki/client.key, token: $TOKEN}}]
KC
conflist "$T/cert.conflist" 1.0.0 meshinit-cni ", \"kubernetes\": {\"kubeconfig\": \"$T/kc-cert\"}"
cni_ns_add "$NS_PREFIX-p10"
check "ADD with a client certificate (and relative paths in the kubeconfig)" \
	rt ADD "$T/cert.conflist" p10 default app-redirect
check "installed" has_table p10

finish
