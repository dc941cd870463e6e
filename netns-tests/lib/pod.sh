# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# A throw-away "pod" for the meshinit namespace tests. Source it, then:
#
#   pod_init SUITE        temp dir, namespace names, cleanup trap
#   pod_create            pod netns (lo, eth0 10.90.0.5/24 fd90::5/64) and a
#                         peer netns (10.90.0.1, fd90::1) that answers on ANY
#                         address (AnyIP), so no traffic leaves the machine
#   in_pod CMD...         run CMD in the pod as root
#   in_peer CMD...        run CMD in the peer as root
#   as_uid U G CMD...     run CMD in the pod as uid U, gid G, no groups
#   listen_pod LABEL PORT [mitool listen args]   labelled listener in the pod
#   listen_peer LABEL PORT [...]                 labelled listener in the peer
#   client U G HOST PORT [mitool connect args]   one connection from the pod
#   haproxy_start / haproxy_stop / haproxy_stat FRONTEND FIELD
#   meshinit_pod ARGS...  run $MESHINIT in the pod
#   check DESC CMD...     run CMD, print PASS/FAIL DESC, count failures
#   expect DESC ANSWER KEY=VAL|KEY^=PREFIX...  check a listener's answer
#   expect_err DESC ANSWER refused|timeout     check a client's error
#   pod_finish            print the summary, exit 0 or 1
#
# The cleanup (trap EXIT INT TERM) kills every process that was started
# (recorded pids, then whatever `ip netns pids` still lists) and deletes
# both namespaces and the temp dir, also when the test fails half-way.

POD_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MESHINIT=${MESHINIT:-./meshinit}
PY=${PY:-/usr/bin/python3}
HAPROXY=${HAPROXY:-haproxy}
HAPROXY_V6_UPSTREAM=${HAPROXY_V6_UPSTREAM:-[fd90::1]:80}
POD_IP4=10.90.0.5
POD_IP6=fd90::5
PEER_IP4=10.90.0.1
PEER_IP6=fd90::1
PROXY_UID=1337
APP_UID=1000

POD_PIDS=()
# fail, skip, ok, not_ok, check, finish, ...: the shared test vocabulary
. "$(dirname "${BASH_SOURCE[0]}")/../../tests/lib/testlib.sh"

