# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# The prologue of tests that need bare namespaces rather than a whole pod
# (lib/pod.sh). Source it, then:
#
#   ns_init NAME...   skip (77) unless root; temp dir $T (mode 0755);
#                     namespaces mi-dbg-PID-NAME with lo up; everything
#                     removed on exit, also on failure
#   ns_pid PID        also kill PID on exit
#   fail, ok, check, finish, ...: tests/lib/testlib.sh

. "$(dirname "${BASH_SOURCE[0]}")/../../tests/lib/testlib.sh"

MESHINIT=${MESHINIT:-./meshinit}
NS_LIST=()
NS_PIDS=()

ns_cleanup() {
	local pid ns

	for pid in "${NS_PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	for ns in "${NS_LIST[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	[ -n "${T:-}" ] && rm -rf "$T"
}

ns_init() {
	local name ns

	[ "$(id -u)" -eq 0 ] || skip "needs root"
	T=$(mktemp -d) || fail "mktemp"
	chmod 755 "$T"
	trap ns_cleanup EXIT
	for name; do
		ns="mi-dbg-$$-$name"
		ip netns add "$ns" || fail "cannot create namespace $ns"
		NS_LIST+=("$ns")
		ip -n "$ns" link set lo up
	done
}

ns_pid() {
	NS_PIDS+=("$1")
}
