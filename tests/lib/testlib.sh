# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# The one vocabulary of meshinit's shell tests (tests/unshare, tests/hostile,
# netns-tests and the suites added since): every test library sources this
# and adds only helpers of its own domain.
#
# Fatal: the test cannot go on.
#   fail MSG            print "NAME: FAIL - MSG", exit 1
#   same A B MSG        files A and B identical, else a diff and fail MSG
#   skip MSG            the whole test cannot run on this machine: exit 77
# Counted: the test goes on and finish reports.
#   ok MSG              one check passed
#   not_ok MSG          one check failed
#   check MSG CMD...    run CMD: ok MSG when it succeeds, else not_ok MSG
#   expect_same A B MSG ok when A and B are identical, else a diff, not_ok
#   skipped MSG         one check cannot run here (counted, and printed)
#   say MSG             print "NAME: MSG"
#   finish              print "NAME: N passed, N failed, N skipped";
#                       exit 0, or 1 when anything failed
# Counters live in this shell: a counted helper called in a subshell or a
# pipeline is lost, so call those at top level (fatal ones work anywhere).

TEST_NAME=${TEST_NAME:-$(basename "$0" .sh)}
T_PASS=0
T_FAIL=0
T_SKIP=0

say() { printf '%s: %s\n' "$TEST_NAME" "$*"; }
fail() { printf '%s: FAIL - %s\n' "$TEST_NAME" "$*"; exit 1; }
skip() { printf '%s: SKIP - %s\n' "$TEST_NAME" "$*"; exit 77; }
ok() { T_PASS=$((T_PASS + 1)); printf '%s: ok - %s\n' "$TEST_NAME" "$*"; }
not_ok() { T_FAIL=$((T_FAIL + 1)); printf '%s: FAIL - %s\n' "$TEST_NAME" "$*"; }
skipped() { T_SKIP=$((T_SKIP + 1)); printf '%s: SKIP - %s\n' "$TEST_NAME" "$*"; }

check() {
	local msg=$1

	shift
	if "$@"; then ok "$msg"; else not_ok "$msg"; fi
}

same() {
	if ! cmp -s "$1" "$2"; then
		diff -u "$1" "$2" | head -n 60 || true
		fail "$3"
	fi
}

expect_same() {
	if cmp -s "$1" "$2"; then
		ok "$3"
	else
		diff -u "$1" "$2" | head -n 40 || true
		not_ok "$3"
	fi
}

finish() {
	say "$T_PASS passed, $T_FAIL failed, $T_SKIP skipped"
	[ "$T_FAIL" -eq 0 ] || exit 1
	exit 0
}
