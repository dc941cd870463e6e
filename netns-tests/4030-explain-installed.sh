#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# explain with no install flags walks what is installed: the pod's table
# inet meshinit read back from the kernel and the configuration its
# install record describes, rules a person added by hand included.
#  - the README's `explain --netns pod1 --direction out --uid 1000 --gid
#    1000 --dst 10.77.0.1:80` gives the pod's real answer for Istio's
#    default injection and for an install with -x 10.77.0.0/16, and real
#    connections land where it says;
#  - a rule added by hand (nft insert ... tcp dport 9999 drop) is walked
#    where it stands and named as such; one meshinit cannot read back is
#    shown and not evaluated; --kernel agrees;
#  - nothing installed: explain says so, and that the packet passes.
set -u
. "$(dirname "$0")/lib/pod.sh"

pod_init x4030
pod_create
cp "$MESHINIT" "$POD_TMP/meshinit" && MESHINIT=$POD_TMP/meshinit

in_pod sysctl -qw net.ipv4.ip_unprivileged_port_start=0
listen_pod proxy-out 15001 --uid 1337 --gid 1337
listen_peer peer 80
listen_peer peer 9999

has() { grep -q -- "$1" <<<"$2"; }
hasx() { grep -qFx -- "$1" <<<"$2"; }
# the README's example: no install flag
explain() { "$MESHINIT" explain --netns "$POD_NS" --direction out --uid 1000 \
	--gid 1000 "$@" 2>&1; }

out=$(explain --dst 10.77.0.1:80)
check "nothing installed: explain says so" \
	hasx "rules: none: table inet meshinit is not installed in this namespace (give install flags to explain a configuration)" "$out"
check "nothing installed: the packet passes" has "^outcome: passes (not captured)" "$out"

# Istio's default injection
meshinit_pod -p 15001 -z 15006 -u 1337 -g 1337 -m REDIRECT -i '*' -x '' -b '*' \
	-d 15090,15021,15020 || fail "install failed: $(cat "$POD_TMP/meshinit.log")"
out=$(explain --dst 10.77.0.1:80)
check "default install, no flags: the installed table and its record are walked" \
	hasx "rules: the installed table inet meshinit (install record of meshinit $("$MESHINIT" --version | head -n1 | awk '{print $2}'))" "$out"
check "default install, no flags: captured -> :15001, decided by -i '*'" \
	hasx "outcome: captured -> redirected to :15001 (outbound listener); decided by istio-output rule 7 \"-i '*' outbound capture\"" "$out"
ans=$(client 1000 1000 10.77.0.1 80)
expect "reality: the connection lands on the proxy" "$ans" label=proxy-out

# an install that excludes 10.77.0.0/16: the same command, another answer
meshinit_pod -p 15001 -z 15006 -u 1337 -g 1337 -m REDIRECT -i '*' \
	-x 10.77.0.0/16 -b '*' || fail "install failed: $(cat "$POD_TMP/meshinit.log")"
out=$(explain --dst 10.77.0.1:80)
check "-x install, no flags: passes, decided by the -x rule" \
	has "^outcome: passes (not captured); decided by istio-output rule [0-9]* \"-x excluded CIDRs\": 10.77.0.1 in exclude-cidrs4" "$out"
ans=$(client 1000 1000 10.77.0.1 80)
expect "reality: the connection reaches the peer" "$ans" label=peer
out=$(explain --dst 10.78.0.1:80)
check "-x install, no flags: elsewhere still captured" \
	has "^outcome: captured -> redirected to :15001 (outbound listener)" "$out"

# rules added by hand
in_pod nft insert rule inet meshinit istio-output tcp dport 9999 drop
in_pod nft insert rule inet meshinit istio-output ip ttl 1 drop
out=$(explain --kernel --dst 10.78.0.1:9999)
rc=$?
check "hand-added rule: walked where it stands, named as added by hand" \
	has "^outcome: dropped; decided by istio-output rule 2 (no meshinit comment: added by hand?)" "$out"
check "a rule meshinit cannot read back: shown, not evaluated" \
	has "^istio-output  *rule 1  # not read back by meshinit: .*-> no (cannot evaluate it: assumed not to match)$" "$out"
check "... and said so" \
	has "^note: istio-output rule 1 is not one meshinit writes (added by hand?) and cannot be evaluated" "$out"
check "hand-added rule: --kernel names it as the decider" \
	hasx "kernel: decided by inet meshinit chain istio-output rule 2: tcp dport 9999 drop" "$out"
check "hand-added rule: kernel agrees (exit 0)" \
	sh -c "[ $rc -eq 0 ]"
check "... 'kernel agrees'" hasx "kernel agrees" "$out"
ans=$(client 1000 1000 10.78.0.1 9999 --timeout 2)
expect_err "reality: the connection to :9999 is dropped" "$ans" timeout

# install flags given: those are explained, and said so
out=$("$MESHINIT" explain --netns "$POD_NS" --direction out --uid 1000 \
	--gid 1000 --dst 10.77.0.1:80 -u 1337 -i '*' 2>&1)
check "install flags given: their plan is walked" \
	hasx "rules: the plan of the install flags given" "$out"

pod_finish
