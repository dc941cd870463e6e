/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Golden tests of the emitter's batch, without a kernel (as nftables'
 * tests/py .payload files pin the netlink form of each rule): for every
 * case of tests/golden/cases.tsv the batch of a first install is
 * rendered message by message (type, flags, sequence number, and the
 * object as libnftnl prints it: for rules the `nft --debug=netlink` form)
 * and must equal tests/golden/<name>.batch. MI_UPDATE_GOLDEN=1 rewrites
 * them. Also: the three ways the old table goes, and the batch API's
 * error bookkeeping.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>

#include "batch.h"
#include "emit.h"
#include "golden.h"

static const char *type_name(uint16_t t)
{
	static const char *const names[] = {
		[NFT_MSG_NEWTABLE] = "NEWTABLE",
		[NFT_MSG_DELTABLE] = "DELTABLE",
		[NFT_MSG_NEWCHAIN] = "NEWCHAIN",
		[NFT_MSG_NEWRULE] = "NEWRULE",
		[NFT_MSG_NEWSET] = "NEWSET",
		[NFT_MSG_NEWSETELEM] = "NEWSETELEM",
		[26] = "DESTROYTABLE",
	};

	return t < sizeof(names) / sizeof(names[0]) && names[t] ? names[t]
								: "?";
}

/*
 * libnftnl numbers the element attributes of a NEWSETELEM it builds 1,
 * 2, 3... (the kernel ignores the type) but its parser accepts only
 * NFTA_LIST_ELEM: retype them in a copy of the message.
 */
static void fix_elem_types(struct nlmsghdr *nlh)
{
	struct nlattr *attr, *el;

	mnl_attr_for_each (attr, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(attr) != NFTA_SET_ELEM_LIST_ELEMENTS)
			continue;
		mnl_attr_for_each_nested (el, attr)
			el->nla_type =
				(uint16_t)((el->nla_type & ~NLA_TYPE_MASK) |
					   NFTA_LIST_ELEM);
	}
}

static char buf[65536];

static size_t hex(char *out, size_t room, const void *data, uint32_t len)
{
	const uint8_t *d = data;
	size_t n = 0;

	for (uint32_t i = 0; i < len && n + 3 < room; i++)
		n += (size_t)snprintf(out + n, room - n, "%02x", d[i]);
	return n;
}

/* libnftnl's set line omits the key: every attribute we set, in order. */
static int set_text(const struct nftnl_set *s)
{
	uint32_t len = 0;
	const void *d;
	size_t n;

	n = (size_t)snprintf(
		buf, sizeof(buf),
		"set %s table %s family %u id %u flags 0x%x key_type %u "
		"key_len %u",
		nftnl_set_get_str(s, NFTNL_SET_NAME),
		nftnl_set_get_str(s, NFTNL_SET_TABLE),
		nftnl_set_get_u32(s, NFTNL_SET_FAMILY),
		nftnl_set_get_u32(s, NFTNL_SET_ID),
		nftnl_set_get_u32(s, NFTNL_SET_FLAGS),
		nftnl_set_get_u32(s, NFTNL_SET_KEY_TYPE),
		nftnl_set_get_u32(s, NFTNL_SET_KEY_LEN));
	if (nftnl_set_is_set(s, NFTNL_SET_DESC_CONCAT)) {
		d = nftnl_set_get_data(s, NFTNL_SET_DESC_CONCAT, &len);
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, " concat ");
		n += hex(buf + n, sizeof(buf) - n, d, len);
	}
	if (nftnl_set_is_set(s, NFTNL_SET_USERDATA)) {
		d = nftnl_set_get_data(s, NFTNL_SET_USERDATA, &len);
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, " userdata ");
		n += hex(buf + n, sizeof(buf) - n, d, len);
	}
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "\n");
	return (int)n;
}

/* One line per element: key [key_end] [flags]. */
static int elems_text(const struct nftnl_set *s)
{
	struct nftnl_set_elems_iter *it = nftnl_set_elems_iter_create(s);
	struct nftnl_set_elem *e;
	size_t n;

	n = (size_t)snprintf(buf, sizeof(buf), "elements of set %s table %s\n",
			     nftnl_set_get_str(s, NFTNL_SET_NAME),
			     nftnl_set_get_str(s, NFTNL_SET_TABLE));
	for (e = nftnl_set_elems_iter_next(it); e && n + 200 < sizeof(buf);
	     e = nftnl_set_elems_iter_next(it)) {
		uint32_t len;
		const void *k = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len);

		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "  key ");
		n += hex(buf + n, sizeof(buf) - n, k, len);
		if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_KEY_END)) {
			k = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY_END, &len);
			n += (size_t)snprintf(buf + n, sizeof(buf) - n,
					      " end ");
			n += hex(buf + n, sizeof(buf) - n, k, len);
		}
		if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_FLAGS))
			n += (size_t)snprintf(buf + n, sizeof(buf) - n,
					      " flags 0x%x",
					      nftnl_set_elem_get_u32(
						      e, NFTNL_SET_ELEM_FLAGS));
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "\n");
	}
	nftnl_set_elems_iter_destroy(it);
	return (int)n;
}

