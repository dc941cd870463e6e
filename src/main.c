/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * meshinit: program a pod's traffic capture for its sidecar proxy.
 * Wires the stages together and maps results to exit codes; the only
 * place that prints errors or exits.
 */
#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
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

/*
 * Print @err once on each stream: "error: ..." on stderr, and as a log
 * line only on the log's other outputs (stdout, files).
 */
static int fail(const struct mi_log *log, const struct mi_err *err)
{
	struct mi_log others;

	fprintf(stderr, "error: %s\n", err->msg);
	if (log) {
		mi_log_without(log, stderr, &others);
		mi_error(&others, "%s", err->msg);
	}
	return err->exit ? err->exit : MI_EXIT_FAILURE;
}

static void log_cli_warnings(const struct mi_log *log, struct mi_warnings *w,
			     size_t *done)
{
	for (; *done < w->n; (*done)++)
		mi_warn(log, "%s", w->msg[*done]);
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

/* Would the command change the namespace? (--check counts: see below.) */
static bool changes_netns(const struct mi_cli *cli)
{
	const struct mi_config *cfg = &cli->cfg;

	switch (cli->cmd) {
	case MI_CMD_INSTALL:
		/* --check too: "check passed" would promise a node install */
		return !cfg->dry_run && !cfg->skip_rule_apply;
	case MI_CMD_CLEANUP:
		return !cfg->dry_run;
	case MI_CMD_TRACE:
		return true;
	case MI_CMD_EXPLAIN:
		return cli->flow.kernel;	/* adds a trace table */
	default:
		return false;
	}
}

/*
 * The node's own network namespace is never changed by a slip (a missing
 * --netns, an unset variable): only with --allow-host-netns.
 */
static int guard_initial_netns(const struct mi_cli *cli, struct mi_err *err)
{
	const char *why = "";

	if (cli->allow_host_netns || !changes_netns(cli) ||
	    !mi_netns_is_initial(&why))
		return 0;
	return mi_err_set(err, -EPERM,
			  "refusing to change the node's initial network "
			  "namespace (%s)%s: that would capture the node's own "
			  "traffic; give the pod's namespace with --netns, or "
			  "add --allow-host-netns if the node's namespace is "
			  "really meant",
			  why, cli->cfg.netns[0] ? "" : " (no --netns given)");
}

/* status, verify: say when this is the node's own namespace (read-only) */
static void note_initial_netns(const struct mi_log *log)
{
	const char *why = "";

	if (mi_netns_is_initial(&why))
		mi_info(log, "this is the node's initial network namespace "
		             "(%s): install, cleanup, --check and trace refuse "
		             "to change it without --allow-host-netns; give a "
		             "pod's namespace with --netns",
			why);
}

/*
 * explain and trace keep their capabilities: explain --kernel sends its
 * probe as --uid/--gid (CAP_SETUID/CAP_SETGID).
 */
static int explain_trace(struct mi_cli *cli, const struct mi_log *log,
			 struct mi_err *err)
{
	unsigned int warn;
	size_t done = cli->warn.n;
	int ret;

	if (cli->cmd == MI_CMD_TRACE) {
		ret = mi_trace_run(&cli->flow, stdout, err);
	} else {
		ret = mi_detect(&cli->cfg, &warn, err);
		if (!ret) {
			mi_run_log_warnings(log, warn);
			mi_cli_warn_detected(&cli->cfg, &cli->warn);
			log_cli_warnings(log, &cli->warn, &done);
			ret = mi_explain_run(cli, &cli->cfg, stdout, err);
		}
	}
	return ret < 0 ? fail(NULL, err) : MI_EXIT_OK;
}

/* Install or cleanup, its --dry-run script also into DRY_RUN_FILE_PATH. */
static int install_or_cleanup(struct mi_cli *cli, const struct mi_log *log,
			      struct mi_err *err)
{
	struct mi_config *cfg = &cli->cfg;
	bool to_file = cfg->dry_run && cli->dry_run_file;
	char *buf = NULL;
	size_t len = 0;
	FILE *out = to_file ? open_memstream(&buf, &len) : stdout;
	FILE *f;
	int ret;

	if (!out)
		return mi_err_set(err, -errno, "cannot buffer the dry run: %s",
				  strerror(errno));
	ret = cli->cmd == MI_CMD_CLEANUP ? mi_run_cleanup(cfg, log, out, err) :
					   mi_run_install(cfg, log, out, err);
	if (!to_file)
		return ret;
	fclose(out);
	fwrite(buf, 1, len, stdout);
	fflush(stdout);
	/* as Istio: a file it cannot write is not an error */
	f = fopen(cli->dry_run_file, "we");
	if (!f || fwrite(buf, 1, len, f) != len)
		mi_warn(log, "cannot write the dry-run script to "
		             "DRY_RUN_FILE_PATH=%s: %s "
		             "(Istio ignores this too)",
			cli->dry_run_file, strerror(errno));
	if (f && fclose(f))
		mi_warn(log, "cannot write the dry-run script to "
		             "DRY_RUN_FILE_PATH=%s: %s",
			cli->dry_run_file, strerror(errno));
	free(buf);
	return ret;
}

/*
 * One --log_target as Istio: stdout, stderr or a path (opened for
 * appending); NULL with @err set when it cannot be opened.
 */
static FILE *open_log_target(const char *t, struct mi_err *err)
{
	FILE *f;

	if (!strcmp(t, "stdout"))
		return stdout;
	if (!strcmp(t, "stderr"))
		return stderr;
	f = *t ? fopen(t, "ae") : NULL;
	if (!f)
		mi_err_set(err, -errno, "cannot open --log_target \"%s\": %s",
			   t, *t ? strerror(errno) :
				   "empty (stdout, stderr or a file path)");
	return f;
}

static void close_log_target(FILE *f)
{
	if (f && f != stdout && f != stderr)
		fclose(f);
}

static int run_cmd(struct mi_cli *cli, struct mi_log *log, struct mi_err *err)
{
	struct mi_config *cfg = &cli->cfg;
	size_t done = 0;
	unsigned int warn;
	int ret;

	log_cli_warnings(log, &cli->warn, &done);
	if (cfg->netns[0] && mi_netns_enter(cfg->netns, err) < 0)
		return fail(log, err);
	if (guard_initial_netns(cli, err) < 0)
		return fail(log, err);
	if (cli->cmd == MI_CMD_STATUS || cli->cmd == MI_CMD_VERIFY)
		note_initial_netns(log);
	if (cli->cmd == MI_CMD_EXPLAIN || cli->cmd == MI_CMD_TRACE)
		return explain_trace(cli, log, err);
	if (mi_caps_narrow(err) < 0)
		return fail(log, err);
	if (cli->cmd == MI_CMD_STATUS) {
		ret = mi_status_show(!strcmp(cli->status_format, "json"), stdout, err);
	} else if (cli->cmd == MI_CMD_CLEANUP) {
		ret = install_or_cleanup(cli, log, err);
	} else {
		ret = mi_detect(cfg, &warn, err);
		if (ret < 0)
			return fail(log, err);
		mi_run_log_warnings(log, warn);
		mi_cli_warn_detected(cfg, &cli->warn);
		log_cli_warnings(log, &cli->warn, &done);
		if (cli->cmd == MI_CMD_VERIFY)
			ret = mi_verify_run(cfg, cli->nrule_options > 0,
					    stdout, err);
		else
			ret = install_or_cleanup(cli, log, err);
	}
	if (ret < 0) /* status and verify own stdout: no log line there */
		return fail(cli->cmd == MI_CMD_STATUS || cli->cmd == MI_CMD_VERIFY ?
			    NULL : log, err);
	return validate(cli, log, err);
}

static int run(struct mi_cli *cli, struct mi_err *err)
{
	struct mi_config *cfg = &cli->cfg;
	/* a dry run's script, status and verify own stdout: logs to stderr */
	FILE *logf = cfg->dry_run || cli->cmd == MI_CMD_STATUS ||
		     cli->cmd == MI_CMD_VERIFY || cli->cmd == MI_CMD_EXPLAIN ||
		     cli->cmd == MI_CMD_TRACE ? stderr : stdout;
	FILE *targets[MI_CLI_MAX_LOG_TARGETS] = { 0 };
	struct mi_log log;
	size_t i, n = 0;
	int code;

	mi_log_init(&log, logf, cfg);
	/* the first --log_target replaces the default; each gets every line */
	for (n = 0; n < cli->n_log_targets && n < MI_CLI_MAX_LOG_TARGETS; n++) {
		targets[n] = open_log_target(cli->log_targets[n], err);
		if (!targets[n]) {
			code = fail(NULL, err);
			goto out;
		}
	}
	if (n)
		mi_log_set_outputs(&log, targets, n);
	code = run_cmd(cli, &log, err);
out:
	for (i = 0; i < MI_CLI_MAX_LOG_TARGETS; i++)
		close_log_target(targets[i]);
	return code;
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
		mi_cli_usage(stdout, basename(argv[0]), cli.help_cmd);
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
