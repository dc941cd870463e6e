/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * meshinit: program a pod's traffic capture for its sidecar proxy.
 * Wires the stages together and maps results to exit codes; the only
 * place that prints errors or exits.
 */
#include <libgen.h>
#include <stdio.h>
#include <string.h>

#include "caps.h"
#include "cli.h"
#include "detect.h"
#include "err.h"
#include "explain.h"
#include "log.h"
#include "netns.h"
#include "run.h"
#include "status.h"
#include "trace.h"
#include "probe.h"
#include "verify.h"

#ifndef MI_VERSION
#define MI_VERSION "0.1.0"
#endif
/* build-time (pkg-config) versions: these libraries have no version API */
#ifndef MI_LIBNFTNL_VERSION
#define MI_LIBNFTNL_VERSION "unknown"
#endif
#ifndef MI_LIBMNL_VERSION
#define MI_LIBMNL_VERSION "unknown"
#endif
#ifndef MI_LIBCAP_VERSION
#define MI_LIBCAP_VERSION "unknown"
#endif

extern char **environ;

static int fail(const struct mi_log *log, const struct mi_err *err)
{
	fprintf(stderr, "error: %s\n", err->msg);
	if (log)
		mi_error(log, "%s", err->msg);
	return err->exit ? err->exit : MI_EXIT_FAILURE;
}

/* Capabilities go before the probe; the diagnosis is read while held. */
static int validate(const struct mi_cli *cli, const struct mi_log *log,
		    struct mi_err *err)
{
	bool probe = cli->cmd == MI_CMD_INSTALL && cli->cfg.run_validation &&
		     !cli->cfg.dry_run;
	struct mi_probe_facts facts = { 0 };
	int ret = 0;

	if (probe)
		mi_probe_collect(&facts);
	mi_caps_drop_all();
	if (probe)
		ret = mi_probe_run(&cli->cfg, &facts, log, err);
	mi_probe_facts_release(&facts);
	return ret < 0 ? fail(log, err) : MI_EXIT_OK;
}

/*
 * explain and trace keep their capabilities: explain --kernel sends its
 * probe as --uid/--gid (CAP_SETUID/CAP_SETGID).
 */
static int explain_trace(struct mi_cli *cli, const struct mi_log *log,
			 struct mi_err *err)
{
	unsigned int warn;
	int ret;

	if (cli->cmd == MI_CMD_TRACE) {
		ret = mi_trace_run(&cli->flow, stdout, err);
	} else {
		ret = mi_detect(&cli->cfg, &warn, err);
		if (!ret) {
			mi_run_log_warnings(log, warn);
			ret = mi_explain_run(cli, &cli->cfg, stdout, err);
		}
	}
	return ret < 0 ? fail(NULL, err) : MI_EXIT_OK;
}

static int run(struct mi_cli *cli, struct mi_err *err)
{
	struct mi_config *cfg = &cli->cfg;
	/* a dry run's script, status and verify own stdout: logs to stderr */
	FILE *logf = cfg->dry_run || cli->cmd == MI_CMD_STATUS ||
		     cli->cmd == MI_CMD_VERIFY || cli->cmd == MI_CMD_EXPLAIN ||
		     cli->cmd == MI_CMD_TRACE ? stderr : stdout;
	struct mi_log log;
	unsigned int warn;
	int ret;

	mi_log_init(&log, logf, cfg);
	if (cfg->netns[0] && mi_netns_enter(cfg->netns, err) < 0)
		return fail(&log, err);
	if (cli->cmd == MI_CMD_EXPLAIN || cli->cmd == MI_CMD_TRACE)
		return explain_trace(cli, &log, err);
	if (mi_caps_narrow(err) < 0)
		return fail(&log, err);
	if (cli->cmd == MI_CMD_STATUS) {
		ret = mi_status_show(!strcmp(cli->status_format, "json"), stdout, err);
	} else if (cli->cmd == MI_CMD_CLEANUP) {
		ret = mi_run_cleanup(cfg, &log, stdout, err);
	} else {
		ret = mi_detect(cfg, &warn, err);
		if (ret < 0)
			return fail(&log, err);
		mi_run_log_warnings(&log, warn);
		if (cli->cmd == MI_CMD_VERIFY)
			ret = mi_verify_run(cfg, cli->nrule_options > 0,
					    stdout, err);
		else
			ret = mi_run_install(cfg, &log, stdout, err);
	}
	if (ret < 0) /* status and verify own stdout: no log line there */
		return fail(cli->cmd == MI_CMD_STATUS || cli->cmd == MI_CMD_VERIFY ?
			    NULL : &log, err);
	return validate(cli, &log, err);
}

int main(int argc, char *argv[])
{
	struct mi_err err = { 0 };
	struct mi_cli cli;
	int code;

	if (mi_cli_parse(argc, argv, environ, &cli, &err) < 0) {
		if (err.exit == MI_EXIT_USAGE)
			fprintf(stderr, "Error: %s\nRun '%s --help' for usage.\n",
				err.msg, basename(argv[0]));
		else
			fprintf(stderr, "error: %s\n", err.msg);
		mi_config_release(&cli.cfg);
		return err.exit ? err.exit : MI_EXIT_FAILURE;
	}
	switch (cli.cmd) {
	case MI_CMD_HELP:
		mi_cli_usage(stdout, basename(argv[0]));
		code = MI_EXIT_OK;
		break;
	case MI_CMD_VERSION:
		printf("meshinit %s\n"
		       "built against (pkg-config versions at build time): "
		       "libnftnl %s, libmnl %s, libcap %s\n",
		       MI_VERSION, MI_LIBNFTNL_VERSION, MI_LIBMNL_VERSION,
		       MI_LIBCAP_VERSION);
		code = MI_EXIT_OK;
		break;
	default:
		code = run(&cli, &err);
		break;
	}
	mi_config_release(&cli.cfg);
	return code;
}
