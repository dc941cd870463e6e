#!/usr/bin/env bash
# The three install paths, watched with `nft monitor` (an independent
# reader of every transaction the kernel commits):
#  - first install (no table of ours): one transaction that only adds,
#    no "delete table" (a delete costs an RCU wait at socket close);
#  - identical rerun: no transaction at all, counters and rule handles
#    unchanged, the log says nothing changed;
#  - changed config: one transaction that replaces the table;
#  - a table that appears between the look-up and the commit (the test
#    build's MESHINIT_TEST_LOOKUP_MISS makes the look-up miss it): the
#    create-only batch fails whole, the run replaces the table instead;
#  - cleanup: one transaction; cleanup with nothing installed: none
#    that changes anything.
. "$(dirname "$0")/lib.sh"

# the monitor's lines after the begin marker's transaction, before the end one
cat >"$T/between.awk" <<'AWK'
$0 == "delete table ip mi-sync-begin" { on = 0; skip = 1; next }
skip && /^# new generation/ { skip = 0; on = 1; next }
$0 == "add table ip mi-sync-end" { exit }
on { print }
AWK

in_ns '
set +e
A="-p 15001 -z 15006 -u 1337 -m REDIRECT -i * -b * -x 10.0.0.0/8 --ipv6 off"
B="-p 15002 -z 15006 -u 1337 -m REDIRECT -i * -b * -x 10.0.0.0/8 --ipv6 off"
# mark STEP WHAT: a throw-away table added and deleted until the monitor of
# STEP has seen it: then the monitor is listening (begin), or has caught up
# with everything before it (end). No sleep to guess either.
mark() {
	for i in $(seq 400); do
		nft add table ip "mi-sync-$2" && nft delete table ip "mi-sync-$2"
		grep -qx "delete table ip mi-sync-$2" "$T/raw.$1" && return 0
		sleep 0.05
	done
	echo "nft monitor never saw the $2 marker of $1" >>"$T/rcs"
}
# watch STEP CMD...: run CMD with nft monitor recording into $T/mon.STEP
# what the kernel committed between the two markers
watch() {
	step=$1; shift
	nft monitor >"$T/raw.$step" 2>&1 & mon=$!
	mark "$step" begin
	"$@" >"$T/log.$step" 2>&1; echo "$step $?" >>"$T/rcs"
	mark "$step" end
	kill $mon; wait $mon 2>/dev/null
	awk -f "$T/between.awk" "$T/raw.$step" >"$T/mon.$step"
}
set -f
watch fresh "$MESHINIT" $A
# traffic through the output chain: counters that must survive a rerun
for i in 1 2 3; do timeout 1 bash -c "echo >/dev/tcp/127.0.0.1/9" 2>/dev/null; done
nft -a list table inet meshinit >"$T/a1"
watch rerun "$MESHINIT" $A
nft -a list table inet meshinit >"$T/a2"
# a table that only looks the same is repaired, not taken as in place
nft add table inet meshinit "{ flags dormant; }"
"$MESHINIT" $A >"$T/log.dormant" 2>&1; echo "dormant $?" >>"$T/rcs"
nft list table inet meshinit >"$T/dormant"
nft add chain inet meshinit nat-output "{ type nat hook output priority -100; policy drop; }"
"$MESHINIT" $A >"$T/log.policy" 2>&1; echo "policy $?" >>"$T/rcs"
nft list table inet meshinit >"$T/policy"
watch change "$MESHINIT" $B
nft list table inet meshinit >"$T/b1"
watch race env MESHINIT_TEST_LOOKUP_MISS=1 "$MESHINIT" $A
nft list table inet meshinit >"$T/race"
watch cleanup "$MESHINIT" cleanup
watch cleanup-none "$MESHINIT" cleanup
nft list ruleset >"$T/c1"
exit 0
' || fail "namespace setup failed (exit $?)"

if grep -v " 0$" "$T/rcs"; then
	cat "$T"/log.* >&2
	fail "a meshinit run failed"
fi
ok "install, rerun, change, cleanup, cleanup again: all exit 0"

gens() { grep -c "^# new generation" "$1" || true; }
grep -E -q "^(add|create) table inet meshinit" "$T/mon.fresh" ||
	fail "nft monitor saw no add table on the first install: $(cat "$T/mon.fresh")"
grep -q "^delete table" "$T/mon.fresh" &&
	fail "the first install deleted a table: $(grep -n "delete" "$T/mon.fresh")"
[ "$(gens "$T/mon.fresh")" = 1 ] || fail "first install: $(gens "$T/mon.fresh") transactions, expected 1"
ok "first install: one transaction, no delete"

[ -s "$T/mon.rerun" ] && fail "identical rerun committed something: $(head -5 "$T/mon.rerun")"
grep -E -q "packets [1-9]" "$T/a1" || fail "no counter moved before the rerun (the test traffic missed): $(grep counter "$T/a1" | head -3)"
same "$T/a1" "$T/a2" "identical rerun changed the table (counters or handles)"
grep -q "nothing changed" "$T/log.rerun" || fail "identical rerun did not log that nothing changed: $(cat "$T/log.rerun")"
ok "identical rerun: no transaction, counters and handles kept, logged as nothing changed"

nocount() { sed -E "s/packets [0-9]+ bytes [0-9]+//" "$1"; }
nft_plain() { nocount "$1" | sed -E "s/ # handle [0-9]+//"; }
grep -q "nothing changed" "$T/log.dormant" && fail "a dormant table was taken as in place"
grep -q dormant "$T/dormant" && fail "rerun left the table dormant"
grep -q "policy drop" "$T/policy" && fail "rerun left a chain policy drop"
same <(nft_plain "$T/a1") <(nft_plain "$T/policy") "repaired table differs from the original install"
ok "a dormant table, a chain policy changed to drop: the rerun replaces the table"

[ "$(gens "$T/mon.change")" = 1 ] || fail "changed config: $(gens "$T/mon.change") transactions, expected 1"
grep -q "^delete table inet meshinit" "$T/mon.change" || fail "changed config did not replace the table: $(cat "$T/mon.change")"
grep -q "redirect to :15002" "$T/b1" || fail "changed config not installed"
grep -q "redirect to :15001" "$T/b1" && fail "old config left behind"
ok "changed config: one transaction replacing the table"

grep -q "appeared after the look-up" "$T/log.race" ||
	fail "the racing table was not detected: $(cat "$T/log.race")"
[ "$(gens "$T/mon.race")" = 1 ] || fail "race: $(gens "$T/mon.race") transactions, expected 1 (the replace)"
grep -q "redirect to :15001" "$T/race" || fail "race: config A not installed"
grep -q "redirect to :15002" "$T/race" && fail "race: config B left behind (added to instead of replaced)"
[ "$(grep -c "chain nat-output {" "$T/race")" = 1 ] || fail "race: chains doubled"
ok "a table that appeared after the look-up: the create-only batch changed nothing, one replace followed"

[ "$(gens "$T/mon.cleanup")" = 1 ] || fail "cleanup: $(gens "$T/mon.cleanup") transactions, expected 1"
grep -q "^delete table inet meshinit" "$T/mon.cleanup" || fail "cleanup did not delete the table"
grep -q "^delete\|^add" "$T/mon.cleanup-none" && fail "cleanup of nothing changed something: $(cat "$T/mon.cleanup-none")"
[ -s "$T/c1" ] && fail "ruleset not empty after cleanup: $(cat "$T/c1")"
ok "cleanup: one transaction; cleanup of nothing: no change"
finish
