# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# The set-up shared by tests/cni/run.sh and tests/cni/conformance.sh:
#   cni_init          root check, temp dir $T, node namespace $NODE (lo up),
#                     throw-away CA + server/client certificates, the TLS
#                     API stand-in on 127.0.0.1:6443 inside $NODE, a
#                     kubeconfig as Istio's node agent writes it, CNI_PATH
#                     with meshinit-cni and istio-cni; cleanup on exit
#   pod_json FILE NS NAME [jq-like python edits]  write a Pod as Istio's
#                     injector writes it in CNI mode
# Namespaces: mi-cni-PID-NAME. Nothing is created in the machine's own
# network namespace: the "node" is $NODE.

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib/testlib.sh
. "$HERE/../lib/testlib.sh"
PY=${PY:-/usr/bin/python3}
CNI_PLUGIN_DIR=${CNI_PLUGIN_DIR:-/usr/lib/cni}
NS_PREFIX="mi-cni-$$"
NODE="$NS_PREFIX-node"
CNI_NSS=()
CNI_PIDS=()

cni_cleanup() {
	local pid ns

	for pid in "${CNI_PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	wait 2>/dev/null
	for ns in "${CNI_NSS[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	[ -n "${T:-}" ] && rm -rf "$T"
}

cni_ns_add() {
	ip netns add "$1" || fail "cannot create namespace $1"
	CNI_NSS+=("$1")
	ip -n "$1" link set lo up
}

api_start() {
	local ready="$T/api.ready.$RANDOM" i

	ip netns exec "$NODE" "$PY" "$HERE/apiserver.py" --bind 127.0.0.1 --port 6443 \
		--cert "$T/pki/server.crt" --key "$T/pki/server.key" --poddir "$T/pods" \
		--token "$TOKEN" --log "$T/api.log" --ready "$ready" "$@" \
		>>"$T/api.out" 2>&1 &
	API_PID=$!
	CNI_PIDS+=("$API_PID")
	for i in $(seq 1 100); do
		[ -s "$ready" ] && return 0
		sleep 0.05
	done
	fail "API stand-in did not start: $(tail -n 5 "$T/api.out")"
}

api_stop() {
	kill "$API_PID" 2>/dev/null
	wait "$API_PID" 2>/dev/null
}

cni_init() {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	for b in loopback bridge host-local; do
		[ -x "$CNI_PLUGIN_DIR/$b" ] ||
			fail "$CNI_PLUGIN_DIR/$b missing (Debian package containernetworking-plugins; make deps)"
	done
	T=$(mktemp -d /tmp/mi-cni.XXXXXX) || fail "mktemp"
	chmod 755 "$T"
	trap cni_cleanup EXIT
	mkdir -p "$T/pki" "$T/pods" "$T/bin" "$T/run" "$T/ipam"
	cni_ns_add "$NODE"
	# a throw-away CA, a server certificate for 127.0.0.1, a client certificate
	(
		cd "$T/pki" || exit 1
		openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=mi-test-ca \
			-keyout ca.key -out ca.crt
		openssl req -newkey rsa:2048 -nodes -subj /CN=kubernetes \
			-keyout server.key -out server.csr
		printf 'subjectAltName=IP:127.0.0.1,DNS:kubernetes.default.svc\n' > san.ext
		openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
			-days 2 -extfile san.ext -out server.crt
		openssl req -newkey rsa:2048 -nodes -subj /CN=system:serviceaccount:istio-system:istio-cni \
			-keyout client.key -out client.csr
		openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
			-days 2 -out client.crt
	) >"$T/pki/openssl.log" 2>&1 || fail "openssl: $(tail -n 5 "$T/pki/openssl.log")"
	TOKEN="token-$$-$RANDOM"
	# the kubeconfig Istio's node agent writes (cni/pkg/install/kubeconfig.go)
	cat > "$T/run/istio-cni-kubeconfig" <<-KC
	apiVersion: v1
	clusters:
	- cluster:
	    certificate-authority-data: $(base64 -w0 "$T/pki/ca.crt")
	    server: https://127.0.0.1:6443
	  name: local
	contexts:
	- context:
	    cluster: local
	    user: istio-cni
	  name: istio-cni-context
	current-context: istio-cni-context
	kind: Config
	preferences: {}
	users:
	- name: istio-cni
	  user:
	    token: $TOKEN
	KC
	chmod 600 "$T/run/istio-cni-kubeconfig"
	# the plugin directory of a node: Debian's plugins, meshinit-cni, and
	# meshinit-cni installed under the name of Istio's plugin
	ln -s "${MESHINIT_CNI:?}" "$T/bin/meshinit-cni"
	ln -s "$MESHINIT_CNI" "$T/bin/istio-cni"
	CNI_PATH="$CNI_PLUGIN_DIR:$T/bin"
	cp "$HERE/../../netns-tests/lib/mitool.py" "$T/mitool.py"
	api_start
}

