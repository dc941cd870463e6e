// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * capdump - test helper for make check-image (not shipped; linked
 * statically so it runs inside the scratch image): print the uid, gid,
 * no_new_privs flag and the five capability sets of this process as it
 * was started by the container runtime, one "key=value" a line, e.g.
 *   uid=1337 gid=1337 inh=0 prm=0 eff=0 bnd=1000 amb=0 nnp=1
 * (hex masks from /proc/self/status). It has no file capability, so what
 * it shows is what a program without one gets from the runtime.
 */
#include <stdio.h>
#include <string.h>

int main(void)
{
	static const char *const keys[][2] = {
		{ "Uid:", "uid" }, { "Gid:", "gid" }, { "NoNewPrivs:", "nnp" },
		{ "CapInh:", "inh" }, { "CapPrm:", "prm" },
		{ "CapEff:", "eff" }, { "CapBnd:", "bnd" },
		{ "CapAmb:", "amb" },
	};
	char line[256], val[64];
	unsigned long long mask;
	FILE *f = fopen("/proc/self/status", "re");
	size_t i, n;

	if (!f) {
		perror("capdump: /proc/self/status");
		return 1;
	}
	while (fgets(line, sizeof(line), f)) {
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			n = strlen(keys[i][0]);
			if (strncmp(line, keys[i][0], n) ||
			    sscanf(line + n, "%63s", val) != 1)
				continue;
			/* the capability masks in hex without leading zeros */
			if (!strncmp(keys[i][0], "Cap", 3) &&
			    sscanf(val, "%llx", &mask) == 1)
				printf("%s=%llx\n", keys[i][1], mask);
			else
				printf("%s=%s\n", keys[i][1], val);
		}
	}
	fclose(f);
	return 0;
}