# pid_alive PID: running (a zombie left for init to reap counts as gone)
pid_alive() {
	local st
	st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# pid_reap PID: SIGTERM, wait up to 5 s, then SIGKILL
pid_reap() {
	local i
	kill "$1" 2>/dev/null || return 0
	for i in $(seq 1 100); do
		pid_alive "$1" || return 0
		sleep 0.05
	done
	kill -9 "$1" 2>/dev/null
}

pod_cleanup() {
	local rc=$? ns pid
	trap - EXIT INT TERM
	for pid in "${POD_PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	if [ -n "${POD_TMP:-}" ] && [ -f "$POD_TMP/proxy/haproxy.pid" ]; then
		for pid in $(cat "$POD_TMP/proxy/haproxy.pid"); do
			pid_reap "$pid"
		done
	fi
	for ns in "${POD_NS:-}" "${PEER_NS:-}"; do
		[ -n "$ns" ] || continue
		ip netns list 2>/dev/null | grep -qw "^$ns" || continue
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -9 "$pid" 2>/dev/null
		done
		ip netns del "$ns" 2>/dev/null
		rm -rf "/etc/netns/$ns"
	done
	for pid in "${POD_PIDS[@]}"; do
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	[ -n "${POD_TMP:-}" ] && rm -rf "$POD_TMP"
	exit "$rc"
}

pod_init() {
	local suite=$1

	[ "$(id -u)" -eq 0 ] || skip "needs root"
	command -v ip >/dev/null || skip "no ip(8)"
	command -v setpriv >/dev/null || skip "no setpriv(1)"
	[ -x "$PY" ] || skip "no $PY"
	[ -x "$MESHINIT" ] || fail "no meshinit binary at $MESHINIT"
	MESHINIT=$(cd "$(dirname "$MESHINIT")" && pwd)/$(basename "$MESHINIT")
	if [ -n "${MESHINIT_TEST:-}" ] && [ -x "$MESHINIT_TEST" ]; then
		MESHINIT_TEST=$(cd "$(dirname "$MESHINIT_TEST")" && pwd)/$(basename "$MESHINIT_TEST")
	fi
	# short names: the veth names derive from the pid
	POD_NS="mi-nt-$suite-$$-pod"
	PEER_NS="mi-nt-$suite-$$-peer"
	trap pod_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	POD_TMP=$(mktemp -d "/tmp/mi-nt-$suite-$$.XXXXXX") || fail "mktemp"
	chmod 755 "$POD_TMP"
	# a copy the unprivileged uids can read whatever the checkout's mode
	install -m 0755 "$POD_LIB_DIR/mitool.py" "$POD_TMP/mitool.py"
	mkdir -p "$POD_TMP/proxy" && chown "$PROXY_UID:$PROXY_UID" "$POD_TMP/proxy"
}

pod_create() {
	local vp="mip$$" vq="miq$$" ns

	ip netns add "$POD_NS" || fail "ip netns add $POD_NS"
	ip netns add "$PEER_NS" || fail "ip netns add $PEER_NS"
	# no duplicate address detection: a link-local address turning from
	# tentative to valid later would change addresses and routes under
	# the tests that compare them
	for ns in "$POD_NS" "$PEER_NS"; do
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.accept_dad=0 \
			net.ipv6.conf.all.accept_dad=0 || fail "sysctl accept_dad"
	done
	ip link add "$vp" type veth peer name "$vq" || fail "veth"
	ip link set "$vp" netns "$POD_NS" || fail "veth to pod"
	ip link set "$vq" netns "$PEER_NS" || fail "veth to peer"

	in_pod ip link set lo up
	in_pod ip link set "$vp" name eth0
	in_pod ip addr add "$POD_IP4/24" dev eth0
	in_pod ip -6 addr add "$POD_IP6/64" dev eth0 nodad
	in_pod ip link set eth0 up
	in_pod ip route add default via "$PEER_IP4"
	in_pod ip -6 route add default via "$PEER_IP6"

	in_peer ip link set lo up
	in_peer ip link set "$vq" name eth0
	in_peer ip addr add "$PEER_IP4/24" dev eth0
	in_peer ip -6 addr add "$PEER_IP6/64" dev eth0 nodad
	in_peer ip link set eth0 up
	# AnyIP: the peer owns every address; replies to the pod use the
	# connected subnet, which is more specific than the local default
	in_peer ip route add local 0.0.0.0/0 dev lo table main
	in_peer ip -6 route add local ::/0 dev lo table main

	in_pod ip -4 addr show dev eth0 | grep -q "$POD_IP4" ||
		fail "pod address missing"
	# the v6 neighbour must be reachable before tests rely on it
	local i
	command -v ping >/dev/null || return 0
	for i in $(seq 1 50); do
		in_pod ping -6 -c1 -W1 "$PEER_IP6" >/dev/null 2>&1 && break
		sleep 0.1
	done
}

in_pod() {
	ip netns exec "$POD_NS" "$@"
}

in_peer() {
	ip netns exec "$PEER_NS" "$@"
}

as_uid() {
	local u=$1 g=$2
	shift 2
	ip netns exec "$POD_NS" setpriv --reuid "$u" --regid "$g" \
		--clear-groups "$@"
}

# _listen NS LABEL PORT [args]: start, wait until it listens. `ip netns
# exec` execs the command, so $! is the listener itself (LISTEN_PID).
_listen() {
	local ns=$1 label=$2 port=$3 ready i
	shift 3
	ready="$POD_TMP/ready.$label.$port.$RANDOM"
	ip netns exec "$ns" "$PY" "$POD_TMP/mitool.py" listen "$label" "$port" \
		--ready "$ready" "$@" >>"$POD_TMP/listen.log" 2>&1 &
	LISTEN_PID=$!
	POD_PIDS+=($!)
	for i in $(seq 1 100); do
		[ -s "$ready" ] && return 0
		kill -0 "$!" 2>/dev/null || break
		sleep 0.05
	done
	fail "listener $label on $port did not start ($(tail -n3 "$POD_TMP/listen.log"))"
}

listen_pod() {
	_listen "$POD_NS" "$@"
}

listen_peer() {
	_listen "$PEER_NS" "$@"
}

# client U G HOST PORT [args]: prints the answer line or "ERR ..."
client() {
	local u=$1 g=$2
	shift 2
	as_uid "$u" "$g" "$PY" "$POD_TMP/mitool.py" connect "$@"
}

# client_peer HOST PORT [args]: a connection from the peer to the pod
client_peer() {
	in_peer "$PY" "$POD_TMP/mitool.py" connect "$@"
}

meshinit_pod() {
	in_pod "$MESHINIT" "$@" >>"$POD_TMP/meshinit.log" 2>&1
}

# meshinit_test_pod ARGS...: as meshinit_pod, with the test build
# ($MESHINIT_TEST: the test hooks are not in the release binary)
meshinit_test_pod() {
	[ -x "${MESHINIT_TEST:-}" ] || fail "no test build at ${MESHINIT_TEST:-} (make build/meshinit-test)"
	in_pod "$MESHINIT_TEST" "$@" >>"$POD_TMP/meshinit.log" 2>&1
}

# HAProxy as uid/gid 1337: outbound on 15001 to the original destination
# (PROXY protocol header added so the peer can tell it came through the
# proxy), inbound on 15006 to the app on 127.0.0.1:APP_PORT from 127.0.0.6.
# Frontends: outbound, outbound6, inbound; backends: original_dst,
# upstream6, app.
haproxy_start() {
	local app_port=${1:-8080} cfg="$POD_TMP/proxy/haproxy.cfg" i
	command -v "$HAPROXY" >/dev/null || skip "no haproxy"
	cat >"$cfg" <<EOF
global
	daemon
	pidfile $POD_TMP/proxy/haproxy.pid
	stats socket $POD_TMP/proxy/stats.sock mode 600 level admin

defaults
	mode tcp
	timeout connect 3s
	timeout client 10s
	timeout server 10s

frontend outbound
	bind 0.0.0.0:15001
	default_backend original_dst

backend original_dst
	server orig 0.0.0.0:0 send-proxy

# HAProxy (2.6 at least) reads the original destination with SO_ORIGINAL_DST
# for IPv4 only, never IP6T_SO_ORIGINAL_DST: with 0.0.0.0:0 an IPv6
# connection would be sent to its redirected address [::1]:15001, i.e. to
# HAProxy itself, forever. The IPv6 frontend therefore forwards to one
# fixed upstream, $HAPROXY_V6_UPSTREAM.
frontend outbound6
	bind [::]:15001 v6only
	default_backend upstream6

backend upstream6
	server up6 $HAPROXY_V6_UPSTREAM send-proxy

frontend inbound
	bind 0.0.0.0:15006
	bind [::]:15006 v6only
	default_backend app

backend app
	source 127.0.0.6
	server app 127.0.0.1:$app_port
EOF
	chmod 644 "$cfg"
	rm -f "$POD_TMP/proxy/haproxy.pid"
	as_uid "$PROXY_UID" "$PROXY_UID" "$HAPROXY" -f "$cfg" \
		>>"$POD_TMP/haproxy.log" 2>&1 || fail "haproxy did not start: $(cat "$POD_TMP/haproxy.log")"
	for i in $(seq 1 100); do
		[ -S "$POD_TMP/proxy/stats.sock" ] && [ -s "$POD_TMP/proxy/haproxy.pid" ] && return 0
		sleep 0.05
	done
	fail "haproxy stats socket missing"
}

haproxy_stop() {
	local pid
	[ -s "$POD_TMP/proxy/haproxy.pid" ] || return 0
	for pid in $(cat "$POD_TMP/proxy/haproxy.pid"); do
		pid_reap "$pid"
	done
	: >"$POD_TMP/proxy/haproxy.pid"
	rm -f "$POD_TMP/proxy/stats.sock"
}

# haproxy_stat PROXY SVNAME FIELD: one counter of `show stat`
haproxy_stat() {
	local px=$1 sv=$2 field=$3
	echo "show stat" | in_pod socat -t 2 - "UNIX-CONNECT:$POD_TMP/proxy/stats.sock" |
		awk -F, -v px="$px" -v sv="$sv" -v f="$field" '
			NR == 1 { sub(/^# /, ""); for (i = 1; i <= NF; i++) col[$i] = i; next }
			$1 == px && $2 == sv { print $(col[f]); exit }'
}

# field ANSWER KEY: the value of KEY=... in a listener's answer
field() {
	local kv
	for kv in $1; do
		case $kv in
		"$2="*) echo "${kv#*=}"; return 0;;
		esac
	done
	return 1
}

# expect DESC ANSWER KEY=VALUE|KEY^=PREFIX...: every pair must be in ANSWER
expect() {
	local desc=$1 ans=$2 kv ok=1
	shift 2
	for kv in "$@"; do
		case $kv in
		*"^="*)	# KEY^=PREFIX
			case "$(field "$ans" "${kv%%^=*}")" in
			"${kv#*^=}"*) ;;
			*) ok=0;;
			esac;;
		*)	[ "$(field "$ans" "${kv%%=*}")" = "${kv#*=}" ] || ok=0;;
		esac
	done
	if [ $ok -eq 1 ]; then
		ok "$desc"
	else
		not_ok "$desc"
		echo "      wanted: $*"
		echo "      got:    $ans"
	fi
}

