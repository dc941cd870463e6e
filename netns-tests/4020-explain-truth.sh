#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# explain tells the truth about the pod, checked against real traffic:
#  - a connection opened before the install is not NATed afterwards: explain
#    --ct-state established says the packet follows the first packet's NAT
#    decision, never "captured -> redirected", conntrack's entry says it
#    was not NATed (and one opened after the install was), and the
#    connection's next bytes still reach the real destination;
#  - a foreign table dropping at output priority -200 is named and walked
#    by explain (table, chain, priority, the rule: the outcome with it is
#    "dropped") and named by --kernel as the decider (agreeing); a foreign
#    rule explain cannot evaluate (a set lookup) is said to be so, and
#    --kernel names the rule that decided (disagreeing, exit 4);
#  - with nothing on :15001 (the proxy is down) explain says nothing listens
#    and --kernel does not say "kernel agrees" while the app is refused;
#  - UDP outside DNS capture says why it is not captured.
set -u
. "$(dirname "$0")/lib/pod.sh"

pod_init x4020
pod_create
cp "$MESHINIT" "$POD_TMP/meshinit" && MESHINIT=$POD_TMP/meshinit

in_pod sysctl -qw net.ipv4.ip_unprivileged_port_start=0
listen_pod proxy-out 15001 --uid 1337 --gid 1337
PROXY_PID=$LISTEN_PID
listen_pod dns-proxy 15053 --udp --uid 1337 --gid 1337
for p in 80 81; do
	listen_peer peer $p
done
listen_peer peer 53 --udp
listen_peer peer 5353 --udp
printf 'nameserver 10.90.0.1\n' >"$POD_TMP/resolv.conf"
chmod 644 "$POD_TMP/resolv.conf"

has() { grep -q -- "$1" <<<"$2"; }
hasx() { grep -qFx -- "$1" <<<"$2"; }
lacks() { ! grep -q -- "$1" <<<"$2"; }
INSTALL=(-p 15001 -z 15006 -u 1337 -g 1337 -m REDIRECT -i '*' -x '' -b '*'
	-d 15090,15021,15020 --redirect-dns --resolv-conf "$POD_TMP/resolv.conf")
explain() { in_pod "$MESHINIT" explain --direction out --uid 1000 --gid 1000 \
	"$@" "${INSTALL[@]}" 2>&1; }

# 1: a connection opened before the install, used after it. Conntrack
# must track it from its first packet (in a namespace where nothing uses
# conntrack yet, it would be picked up mid-stream as new, and NATed): a
# table of another tool that uses ct state is there before the install.
in_pod nft add table inet other-tool
in_pod nft add chain inet other-tool out '{ type filter hook output priority 0; }'
in_pod nft add rule inet other-tool out ct state established counter
# held OUT GO: a connection to 10.78.0.1:80 that sends its line once GO
# exists; OUT gets the source port, then the answer
held() {
	as_uid 1000 1000 "$PY" -c '
import os, socket, sys, time
s = socket.create_connection(("10.78.0.1", 80), timeout=5)
print(s.getsockname()[1], flush=True)
while not os.path.exists(sys.argv[1]):
    time.sleep(0.05)
s.sendall(b"hello\n")
print(s.recv(4096).decode().strip(), flush=True)
' "$2" >"$1" 2>&1 &
	HELD=$!
	POD_PIDS+=("$HELD")
	for i in $(seq 1 100); do
		[ -s "$1" ] && break
		sleep 0.05
	done
}
held "$POD_TMP/held.out" "$POD_TMP/go"
HELD1=$HELD
SPORT=$(head -n1 "$POD_TMP/held.out")
meshinit_pod "${INSTALL[@]}" || fail "install failed: $(cat "$POD_TMP/meshinit.log")"
held "$POD_TMP/held2.out" "$POD_TMP/go2"
HELD2=$HELD
SPORT2=$(head -n1 "$POD_TMP/held2.out")
out=$(explain --ct-state established --src "10.90.0.5:$SPORT" --dst 10.78.0.1:80)
out2=$(explain --ct-state established --src "10.90.0.5:$SPORT2" --dst 10.78.0.1:80)
touch "$POD_TMP/go" "$POD_TMP/go2"
wait "$HELD1" "$HELD2"
in_pod nft delete table inet other-tool
ans=$(sed -n 2p "$POD_TMP/held.out")
[ "${ans#label=}" != "$ans" ] || cat "$POD_TMP/held.out"
expect "reality: the connection opened before the install still reaches the peer" \
	"$ans" label=peer
