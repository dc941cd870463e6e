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
#include "record.h"
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

/* Keep the first error: @e into @err unless @err already holds one. */
static int keep_err(struct mi_err *err, const struct mi_err *e, int ret)
{
	if (ret < 0 && !err->code)
		*err = *e;
	return ret;
}

/*
 * Send one batch of @plan built with @flags. *@retry is set when the
 * kernel rejected the message carrying @hint for the reason it stands
 * for (a destroy the kernel does not know, a create-only table that
 * exists): the caller then sends the other form. Other errors go to @err.
 */
static int send_batch(struct mnl_socket *nl, const struct mi_plan *plan,
		      unsigned int flags, enum mi_batch_hint hint, bool *retry,
		      struct mi_err *err)
{
	struct mi_batch *batch = mi_emit(plan, flags, mi_nl_seq());
	struct mi_err e = { 0 };
	int ret, code;

	ret = mi_nl_commit(nl, batch, &e);
	code = mi_batch_hint_error(batch, hint);
	*retry = ret < 0 &&
		 (hint == MI_HINT_DESTROY ?
			  code == -EINVAL || code == -EOPNOTSUPP :
			  code == -EEXIST);
	mi_batch_free(batch);
	return *retry ? ret : keep_err(err, &e, ret);
}

/*
 * Replace our table by @plan's (or remove it, with MI_EMIT_CLEANUP) in
 * one transaction: with a destroy where the kernel has one, else with
 * "add" then "delete" (kernels before 6.3).
 */
static int replace(struct mnl_socket *nl, const struct mi_plan *plan,
		   unsigned int flags, struct mi_err *err)
{
	bool retry;
	int ret;

	ret = send_batch(nl, plan, flags | MI_EMIT_DESTROY, MI_HINT_DESTROY,
			 &retry, err);
	if (retry)
		ret = send_batch(nl, plan, flags, MI_HINT_NONE, &retry, err);
	return ret;
}

/*
 * Install @plan with @flags (check-only, fault injection). With no
 * table of ours (@exists false) the batch only creates, exclusively: no
 * delete, so no deferred destruction to wait for when the socket
 * closes. A table that appeared since the look-up fails that batch as
 * a whole (nothing applied) and it is replaced instead.
 */
static int install(struct mnl_socket *nl, const struct mi_plan *plan,
		   unsigned int flags, bool *exists, struct mi_err *err)
{
	bool raced = false;
	int ret = 0;

	if (!*exists) {
		ret = send_batch(nl, plan, flags | MI_EMIT_FRESH,
				 MI_HINT_CREATE_ONLY, &raced, err);
		if (!raced)
			return ret;
		*exists = true;
	}
	return replace(nl, plan, flags, err);
}

