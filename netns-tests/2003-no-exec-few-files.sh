#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# meshinit never executes anything and opens no file but the shared
# libraries the loader maps, NSS's files (/etc/nsswitch.conf, /etc/passwd,
# /etc/group), the resolv.conf it was given and the --netns path; status
# and verify also read /proc/net/ip{,6}_tables_names (the iptables-legacy
# tables of the namespace, the only way to see them without exec). Checked
# with strace over install (TPROXY + DNS + names), status, verify and
# cleanup, with a files-only nsswitch.conf as in meshinit's image.
. "$(dirname "$0")/lib/pod.sh"

pod_init files
command -v strace >/dev/null || skip "no strace(1)"
pod_create

printf 'passwd: files\ngroup: files\n' >"$POD_TMP/nsswitch.conf"
printf 'nameserver 10.90.0.1\n' >"$POD_TMP/resolv.conf"
grep -q '^nobody:' /etc/passwd || skip "no user nobody"

# a private mount namespace with the image's nsswitch.conf; the namespace is
# entered by meshinit itself through --netns (a path it must open)
run_traced() {
	unshare -m bash -c '
		mount --bind "$1/nsswitch.conf" /etc/nsswitch.conf &&
		shift && exec strace -f -qq -o "$LOG" \
			-e trace=execve,execveat,open,openat,openat2,creat "$@"' \
		_ "$POD_TMP" "$@"
}

export LOG="$POD_TMP/strace.log"
NS="/var/run/netns/$POD_NS"
ARGS=(-u nobody -g nogroup -m TPROXY -b '*' -i '*' --redirect-dns --ipv6 on
      --resolv-conf "$POD_TMP/resolv.conf" --netns "$NS")
grep -q '^nogroup:' /etc/group || ARGS[3]=65534
: >"$POD_TMP/all.log"
for cmd in "istio-iptables" "status" "verify" "cleanup"; do
	case $cmd in
	status|cleanup) run_traced "$MESHINIT" "$cmd" --netns "$NS" >/dev/null 2>&1;;
	*) run_traced "$MESHINIT" "$cmd" "${ARGS[@]}" >/dev/null 2>&1;;
	esac
	check "meshinit $cmd ran under strace" test -s "$LOG"
	cat "$LOG" >>"$POD_TMP/all.log"
	cp "$LOG" "$POD_TMP/$cmd.log"
done

execs=$(grep -cE 'execve\(|execveat\(' "$POD_TMP/all.log")
check "one execve per run (meshinit itself), no other program: $execs for 4 runs" \
	test "$execs" = 4
opened=$(grep -oE 'open(at2?)?\((AT_FDCWD, )?"[^"]*"' "$POD_TMP/all.log" |
	sed 's/.*"\(.*\)"/\1/' | sort -u)
unexpected=$(echo "$opened" | grep -vE \
	-e '^/etc/ld\.so\.cache$' \
	-e '^(/usr)?/lib(64)?/.*\.so(\.[0-9]+)*$' \
	-e '^/etc/(nsswitch\.conf|passwd|group)$' \
	-e "^$POD_TMP/resolv\.conf\$" \
	-e "^$NS\$" \
	-e '^/proc/net/ip6?_tables_names$' \
	-e '^$')
check "opens only libraries, NSS files, the resolv.conf and the netns path" \
	test -z "$unexpected"
[ -z "$unexpected" ] || echo "      unexpected: $(echo $unexpected)"
check "an install does not read the iptables-legacy table names" \
	eval '! grep -q "_tables_names" "$POD_TMP/istio-iptables.log"'
check "it did read the resolv.conf it was given" grep -q "$POD_TMP/resolv.conf" "$POD_TMP/all.log"
check "it did open the --netns path" grep -q "\"$NS\"" "$POD_TMP/all.log"

pod_finish
