#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# meshinit trace: started in the background (--netns), it prints the
# chains and rules a real connection traverses (with the rules' text and
# comments); SIGINT and SIGTERM stop it with exit 0 and table inet
# meshinit-trace removed; --uid/--gid filter; a stale trace table is
# replaced; a bad filter value is a one-line error (exit 1).
set -u
. "$(dirname "$0")/lib/pod.sh"

pod_init x4010
pod_create
cp "$MESHINIT" "$POD_TMP/meshinit" && MESHINIT=$POD_TMP/meshinit

listen_pod proxy-out 15001 --uid 1337 --gid 1337
listen_peer peer 80
meshinit_pod -p 15001 -z 15006 -u 1337 -g 1337 -m REDIRECT -i '*' -x '' -b '*' \
	-d 15090,15021,15020 || fail "install failed: $(cat "$POD_TMP/meshinit.log")"

has() { grep -q -- "$1" "$2"; }
no_trace_table() { ! in_pod nft list tables | grep -q meshinit-trace; }

TRACE_PID=
# trace_start OUT ARGS...: start, wait for the "tracing" line
trace_start() {
	local out=$1 i
	shift
	"$MESHINIT" trace --netns "$POD_NS" "$@" >"$out" 2>&1 &
	TRACE_PID=$!
	POD_PIDS+=("$TRACE_PID")
	for i in $(seq 1 100); do
		has '^tracing' "$out" && return 0
		pid_alive "$TRACE_PID" || break
		sleep 0.05
	done
	fail "trace did not start: $(cat "$out")"
}

# trace_stop SIGNAL: the exit status of the trace
trace_stop() {
	kill -"$1" "$TRACE_PID"
	wait "$TRACE_PID"
}

# 1: SIGINT
out=$POD_TMP/trace1.out
trace_start "$out" --dst 10.78.0.1:80 --proto tcp
check "the trace table exists while tracing" \
	sh -c "ip netns exec $POD_NS nft list tables | grep -q 'table inet meshinit-trace'"
ans=$(client 1000 1000 10.78.0.1 80)
expect "the traced connection lands on the proxy" "$ans" label=proxy-out
sleep 0.3	# let the last events arrive (not a timing assertion)
trace_stop INT
check "SIGINT: trace exits 0" test $? -eq 0
check "trace shows nat-output rule 1 (jump istio-output)" \
	has 'inet meshinit nat-output  *rule 1 .*jump istio-output  # outbound capture' "$out"
check "trace shows istio-output rule 7 (-i '*' capture)" \
	has "inet meshinit istio-output  *rule 7 .*# -i '\*' outbound capture -> jump istio-redirect" "$out"
check "trace shows the redirect to :15001" \
	has 'inet meshinit istio-redirect  *rule 1 .*redirect to :15001  # -p outbound capture port -> accept' "$out"
check "trace does not show its own table's events" sh -c "! grep -q '^trace id .* inet meshinit-trace ' $out"
check "SIGINT: 'removed' line" has 'table inet meshinit-trace removed' "$out"
check "SIGINT: no meshinit-trace table afterwards" no_trace_table
check "SIGINT: meshinit's own table is untouched" \
	sh -c "ip netns exec $POD_NS nft list tables | grep -qx 'table inet meshinit'"

# 2: SIGTERM, with a uid filter: only the proxy's connection is traced
out=$POD_TMP/trace2.out
trace_start "$out" --uid 1337 --gid 1337 --dst 10.78.0.1:80
ans=$(client 1000 1000 10.78.0.1 80)
expect "app connection (not traced) lands on the proxy" "$ans" label=proxy-out
ans=$(client 1337 1337 10.78.0.1 80)
expect "proxy connection goes to the peer" "$ans" label=peer
sleep 0.3
trace_stop TERM
check "SIGTERM: trace exits 0" test $? -eq 0
check "uid filter: the proxy's packet meets '-u proxy traffic is never captured'" \
	has 'istio-output  *rule 4 .*meta skuid @proxy-uids return  # -u proxy traffic is never captured -> return' "$out"
check "uid filter: the app's packet is not traced" sh -c "! grep -q 'istio-redirect' $out"
check "SIGTERM: no meshinit-trace table afterwards" no_trace_table

# 3: a stale trace table (a killed run) is replaced, then removed
in_pod nft add table inet meshinit-trace
in_pod nft add chain inet meshinit-trace stale
out=$POD_TMP/trace3.out
trace_start "$out" --dst 10.78.0.1:80
check "stale table: its chain is gone while tracing" \
	sh -c "! ip netns exec $POD_NS nft list table inet meshinit-trace | grep -q stale"
trace_stop INT
check "stale table: exit 0" test $? -eq 0
check "stale table: no meshinit-trace table afterwards" no_trace_table

# 4: bad filter values
"$MESHINIT" trace --netns "$POD_NS" --dst 10.78.0.1:http >"$POD_TMP/bad.out" 2>&1
check "trace --dst with a bad port: exit 1" test $? -eq 1
check "... one line naming --dst and the value" \
	grep -qx 'error: invalid --dst "10.78.0.1:http": has a port that is not 1-65535' "$POD_TMP/bad.out"
"$MESHINIT" trace --netns "$POD_NS" --proto icmp >"$POD_TMP/bad.out" 2>&1
check "trace --proto icmp: exit 1" test $? -eq 1
check "no meshinit-trace table after a refused start" no_trace_table

# 5: a trace killed by SIGKILL leaves its table; cleanup removes it (and
# leaves other tables alone)
in_pod nft add table inet meshinit-trace
in_pod nft add table inet foreign-after-trace
"$MESHINIT" cleanup --netns "$POD_NS" >/dev/null 2>&1
check "cleanup: exit 0" test $? -eq 0
check "cleanup removes a leftover meshinit-trace table" no_trace_table
check "cleanup leaves other tables alone" \
	sh -c "ip netns exec $POD_NS nft list tables | grep -q foreign-after-trace"

pod_finish
