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

for c in istio-iptables install cleanup status verify; do
	grep -qF -- ".B $(roff "$c")" "$man" || grep -qF -- "$(roff "$c")" "$man" ||
		bad "command $c is not in $man"
done

for code in $(printf '%s\n' "$help" | sed -n '/^Exit codes:/,$p' | grep -oE '(^|; |: )[0-9]+ ' | grep -oE '[0-9]+'); do
	grep -qx ".B $code" "$man" || bad "exit code $code is not in EXIT STATUS"
done

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
