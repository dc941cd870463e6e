# make demo: install deps, build, then run netns-tests/demo.sh as root: a
# throw-away pod namespace with Istio's default injection rules, the
# ruleset, and one app connection landing on the outbound listener.

demo: deps meshinit
	@MESHINIT=$(abspath meshinit) netns-tests/demo.sh

.PHONY: demo
