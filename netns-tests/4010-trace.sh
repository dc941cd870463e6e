#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# meshinit trace: started in the background (--netns), it prints the
# chains and rules a real connection traverses, one line per event as
# nft monitor trace words it: family, table, chain, rule number and text,
# verdict, comment, and the packet (oif, addresses, ports, TCP flags),
# also for another table (ip nat OUTPUT, not "inet"); SIGINT and SIGTERM stop it with exit 0 and table inet
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
has_re() { grep -qE -- "$1" "$2"; }
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

# another table on the output hook, of family ip: trace must say "ip nat"
in_pod nft add table ip nat
in_pod nft add chain ip nat OUTPUT '{ type nat hook output priority -100; }'
in_pod nft add rule ip nat OUTPUT tcp dport 80 counter

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
T='trace id [0-9a-f]{8}'
check "trace: nat-output rule 1 with family, table, chain, rule text, verdict" \
	has_re "^$T inet meshinit nat-output rule 1: jump istio-output \\(verdict jump istio-output\\)  # outbound capture\$" "$out"
check "trace: istio-output rule 7 (-i '*' capture)" \
	has_re "^$T inet meshinit istio-output rule 7: jump istio-redirect \\(verdict jump istio-redirect\\)  # -i '\\*' outbound capture\$" "$out"
check "trace: the redirect to :15001, verdict accept" \
	has_re "^$T inet meshinit istio-redirect rule 1: meta l4proto tcp redirect to :15001 \\(verdict accept\\)  # -p outbound capture port\$" "$out"
check "trace: the packet (oif, addresses, ports, TCP flags) on its first event" \
	has_re "^$T inet meshinit nat-output packet: oif \"eth0\" ip saddr 10\\.90\\.0\\.5 ip daddr 10\\.78\\.0\\.1 tcp sport [0-9]+ tcp dport 80 tcp flags syn\$" "$out"
check "trace: another table's family, chain and rule text (ip nat, not inet)" \
	has_re "^$T ip nat OUTPUT rule 1: tcp dport 80 \\(verdict continue\\)\$" "$out"
check "trace: another table's policy" has_re "^$T ip nat OUTPUT policy accept\$" "$out"
check "trace: one line per event, each naming its packet" \
	sh -c "! grep -v -e '^tracing' -e '^stopped' -E -e '^trace id [0-9a-f]{8} (inet|ip) ' $out"
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
	has 'istio-output rule 4: meta skuid @proxy-uids return (verdict return)  # -u proxy traffic is never captured' "$out"
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
