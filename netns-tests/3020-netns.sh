#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# --netns / MESHINIT_NETNS: by name, by path, by pid; a bad name fails
# with exit 1 and an error naming it; nothing leaks into the caller's ns.
set -u
. "$(dirname "$0")/lib/ns.sh"
ns_init pod other
P=mi-dbg-$$-pod R=mi-dbg-$$-other
ARGS=(-p 15001 -z 15006 -u 1337 -m REDIRECT -i '*' -b '*')

# by name
$MESHINIT --netns $P "${ARGS[@]}" >"$T/log" 2>&1 || fail "install by name: $(cat "$T/log")"
ip netns exec $P nft list table inet meshinit >/dev/null 2>&1 || fail "by name: not installed in $P"
ip netns exec $R nft list table inet meshinit >/dev/null 2>&1 && fail "by name: installed in $R too"
$MESHINIT status --netns $P >/dev/null || fail "status by name"
echo "ok: by name"

# by path, and through the environment
$MESHINIT status --netns /var/run/netns/$P >/dev/null || fail "status by path"
MESHINIT_NETNS=/var/run/netns/$R $MESHINIT "${ARGS[@]}" >"$T/log" 2>&1 || fail "install by env path: $(cat "$T/log")"
ip netns exec $R nft list table inet meshinit >/dev/null 2>&1 || fail "by env path: not installed in $R"
echo "ok: by path (flag and MESHINIT_NETNS)"

# by pid of a process inside the namespace
ip netns exec $P sleep 300 &
SLEEPER=$!
ns_pid "$SLEEPER"
for _ in 1 2 3 4 5 6 7 8 9 10; do
	[ "$(readlink /proc/$SLEEPER/ns/net)" = "$(ip netns exec $P readlink /proc/self/ns/net)" ] && break
	sleep 0.2
done
$MESHINIT verify --netns "$SLEEPER" "${ARGS[@]}" >"$T/out" 2>&1 || fail "verify by pid: $(cat "$T/out")"
$MESHINIT cleanup --netns "$SLEEPER" >"$T/log" 2>&1 || fail "cleanup by pid"
ip netns exec $P nft list table inet meshinit >/dev/null 2>&1 && fail "by pid: cleanup did not reach $P"
echo "ok: by pid"

# bad name
$MESHINIT status --netns mi-dbg-no-such-ns >"$T/out" 2>"$T/err"
rc=$?
[ $rc -eq 1 ] || fail "bad name: exit $rc, want 1"
grep -q "mi-dbg-no-such-ns" "$T/err" || fail "bad name: error does not name it: $(cat "$T/err")"
grep -q "No such file" "$T/err" || fail "bad name: error gives no reason: $(cat "$T/err")"
$MESHINIT "${ARGS[@]}" --netns /proc/self/ns/mnt >"$T/out" 2>"$T/err"
[ $? -eq 1 ] || fail "not a netns: want exit 1"
grep -q "/proc/self/ns/mnt" "$T/err" || fail "not a netns: error does not name it"
echo "ok: bad namespaces -> exit 1, named"
