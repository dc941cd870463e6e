# make check-readme: README.md documents every flag and env var of --help.
# Also the packages the 2xxx netns tests need (conntrack, strace).

DEB_PKGS += conntrack strace

# The README documents every flag and environment variable of --help, and
# its exit code table is the one --help prints, row for row.
check-readme: meshinit
	@mkdir -p $(BUILD)
	@./meshinit --help > $(BUILD)/help.txt; missing=0; \
	for f in $$(grep -o -- '--[a-z_][a-z0-9_-]*' $(BUILD)/help.txt | sort -u) \
		 $$(grep -o '\b[A-Z][A-Z0-9_]*_[A-Z0-9_]*\b' $(BUILD)/help.txt | sort -u); do \
		grep -q -- "$$f" README.md || { echo "README.md lacks $$f"; missing=$$((missing + 1)); }; \
	done; \
	echo "readme: $$(grep -o -- '--[a-z_][a-z0-9_-]*' $(BUILD)/help.txt | sort -u | wc -l) flags checked, $$missing missing"; \
	awk '/^Exit codes/ { on = 1; next } on && /^$$/ { on = 0 } \
		on && /^  [0-9]/ { if (row != "") print row; sub(/^  /, ""); c = $$1; \
			sub(/^[0-9]+ +/, ""); row = "| " c " | " $$0; next } \
		on { sub(/^ +/, ""); row = row " " $$0 } \
		END { if (row != "") print row }' $(BUILD)/help.txt > $(BUILD)/exit-rows.txt; \
	codes=0; while IFS= read -r row; do codes=$$((codes + 1)); \
		grep -qF -- "$$row |" README.md || { echo "README.md's exit code table lacks: $$row |"; missing=$$((missing + 1)); }; \
	done < $(BUILD)/exit-rows.txt; \
	[ $$codes -ge 7 ] || { echo "no exit code table in --help"; missing=$$((missing + 1)); }; \
	echo "readme: $$codes exit codes checked against --help"; \
	test $$missing -eq 0

CHECK_TARGETS += check-readme
.PHONY: check-readme