ans=$(sed -n 2p "$POD_TMP/held2.out")
expect "reality: the connection opened after the install is on the proxy" \
	"$ans" label=proxy-out
check "established: explain does not claim the packet is redirected" \
	lacks '^outcome: captured' "$out"
check "established: it follows the first packet's NAT decision" \
	has "^outcome: follows the connection's first packet (nat chains see only that one)" "$out"
check "established: ... says what that decision is for a new connection" \
	has "opened under these rules, captured -> redirected to :15001 (outbound listener)" "$out"
check "established: ... and that one opened before is not NATed" \
	has "opened before they were installed, not NATed (passes)" "$out"
check "established: the nat chains are not walked" \
	lacks '^nat-output ' "$out"
check "established: conntrack says the connection opened before is not NATed" \
	hasx "conntrack: tcp 10.90.0.5:$SPORT -> 10.78.0.1:80: not NATed: its packets go to 10.78.0.1:80 (passes)" "$out"
check "established: conntrack says the connection opened after is NATed to the proxy" \
	hasx "conntrack: tcp 10.90.0.5:$SPORT2 -> 10.78.0.1:80: NATed to 127.0.0.1:15001 (outbound listener): captured" "$out2"
out=$(explain --ct-state new --dst 10.78.0.1:80)
check "new: captured -> redirected to :15001" \
	has "^outcome: captured -> redirected to :15001 (outbound listener)" "$out"
check "new: the proxy listens on :15001" \
	has "^listener: TCP 127.0.0.1:15001 is taken by a socket bound to 0.0.0.0:15001 (uid 1337)" "$out"

# 2: UDP outside DNS capture
out=$(in_pod "$MESHINIT" explain --direction out --uid 1000 --gid 1000 \
	--proto udp --dst 10.79.0.1:53 "${INSTALL[@]}" 2>&1)
check "UDP to a non-resolv.conf server: why it is not captured" \
	has "^outcome: passes (not captured); only TCP goes to :15001; UDP is captured as DNS only, to the resolv.conf servers (10.90.0.1): 10.79.0.1 is not one of them" "$out"
check "... not 'ran off the end'" lacks 'ran off the end' "$out"
ans=$(client 1000 1000 10.79.0.1 53 --udp --timeout 2)
expect "reality: that datagram reaches the peer" "$ans" label=peer
out=$(in_pod "$MESHINIT" explain --direction out --uid 1000 --gid 1000 \
	--proto udp --dst 10.90.0.1:5353 "${INSTALL[@]}" 2>&1)
check "UDP to another port of the DNS server: DNS is port 53 only" \
	has "only TCP goes to :15001; UDP is captured as DNS only (port 53), not to port 5353" "$out"
ans=$(client 1000 1000 10.90.0.1 5353 --udp --timeout 2)
expect "reality: that datagram reaches the peer" "$ans" label=peer
out=$(in_pod "$MESHINIT" explain --direction out --uid 1000 --gid 1000 \
	--proto udp --dst 10.90.0.1:53 "${INSTALL[@]}" 2>&1)
check "UDP DNS to the resolv.conf server: captured to :15053" \
	has "^outcome: captured -> redirected to :15053 (DNS agent)" "$out"
check "... and the DNS agent's socket is bound" \
	has "^listener: UDP 127.0.0.1:15053 is taken by a socket bound to 0.0.0.0:15053 (uid 1337)" "$out"

