#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# First-install cost on a freshly booted distribution kernel, run inside a
# check-kernels guest (tests/kernels/guest.sh, suite "firstinstall") as the
# first thing after boot: nf_tables, nat, redir, conntrack, tproxy are
# modules there, loaded by the kernel on the first use (module autoload).
# Installs Istio's default REDIRECT config in fresh namespace 1 (the first
# install after boot), then the same in fresh namespace 2 (modules already
# loaded), then TPROXY in namespaces 3 and 4. Reports wall-clock times and
# the modules the first install loaded; asserts nothing.
#   bench/kernels-first-install.sh MESHINIT
# prints lines "first-install: KEY=VALUE ..." (parsed by tests/kernels/run.sh)
set -u
M=${1:?usage: kernels-first-install.sh MESHINIT}
nss=()
cleanup() { for n in "${nss[@]}"; do ip netns del "$n" 2>/dev/null; done; }
trap cleanup EXIT

# loaded modules (none listed on a kernel without module support)
mods() { [ -r /proc/modules ] && awk '{print $1}' /proc/modules | sort; }
ms() { echo $(($(date +%s%N) / 1000000)); }
# fresh NAME: a new pod namespace $n: lo, a veth with IPv4 and IPv6
fresh() {
	n=mi-kb-$$-$1
	ip netns add "$n" && nss+=("$n")
	ip -n "$n" link set lo up
	ip -n "$n" link add eth0 type veth peer name peer0
	ip -n "$n" addr add 10.1.0.5/24 dev eth0
	ip -n "$n" addr add fd00::5/64 dev eth0 nodad
	ip -n "$n" link set eth0 up
	ip -n "$n" link set peer0 up
}
REDIRECT=(istio-iptables -p 15001 -z 15006 -u 1337 -g 1337 -m REDIRECT -i '*' -b '*' -d 15090,15021,15020)
TPROXY=(istio-iptables -p 15001 -z 15006 -u 1337 -g 1337 -m TPROXY -i '*' -b '*' -d 15090,15021,15020)

# install NAME ARGS...: time one install in a fresh namespace (ms) and
# name the modules it made the kernel load
install() {
	local what=$1 t0 t1 rc before after
	shift
	fresh "$what"
	before=$(mods)
	t0=$(ms)
	ip netns exec "$n" "$M" "$@" >/dev/null 2>&1
	rc=$?
	t1=$(ms)
	after=$(mods)
	echo "first-install: kernel=$(uname -r) step=$what ms=$((t1 - t0)) exit=$rc loaded=$(comm -13 <(echo "$before") <(echo "$after") | paste -sd, -)"
}

echo "first-install: kernel=$(uname -r) nf_tables_loaded_before=$(mods | grep -c '^nf_tables$') modules_before=$(mods | grep -c .)"
install redirect-first "${REDIRECT[@]}"
install redirect-second "${REDIRECT[@]}"
install tproxy-first "${TPROXY[@]}"
install tproxy-second "${TPROXY[@]}"