static void render_obj(const struct nlmsghdr *in, FILE *f)
{
	uint16_t type = NFNL_MSG_TYPE(in->nlmsg_type);
	struct nlmsghdr *nlh = malloc(in->nlmsg_len);
	int n = -1;

	memcpy(nlh, in, in->nlmsg_len);
	if (type == NFT_MSG_NEWTABLE || type == NFT_MSG_DELTABLE ||
	    type == 26) {
		struct nftnl_table *t = nftnl_table_alloc();

		if (nftnl_table_nlmsg_parse(nlh, t) == 0)
			n = nftnl_table_snprintf(buf, sizeof(buf), t,
						 NFTNL_OUTPUT_DEFAULT, 0);
		nftnl_table_free(t);
	} else if (type == NFT_MSG_NEWCHAIN) {
		struct nftnl_chain *c = nftnl_chain_alloc();

		if (nftnl_chain_nlmsg_parse(nlh, c) == 0)
			n = nftnl_chain_snprintf(buf, sizeof(buf), c,
						 NFTNL_OUTPUT_DEFAULT, 0);
		nftnl_chain_free(c);
	} else if (type == NFT_MSG_NEWRULE) {
		struct nftnl_rule *r = nftnl_rule_alloc();

		if (nftnl_rule_nlmsg_parse(nlh, r) == 0)
			n = nftnl_rule_snprintf(buf, sizeof(buf), r,
						NFTNL_OUTPUT_DEFAULT, 0);
		nftnl_rule_free(r);
	} else if (type == NFT_MSG_NEWSET) {
		struct nftnl_set *s = nftnl_set_alloc();

		if (nftnl_set_nlmsg_parse(nlh, s) == 0)
			n = set_text(s);
		nftnl_set_free(s);
	} else if (type == NFT_MSG_NEWSETELEM) {
		struct nftnl_set *s = nftnl_set_alloc();

		fix_elem_types(nlh);
		if (nftnl_set_elems_nlmsg_parse(nlh, s) == 0)
			n = elems_text(s);
		nftnl_set_free(s);
	}
	free(nlh);
	if (!CHECK(n >= 0 && (size_t)n < sizeof(buf))) {
		fprintf(f, "  (cannot parse)\n");
		return;
	}
	/* one object line, then libnftnl's own lines, indented */
	fputs("  ", f);
	for (char *p = buf; *p; p++) {
		fputc(*p, f);
		if (*p == '\n' && p[1])
			fputs("  ", f);
	}
	if (n == 0 || buf[n - 1] != '\n')
		fputc('\n', f);
}

/* The whole batch as text: one header line per message, then its object. */
static char *render_batch(const struct mi_batch *b)
{
	size_t n, i;
	struct iovec *iov = mi_batch_iov(b, &n);
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	for (i = 0; i < n; i++) {
		const struct nlmsghdr *nlh = iov[i].iov_base;
		int left = (int)iov[i].iov_len;

		for (; mnl_nlmsg_ok(nlh, left);
		     nlh = mnl_nlmsg_next(nlh, &left)) {
			uint16_t t = nlh->nlmsg_type;
			const char *what = mi_batch_what(b, nlh->nlmsg_seq);

			if (t == NFNL_MSG_BATCH_BEGIN ||
			    t == NFNL_MSG_BATCH_END) {
				fprintf(f, "%u BATCH_%s\n", nlh->nlmsg_seq,
					t == NFNL_MSG_BATCH_BEGIN ? "BEGIN"
								  : "END");
				continue;
			}
			fprintf(f, "%u %s flags 0x%x: %s\n", nlh->nlmsg_seq,
				type_name(NFNL_MSG_TYPE(t)), nlh->nlmsg_flags,
				what ? what : "?");
			render_obj(nlh, f);
		}
	}
	fclose(f);
	free(iov);
	return out;
}

static void check_case(const struct gcase *c)
{
	struct mi_plan plan;
	struct mi_batch *b;

	if (!golden_plan(c, &plan))
		return;
	b = mi_emit(&plan, MI_EMIT_FRESH, 1);
	golden_compare(c->name, "batch", render_batch(b));
	mi_batch_free(b);
	mi_plan_release(&plan);
}

static void test_batch__golden_files(void)
{
	CHECK(golden_cases(check_case) >= 8);
}

