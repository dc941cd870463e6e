/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef MI_CLI_H
#define MI_CLI_H

#include <stdbool.h>
#include <stdint.h>
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

/* Warnings found while parsing; main() logs them once the log is set up. */
#define MI_CLI_MAX_WARN 24
#define MI_CLI_WARN_LEN 400

struct mi_warnings {
	size_t n;
	char msg[MI_CLI_MAX_WARN][MI_CLI_WARN_LEN];
};

/* --log_target may be given this many times. */
#define MI_CLI_MAX_LOG_TARGETS 4

/* Outcome of parsing: the command and the typed configuration. */
struct mi_cli {
	enum mi_cmd cmd;
	enum mi_cmd help_cmd;	/* MI_CMD_HELP: whose help; HELP for all */
	struct mi_config cfg;
	char status_format[8];	/* "text" or "json" */
	struct mi_flow_args flow;	/* explain, trace */
	bool allow_host_netns;	/* --allow-host-netns */
	const char *dry_run_file; /* DRY_RUN_FILE_PATH, or NULL */
	/* --log_target values in order (argv strings); none: the default */
	const char *log_targets[MI_CLI_MAX_LOG_TARGETS];
	size_t n_log_targets;
	struct mi_warnings warn;
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
 * NSS. A value of one of Istio's environment variables that Istio
 * ignores gets Istio's outcome and a warning in @cli->warn, as do
 * combinations Istio accepts that are almost certainly mistakes.
 * On error returns a negative errno with @err filled: err->exit is
 * MI_EXIT_USAGE (unknown command, flag or stray word; a malformed
 * boolean, number or duration) or MI_EXIT_FAILURE (a value meshinit
 * cannot use), the same whether the value came from a flag or from a
 * MESHINIT_* variable; err->src says which.
 * Release @cli->cfg with mi_config_release() in every case.
 */
int mi_cli_parse(int argc, char *const argv[], char *const envp[],
		 struct mi_cli *cli, struct mi_err *err);

/*
 * Print the --help text: everything for MI_CMD_HELP, else the part of
 * command @cmd (its usage, the flags it reads, the exit codes).
 */
void mi_cli_usage(FILE *out, const char *prog, enum mi_cmd cmd);

/*
 * Warnings that need the detected environment (IPv6 on or off): call
 * after mi_detect(); appends to @w.
 */
void mi_cli_warn_detected(const struct mi_config *cfg, struct mi_warnings *w);

/*
 * mi_id_parse - a uid (@group false) or gid: a decimal number below
 * 2^32-1 or a name resolved through NSS. The one resolver of user and
 * group names. Returns 0, -EINVAL (not a number, no such name).
 */
int mi_id_parse(const char *s, bool group, uint32_t *out);

/*
 * Print the effective configuration as "KEY=value" lines (Istio's
 * labels and order, then meshinit's own), one per line into @out.
 */
void mi_cli_dump_config(const struct mi_config *cfg, FILE *out);

#endif
