# shellcheck shell=bash
# Helpers for tests/hostile/*.sh, which run INSIDE a throw-away user+network
# namespace (run.sh starts them under unshare -Urn).
set -u
MESHINIT=${MESHINIT:?MESHINIT unset}
SUITE=$(basename "$0" .sh)
TEST_NAME=$SUITE
# ok, not_ok, expect_same, skipped, finish, ...: the shared test vocabulary
. "$(dirname "${BASH_SOURCE[0]}")/../lib/testlib.sh"
T=$(mktemp -d "${TMPDIR:-/tmp}/mi-hostile-$SUITE.XXXXXX")
trap 'rm -rf "$T"' EXIT


# snapshot FILE: everything a run could change, byte for byte
snapshot() {
	{
		echo "== nft -a list ruleset"; nft -a list ruleset
		echo "== ip rule"; ip rule
		echo "== ip -6 rule"; ip -6 rule 2>&1
		echo "== ip route show table all"; ip route show table all
		echo "== ip -6 route show table all"; ip -6 route show table all 2>&1
		echo "== ip addr"; ip addr
	} > "$1" 2>&1
}


# one_line FILE: stderr of a failed run is exactly one "error: " line
one_line() {
	[ "$(wc -l < "$1")" -eq 1 ] && grep -q '^error: ' "$1"
}

# pod: lo up and an eth0 (veth; the kernel here has no dummy links)
pod() {
	ip link set lo up
	ip link add eth0 type veth peer name peer0
	ip addr add 10.1.0.5/24 dev eth0
	ip link set eth0 up
	ip link set peer0 up
}
