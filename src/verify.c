/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "verify.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>

#include "batch.h"
#include "emit.h"
#include "status.h"
#include "util.h"

#define MAX_OF(a, b) ((a) > (b) ? (a) : (b))

struct diff {
	FILE *report;
	size_t n;
};

static void drift(struct diff *d, const char *fmt, ...) MI_PRINTF(2, 3);

static void drift(struct diff *d, const char *fmt, ...)
{
	va_list ap;

	d->n++;
	if (!d->report)
		return;
	va_start(ap, fmt);
	vfprintf(d->report, fmt, ap);
	va_end(ap);
	fputc('\n', d->report);
}

/*
 * libnftnl numbers the element attributes of a NEWSETELEM it builds 1, 2,
 * 3... (the kernel ignores the type) but its parser accepts only
 * NFTA_LIST_ELEM: retype them in our own copy of the message.
 */
static void fix_elem_types(struct nlmsghdr *nlh)
{
	struct nlattr *attr, *el;

	if ((nlh->nlmsg_type & 0xff) != NFT_MSG_NEWSETELEM)
		return;
	mnl_attr_for_each(attr, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(attr) != NFTA_SET_ELEM_LIST_ELEMENTS)
			continue;
		mnl_attr_for_each_nested(el, attr)
			el->nla_type = (uint16_t)((el->nla_type & ~NLA_TYPE_MASK) |
						  NFTA_LIST_ELEM);
	}
}

/* The objects @plan installs, from the emitter's batch parsed back. */
static void expected(const struct mi_plan *plan, struct mi_snap *s)
{
	struct mi_batch *batch = mi_emit(plan, 0, 1);
	struct iovec *iov;
	size_t i, n;

	iov = mi_batch_iov(batch, &n);
	mi_snap_init(s);
	for (i = 0; i < n; i++) {
		struct nlmsghdr *nlh = iov[i].iov_base;
		int left = (int)iov[i].iov_len;

		for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
			fix_elem_types(nlh);
			mi_snap_add_msg(s, nlh);
		}
	}
	free(iov);
	mi_batch_free(batch);
}

/* ---- chains and sets ---------------------------------------------------- */

static void chain_desc(const struct nftnl_chain *c, char *buf, size_t len)
{
	if (!nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM)) {
		snprintf(buf, len, "regular chain");
		return;
	}
	snprintf(buf, len, "type %s hook %" PRIu32 " priority %d",
		 nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE),
		 nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM),
		 nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO));
}

static void cmp_chains(const struct mi_snap *want, const struct mi_snap *have,
		       struct diff *d)
{
	char a[128], b[128];
	size_t i;

	for (i = 0; i < want->nchains; i++) {
		const char *name = nftnl_chain_get_str(want->chains[i], NFTNL_CHAIN_NAME);
		const struct nftnl_chain *c = mi_snap_chain(have, name);

		if (!c) {
			drift(d, "missing chain %s", name);
			continue;
		}
		chain_desc(want->chains[i], a, sizeof(a));
		chain_desc(c, b, sizeof(b));
		if (strcmp(a, b))
			drift(d, "changed chain %s: expected %s, found %s", name, a, b);
	}
	for (i = 0; i < have->nchains; i++) {
		const char *name = nftnl_chain_get_str(have->chains[i], NFTNL_CHAIN_NAME);

		if (!mi_snap_chain(want, name))
			drift(d, "extra chain %s", name);
	}
}

/* Both lists are sorted: a merge walk names the ones on one side only. */
static void cmp_elems(const char *set, char **w, size_t nw, char **h, size_t nh,
		      struct diff *d)
{
	size_t i = 0, j = 0;

	while (i < nw || j < nh) {
		int c = i == nw ? 1 : j == nh ? -1 : strcmp(w[i], h[j]);

		if (c < 0)
			drift(d, "missing element %s in set %s", w[i++], set);
		else if (c > 0)
			drift(d, "extra element %s in set %s", h[j++], set);
		else
			i++, j++;
	}
}