# 3: a foreign table dropping at output priority -200
in_pod nft add table ip foreign
in_pod nft add chain ip foreign out '{ type filter hook output priority -200; }'
in_pod nft add rule ip foreign out tcp dport 81 drop
in_pod nft add set ip foreign ports '{ type inet_service; elements = { 82 } }'
in_pod nft add rule ip foreign out tcp dport @ports drop
out=$(explain --dst 10.78.0.1:81)
check "foreign drop: explain names the table, chain, hook and priority" \
	has "^other table: ip foreign chain out (type filter hook output priority -200: before meshinit's mangle-output (-150); policy accept)$" "$out"
check "foreign drop: ... and the rule that can drop the packet" \
	has "^  rule 1: tcp dport 81 drop  -> can drop the packet$" "$out"
check "foreign drop: explain walks it: the packet is dropped there" \
	hasx "  walk: out rule 1 matches: the packet is DROPPED here" "$out"
check "foreign drop: the outcome with the other tables" \
	hasx "outcome with the other tables: dropped by ip foreign chain out rule 1" "$out"
out=$(explain --kernel --dst 10.78.0.1:81)
rc=$?
check "foreign drop: --kernel names the deciding table, chain and rule" \
	hasx "kernel: decided by ip foreign chain out rule 1: tcp dport 81 drop" "$out"
check "foreign drop: --kernel shows the foreign rule's event" \
	has "^  trace id [0-9a-f]* ip foreign out rule 1: tcp dport 81 drop (verdict drop)$" "$out"
check "foreign drop: predicted, so the kernel agrees (exit 0)" test $rc -eq 0
check "... 'kernel agrees'" hasx "kernel agrees" "$out"
ans=$(client 1000 1000 10.78.0.1 81 --timeout 2)
expect_err "reality: the connection to :81 is dropped (times out)" "$ans" timeout
# a foreign rule explain cannot evaluate (a set lookup): said so; --kernel
# then names the rule that did decide, and disagrees with the prediction
out=$(explain --dst 10.78.0.1:82)
check "foreign set lookup: explain says it cannot evaluate the rule" \
	hasx "  walk: out rule 2 cannot be evaluated (its lookup expression): stopped there" "$out"
check "... and cannot tell the outcome with the other tables" \
	has "^outcome with the other tables: cannot tell (ip foreign chain out rule 2 cannot be evaluated" "$out"
out=$(explain --kernel --dst 10.78.0.1:82)
rc=$?
check "foreign set lookup: --kernel names the deciding rule" \
	has "^kernel: decided by ip foreign chain out rule 2: " "$out"
check "foreign set lookup: --kernel exits 4 (the walk did not predict it)" \
	test $rc -eq 4
check "... and says so" lacks '^kernel agrees$' "$out"
in_pod nft delete table ip foreign

# 4: the proxy is down
kill "$PROXY_PID"
wait "$PROXY_PID" 2>/dev/null
out=$(explain --dst 10.78.0.1:80)
check "proxy down: explain says nothing listens on :15001" \
	has "^listener: NOTHING listens on TCP 127.0.0.1:15001 in this namespace: the connection is refused (is the proxy up?)$" "$out"
out=$(explain --kernel --dst 10.78.0.1:80)
rc=$?
check "proxy down: --kernel does not say 'kernel agrees'" \
	lacks '^kernel agrees$' "$out"
check "proxy down: --kernel exits 4" test $rc -eq 4
check "proxy down: --kernel says the probe was refused" \
	has "kernel: REFUSED (nothing listens where the packet lands)" "$out"
ans=$(client 1000 1000 10.78.0.1 80 --timeout 2)
expect_err "reality: the app's connection is refused" "$ans" refused
listen_pod proxy-out 15001 --uid 1337 --gid 1337
out=$(explain --kernel --dst 10.78.0.1:80)
rc=$?
check "proxy up again: kernel agrees" hasx 'kernel agrees' "$out"
check "proxy up again: exit 0" test $rc -eq 0
check "proxy up again: --kernel names meshinit's redirect rule as the decider" \
	has "^kernel: decided by inet meshinit chain istio-redirect rule 1: meta l4proto tcp redirect to :15001$" "$out"

pod_finish
