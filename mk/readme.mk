# make check-readme: README.md documents every flag and env var of --help.
# Also the packages the 2xxx netns tests need (conntrack, strace).

DEB_PKGS += conntrack strace

# The README documents every flag and environment variable of --help.
check-readme: meshinit
	@mkdir -p $(BUILD)
	@./meshinit --help > $(BUILD)/help.txt; missing=0; \
	for f in $$(grep -o -- '--[a-z_][a-z0-9_-]*' $(BUILD)/help.txt | sort -u) \
		 $$(grep -o '\b[A-Z][A-Z0-9_]*_[A-Z0-9_]*\b' $(BUILD)/help.txt | sort -u); do \
		grep -q -- "$$f" README.md || { echo "README.md lacks $$f"; missing=$$((missing + 1)); }; \
	done; \
	echo "readme: $$(grep -o -- '--[a-z_][a-z0-9_-]*' $(BUILD)/help.txt | sort -u | wc -l) flags checked, $$missing missing"; \
	test $$missing -eq 0

CHECK_TARGETS += check-readme
.PHONY: check-readme
