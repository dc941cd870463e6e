#!/usr/bin/env bash
# Regenerate every tests/golden/<name>.nft with the binary's --dry-run and
# diff it against the committed file (test-print does the same through the
# library). --update rewrites the golden files instead.
#   MESHINIT=build/meshinit-san tests/golden-dry-run.sh [--update]
set -euo pipefail
set -f # '*' in the case arguments is literal
cd "$(dirname "$0")/.."
MESHINIT=${MESHINIT:-build/meshinit-san}
update=0
[ "${1:-}" = --update ] && update=1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mi-golden.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
pass=0
failed=0
while IFS=$'\t' read -r name ipv6 servers env args; do
	case $name in '#'* | '') continue ;; esac
	: >"$tmp/resolv.conf"
	if [ "$servers" != - ]; then
		for s in $servers; do echo "nameserver $s" >>"$tmp/resolv.conf"; done
	fi
	argv=()
	for a in $args; do
		if [ "$a" = "''" ]; then argv+=(""); else argv+=("$a"); fi
	done
	envv=()
	[ "$env" != - ] && for e in $env; do envv+=("$e"); done
	if ! env ${envv[@]+"${envv[@]}"} "$MESHINIT" --dry-run "${argv[@]}" --ipv6 "$ipv6" \
		--resolv-conf "$tmp/resolv.conf" >"$tmp/$name.nft" 2>"$tmp/$name.err"; then
		cat "$tmp/$name.err" >&2
		echo "not ok - $name: meshinit --dry-run failed"
		failed=$((failed + 1))
		continue
	fi
	if [ $update = 1 ]; then
		cp "$tmp/$name.nft" "tests/golden/$name.nft"
		echo "updated tests/golden/$name.nft"
	elif diff -u "tests/golden/$name.nft" "$tmp/$name.nft" >"$tmp/$name.diff"; then
		echo "ok - $name: --dry-run output equals tests/golden/$name.nft"
		pass=$((pass + 1))
	else
		head -40 "$tmp/$name.diff"
		echo "not ok - $name: --dry-run output differs from tests/golden/$name.nft"
		failed=$((failed + 1))
	fi
done <tests/golden/cases.tsv
echo "golden-dry-run: $pass passed, $failed failed"
[ $failed = 0 ]
