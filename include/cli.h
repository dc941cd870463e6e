/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef MI_CLI_H
#define MI_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "config.h"
#include "err.h"

enum mi_cmd {
	MI_CMD_INSTALL,		/* default; also "istio-iptables" */
	MI_CMD_CLEANUP,
	MI_CMD_STATUS,
	MI_CMD_VERIFY,
	MI_CMD_EXPLAIN,
	MI_CMD_TRACE,
	MI_CMD_HELP,
	MI_CMD_VERSION,
};

/*
 * The flow flags of explain and trace, as given (NULL or "" when absent;
 * the strings live in argv). explain.c validates them.
 */
struct mi_flow_args {
	const char *direction, *uid, *gid, *proto, *dst, *src, *iif, *oif;
	const char *ct_state;
	bool kernel, verbose;
};

/* Outcome of parsing: the command and the typed configuration. */
struct mi_cli {
	enum mi_cmd cmd;
	struct mi_config cfg;
	char status_format[8];	/* "text" or "json" */
	struct mi_flow_args flow;	/* explain, trace */
	/*
	 * Flags and environment variables given that shape the rules (not
	 * --netns, -O, logging or explain's packet): 0 means status, verify
	 * and explain work from the install record.
	 */
	unsigned int nrule_options;
};

/*
 * mi_cli_parse - parse @argv and @envp (NULL-terminated "K=V" strings)
 * into @cli, with Istio's precedence: default < env < alias env < argv.
 * Every value is validated and converted; names are resolved through
 * NSS. On error returns a negative errno with @err filled and err->exit
 * set to MI_EXIT_USAGE (flag syntax) or MI_EXIT_FAILURE (bad value).
 * Release @cli->cfg with mi_config_release() in every case.
 */
int mi_cli_parse(int argc, char *const argv[], char *const envp[],
		 struct mi_cli *cli, struct mi_err *err);

/* Print the full --help text. */
void mi_cli_usage(FILE *out, const char *prog);

/*
 * Print the effective configuration as "KEY=value" lines (Istio's
 * labels and order, then meshinit's own), one per line into @out.
 */
void mi_cli_dump_config(const struct mi_config *cfg, FILE *out);

#endif
