#!/usr/bin/env bash
# --check sends the whole transaction for validation and aborts it:
# exit 0 for a valid config and the ruleset unchanged (fresh namespace and
# one with a previous install); a batch the kernel rejects gives exit 1,
# still with nothing changed.
. "$(dirname "$0")/lib.sh"

for state in fresh previous; do
	export STATE=$state
	in_ns '
	if [ "$STATE" = previous ]; then
		"$MESHINIT" -u 1000 -b 80 -i 172.16.0.0/12 --ipv6 off >/dev/null 2>&1 || exit 5
	fi
	nft list ruleset >"$T/before"
	set +e
	"$MESHINIT" --check istio-iptables -p 15001 -z 15006 -u 1337 -m REDIRECT -i "*" -x "" \
		-b "*" -d 15090,15021,15020 --ipv6 on >"$T/out" 2>&1
	echo $? >"$T/rc"
	nft list ruleset >"$T/after"
	MESHINIT_FAULT_INJECT=last "$MESHINIT" --check -i "*" --ipv6 on >"$T/out2" 2>"$T/err2"
	echo $? >"$T/rc2"
	nft list ruleset >"$T/after2"
	"$MESHINIT" --check --cleanup-only >"$T/out3" 2>&1
	echo $? >"$T/rc3"
	nft list ruleset >"$T/after3"
	' || fail "$state: namespace setup failed (exit $?)"
	[ "$(cat "$T/rc")" = 0 ] || { cat "$T/out" >&2; fail "$state: --check exit $(cat "$T/rc")"; }
	grep -q "check passed" "$T/out" || fail "$state: no 'check passed' log line"
	same "$T/before" "$T/after" "$state: --check changed the ruleset"
	ok "$state: --check of the default config exits 0, ruleset unchanged"
	[ "$(cat "$T/rc2")" = 1 ] || fail "$state: --check of a rejected batch exit $(cat "$T/rc2"), want 1"
	grep -q "kernel rejected" "$T/err2" || fail "$state: no rejection message: $(cat "$T/err2")"
	same "$T/before" "$T/after2" "$state: a rejected --check changed the ruleset"
	ok "$state: --check of a batch the kernel rejects exits 1, ruleset unchanged"
	[ "$(cat "$T/rc3")" = 0 ] || { cat "$T/out3" >&2; fail "$state: --check --cleanup-only exit $(cat "$T/rc3")"; }
	same "$T/before" "$T/after3" "$state: --check --cleanup-only removed something"
	ok "$state: --check --cleanup-only exits 0 and removes nothing"
done
finish