# expect_err DESC ANSWER ERR: ANSWER must be "ERR <ERR>"
expect_err() {
	if [ "$2" = "ERR $3" ]; then
		ok "$1"
	else
		not_ok "$1"
		echo "      wanted: ERR $3"
		echo "      got:    $2"
	fi
}

pod_finish() {
	if [ "$T_FAIL" -ne 0 ]; then
		echo "--- meshinit log"; cat "$POD_TMP/meshinit.log" 2>/dev/null
		echo "--- ruleset"; in_pod nft list ruleset 2>/dev/null
		echo "--- haproxy log"; cat "$POD_TMP/haproxy.log" 2>/dev/null
		echo "--- listener log"; cat "$POD_TMP/listen.log" 2>/dev/null
	fi
	finish
}

# haproxy_sessions PROXY: total sessions of a frontend or backend (0 if none)
haproxy_sessions() {
	local px=$1 sv=FRONTEND v
	case $px in
	original_dst|upstream6|app) sv=BACKEND;;
	esac
	v=$(haproxy_stat "$px" "$sv" stot)
	echo "${v:-0}"
}

# expect_count DESC GOT WANT
expect_count() {
	if [ "$2" = "$3" ]; then
		ok "$1 ($2)"
	else
		not_ok "$1 (got $2, wanted $3)"
	fi
}
