#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Run every netns-tests/NNNN-*.sh (or those whose number matches the glob
# given as $1) in order against $MESHINIT (default ./meshinit). Exit 0 when none failed (skips are fine), 1 otherwise.
# Not root: print one skip line and succeed.
dir=$(cd "$(dirname "$0")" && pwd)
export MESHINIT=${MESHINIT:-./meshinit}
# the same program with the test hooks (MESHINIT_FAULT_INJECT, ...), for
# the steps that need them; the release ./meshinit has none
export MESHINIT_TEST=${MESHINIT_TEST:-$dir/../build/meshinit-test}

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP check-netns: needs root (real network namespaces, HAProxy)"
	exit 0
fi

pass=0 fail=0 skip=0 failed=""
# an optional glob narrows the run, e.g. '3???' for the debugging tools
for t in "$dir"/${1:-[0-9][0-9][0-9][0-9]}-*.sh; do
	[ -e "$t" ] || continue
	name=$(basename "$t")
	echo "== $name"
	bash "$t"
	case $? in
	0) pass=$((pass + 1));;
	77) skip=$((skip + 1)); echo "SKIP $name";;
	*) fail=$((fail + 1)); failed="$failed $name"; echo "FAIL $name";;
	esac
done

# nothing of ours may be left behind: namespaces (mi-nt-SUITE-PID-* and
# mi-dbg-PID-*) and processes working in a temp dir (/tmp/mi-nt-SUITE-PID.*)
# of a test whose PID has exited. Tests of other, still running, sessions
# are not ours.
for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^mi-(nt|dbg)-'); do
	pid=$(echo "$ns" | sed -n 's/^mi-\(nt-.*\|dbg\)-\([0-9][0-9]*\)-[a-z]*$/\2/p')
	if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
		echo "FAIL: namespace left behind: $ns"
		fail=$((fail + 1))
	fi
done
while read -r ppid cmd; do
	[ -n "$ppid" ] || continue
	pid=$(echo "$cmd" | sed -n 's#.*/tmp/mi-nt-[^ ]*-\([0-9][0-9]*\)\.[A-Za-z0-9]*/.*#\1#p')
	if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
		echo "FAIL: process left behind: $ppid $cmd"
		fail=$((fail + 1))
	fi
done < <(pgrep -af '/tmp/mi-nt-' 2>/dev/null)
[ -n "$failed" ] && echo "failed:$failed"
echo "netns: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
