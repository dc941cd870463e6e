#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The container image's root filesystem works as Kubernetes runs it: the
# binary FROM build/rootfs (its own libraries, passwd, group), as uid 1337
# with CAP_NET_ADMIN as its only capability, installs Istio's default
# rules in a fresh pod namespace, and they redirect a real connection.
# Without CAP_NET_ADMIN it fails with exit 1 and installs nothing.
#
#   ROOTFS=build/rootfs netns-tests/5000-rootfs-chroot.sh   (root; else exit 77)
set -u

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: needs root"
	exit 77
fi
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
if [ -z "${ROOTFS:-}" ] && [ ! -d "$repo/build/rootfs" ]; then
	echo "SKIP: no build/rootfs; make check-rootfs builds it and runs this"
	exit 77
fi
ROOTFS=$(cd "${ROOTFS:-$repo/build/rootfs}" 2>/dev/null && pwd) || {
	echo "FAIL: no rootfs at $ROOTFS (run make rootfs)"
	exit 1
}
CC=${CC:-cc}
# Debian's python3 (DEB_PKGS): a per-user one (pyenv shim under /root) is
# not readable by uid 1000/1337
PY=${PY:-/usr/bin/python3}
MAX_BYTES=$((3 * 1024 * 1024))

tag=mi-rootfs-$$
pod=$tag-pod
peer=$tag-peer
vpod=mirf$$a
vpeer=mirf$$b
net=10.251.$(($$ % 250 + 1))
tmp=$(mktemp -d)
pids=()
fails=0