/* The first messages of a batch, as "TYPE flags" words. */
static char *head(const struct mi_batch *b, int max)
{
	size_t n;
	struct iovec *iov = mi_batch_iov(b, &n);
	const struct nlmsghdr *nlh = iov[0].iov_base;
	int left = (int)iov[0].iov_len;
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	for (; max-- > 0 && mnl_nlmsg_ok(nlh, left);
	     nlh = mnl_nlmsg_next(nlh, &left))
		if (nlh->nlmsg_type != NFNL_MSG_BATCH_BEGIN &&
		    nlh->nlmsg_type != NFNL_MSG_BATCH_END)
			fprintf(f, "%s%s ",
				type_name(NFNL_MSG_TYPE(nlh->nlmsg_type)),
				nlh->nlmsg_flags & NLM_F_EXCL ? "+EXCL" : "");
	fclose(f);
	free(iov);
	return out;
}

static void test_batch__old_table(void)
{
	struct gcase c = { (char *)"old", (char *)"off", (char *)"-",
			   (char *)"-", (char *)"-u 1337 -i * -b *" };
	struct mi_plan plan;
	struct mi_batch *b;
	char *h;

	if (!golden_plan(&c, &plan))
		return;
	/* first install: nothing removed, the table created exclusively */
	b = mi_emit(&plan, MI_EMIT_FRESH, 1);
	h = head(b, 3);
	CHECK_EQ_STR(h, "NEWTABLE+EXCL NEWSET ");
	free(h);
	mi_batch_free(b);
	/* replace with destroy (kernel 6.3+) */
	b = mi_emit(&plan, MI_EMIT_DESTROY, 1);
	h = head(b, 3);
	CHECK_EQ_STR(h, "DESTROYTABLE NEWTABLE ");
	free(h);
	mi_batch_free(b);
	/* replace on any kernel: add, then delete */
	b = mi_emit(&plan, 0, 1);
	h = head(b, 4);
	CHECK_EQ_STR(h, "NEWTABLE DELTABLE NEWTABLE ");
	free(h);
	mi_batch_free(b);
	/* cleanup with destroy: both tables, nothing else */
	b = mi_emit(NULL, MI_EMIT_CLEANUP | MI_EMIT_DESTROY, 1);
	h = head(b, 10);
	CHECK_EQ_STR(h, "DESTROYTABLE DESTROYTABLE ");
	free(h);
	CHECK_EQ_INT(mi_batch_nmsg(b), 2);
	mi_batch_free(b);
	mi_plan_release(&plan);
}

/* Every error is kept against its message and reported; hints carried. */
static void test_batch__errors(void)
{
	struct mi_batch *b = mi_batch_new(100);
	struct mi_err err = { 0 };

	mi_batch_table(b, 26, 0, "t", MI_HINT_DESTROY, "remove table %s", "t");
	mi_batch_table(b, NFT_MSG_NEWTABLE, NLM_F_CREATE | NLM_F_EXCL, "t",
		       MI_HINT_CREATE_ONLY, "create table %s", "t");
	mi_batch_end(b);
	CHECK_EQ_INT(mi_batch_nmsg(b), 2);
	CHECK_EQ_INT(mi_batch_last_seq(b), 103);
	CHECK_EQ_STR(mi_batch_what(b, 101), "remove table t");
	CHECK(mi_batch_what(b, 100) == NULL);
	CHECK_EQ_INT(mi_batch_report(b, &err), 0);
	CHECK(!mi_batch_set_error(b, 999, -EINVAL, NULL));
	CHECK(mi_batch_set_error(b, 101, -EINVAL, NULL));
	CHECK(mi_batch_set_error(b, 102, -EEXIST, "Table exists"));
	CHECK_EQ_INT(mi_batch_nerrors(b), 2);
	CHECK_EQ_INT(mi_batch_hint_error(b, MI_HINT_DESTROY), -EINVAL);
	CHECK_EQ_INT(mi_batch_hint_error(b, MI_HINT_CREATE_ONLY), -EEXIST);
	CHECK_EQ_INT(mi_batch_hint_error(b, MI_HINT_TPROXY), 0);
	CHECK_EQ_INT(mi_batch_report(b, &err), -EINVAL);
	CHECK_CONTAINS(err.msg,
		       "kernel rejected remove table t: Invalid argument "
		       "(the kernel has no destroy message: older than 6.3)");
	CHECK_CONTAINS(err.msg,
		       "; and create table t: File exists: Table exists "
		       "(the table appeared while this batch was built)");
	mi_batch_free(b);
}

int main(void)
{
	RUN(test_batch__golden_files);
	RUN(test_batch__old_table);
	RUN(test_batch__errors);
	TEST_MAIN_END();
}
