#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# explain --kernel over real traffic: for outbound flows under several
# configs, (1) the prediction is the expected one, (2) the kernel's
# nftrace path agrees with it (exit 0, "kernel agrees"), (3) reality
# agrees: a real connection lands on the listener the outcome names
# (proxy-out 15001, proxy-in 15006, dns-proxy 15053), or on the real
# destination when explain says "passes". Also: the trace table is gone
# after every run, inbound --kernel is refused, a wrong plan DISAGREES.
set -u
. "$(dirname "$0")/lib/pod.sh"

pod_init x4000
pod_create
# a private copy: a rebuild of the tree's binary must not break a run
cp "$MESHINIT" "$POD_TMP/meshinit" && MESHINIT=$POD_TMP/meshinit

in_pod sysctl -qw net.ipv4.ip_unprivileged_port_start=0
listen_pod proxy-out 15001 --uid 1337 --gid 1337
listen_pod proxy-in 15006 --transparent
listen_pod dns-proxy 15053 --uid 1337 --gid 1337
listen_pod dns-proxy 15053 --udp --uid 1337 --gid 1337
listen_pod app 8080 --uid 1000 --gid 1000
for p in 80 443 8080 9090 53; do
	listen_peer peer $p
done
listen_peer peer 53 --udp
printf 'nameserver 10.90.0.1\n' >"$POD_TMP/resolv.conf"
chmod 644 "$POD_TMP/resolv.conf"

has() { grep -q -- "$1" <<<"$2"; }

ENV=()
ARGS=()
use() { # use [ENV=V...] -- ARGS...: install this config
	ENV=()
	while [ "$1" != -- ]; do ENV+=("$1"); shift; done
	shift
	ARGS=("$@")
	in_pod env "${ENV[@]}" "$MESHINIT" "${ARGS[@]}" >>"$POD_TMP/meshinit.log" 2>&1 ||
		fail "install failed: ${ARGS[*]}"
}

class() {
	case $1 in
	proxy-out|proxy-in|dns-proxy) echo "$1";;
	*) echo pass;;
	esac
}

# flow WANT UID GID tcp|udp HOST PORT
flow() {
	local want=$1 u=$2 g=$3 proto=$4 host=$5 port=$6 dst out rc got ans
	local desc="$u:$g $proto $host:$port (${ARGS[*]} ${ENV[*]})"
	case $host in *:*) dst="[$host]:$port";; *) dst="$host:$port";; esac
	out=$(in_pod env "${ENV[@]}" "$MESHINIT" explain --kernel --direction out \
		--uid "$u" --gid "$g" --proto "$proto" --dst "$dst" "${ARGS[@]}" 2>&1)
	rc=$?
	case $(echo "$out" | grep '^outcome:') in
	*"redirected to :15001 (outbound listener)"*) got=proxy-out;;
	*"redirected to :15006 (inbound listener)"*) got=proxy-in;;
	*"redirected to :15053 (DNS agent)"*) got=dns-proxy;;
	*"outcome: passes (not captured)"*) got=pass;;
	*) got=unknown;;
	esac
	if [ $rc -eq 0 ] && echo "$out" | grep -qx 'kernel agrees' &&
		[ "$got" = "$(class "$want")" ]; then
		ok "explain --kernel $desc: $got, kernel agrees"
	else
		not_ok "explain --kernel $desc (exit $rc, outcome $got, want $(class "$want"))"
		echo "$out" | sed 's/^/      /' 
	fi
	if [ "$proto" = udp ]; then
		ans=$(client "$u" "$g" "$host" "$port" --udp --timeout 2)
	else
		ans=$(client "$u" "$g" "$host" "$port" --timeout 2)
	fi
	expect "reality: $desc lands on $want" "$ans" label="$want"
	check "no trace table left after explain --kernel" \
		sh -c "! ip netns exec $POD_NS nft list tables | grep -q meshinit-trace"
}

