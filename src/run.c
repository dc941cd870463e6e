/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "run.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include "batch.h"
#include "cli.h"
#include "detect.h"
#include "emit.h"
#include "nl.h"
#include "plan.h"
#include "print.h"
#include "routes.h"
#include "caps.h"
#include "verify.h"

static void log_block(const struct mi_log *log, const char *title,
		      void (*fn)(const void *, FILE *), const void *arg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return;
	fn(arg, f);
	fclose(f);
	if (len && buf[len - 1] == '\n')
		buf[len - 1] = '\0';
	mi_info(log, "%s\n%s", title, buf);
	free(buf);
}

static void dump_cfg(const void *cfg, FILE *f)
{
	mi_cli_dump_config(cfg, f);
}

/* Logs show at most this many elements per set; --dry-run shows all. */
#define LOG_MAX_ELEMS 64

static void dump_plan(const void *plan, FILE *f)
{
	mi_print_plan_abridged(plan, LOG_MAX_ELEMS, f);
}

static int commit(const struct mi_plan *plan, unsigned int flags,
		  struct mi_err *err)
{
	struct mi_batch *batch = mi_emit(plan, flags, mi_nl_seq());
	struct mnl_socket *nl;
	int ret;

	ret = mi_nl_open(NETLINK_NETFILTER, &nl, err);
	if (ret < 0)
		goto out_release;
	ret = mi_nl_commit(nl, batch, err);
	mi_nl_close(nl);
out_release:
	mi_batch_free(batch);
	if (ret == -EPERM)
		mi_err_prefix(err, "CAP_NET_ADMIN is required in the pod's network namespace");
	return ret;
}

/* Refuse before anything is sent, rather than fail halfway. */
static int need_net_admin(struct mi_err *err)
{
	if (mi_caps_have_net_admin())
		return 0;
	return mi_err_set(err, -EPERM, "CAP_NET_ADMIN is required in the pod's network namespace; nothing was changed");
}

/* A rerun over identical state is normal (pod restarts): say so. */
static void log_in_place(const struct mi_log *log, const struct mi_plan *plan)
{
	struct mi_err e = { 0 };
	bool in_sync = false;

	if (mi_verify_plan(plan, &in_sync, NULL, &e) == 0 && in_sync)
		mi_info(log, "table inet %s is already in place; re-applying it atomically",
			MI_TABLE_NAME);
}

static void log_summary(const struct mi_log *log, const struct mi_plan *plan,
			const char *verb)
{
	struct mi_plan_stats st;

	mi_plan_stats(plan, &st);
	mi_info(log, "%s table inet %s: %zu chains, %zu rules, %zu sets with %zu elements",
		verb, MI_TABLE_NAME, st.chains, st.rules, st.sets, st.elements);
}

int mi_run_install(const struct mi_config *cfg, const struct mi_log *log,
		   FILE *out, struct mi_err *err)
{
	struct mi_routes_undo undo;
	struct mi_plan plan;
	int ret = 0;

	log_block(log, "meshinit configuration:", dump_cfg, cfg);
	mi_plan_build(cfg, &plan);
	if (cfg->dry_run) {
		mi_print_plan(&plan, out);
		log_summary(log, &plan, "dry run, nothing applied; would install");
		goto out_release;
	}
	if (cfg->skip_rule_apply) {
		mi_info(log, "skipping rule apply (--skip-rule-apply)");
		goto out_release;
	}
	ret = need_net_admin(err);
	if (ret < 0)
		goto out_release;
	if (cfg->check_only) {
		ret = commit(&plan, MI_EMIT_CHECK_ONLY | cfg->fault_inject, err);
		if (ret < 0)
			goto out_release;
		log_summary(log, &plan, "check passed, nothing changed; the kernel accepts");
		goto out_release;
	}
	/*
	 * Routes first: they are inert until the rules mark packets, and
	 * what was added is undone if the kernel rejects the rules, so a
	 * failure leaves the namespace as it was.
	 */
	log_in_place(log, &plan);
	ret = mi_routes_apply(cfg, &undo, err);
	if (ret < 0)
		goto out_rollback;
	ret = commit(&plan, cfg->fault_inject, err);
	if (ret < 0)
		goto out_rollback;
	/* only now drop what an earlier run installed and this one does not */
	ret = mi_routes_prune(cfg, err);
	if (ret < 0)
		goto out_release;
	log_block(log, "nftables rules programmed:", dump_plan, &plan);
	log_summary(log, &plan, "installed");
	goto out_release;
out_rollback:
	mi_routes_rollback(&undo);
out_release:
	mi_plan_release(&plan);
	return ret;
}

int mi_run_cleanup(const struct mi_config *cfg, const struct mi_log *log,
		   FILE *out, struct mi_err *err)
{
	int ret;

	if (cfg->dry_run) {
		mi_print_cleanup(out);
		return 0;
	}
	ret = need_net_admin(err);
	if (ret < 0)
		return ret;
	ret = commit(NULL, MI_EMIT_CLEANUP | (cfg->check_only ? MI_EMIT_CHECK_ONLY : 0),
		     err);
	if (ret < 0 || cfg->check_only)
		return ret;
	ret = mi_routes_prune(NULL, err);
	if (ret == 0)
		mi_info(log, "removed table inet %s and its TPROXY routing (if they were there)",
			MI_TABLE_NAME);
	return ret;
}

void mi_run_log_warnings(const struct mi_log *log, unsigned int warn)
{
	if (warn & MI_WARN_NO_DNS_SERVERS)
		mi_warn(log, "REDIRECT_DNS is set, but CAPTURE_ALL_DNS is "
			"false, and no DNS servers provided. DNS capture "
			"disabled.");
	if (warn & MI_WARN_NO_ADDRESS)
		mi_warn(log, "no non-loopback address found in this "
			"namespace; IPv6 rules are off");
}

int mi_run_apply(struct mi_config *cfg, const struct mi_log *log, FILE *out,
		 struct mi_err *err)
{
	unsigned int warn = 0;
	int ret;

	ret = mi_detect(cfg, &warn, err);
	if (ret < 0)
		return ret;
	mi_run_log_warnings(log, warn);
	return mi_run_install(cfg, log, out, err);
}
