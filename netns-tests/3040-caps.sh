#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Capabilities: narrowed to CAP_NET_ADMIN with no_new_privs, then none;
# refused without CAP_NET_ADMIN before anything is sent; an ambient
# CAP_NET_ADMIN for a non-root uid is enough.
set -u
. "$(dirname "$0")/lib/ns.sh"
ns_init pod
P=mi-dbg-$$-pod
ARGS=(-p 15001 -z 15006 -u 1337 -m REDIRECT -i '*' -b '*')
installed() { ip netns exec $P nft list table inet meshinit >/dev/null 2>&1; }
field() { # <tag> <field>
	sed -n "/^@$1\$/,/^@/p" "$T/caps" | sed -n "s/^$2:[[:space:]]*//p" | head -1
}

# the snapshots are a test hook: only the test build writes them
[ -x "${MESHINIT_TEST:-}" ] || fail "no test build at ${MESHINIT_TEST:-} (make build/meshinit-test)"
MESHINIT_TEST_CAPS_FILE=$T/caps $MESHINIT_TEST --netns $P "${ARGS[@]}" >"$T/log" 2>&1 ||
	fail "install as root: $(cat "$T/log")"
[ -s "$T/caps" ] || fail "no capability snapshots written"
[ "$(field after-narrow CapEff)" = 0000000000001000 ] || fail "after narrow, CapEff=$(field after-narrow CapEff)"
[ "$(field after-narrow CapPrm)" = 0000000000001000 ] || fail "after narrow, CapPrm=$(field after-narrow CapPrm)"
[ "$(field after-narrow CapInh)" = 0000000000000000 ] || fail "after narrow, CapInh=$(field after-narrow CapInh)"
[ "$(field after-narrow NoNewPrivs)" = 1 ] || fail "after narrow, NoNewPrivs=$(field after-narrow NoNewPrivs)"
[ "$(field after-drop CapEff)" = 0000000000000000 ] || fail "after drop, CapEff=$(field after-drop CapEff)"
[ "$(field after-drop CapPrm)" = 0000000000000000 ] || fail "after drop, CapPrm=$(field after-drop CapPrm)"
installed || fail "root install did not install"
echo "ok: narrowed to CAP_NET_ADMIN, then dropped"

$MESHINIT cleanup --netns $P >/dev/null 2>&1
setpriv --reuid 1000 --regid 1000 --clear-groups -- true 2>/dev/null || { echo "SKIP: setpriv"; exit 77; }
ip netns exec $P setpriv --reuid 1000 --regid 1000 --clear-groups \
	$MESHINIT "${ARGS[@]}" >"$T/out" 2>"$T/err"
rc=$?
[ $rc -eq 1 ] || fail "uid 1000 without NET_ADMIN: exit $rc, want 1"
grep -q "CAP_NET_ADMIN is required" "$T/err" || fail "uid 1000: message: $(cat "$T/err")"
installed && fail "uid 1000 without NET_ADMIN installed something"
echo "ok: without CAP_NET_ADMIN -> exit 1, nothing installed"

ip netns exec $P setpriv --reuid 1000 --regid 1000 --clear-groups \
	--inh-caps=+net_admin --ambient-caps=+net_admin \
	$MESHINIT "${ARGS[@]}" >"$T/out" 2>"$T/err" || fail "uid 1000 with ambient NET_ADMIN: exit $?: $(cat "$T/err")"
installed || fail "uid 1000 with ambient NET_ADMIN: not installed"
echo "ok: ambient CAP_NET_ADMIN as uid 1000 installs"