# Istio's default injection
use -- -p 15001 -z 15006 -u 1337 -g 1337 -m REDIRECT -i '*' -x '' -b '*' -d 15090,15021,15020
flow proxy-out 1000 1000 tcp 10.90.0.1 80
flow peer 1337 1337 tcp 10.90.0.1 80
flow peer 1000 1337 tcp 10.90.0.1 443
flow app 1000 1000 tcp 127.0.0.1 8080
flow proxy-in 1337 1337 tcp 10.90.0.5 8080
flow app 1000 1000 tcp 10.90.0.5 8080
flow peer 1000 1000 udp 10.90.0.1 53
flow proxy-out 1000 1000 tcp fd90::1 80

# exclusions
use -- -u 1337 -g 1337 -i '*' -x 10.77.0.0/16 -o 8080 --exclude-outbound-uids 1500 \
	--exclude-outbound-gids 1600 --exclude-outbound-ports-for-uids tcp:443:1001
flow peer 1000 1000 tcp 10.77.0.1 80
flow proxy-out 1000 1000 tcp 10.78.0.1 80
flow peer 1000 1000 tcp 10.78.0.1 8080
flow peer 1500 1500 tcp 10.78.0.1 80
flow peer 1000 1600 tcp 10.78.0.1 80
flow peer 1001 1001 tcp 10.78.0.1 443
flow proxy-out 1001 1001 tcp 10.78.0.1 80

# -q with -i ""
use -- -u 1337 -g 1337 -q 9090
flow proxy-out 1000 1000 tcp 10.78.0.1 9090
flow peer 1000 1000 tcp 10.78.0.1 80

# DNS to the resolv.conf server
use -- -u 1337 -g 1337 -i 10.78.0.0/16 --redirect-dns --resolv-conf "$POD_TMP/resolv.conf"
flow dns-proxy 1000 1000 udp 10.90.0.1 53
flow dns-proxy 1000 1000 tcp 10.90.0.1 53
flow peer 1337 1337 udp 10.90.0.1 53
flow peer 1000 1000 udp 10.79.0.1 53
flow proxy-out 1000 1000 tcp 10.78.0.1 80
flow peer 1000 1000 tcp 10.79.0.1 80

# owner groups
use ISTIO_OUTBOUND_OWNER_GROUPS=2222 -- -u 1337 -g 1337 -i '*'
flow proxy-out 1000 2222 tcp 10.78.0.1 80
flow peer 1000 1000 tcp 10.78.0.1 80

# TPROXY inbound mode: the proxy's own pod-IP traffic (mark 1338, over lo)
use -- -u 1337 -g 1337 -m TPROXY -b '*' -i '*'
flow proxy-in 1337 1337 tcp 10.90.0.5 8080
flow proxy-out 1000 1000 tcp 10.78.0.1 80
flow app 1000 1000 tcp 127.0.0.1 8080

# a plan that differs from the kernel's rules: DISAGREES, exit 4
out=$(in_pod "$MESHINIT" explain --kernel --direction out --uid 1000 --gid 1000 \
	--dst 10.78.0.1:80 -u 1337 -g 1337 -i '*' -x 10.78.0.0/16 2>&1)
rc=$?
check "a plan unlike the installed rules: exit 4" test $rc -eq 4
check "... and a 'kernel DISAGREES' line" has '^kernel DISAGREES' "$out"

# inbound probes are not supported: said so, exit 1
out=$(in_pod "$MESHINIT" explain --kernel --direction in --dst 10.90.0.5:8080 -u 1337 -b '*' 2>&1)
rc=$?
check "explain --kernel --direction in: exit 1" test $rc -eq 1
check "... saying it is not supported" has 'supports --direction out only' "$out"

# nothing installed: an error, not a crash
in_pod "$MESHINIT" cleanup >/dev/null 2>&1
out=$(in_pod "$MESHINIT" explain --kernel --direction out --uid 1000 --gid 1000 --dst 10.78.0.1:80 2>&1)
check "explain --kernel without rules: exit 1 naming the table" \
	has 'is not installed' "$out"

pod_finish
