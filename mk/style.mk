# Style: .clang-format describes the code as it is written (kernel style).
#   make check-style   no line of C added or changed since $(STYLE_BASE)
#                      is longer than 80 columns (tabs of 8), so long lines
#                      stop growing; older long lines are left as they are
#   make format FILE=src/x.c   clang-format one file in place
STYLE_BASE := 5e357d5
STYLE_DIRS := src include tests fuzz bench
# git ORs pathspecs: name each dir's C files, nothing else
STYLE_PATHS := $(foreach d,$(STYLE_DIRS),':(glob)$(d)/**/*.c' ':(glob)$(d)/**/*.h')

check-style:
	@if ! git rev-parse -q --verify $(STYLE_BASE)^{commit} >/dev/null 2>&1; then \
		echo "check-style: FAILED: needs the git history back to $(STYLE_BASE) (a clone, not an export)"; exit 1; fi; \
	long=$$(git diff -U0 $(STYLE_BASE) -- $(STYLE_PATHS) | \
		awk '/^\+\+\+ /{f=substr($$0,7); next} /^@@/{split($$3,a,","); n=substr(a[1],2)-1; next} \
		/^\+/{n++; l=substr($$0,2); gsub(/\t/,"        ",l); if (length(l)>80) print f ":" n ": " length(l) " columns"}'); \
	if [ -n "$$long" ]; then echo "$$long"; \
		echo "style: 0 passed, $$(echo "$$long" | wc -l) failed (lines over 80 columns)"; exit 1; fi; \
	echo "style: 1 passed, 0 failed (no line over 80 columns added since $(STYLE_BASE))"

format:
	@test -n "$(FILE)" || { echo "usage: make format FILE=src/x.c"; exit 2; }
	clang-format -i $(FILE)

CHECK_TARGETS += check-style
DEB_PKGS += git
.PHONY: check-style format
