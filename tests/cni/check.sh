#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make check-cni: every meshinit-cni suite, one summary line at the end:
#   unit        tests/cni/unit-cni.c under ASan/UBSan, then under valgrind
#   e2e         tests/cni/run.sh (root): real CNI chain, API stand-in, traffic
#   conformance tests/cni/conformance.sh (root): the conformance cases that a
#               Pod can express, through the plugin, 0 mismatches
# Last line: "cni: N passed, N failed, N skipped".
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
TEST_NAME=cni
# shellcheck source=../lib/testlib.sh
. "$HERE/../lib/testlib.sh"

suite() {	# suite NAME COMMAND...
	local name=$1 rc
	shift
	echo "== cni $name"
	"$@"
	rc=$?
	case $rc in
	0) ok "$name" ;;
	77) skipped "$name" ;;
	*) not_ok "$name (exit $rc)" ;;
	esac
}

unit_asan() {
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 "${UNIT_CNI:?}" | tail -n 1
	return "${PIPESTATUS[0]}"
}

unit_valgrind() {
	local log rc
	log=$(mktemp)
	valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect \
		--show-leak-kinds=definite,indirect --error-exitcode=9 \
		"${UNIT_CNI_PLAIN:?}" > "$log" 2>&1
	rc=$?
	tail -n 1 "$log"
	[ $rc -eq 0 ] || cat "$log"
	rm -f "$log"
	return $rc
}

suite unit-asan unit_asan
suite unit-valgrind unit_valgrind
if [ "$(id -u)" -ne 0 ]; then
	skipped "e2e (needs root)"
	skipped "conformance (needs root)"
else
	# the end-to-end run uses the sanitizer build of the plugin
	suite e2e env MESHINIT_CNI="${MESHINIT_CNI_SAN:-$MESHINIT_CNI}" \
		ASAN_OPTIONS=detect_leaks=1 "$HERE/run.sh"
	suite conformance "$HERE/conformance.sh"
fi
finish
