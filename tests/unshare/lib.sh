# shellcheck shell=bash
# Helpers for tests/unshare/*.sh. Each test sources this, then runs its
# steps in throw-away user+network namespaces (unshare -Urn): no root
# needed when unprivileged user namespaces are allowed, nothing on the
# host is touched, and a namespace vanishes with its last process.
set -euo pipefail

MESHINIT=${MESHINIT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/meshinit-san}
export MESHINIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# every test writes only below $T, removed on exit
T=$(mktemp -d "${TMPDIR:-/tmp}/mi-unshare.XXXXXX")
export T
trap 'rm -rf "$T"' EXIT

# ok, fail, skip, same, finish, ...: the shared test vocabulary
. "$(dirname "${BASH_SOURCE[0]}")/../lib/testlib.sh"

command -v unshare >/dev/null || skip "unshare not installed"
command -v nft >/dev/null || skip "nft not installed"
# the system python: a version manager's shim costs a second a call
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3 || true)
[ -n "$PY" ] || skip "python3 not installed"
export PY
[ -x "$MESHINIT" ] || fail "no meshinit binary at $MESHINIT (make build/meshinit-san)"
unshare -Urn true 2>/dev/null || skip "cannot create user+network namespaces (unshare -Urn)"

# in_ns SCRIPT: run bash SCRIPT in a fresh user+net namespace. $MESHINIT and
# $T are exported; the script's exit status is returned.
in_ns() {
	unshare -Urn bash -euo pipefail -c "ip link set lo up 2>/dev/null || true; $1"
}

# Strip the parts of `nft -j list ruleset` that differ between two equal
# rulesets built in different ways: handles (and the metainfo block).
json_norm() {
	"$PY" -c '
import json, sys
def strip(o):
    if isinstance(o, dict):
        return {k: strip(v) for k, v in o.items() if k != "handle"}
    if isinstance(o, list):
        return [strip(v) for v in o]
    return o
d = json.load(open(sys.argv[1]))
d["nftables"] = [strip(x) for x in d["nftables"] if "metainfo" not in x]
json.dump(d, sys.stdout, indent=1, sort_keys=True)
print()
' "$1"
}
