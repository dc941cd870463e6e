#!/usr/bin/env bash
# ORACLE: for every conformance case (shared/conformance/cases/*.case) and
# every golden config (tests/golden/cases.tsv), the nft script printed by
# --dry-run, loaded with `nft -f` in one fresh namespace, must give the
# same kernel state as meshinit's own netlink batch in another:
# `nft list ruleset` identical and `nft -j list ruleset` identical once
# handles are removed. Groups the cases name (java, ftp) come from a
# private /etc/group bind-mounted in each namespace's mount namespace.
. "$(dirname "$0")/lib.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CASES=${MI_CONFORMANCE_CASES:-}
if [ -z "$CASES" ]; then
	d=${SHARED_DIR:-$ROOT/../shared}/conformance/cases
	[ -d "$d" ] || fail "no conformance cases at $d (set SHARED_DIR or MI_CONFORMANCE_CASES)"
	CASES=$d
fi

# /etc/group with the conformance groups added (gids unused on this host)
cp /etc/group "$T/group"
for g in java:4301 ftp:4302; do
	getent group "${g%%:*}" >/dev/null || echo "${g%%:*}:x:${g#*:}:" >>"$T/group"
done
unshare -Urnm true 2>/dev/null && MOUNTNS=1 || MOUNTNS=0

# one NAME IPV6(on|off) ENV-LINES ARGS...: NUL-separated args in a file
one() {
	local name=$1 ipv6=$2 envs=$3 d="$T/$1"
	shift 3
	mkdir -p "$d"
	printf '%s\0' "$@" >"$d/args"
	printf '%s\n' "$envs" | grep -v '^$' >"$d/env" || true
	if [ $MOUNTNS = 0 ] && grep -q 'java\|ftp' "$d/env"; then
		say "SKIP $name: names groups java/ftp and no mount namespace for a private /etc/group"
		skipped=$((skipped + 1))
		return 0
	fi
	export D=$d IPV6=$ipv6
	local ns="unshare -Urn"
	# lo is up in a pod; TPROXY's IPv6 route on lo needs it
	local pre="ip link set lo up;"
	if [ $MOUNTNS = 1 ]; then
		ns="unshare -Urnm"
		pre+=' mount --bind "$T/group" /etc/group;'
	fi
	# One namespace for both sides (a process start is costly under
	# emulation, tests/kernels): B, meshinit through netlink, then, once
	# the ruleset is flushed, A, the printed script through nft. Each
	# side's status goes to a file: a failed side still runs the other.
	$ns bash -c "$pre"'
		mapfile -d "" argv <"$D/args"; mapfile -t envv <"$D/env"
		(env ${envv[@]+"${envv[@]}"} "$MESHINIT" "${argv[@]}" --ipv6 "$IPV6" \
			--resolv-conf "$D/resolv.conf" >"$D/run.log" 2>&1 || exit 12
		 nft list ruleset >"$D/b.txt"; nft -j list ruleset >"$D/b.json")
		echo $? >"$D/rb"
		nft flush ruleset
		(env ${envv[@]+"${envv[@]}"} "$MESHINIT" --dry-run "${argv[@]}" --ipv6 "$IPV6" \
			--resolv-conf "$D/resolv.conf" >"$D/script.nft" 2>"$D/dry.err" || exit 10
		 nft -f "$D/script.nft" 2>"$D/nft.err" || exit 11
		 nft list ruleset >"$D/a.txt"; nft -j list ruleset >"$D/a.json")
		echo $? >"$D/ra"'
	ra=$(cat "$D/ra" 2>/dev/null || echo 13) rb=$(cat "$D/rb" 2>/dev/null || echo 13)
	if [ $ra != 0 ] || [ $rb != 0 ]; then
		if grep -q 'tproxy' "$D/script.nft" 2>/dev/null && [ $ra = 11 ] &&
			grep -qi 'tproxy\|No such file or directory\|Operation not supported' "$D/nft.err"; then
			say "SKIP $name: the kernel refuses TPROXY rules here (nft_tproxy not loaded; a user namespace cannot load modules): $(head -1 "$D/nft.err")"
			skipped=$((skipped + 1))
			return 0
		fi
		echo "--- $name: dry-run+nft exit $ra, meshinit exit $rb" >&2
		cat "$D/dry.err" "$D/nft.err" "$D/run.log" 2>/dev/null | tail -15 >&2
		failed=$((failed + 1))
		return 0
	fi
	if ! cmp -s "$D/a.txt" "$D/b.txt"; then
		diff -u "$D/a.txt" "$D/b.txt" | head -40 >&2 || true
		echo "not ok - $name: nft list ruleset differs (script vs netlink)"
		failed=$((failed + 1))
		return 0
	fi
	json_norm "$D/a.json" >"$D/a.norm"
	json_norm "$D/b.json" >"$D/b.norm"
	if ! cmp -s "$D/a.norm" "$D/b.norm"; then
		diff -u "$D/a.norm" "$D/b.norm" | head -40 >&2 || true
		echo "not ok - $name: nft -j list ruleset differs (script vs netlink)"
		failed=$((failed + 1))
		return 0
	fi
	grep -q "table inet meshinit" "$D/b.txt" || {
		echo "not ok - $name: nothing installed"
		failed=$((failed + 1))
		return 0
	}
	passed=$((passed + 1))
	ok "$name: dry-run script and netlink batch give the same ruleset ($(grep -c . "$D/script.nft") script lines)"
}

passed=0 failed=0 skipped=0
ncases=0
if [ -n "$CASES" ]; then
	for f in "$CASES"/*.case; do
		name=$(basename "$f" .case)
		# shellcheck disable=SC1090
		eval "$(
			ARGS= ENV= IPV6=0 DNS_V4= DNS_V6=
			. "$f"
			printf 'ARGS=%q ENV=%q IPV6=%q DNS_V4=%q DNS_V6=%q\n' \
				"$ARGS" "$ENV" "$IPV6" "$DNS_V4" "$DNS_V6"
		)"
		mkdir -p "$T/conf-$name"
		: >"$T/conf-$name/resolv.conf"
		for s in $DNS_V4 $DNS_V6; do echo "nameserver $s" >>"$T/conf-$name/resolv.conf"; done
		v6=off
		[ "$IPV6" = 1 ] && v6=on
		eval "set -- $ARGS"
		one "conf-$name" $v6 "$(printf '%s\n' $ENV)" istio-iptables "$@"
		ncases=$((ncases + 1))
	done
else
	say "no conformance cases found (set MI_CONFORMANCE_CASES); only the golden configs run"
fi

set -f
while IFS=$'\t' read -r name ipv6 servers env args; do
	case $name in '#'* | '') continue ;; esac
	mkdir -p "$T/gold-$name"
	: >"$T/gold-$name/resolv.conf"
	[ "$servers" != - ] && for s in $servers; do echo "nameserver $s" >>"$T/gold-$name/resolv.conf"; done
	argv=()
	for a in $args; do
		if [ "$a" = "''" ]; then argv+=(""); else argv+=("$a"); fi
	done
	envs=""
	[ "$env" != - ] && envs=$(printf '%s\n' $env)
	one "gold-$name" "$ipv6" "$envs" "${argv[@]}"
	ncases=$((ncases + 1))
done <"$ROOT/tests/golden/cases.tsv"
set +f

say "$passed identical, $failed different, $skipped skipped of $ncases configs"
[ $failed = 0 ] || fail "$failed configs differ between --dry-run and the netlink batch"
[ $passed -gt 0 ] || skip "every config was skipped"
finish
