#!/usr/bin/env bash
# The shipped binary has no test hooks (issue 15 item 8): no hook name in
# it, MESHINIT_FAULT_INJECT changes nothing there (the install succeeds)
# and MESHINIT_TEST_CAPS_FILE writes nothing; the test build honours both.
. "$(dirname "$0")/lib.sh"

REL=${MESHINIT_RELEASE:-$(cd "$(dirname "$0")/../.." && pwd)/meshinit}
[ -x "$REL" ] || fail "no release binary at $REL (make meshinit)"
export REL
command -v strings >/dev/null || skip "strings (binutils) not installed"

# (whole outputs, not grep -q: with pipefail an early grep exit fails strings)
rel_strings=$(strings "$REL")
test_strings=$(strings "$MESHINIT")
for word in MESHINIT_FAULT MESHINIT_TEST; do
	if grep "$word" <<<"$rel_strings" >/dev/null; then
		fail "the release binary contains $word: $(grep "$word" <<<"$rel_strings" | head -3)"
	fi
done
grep MESHINIT_FAULT_INJECT <<<"$test_strings" >/dev/null ||
	fail "the test build $MESHINIT has no MESHINIT_FAULT_INJECT (is it built with -DMI_TEST_HOOKS?)"
ok "strings: no MESHINIT_FAULT / MESHINIT_TEST in $(basename "$REL"); the test build has them"

in_ns '
set +e
MESHINIT_FAULT_INJECT=first MESHINIT_TEST_CAPS_FILE=$T/caps "$REL" -i "*" -b "*" --ipv6 off >"$T/out" 2>&1
echo $? >"$T/rc"
nft list table inet meshinit >"$T/table" 2>&1
' || fail "namespace setup failed"
[ "$(cat "$T/rc")" = 0 ] || fail "release install with MESHINIT_FAULT_INJECT=first: exit $(cat "$T/rc"): $(cat "$T/out")"
grep -q "redirect to :15001" "$T/table" || fail "release install did not install: $(cat "$T/table")"
[ -e "$T/caps" ] && fail "the release binary wrote MESHINIT_TEST_CAPS_FILE"
ok "release: MESHINIT_FAULT_INJECT=first is ignored (exit 0, rules installed), no caps file written"

in_ns '
set +e
MESHINIT_FAULT_INJECT=first MESHINIT_TEST_CAPS_FILE=$T/caps2 "$MESHINIT" -i "*" -b "*" --ipv6 off >"$T/out2" 2>&1
echo $? >"$T/rc2"
' || fail "namespace setup failed"
[ "$(cat "$T/rc2")" = 1 ] || fail "test build with MESHINIT_FAULT_INJECT=first: exit $(cat "$T/rc2"), want 1"
grep -q "^@after-narrow" "$T/caps2" || fail "the test build wrote no capability snapshot"
ok "test build: the fault is injected (exit 1) and the caps snapshot written"
finish
