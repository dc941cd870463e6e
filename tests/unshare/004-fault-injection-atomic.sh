#!/usr/bin/env bash
# Atomicity: MESHINIT_FAULT_INJECT=first|middle|last puts an invalid rule
# at that position of the batch, so the kernel rejects the transaction.
# meshinit must exit 1, name the rejected item on stderr, and leave
# `nft list ruleset` byte-identical, both in a fresh namespace and in one
# holding a previous, different install (plus a foreign table).
. "$(dirname "$0")/lib.sh"

for state in fresh previous; do
	for pos in first middle last; do
		export STATE=$state POS=$pos
		in_ns '
		if [ "$STATE" = previous ]; then
			nft add table ip foreign
			nft add chain ip foreign out "{ type filter hook output priority 0; }"
			"$MESHINIT" -u 1000 -b 80,443 -i 172.16.0.0/12 --ipv6 off >/dev/null 2>&1 || exit 5
		fi
		nft list ruleset >"$T/before"
		set +e
		MESHINIT_FAULT_INJECT=$POS "$MESHINIT" istio-iptables -p 15001 -z 15006 -u 1337 \
			-m REDIRECT -i "*" -x 10.0.0.0/8 -b "*" -d 15090,15021,15020 --ipv6 on \
			--redirect-dns --capture-all-dns >"$T/out" 2>"$T/err"
		echo $? >"$T/rc"
		nft list ruleset >"$T/after"
		' || fail "$state/$pos: namespace setup failed (exit $?)"
		rc=$(cat "$T/rc")
		[ "$rc" = 1 ] || { cat "$T/err" >&2; fail "$state/$pos: exit $rc, want 1"; }
		grep -q "^error: kernel rejected injected fault rule" "$T/err" ||
			fail "$state/$pos: stderr does not name the rejected item: $(cat "$T/err")"
		same "$T/before" "$T/after" "$state/$pos: the ruleset changed although the batch was rejected"
		if [ $state = previous ]; then
			grep -q "redirect to :15001" "$T/after" || fail "$state/$pos: the previous install is gone"
			grep -q "table ip foreign" "$T/after" || fail "$state/$pos: the foreign table is gone"
		else
			grep -q meshinit "$T/after" && fail "$state/$pos: a meshinit table appeared"
		fi
		ok "$state namespace, fault at the $pos message: exit 1, '$(head -c 60 "$T/err")...', ruleset unchanged"
	done
done

# without the fault the same config applies (the fault is what failed)
in_ns '"$MESHINIT" -i "*" -x 10.0.0.0/8 -b "*" --ipv6 on --redirect-dns --capture-all-dns >/dev/null 2>"$T/err"' ||
	fail "the config itself does not apply: $(cat "$T/err")"
ok "the same config applies without MESHINIT_FAULT_INJECT"
# an unknown position is a usage error, not silently ignored
in_ns 'MESHINIT_FAULT_INJECT=sometimes "$MESHINIT" --ipv6 off >/dev/null 2>"$T/err"; echo $? >"$T/rc"' || true
[ "$(cat "$T/rc")" = 1 ] && grep -q MESHINIT_FAULT_INJECT "$T/err" ||
	fail "MESHINIT_FAULT_INJECT=sometimes: exit $(cat "$T/rc"), $(cat "$T/err")"
ok "MESHINIT_FAULT_INJECT=sometimes is refused with exit 1"
finish