static void cmp_set(const struct nftnl_set *w, const struct nftnl_set *h,
		    struct diff *d)
{
	const char *name = nftnl_set_get_str(w, NFTNL_SET_NAME);
	uint32_t wf = nftnl_set_get_u32(w, NFTNL_SET_FLAGS) & (NFT_SET_INTERVAL | NFT_SET_CONCAT);
	uint32_t hf = nftnl_set_get_u32(h, NFTNL_SET_FLAGS) & (NFT_SET_INTERVAL | NFT_SET_CONCAT);
	char **we, **he;
	size_t nw, nh;

	if (nftnl_set_get_u32(w, NFTNL_SET_KEY_TYPE) != nftnl_set_get_u32(h, NFTNL_SET_KEY_TYPE) ||
	    nftnl_set_get_u32(w, NFTNL_SET_KEY_LEN) != nftnl_set_get_u32(h, NFTNL_SET_KEY_LEN) ||
	    wf != hf) {
		drift(d, "changed set %s: its type or flags differ", name);
		return;
	}
	if (mi_set_elems_equal(w, h))
		return;
	nw = mi_set_render_elems(w, &we);
	nh = mi_set_render_elems(h, &he);
	cmp_elems(name, we, nw, he, nh, d);
	mi_strv_free(we, nw);
	mi_strv_free(he, nh);
}

static void cmp_sets(const struct mi_snap *want, const struct mi_snap *have,
		     struct diff *d)
{
	size_t i;

	for (i = 0; i < want->nsets; i++) {
		const char *name = nftnl_set_get_str(want->sets[i], NFTNL_SET_NAME);
		const struct nftnl_set *h = mi_snap_set(have, name);

		if (!h)
			drift(d, "missing set %s", name);
		else
			cmp_set(want->sets[i], h, d);
	}
	for (i = 0; i < have->nsets; i++) {
		const char *name = nftnl_set_get_str(have->sets[i], NFTNL_SET_NAME);

		if (!mi_snap_set(want, name))
			drift(d, "extra set %s", name);
	}
}

/* ---- rules -------------------------------------------------------------- */

/*
 * A rule's identity: libnftnl's listing of each expression, the counter
 * left out (its values move) and attributes the kernel always reports
 * but the emitter may leave at their default normalised, then its comment.
 */
static char *rule_sig(const struct nftnl_rule *r)
{
	struct nftnl_expr_iter *it = nftnl_expr_iter_create(r);
	char *buf = NULL, tmp[512];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct nftnl_expr *e;

	if (!it || !f)
		abort();
	while ((e = nftnl_expr_iter_next(it))) {
		const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);

		if (!strcmp(name, "counter"))
			continue;
		if (!strcmp(name, "lookup") && !nftnl_expr_is_set(e, NFTNL_EXPR_LOOKUP_FLAGS))
			nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_FLAGS, 0);
		/* the kernel reports a redirect's single port as min = max */
		if (!strcmp(name, "redir") && nftnl_expr_is_set(e, NFTNL_EXPR_REDIR_REG_PROTO_MIN) &&
		    !nftnl_expr_is_set(e, NFTNL_EXPR_REDIR_REG_PROTO_MAX))
			nftnl_expr_set_u32(e, NFTNL_EXPR_REDIR_REG_PROTO_MAX,
					   nftnl_expr_get_u32(e, NFTNL_EXPR_REDIR_REG_PROTO_MIN));
		if (nftnl_expr_snprintf(tmp, sizeof(tmp), e, NFTNL_OUTPUT_DEFAULT, 0) < 0)
			tmp[0] = '\0';
		fprintf(f, "[ %s %s ]", name, tmp);
	}
	nftnl_expr_iter_destroy(it);
	mi_rule_comment(r, tmp, sizeof(tmp));
	fprintf(f, " # %s", tmp);
	fclose(f);
	return buf;
}

struct rlist {
	size_t n;
	const struct nftnl_rule **r;
	char **sig;
};

static void rules_of(const struct mi_snap *s, const char *chain, struct rlist *l)
{
	size_t i;

	l->n = 0;
	l->r = mi_xcalloc(s->nrules + 1, sizeof(*l->r));
	l->sig = mi_xcalloc(s->nrules + 1, sizeof(*l->sig));
	for (i = 0; i < s->nrules; i++)
		if (!strcmp(nftnl_rule_get_str(s->rules[i], NFTNL_RULE_CHAIN), chain)) {
			l->r[l->n] = s->rules[i];
			l->sig[l->n++] = rule_sig(s->rules[i]);
		}
}