static int cap_hint(int ret, struct mi_err *err)
{
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

/*
 * Whether table inet meshinit is there and, when it is, whether it
 * already equals @plan (verify's comparison: chains, sets, elements,
 * rules; counters aside) and is not dormant.
 */
static int installed(struct mnl_socket *nl, const struct mi_plan *plan,
		     bool *exists, bool *in_sync, struct mi_err *err)
{
	struct mi_err e = { 0 };
	uint32_t tflags;
	int ret;

	*in_sync = false;
	ret = mi_nl_table_lookup(nl, MI_TABLE_NAME, exists, &tflags, err);
#ifdef MI_TEST_HOOKS
	/* tests: a look-up that misses the table, as when another process
	 * creates it between this look-up and the commit */
	if (getenv("MESHINIT_TEST_LOOKUP_MISS"))
		*exists = false;
#endif
	if (ret < 0 || !*exists || tflags)
		return ret;
	/* a failed read-back only means: replace it */
	if (mi_verify_plan(plan, in_sync, NULL, &e) < 0)
		*in_sync = false;
	return 0;
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
	struct mnl_socket *nl = NULL;
	bool exists, in_sync;
	struct mi_plan plan;
	int ret = 0;

	log_block(log, "meshinit configuration:", dump_cfg, cfg);
	mi_plan_build_recorded(cfg, &plan);
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
	ret = mi_nl_open(NETLINK_NETFILTER, &nl, err);
	if (ret < 0)
		goto out_release;
	if (cfg->check_only) {
		uint32_t tflags;

		ret = mi_nl_table_lookup(nl, MI_TABLE_NAME, &exists, &tflags,
					 err);
		if (ret == 0)
			ret = install(nl, &plan,
				      MI_EMIT_CHECK_ONLY | cfg->fault_inject,
				      &exists, err);
		if (ret < 0)
			goto out_close;
		log_summary(log, &plan, "check passed, nothing changed; the kernel accepts");
		goto out_close;
	}
	ret = installed(nl, &plan, &exists, &in_sync, err);
	if (ret < 0)
		goto out_close;
	/*
	 * Routes first: they are inert until the rules mark packets, and
	 * what was added is undone if the kernel rejects the rules, so a
	 * failure leaves the namespace as it was.
	 */
	ret = mi_routes_apply(cfg, &undo, err);
	if (ret < 0)
		goto out_rollback;
	if (in_sync && !cfg->fault_inject) {
		/* a rerun (init container restart): keep it, counters too */
		mi_info(log, "table inet %s already equals this "
			"configuration; nothing changed%s",
			MI_TABLE_NAME, mi_routes_changed(&undo) ?
			" in it (TPROXY routing was restored)" : "");
	} else {
		bool looked_up = exists;

		ret = install(nl, &plan, cfg->fault_inject, &exists, err);
		if (ret < 0)
			goto out_rollback;
		if (exists && !looked_up)
			mi_info(log, "table inet %s appeared after the "
				"look-up; replaced it instead", MI_TABLE_NAME);
	}
	/*
	 * Only now drop what an earlier run installed and this one does
	 * not. A first install (no table of ours) has no earlier run to
	 * tidy after. A table equal to this configuration does not mean
	 * its routing was tidied: the run that committed it may have been
	 * killed before its own prune (tests/hostile/sigkill.py).
	 */
	if (exists) {
		ret = mi_routes_prune(cfg, err);
		if (ret < 0)
			goto out_close;
	}
	if (!in_sync || cfg->fault_inject) {
		log_block(log, "nftables rules programmed:", dump_plan, &plan);
		log_summary(log, &plan, exists ? "replaced" : "installed");
	}
	goto out_close;
out_rollback:
	mi_routes_rollback(&undo);
out_close:
	mi_nl_close(nl);
out_release:
	mi_plan_release(&plan);
	return cap_hint(ret, err);
}

/*
 * Whether cleanup has a table to remove: on kernels before 6.3 (no
 * destroy message) removing an absent table is "add" then "delete",
 * a transaction of its own; with nothing there, none is sent.
 */
static int cleanup_needed(struct mnl_socket *nl, bool trace_only, bool *needed,
			  struct mi_err *err)
{
	bool ours = false, trace = false;
	uint32_t flags;
	int ret = 0;

	if (!trace_only)
		ret = mi_nl_table_lookup(nl, MI_TABLE_NAME, &ours, &flags, err);
	if (!ret)
		ret = mi_nl_table_lookup(nl, MI_TRACE_TABLE, &trace, &flags,
					 err);
	*needed = ours || trace;
	return ret;
}

int mi_run_cleanup(const struct mi_config *cfg, const struct mi_log *log,
		   FILE *out, struct mi_err *err)
{
	struct mnl_socket *nl;
	bool needed = true;
	int ret;

	if (cfg->dry_run) {
		mi_print_cleanup(out);
		return 0;
	}
	ret = need_net_admin(err);
	if (ret < 0)
		return ret;
	ret = mi_nl_open(NETLINK_NETFILTER, &nl, err);
	if (ret < 0)
		return cap_hint(ret, err);
	if (!cfg->check_only)
		ret = cleanup_needed(nl, cfg->trace_only, &needed, err);
	if (!ret && needed)
		ret = replace(nl, NULL, MI_EMIT_CLEANUP |
			      (cfg->check_only ? MI_EMIT_CHECK_ONLY : 0) |
			      (cfg->trace_only ? MI_EMIT_TRACE_ONLY : 0), err);
	mi_nl_close(nl);
	if (ret < 0 || cfg->check_only)
		return cap_hint(ret, err);
	if (cfg->trace_only) {
		mi_info(log, "removed table inet %s (if it was there); "
			"table inet %s and the TPROXY routing are untouched",
			MI_TRACE_TABLE, MI_TABLE_NAME);
		return 0;
	}
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
