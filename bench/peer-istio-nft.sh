#!/bin/bash
# Istio's native nftables path (knftables), as exec'd by istio-iptables
# --native-nftables, minus Go start-up: version probe, two --check probes
# of a dummy table (with, then without, a comment), then the transaction.
#   usage: peer-istio-nft.sh RULESET.nft
set -e
ruleset=$1
nft --version >/dev/null
echo 'add table inet test { comment "test" ; }' | nft --check -f - >/dev/null
echo 'add table inet test' | nft --check -f - >/dev/null
nft -f - <"$ruleset"
