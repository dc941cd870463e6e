#!/usr/bin/env bash
# Run every tests/unshare/NNN-*.sh; exit 0 pass, 77 skip, else fail.
# Prints a final "N passed, M failed, K skipped" line.
set -uo pipefail
cd "$(dirname "$0")"
pass=0 fail=0 skip=0
failed=()
skipped=()
for t in [0-9][0-9][0-9]-*.sh; do
	echo "== $t"
	t0=$SECONDS
	bash "./$t"
	rc=$?
	echo "-- $t: exit $rc, $((SECONDS - t0)) s"
	case $rc in
	0) pass=$((pass + 1)) ;;
	77) skip=$((skip + 1)); skipped+=("$t") ;;
	*) fail=$((fail + 1)); failed+=("$t (exit $rc)") ;;
	esac
done
[ $skip = 0 ] || printf 'skipped: %s\n' "${skipped[@]}"
[ $fail = 0 ] || printf 'FAILED: %s\n' "${failed[@]}"
echo "unshare: $pass passed, $fail failed, $skip skipped"
[ $fail = 0 ]
