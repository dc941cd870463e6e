/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the argv/env parser (mi_cli_parse).
 *
 * Input: NUL-separated strings. A string that starts with "ENV:" becomes
 * an environment entry (the rest, "K=V"); every other string is an argv
 * element after argv[0] = "meshinit". Checks that a successful parse
 * leaves a sane configuration and that every failure carries a message
 * and an exit code.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_STRS 256

static void check_ranges(const struct mi_ranges *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].lo > l->v[i].hi)
			abort();
}

static void check_cfg(const struct mi_config *cfg)
{
	check_ranges(&cfg->proxy_uids);
	check_ranges(&cfg->proxy_gids);
	check_ranges(&cfg->inbound_ports);
	check_ranges(&cfg->inbound_exclude_ports);
	check_ranges(&cfg->outbound_include_ports);
	check_ranges(&cfg->outbound_exclude_ports);
	check_ranges(&cfg->exclude_uids);
	check_ranges(&cfg->exclude_gids);
	for (size_t i = 0; i < cfg->outbound_exclude.n; i++) {
		const struct mi_cidr *c = &cfg->outbound_exclude.v[i];

		if ((c->family != AF_INET || c->plen > 32) &&
		    (c->family != AF_INET6 || c->plen > 128))
			abort();
	}
	if (memchr(cfg->resolv_conf, '\0', sizeof(cfg->resolv_conf)) == NULL ||
	    memchr(cfg->netns, '\0', sizeof(cfg->netns)) == NULL)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);
	char *argv[MAX_STRS + 2], *envp[MAX_STRS + 1];
	int argc = 0, envc = 0;
	struct mi_cli cli;
	struct mi_err err = { 0 };
	size_t i = 0;
	int ret;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[argc++] = (char *)"meshinit";
	while (i <= size && argc < MAX_STRS + 1 && envc < MAX_STRS) {
		char *s = buf + i;
		size_t len = strlen(s);

		if (!strncmp(s, "ENV:", 4))
			envp[envc++] = s + 4;
		else
			argv[argc++] = s;
		i += len + 1;
	}
	argv[argc] = NULL;
	envp[envc] = NULL;

	memset(&cli, 0, sizeof(cli));
	ret = mi_cli_parse(argc, argv, envp, &cli, &err);
	if (ret < 0) {
		/* a failure must say why and how to exit */
		if (!err.msg[0] || err.code >= 0 ||
		    (err.exit != MI_EXIT_USAGE && err.exit != MI_EXIT_FAILURE))
			abort();
	} else {
		if (ret != 0)
			abort();
		check_cfg(&cli.cfg);
	}
	mi_config_release(&cli.cfg);
	free(buf);
	return 0;
}