# pod_json NS NAME [PYTHON-STATEMENTS]: a Pod as Istio's sidecar injector
# writes it with CNI enabled (istio-validation instead of istio-init), with
# the statements applied to `pod` (a dict) before it is written.
pod_json() {
	local ns=$1 name=$2 edit=${3:-}

	mkdir -p "$T/pods/$ns"
	"$PY" - "$T/pods/$ns/$name.json" "$ns" "$name" "$edit" <<-'PYEOF'
	import json, sys
	path, ns, name, edit = sys.argv[1:5]
	status = {"initContainers": ["istio-validation"], "containers": ["istio-proxy"],
	          "volumes": ["workload-socket", "istio-envoy", "istio-data", "istio-podinfo",
	                      "istio-token", "istiod-ca-cert"],
	          "imagePullSecrets": None, "revision": "default"}
	proxy = {"name": "istio-proxy", "image": "docker.io/istio/proxyv2:1.24.0",
	         "args": ["proxy", "sidecar", "--domain", ns + ".svc.cluster.local",
	                  "--proxyLogLevel=warning", "--proxyComponentLogLevel=misc:error",
	                  "--log_output_level=default:info"],
	         "ports": [{"containerPort": 15090, "name": "http-envoy-prom", "protocol": "TCP"}],
	         "env": [{"name": "PILOT_CERT_PROVIDER", "value": "istiod"},
	                 {"name": "CA_ADDR", "value": "istiod.istio-system.svc:15012"},
	                 {"name": "POD_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}},
	                 {"name": "INSTANCE_IP", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "status.podIP"}}},
	                 {"name": "ISTIO_META_CLUSTER_ID", "value": "Kubernetes"}],
	         "securityContext": {"allowPrivilegeEscalation": False,
	                             "capabilities": {"drop": ["ALL"]}, "privileged": False,
	                             "readOnlyRootFilesystem": True, "runAsGroup": 1337,
	                             "runAsNonRoot": True, "runAsUser": 1337}}
	validation = {"name": "istio-validation", "image": "registry.example.com/meshinit:0.1.0",
	              "args": ["istio-iptables", "-p", "15001", "-z", "15006", "-u", "1337",
	                       "-m", "REDIRECT", "-i", "*", "-x", "", "-b", "*",
	                       "-d", "15090,15021,15020", "--log_output_level=default:info",
	                       "--run-validation", "--skip-rule-apply"],
	              "securityContext": {"allowPrivilegeEscalation": False,
	                                  "capabilities": {"drop": ["ALL"]}, "privileged": False,
	                                  "readOnlyRootFilesystem": True, "runAsGroup": 1337,
	                                  "runAsNonRoot": True, "runAsUser": 1337}}
	pod = {"apiVersion": "v1", "kind": "Pod",
	       "metadata": {"name": name, "namespace": ns, "uid": "uid-" + name,
	                    "labels": {"app": name, "security.istio.io/tlsMode": "istio",
	                               "service.istio.io/canonical-name": name},
	                    "annotations": {"sidecar.istio.io/status": json.dumps(status),
	                                    "kubectl.kubernetes.io/default-container": "app",
	                                    "istio.io/rev": "default"}},
	       "spec": {"initContainers": [validation],
	                "containers": [{"name": "app", "image": "example.org/app:1",
	                                "securityContext": {"runAsUser": 1000}}, proxy]},
	       "status": {"phase": "Pending"}}
	ann = pod["metadata"]["annotations"]
	def env(k, v):
	    proxy["env"].append({"name": k, "value": v})
	exec(edit)
	with open(path, "w") as f:
	    json.dump(pod, f, indent=1)
	PYEOF
}
