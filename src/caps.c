/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "caps.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#ifdef MI_TEST_HOOKS
/*
 * Test hook (test builds only): append the capability lines of
 * /proc/self/status to the file named by MESHINIT_TEST_CAPS_FILE, under a
 * "@tag" line.
 */
static void snapshot(const char *tag)
{
	const char *path = getenv("MESHINIT_TEST_CAPS_FILE");
	char line[256];
	FILE *in, *out;

	if (!path || !*path)
		return;
	in = fopen("/proc/self/status", "re");
	out = fopen(path, "ae");
	if (in && out) {
		fprintf(out, "@%s\n", tag);
		while (fgets(line, sizeof(line), in))
			if (!strncmp(line, "Cap", 3) || !strncmp(line, "NoNewPrivs:", 11))
				fputs(line, out);
	}
	if (in)
		fclose(in);
	if (out)
		fclose(out);
}
#else
static void snapshot(const char *tag)
{
	(void)tag;
}
#endif

static bool has_flag(cap_t c, cap_value_t v, cap_flag_t set)
{
	cap_flag_value_t val = CAP_CLEAR;

	return cap_get_flag(c, v, set, &val) == 0 && val == CAP_SET;
}

int mi_caps_narrow(struct mi_err *err)
{
	static const cap_value_t keep[] = { CAP_NET_ADMIN };
	cap_t cur = cap_get_proc(), next = cap_init();
	bool held;
	int ret = 0;

	if (!cur || !next) {
		ret = -errno;
		mi_err_set(err, ret, "cannot read capabilities: %s", strerror(-ret));
		goto out;
	}
	held = has_flag(cur, CAP_NET_ADMIN, CAP_PERMITTED);
	if (held && (cap_set_flag(next, CAP_PERMITTED, 1, keep, CAP_SET) < 0 ||
		     cap_set_flag(next, CAP_EFFECTIVE, 1, keep, CAP_SET) < 0)) {
		ret = -errno;
		mi_err_set(err, ret, "cannot keep CAP_NET_ADMIN: %s", strerror(-ret));
		goto out;
	}
	if (cap_set_proc(next) < 0) {
		ret = -errno;
		mi_err_set(err, ret, "cannot narrow capabilities: %s", strerror(-ret));
		goto out;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		ret = -errno;
		mi_err_set(err, ret, "cannot set no_new_privs: %s", strerror(-ret));
		goto out;
	}
	snapshot("after-narrow");
out:
	if (cur)
		cap_free(cur);
	if (next)
		cap_free(next);
	return ret;
}

void mi_caps_drop_all(void)
{
	cap_t none = cap_init();

	if (none) {
		cap_set_proc(none);
		cap_free(none);
	}
	snapshot("after-drop");
}

bool mi_caps_have_net_admin(void)
{
	cap_t cur = cap_get_proc();
	bool ret;

	if (!cur)
		return false;
	ret = has_flag(cur, CAP_NET_ADMIN, CAP_EFFECTIVE);
	cap_free(cur);
	return ret;
}