cleanup() {
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	ip netns del "$pod" 2>/dev/null
	ip netns del "$peer" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
check() { # check DESCRIPTION COMMAND...
	local what=$1
	shift
	if "$@"; then ok "$what"; else bad "$what"; fi
}

# --- the rootfs holds only what meshinit needs ----------------------------
size=$(du -sb "$ROOTFS" | cut -f1)
echo "rootfs $ROOTFS: $size bytes"
check "rootfs content is at most 3 MiB ($size bytes)" test "$size" -le "$MAX_BYTES"
check "binary at /usr/local/bin/meshinit" test -x "$ROOTFS/usr/local/bin/meshinit"
check "istio-iptables is a symlink to meshinit" \
	test "$(readlink "$ROOTFS/usr/local/bin/istio-iptables")" = meshinit
check "no shell in the rootfs" test ! -e "$ROOTFS/bin/sh" -a ! -e "$ROOTFS/usr/bin/sh"
# every executable file is meshinit, a shared object or the loader
extra=$(cd "$ROOTFS" && find . -type f -perm -u+x ! -path ./usr/local/bin/meshinit \
	! -name '*.so' ! -name '*.so.*' -print)
check "no other executables${extra:+ (found: $extra)}" test -z "$extra"
check "istio-proxy is uid 1337" grep -qx 'istio-proxy:x:1337:1337:[^:]*:[^:]*:[^:]*' "$ROOTFS/etc/passwd"
check "istio-proxy is gid 1337" grep -qx 'istio-proxy:x:1337:' "$ROOTFS/etc/group"

# --- helper: chroot, then uid/gid 1337 with only CAP_NET_ADMIN -------------
helper=$tmp/chroot-netadmin
if ! "$CC" -O2 -Wall -Wextra -Werror -o "$helper" "$repo/packaging/test/chroot-netadmin.c"; then
	echo "FAIL: cannot build the helper"
	exit 1
fi
chmod 0755 "$tmp"

ip netns add "$pod" || exit 1
ip netns add "$peer" || exit 1
ip link add "$vpod" netns "$pod" type veth peer name "$vpeer" netns "$peer" || exit 1
ip -n "$pod" addr add "$net.1/24" dev "$vpod"
ip -n "$peer" addr add "$net.2/24" dev "$vpeer"
for ns in "$pod" "$peer"; do
	ip -n "$ns" link set lo up
done
ip -n "$pod" link set "$vpod" up
ip -n "$peer" link set "$vpeer" up

# in_pod [-n|-b] ARGS...: run meshinit from the rootfs in the pod namespace
# as 1337 (see packaging/test/chroot-netadmin.c for -n and -b)
in_pod() {
	local flag=()
	if [ "$1" = -n ] || [ "$1" = -b ]; then
		flag=("$1")
		shift
	fi
	ip netns exec "$pod" "$helper" "${flag[@]}" "$ROOTFS" 1337 1337 \
		/usr/local/bin/meshinit "$@"
}
ISTIO_ARGS=(-p 15001 -z 15006 -u 1337 -m REDIRECT -i '*' -x "" -b '*' -d 15090,15021,15020)

# --- runs from the rootfs: libraries, NSS, argv[0] -------------------------
in_pod --version >"$tmp/version" 2>"$tmp/version.err"
check "--version runs from the rootfs as 1337 with only CAP_NET_ADMIN" \
	grep -q 'uid=1337 gid=1337 groups=0 eff=0:0x1000 prm=0:0x1000 ambient_net_admin=1' "$tmp/version.err"
check "--version names libnftnl, libmnl and libcap" \
	bash -c "grep -q libnftnl '$tmp/version' && grep -q libmnl '$tmp/version' && grep -q libcap '$tmp/version'"

in_pod --dry-run -u istio-proxy -i '*' >"$tmp/name.nft" 2>/dev/null
check "-u istio-proxy resolves to 1337 through the rootfs' /etc/passwd" \
	grep -q 'proxy-uids { 1337 }' "$tmp/name.nft"
in_pod --dry-run -i '*' >"$tmp/default.nft" 2>/dev/null
check "the ENVOY_USER default (istio-proxy) resolves to 1337" \
	grep -q 'proxy-uids { 1337 }' "$tmp/default.nft"
in_pod --dry-run -u no-such-user -i '*' >/dev/null 2>"$tmp/nouser.err"
check "an unknown user name is an error" grep -q 'no-such-user' "$tmp/nouser.err"

in_pod istio-iptables --dry-run "${ISTIO_ARGS[@]}" >"$tmp/sub.nft" 2>/dev/null
ip netns exec "$pod" "$helper" "$ROOTFS" 1337 1337 /usr/local/bin/istio-iptables \
	--dry-run "${ISTIO_ARGS[@]}" >"$tmp/argv0.nft" 2>/dev/null
check "invoked as istio-iptables (argv[0]) = meshinit istio-iptables" \
	bash -c "test -s '$tmp/sub.nft' && cmp -s '$tmp/sub.nft' '$tmp/argv0.nft'"

# --- without CAP_NET_ADMIN: exit 1, names the capability, installs nothing -
in_pod -n istio-iptables "${ISTIO_ARGS[@]}" >"$tmp/nocap.out" 2>"$tmp/nocap.err"
rc=$?
check "without CAP_NET_ADMIN: exit 1 (got $rc)" test "$rc" = 1
check "without CAP_NET_ADMIN: the error names CAP_NET_ADMIN" grep -q CAP_NET_ADMIN "$tmp/nocap.err"
check "without CAP_NET_ADMIN: nothing installed" \
	test -z "$(ip netns exec "$pod" nft list tables)"

# --- Kubernetes' non-root case: NET_ADMIN only in the bounding set ---------
# (runAsUser: 1337, capabilities.add [NET_ADMIN], allowPrivilegeEscalation:
# true). No ambient set exists there, so only the binary's file capability
# cap_net_admin=p can make it work; without it the run must fail cleanly.
if command -v getcap >/dev/null && getcap "$ROOTFS/usr/local/bin/meshinit" | grep -q 'cap_net_admin=p'; then
	cp -a "$ROOTFS" "$tmp/nofilecaps"
	setcap -r "$tmp/nofilecaps/usr/local/bin/meshinit"
	ip netns exec "$pod" "$helper" -b "$tmp/nofilecaps" 1337 1337 /usr/local/bin/meshinit \
		istio-iptables "${ISTIO_ARGS[@]}" >/dev/null 2>"$tmp/nofc.err"
	rc=$?
	check "bounding set only, no file capability: exit 1 (got $rc)" test "$rc" = 1
	check "bounding set only, no file capability: error names CAP_NET_ADMIN" \
		grep -q CAP_NET_ADMIN "$tmp/nofc.err"
	check "bounding set only, no file capability: nothing installed" \
		test -z "$(ip netns exec "$pod" nft list tables)"
	in_pod -b istio-iptables "${ISTIO_ARGS[@]}" >/dev/null 2>"$tmp/fc.err"
	rc=$?
	check "bounding set only + file capability cap_net_admin=p: exit 0 (got $rc)" test "$rc" = 0
	[ "$rc" = 0 ] || cat "$tmp/fc.err"
	check "bounding set only + file capability: helper left nothing permitted" \
		grep -q 'uid=1337 gid=1337 groups=0 eff=0:0 prm=0:0 ambient_net_admin=0' "$tmp/fc.err"
	check "bounding set only + file capability: table inet meshinit installed" \
		bash -c "ip netns exec '$pod' nft list table inet meshinit >/dev/null 2>&1"
	in_pod cleanup >/dev/null 2>&1
	check "meshinit cleanup (from the rootfs) removes it" \
		test -z "$(ip netns exec "$pod" nft list tables)"
else
	echo "note: the rootfs binary has no file capability (ROOTFS_FILECAPS=0?): non-root bounding-set case not tested"
fi

# --- with CAP_NET_ADMIN only: Istio's default rules --------------------------
in_pod istio-iptables "${ISTIO_ARGS[@]}" --log_output_level=default:info \
	>"$tmp/install.out" 2>"$tmp/install.err"
rc=$?
check "as 1337 with CAP_NET_ADMIN: exit 0 (got $rc)" test "$rc" = 0
[ "$rc" = 0 ] || cat "$tmp/install.err"
ip netns exec "$pod" nft list ruleset >"$tmp/ruleset"
check "table inet meshinit is installed" grep -q '^table inet meshinit {' "$tmp/ruleset"
check "chain istio-output is installed" grep -q 'chain istio-output {' "$tmp/ruleset"

# --- a real redirect ----------------------------------------------------------
cat >"$tmp/server.py" <<'EOF'
import os, socket, struct, sys
port, ready, count, mode = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
SO_ORIGINAL_DST = 80
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", port))
s.listen(8)
open(ready, "w").close()
for _ in range(count):
    c, _ = s.accept()
    if mode == "proxy":
        raw = c.getsockopt(socket.SOL_IP, SO_ORIGINAL_DST, 16)
        dport = struct.unpack("!H", raw[2:4])[0]
        msg = "proxy orig=%s:%d uid=%d" % (socket.inet_ntoa(raw[4:8]), dport, os.getuid())
    else:
        msg = "peer"
    c.sendall(msg.encode())
    c.close()
EOF
cat >"$tmp/client.py" <<'EOF'
import socket, sys
c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
print(c.recv(200).decode())
EOF
chmod 0644 "$tmp/server.py" "$tmp/client.py"
mkdir -m 0777 "$tmp/ready"

ip netns exec "$pod" setpriv --reuid 1337 --regid 1337 --clear-groups \
	"$PY" "$tmp/server.py" 15001 "$tmp/ready/proxy" 1 proxy &
pids+=($!)
ip netns exec "$peer" "$PY" "$tmp/server.py" 8080 "$tmp/ready/peer" 1 peer &
pids+=($!)
for _ in $(seq 100); do
	[ -e "$tmp/ready/proxy" ] && [ -e "$tmp/ready/peer" ] && break
	sleep 0.1
done

app=$(ip netns exec "$pod" setpriv --reuid 1000 --regid 1000 --clear-groups \
	"$PY" "$tmp/client.py" "$net.2" 8080 2>&1)
check "app (uid 1000) to $net.2:8080 is redirected to the proxy on 15001 (got '$app')" \
	test "$app" = "proxy orig=$net.2:8080 uid=1337"
proxy=$(ip netns exec "$pod" setpriv --reuid 1337 --regid 1337 --clear-groups \
	"$PY" "$tmp/client.py" "$net.2" 8080 2>&1)
check "proxy (uid 1337) to $net.2:8080 reaches the peer (got '$proxy')" test "$proxy" = peer

if [ "$fails" -ne 0 ]; then
	echo "5000-rootfs-chroot: $fails check(s) failed"
	exit 1
fi
echo "5000-rootfs-chroot: all checks passed"