static void rlist_release(struct rlist *l)
{
	mi_strv_free(l->sig, l->n);
	free(l->r);
}

static void report_rule(struct diff *d, const char *what, const char *chain,
			const struct nftnl_rule *r, size_t pos)
{
	char text[512], comment[256];

	mi_rule_render(r, text, sizeof(text));
	mi_rule_comment(r, comment, sizeof(comment));
	drift(d, "%s rule %zu in chain %s: %s%s%s", what, pos + 1, chain, text,
	      *comment ? "  # " : "", comment);
}

/*
 * Rules are ordered: a longest common subsequence of the two lists keeps
 * one added or removed rule from reporting every rule after it.
 */
static void cmp_rule_lists(const char *chain, const struct rlist *w,
			   const struct rlist *h, struct diff *d)
{
	size_t W = w->n + 1, i, j;
	size_t *t = mi_xcalloc(W * (h->n + 1), sizeof(*t));

	for (i = w->n; i-- > 0;)
		for (j = h->n; j-- > 0;)
			t[i * (h->n + 1) + j] = !strcmp(w->sig[i], h->sig[j]) ?
				t[(i + 1) * (h->n + 1) + j + 1] + 1 :
				MAX_OF(t[(i + 1) * (h->n + 1) + j],
				       t[i * (h->n + 1) + j + 1]);
	i = j = 0;
	while (i < w->n || j < h->n) {
		if (i < w->n && j < h->n && !strcmp(w->sig[i], h->sig[j])) {
			i++, j++;
		} else if (j == h->n || (i < w->n &&
			   t[(i + 1) * (h->n + 1) + j] >= t[i * (h->n + 1) + j + 1])) {
			report_rule(d, "missing", chain, w->r[i], i);
			i++;
		} else {
			report_rule(d, "extra", chain, h->r[j], j);
			j++;
		}
	}
	free(t);
}

static void cmp_rules(const struct mi_snap *want, const struct mi_snap *have,
		      struct diff *d)
{
	struct rlist w, h;
	size_t i;

	for (i = 0; i < want->nchains; i++) {
		const char *name = nftnl_chain_get_str(want->chains[i], NFTNL_CHAIN_NAME);

		if (!mi_snap_chain(have, name))
			continue;
		rules_of(want, name, &w);
		rules_of(have, name, &h);
		cmp_rule_lists(name, &w, &h, d);
		rlist_release(&w);
		rlist_release(&h);
	}
}

int mi_verify_plan(const struct mi_plan *plan, bool *in_sync, FILE *report,
		   struct mi_err *err)
{
	struct mi_snap want, have;
	struct diff d = { .report = report };
	int ret = mi_snap_load(&have, err);

	if (ret < 0)
		return ret;
	if (!have.have_table) {
		mi_snap_release(&have);
		return mi_err_setx(err, MI_EXIT_NOT_INSTALLED, -ENOENT,
				   "meshinit is not installed in this network namespace");
	}
	expected(plan, &want);
	cmp_chains(&want, &have, &d);
	cmp_sets(&want, &have, &d);
	cmp_rules(&want, &have, &d);
	mi_snap_release(&want);
	mi_snap_release(&have);
	*in_sync = d.n == 0;
	return 0;
}

int mi_verify_run(const struct mi_config *cfg, FILE *out, struct mi_err *err)
{
	struct mi_plan plan;
	bool in_sync = false;
	int ret;

	mi_plan_build(cfg, &plan);
	ret = mi_verify_plan(&plan, &in_sync, out, err);
	mi_plan_release(&plan);
	if (ret < 0)
		return ret;
	if (!in_sync)
		return mi_err_setx(err, MI_EXIT_DRIFT, -EEXIST,
				   "table inet %s differs from what the flags give (drift)",
				   MI_TABLE_NAME);
	fprintf(out, "in sync: table inet %s matches the flags\n", MI_TABLE_NAME);
	return 0;
}
