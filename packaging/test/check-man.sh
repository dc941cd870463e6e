#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# check-man.sh MESHINIT MANPAGE - the man page documents everything --help
# prints (every --flag, command, environment variable), lints clean with
# groff, and --version names the three libraries.
set -u

bin=$1
man=$2
fails=0
bad() { echo "FAIL $*"; fails=$((fails + 1)); }

# roff source spelling of a word: '-' is written '\-'
roff() { printf '%s\n' "$1" | sed 's/-/\\-/g'; }

help=$("$bin" --help) || { echo "FAIL $bin --help"; exit 1; }

flags=$(printf '%s\n' "$help" | grep -o -- '--[a-z][a-z0-9_-]*' | sort -u)
n=0
for f in $flags; do
	n=$((n + 1))
	grep -qF -- "$(roff "$f")" "$man" || bad "flag $f is not in $man"
done
[ "$n" -ge 40 ] || bad "only $n flags found in --help: the parser is broken"

envs=$(printf '%s\n' "$help" | grep -oE '\b[A-Z][A-Z0-9]*(_[A-Z0-9]+)+\b' | sort -u)
for e in $envs; do
	grep -qF -- "$e" "$man" || bad "environment variable $e is not in $man"
done

for c in istio-iptables install cleanup status verify explain trace help; do
	grep -qF -- ".B $(roff "$c")" "$man" || grep -qF -- "$(roff "$c")" "$man" ||
		bad "command $c is not in $man"
done

ncodes=0
for code in $(printf '%s\n' "$help" | sed -n '/^Exit codes/,/^$/p' | grep -oE '^  [0-9]+ ' | grep -oE '[0-9]+'); do
	ncodes=$((ncodes + 1))
	grep -qx ".B $code" "$man" || bad "exit code $code is not in EXIT STATUS"
done
[ "$ncodes" -ge 7 ] || bad "only $ncodes exit codes found in --help"
# the synopsis and the examples name every command
for c in cleanup status verify explain trace help; do
	sed -n '/^\.SH SYNOPSIS/,/^\.SH /p' "$man" | grep -q "^\.B meshinit $c" ||
		bad "the SYNOPSIS lacks $c"
	sed -n '/^\.SH EXAMPLES/,/^\.SH /p' "$man" | grep -q "^meshinit $c" ||
		bad "the EXAMPLES lack $c"
done
# no continuation line rendered as an entry of its own
sed -n '/^\.SH COMMANDS/,/^\.SH /p' "$man" | grep -A1 '^\.TP' | grep '^\.B' |
	grep -vE '^\.B (install, istio\\-iptables|cleanup|status|verify|explain|trace|help \[COMMAND\])$' |
	while read -r l; do echo "FAIL COMMANDS entry that is no command: $l"; done | grep . && fails=$((fails + 1))

if command -v groff >/dev/null; then
	lint=$(groff -man -Tutf8 -ww -z "$man" 2>&1)
	[ -z "$lint" ] || bad "groff warnings: $lint"
fi

ver=$("$bin" --version)
for lib in libnftnl libmnl libcap; do
	printf '%s\n' "$ver" | grep -qE "$lib [0-9]" || bad "--version does not name $lib with a version"
done
printf '%s\n' "$ver" | grep -q "^meshinit [0-9]" || bad "--version does not start with meshinit VERSION"

if [ "$fails" -ne 0 ]; then
	echo "check-man: $fails failure(s)"
	exit 1
fi
echo "check-man: $n flags, $(echo $envs | wc -w) environment variables, commands, exit codes and --version OK"
