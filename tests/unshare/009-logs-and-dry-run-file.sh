#!/usr/bin/env bash
# --log_target as Istio (stdout, stderr, files, repeatable), each error
# printed once per stream, DRY_RUN_FILE_PATH gets the dry-run script.
. "$(dirname "$0")/lib.sh"

A='-i * -b * --ipv6 off'
in_ns '
set +e -f
"$MESHINIT" '"$A"' --log_target stderr --log_target "$T/log" >"$T/out1" 2>"$T/err1"
echo $? >"$T/rc1"
"$MESHINIT" '"$A"' >"$T/out2" 2>"$T/err2"
echo $? >"$T/rc2"
nft list ruleset >"$T/before"
"$MESHINIT" -b 80 --log_target /nonexistent/dir/log >"$T/out3" 2>"$T/err3"
echo $? >"$T/rc3"
nft list ruleset >"$T/after"
"$MESHINIT" '"$A"' --netns /nonexistent/ns >"$T/out4" 2>"$T/err4"
echo $? >"$T/rc4"
"$MESHINIT" '"$A"' --netns /nonexistent/ns --log_target stderr >"$T/out5" 2>"$T/err5"
echo $? >"$T/rc5"
' || fail "namespace setup failed"
[ "$(cat "$T/rc1")" = 0 ] || fail "install with two log targets: exit $(cat "$T/rc1"): $(cat "$T/err1")"
[ -s "$T/out1" ] && fail "--log_target stderr/file: stdout is not empty: $(head -3 "$T/out1")"
grep -q "installed table inet meshinit" "$T/err1" || fail "the stderr target lacks the summary"
same "$T/err1" "$T/log" "the file target differs from the stderr target"
ok "--log_target stderr --log_target FILE: every line in both, nothing on stdout"
grep -q "meshinit configuration" "$T/out2" || fail "default: the log is not on stdout"
[ -s "$T/err2" ] && fail "default: stderr is not empty: $(head -3 "$T/err2")"
ok "no --log_target: logs on stdout (Istio's default)"
[ "$(cat "$T/rc3")" = 1 ] && grep -q "cannot open --log_target" "$T/err3" ||
	fail "unopenable target: exit $(cat "$T/rc3"), $(cat "$T/err3")"
same "$T/before" "$T/after" "an unopenable --log_target changed the ruleset"
ok "an unopenable --log_target: exit 1, nothing changed"
[ "$(cat "$T/rc4")" = 1 ] || fail "bad --netns: exit $(cat "$T/rc4")"
[ "$(grep -c "cannot open network namespace" "$T/err4")" = 1 ] ||
	fail "stderr does not hold the error exactly once: $(cat "$T/err4")"
[ "$(grep -c "cannot open network namespace" "$T/out4")" = 1 ] ||
	fail "the stdout log does not hold the error exactly once: $(cat "$T/out4")"
[ "$(grep -c "cannot open network namespace" "$T/err5")" = 1 ] ||
	fail "log on stderr: the error is not printed exactly once there: $(cat "$T/err5")"
ok "an error is printed once per stream (stderr; the log when it is not stderr)"

# DRY_RUN_FILE_PATH: the script, also into the file (truncated first)
set -f  # $A holds *
head -c 100000 /dev/zero | tr '\0' x >"$T/dry.nft"
DRY_RUN_FILE_PATH=$T/dry.nft "$MESHINIT" --dry-run $A >"$T/script" 2>"$T/err6" ||
	fail "dry run with DRY_RUN_FILE_PATH: $(cat "$T/err6")"
grep -q "table inet meshinit" "$T/script" || fail "no script on stdout"
same "$T/script" "$T/dry.nft" "DRY_RUN_FILE_PATH does not hold exactly the script"
ok "DRY_RUN_FILE_PATH holds exactly the dry-run script (an older, longer file truncated)"
DRY_RUN_FILE_PATH=/nonexistent/dir/x "$MESHINIT" --dry-run $A >"$T/script2" 2>"$T/err7" ||
	fail "an unwritable DRY_RUN_FILE_PATH failed the dry run (Istio ignores it)"
grep -q "cannot write the dry-run script" "$T/err7" || fail "no warning for an unwritable DRY_RUN_FILE_PATH"
ok "an unwritable DRY_RUN_FILE_PATH: a warning, the dry run still succeeds"
finish
