#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The conformance cases (../shared/conformance) through meshinit-cni: each
# case's flags become a Pod served by the API stand-in, and the plugin's ADD
# programs the case's sut pod (tests/cni/conformance-sut). Cases whose
# flags Istio's CNI plugin cannot produce from any Pod are listed with the
# reason and not run. Run as specified and with IPv6 forced into every case
# (HARNESS_FORCE_V6=1), as make check-conformance does. 0 mismatches. Root.
set -u
TEST_NAME=cni-conformance
. "$(dirname "$0")/lib.sh"

CONFORMANCE_DIR=${CONFORMANCE_DIR:-$HERE/../../../shared/conformance}
[ -x "$CONFORMANCE_DIR/run-all" ] || fail "$CONFORMANCE_DIR/run-all not found (set CONFORMANCE_DIR)"
cni_init

cat > "$T/conformance.conf" <<CONF
{"cniVersion": "1.0.0", "name": "k8s-pod-network", "type": "meshinit-cni",
 "cni_agent_run_dir": "$T/run", "exclude_namespaces": ["kube-system"],
 "plugin_log_level": "info", "pod_namespace": "istio-system",
 "prevResult": {"cniVersion": "1.0.0", "interfaces": [{"name": "eth0"}], "ips": []}}
CONF
export MI_CNI_T=$T MI_CNI_NODE=$NODE MI_CNI_PATH=$CNI_PATH MESHINIT_CNI

cases=()
for f in "$CONFORMANCE_DIR"/cases/*.case; do
	# shellcheck disable=SC1090
	NAME=$(. "$f"; echo "$NAME")
	ARGS=$(. "$f"; echo "$ARGS")
	if why=$(eval "\"$HERE/conformance-sut\" --expressible $ARGS"); then
		cases+=("$NAME")
	else
		echo "# not run: $NAME: ${why#not expressible as a Pod: }"
	fi
done
echo "# through the plugin: ${#cases[@]} cases: ${cases[*]}"
for v6 in "" 1; do
	log="$T/conformance${v6:+-force-v6}.txt"
	HARNESS_FORCE_V6=$v6 "$CONFORMANCE_DIR/run-all" --sut-cmd "$HERE/conformance-sut" \
		"${cases[@]}" > "$log" 2>&1
	r=$?
	what="conformance through meshinit-cni${v6:+ (HARNESS_FORCE_V6=1)}: $(tail -n 1 "$log")"
	if [ $r -eq 0 ] && grep -q '^TOTAL: .* 0 mismatches, 0 cases failed' "$log"; then
		ok "$what"
	else
		cat "$log"
		not_ok "$what"
	fi
done
finish
