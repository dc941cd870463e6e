#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs each `make check` suite in turn, keeps going after a failure, and
# ends with one table of what ran, passed, failed and was skipped.
#
#   tests/check-summary.sh TARGET...      (make check calls it)
#
# A suite reports by printing, as the last such line of its output,
# "NAME: N passed, N failed, N skipped" (", N skipped" may be left out).
# A suite that prints no such line counts as one test: passed when it
# exits 0, failed otherwise; as skipped when it printed "skipped" or
# "SKIP" and exited 0.
#
# Skips: a suite skips only what cannot run on this machine and prints
# why. As root (where every suite can run on Debian 12) any skip fails
# make check unless MESHINIT_CHECK_ALLOW_SKIP=1; as another user skips
# are listed loudly and allowed.
set -u -o pipefail

MAKE=${MAKE:-make}
BUILD=${BUILD:-build}
logdir=$BUILD/check
mkdir -p "$logdir"

if [ "$(id -u)" = 0 ] && [ "${MESHINIT_CHECK_ALLOW_SKIP:-0}" != 1 ]; then
	fail_on_skip=1
else
	fail_on_skip=0
fi

count_re='([0-9]+) passed, ([0-9]+) failed(, ([0-9]+) skipped)?'
rows=()
tp=0 tf=0 ts=0
bad=() skipped=()
t_all=$SECONDS

for target in "$@"; do
	log=$logdir/$target.log
	echo "=== make $target"
	t0=$SECONDS
	$MAKE --no-print-directory "$target" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	secs=$((SECONDS - t0))

	line=$(grep -E "$count_re" "$log" | tail -n 1)
	if [[ $line =~ $count_re ]]; then
		p=${BASH_REMATCH[1]} f=${BASH_REMATCH[2]} s=${BASH_REMATCH[4]:-0}
		# a suite that exits non-zero has failed, whatever it counted
		[ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
	elif [ "$rc" -ne 0 ]; then
		p=0 f=1 s=0
	elif grep -qE '(^|[^a-z])(skipped|SKIP)' "$log"; then
		p=0 f=0 s=1
	else
		p=1 f=0 s=0
	fi

	if [ "$f" -gt 0 ]; then
		result=FAILED
		bad+=("$target")
	elif [ "$s" -gt 0 ]; then
		result=skipped
		skipped+=("$target")
	else
		result=ok
	fi
	rows+=("$(printf '%-22s %7s %7s %8s %6ss  %s' "$target" "$p" "$f" "$s" "$secs" "$result")")
	tp=$((tp + p)) tf=$((tf + f)) ts=$((ts + s))
done

echo
echo "=== make check summary (logs: $logdir/TARGET.log)"
printf '%-22s %7s %7s %8s %7s  %s\n' suite passed failed skipped time result
printf '%s\n' "${rows[@]}"
for t in "${skipped[@]}"; do
	echo "skipped in $t:"
	grep -E 'SKIP|skipped' "$logdir/$t.log" |
		grep -vE '(^|[ ,])[0-9]+ skipped( |,|\)|$)' | sed 's/^/    /' | head -n 20
done
[ ${#bad[@]} -eq 0 ] || echo "FAILED suites: ${bad[*]}"
if [ ${#skipped[@]} -gt 0 ] && [ "$fail_on_skip" = 1 ]; then
	echo "FAILED: suites skipped tests that can run here (root):" \
		"${skipped[*]}; MESHINIT_CHECK_ALLOW_SKIP=1 allows it"
	tf=$((tf + ${#skipped[@]}))
fi
echo "total time: $((SECONDS - t_all)) s over $# suites"
echo "check: $tp passed, $tf failed, $ts skipped"
[ "$tf" -eq 0 ]
