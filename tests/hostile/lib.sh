# shellcheck shell=bash
# Helpers for tests/hostile/*.sh, which run INSIDE a throw-away user+network
# namespace (run.sh starts them under unshare -Urn).
set -u
MESHINIT=${MESHINIT:?MESHINIT unset}
PASS=0 FAIL=0 SKIP=0
SUITE=$(basename "$0" .sh)
T=$(mktemp -d "${TMPDIR:-/tmp}/mi-hostile-$SUITE.XXXXXX")
trap 'rm -rf "$T"' EXIT

pass() { PASS=$((PASS + 1)); echo "$SUITE: ok - $*"; }
fail() { FAIL=$((FAIL + 1)); echo "$SUITE: FAIL - $*"; }
skip() { SKIP=$((SKIP + 1)); echo "$SUITE: SKIP - $*"; }
finish() {
	echo "$SUITE: $PASS passed, $FAIL failed, $SKIP skipped"
	[ "$FAIL" -eq 0 ]
	exit
}

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

# same A B WHAT: pass when the files are identical, else show a diff
same() {
	if cmp -s "$1" "$2"; then
		pass "$3"
	else
		fail "$3"; diff -u "$1" "$2" | head -40
	fi
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
