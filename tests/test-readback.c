/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The read-back without a kernel: for every golden config
 * (tests/golden/cases.tsv) and more, the plan (with its install record)
 * is emitted, the batch's bytes are parsed back as a kernel dump would be
 * (mi_snap_add_batch), read back into a plan (mi_readback_snap), and
 * compared with the original: the same nft script, the same flags. The
 * install record must rebuild the same plan from the sets alone. Rules
 * meshinit cannot express come back raw, never dropped.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <libmnl/libmnl.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>

#include "batch.h"
#include "cli.h"
#include "detect.h"
#include "emit.h"
#include "golden.h"
#include "harness.h"
#include "plan.h"
#include "print.h"
#include "readback.h"
#include "record.h"
#include "snapshot.h"

/* The configuration of one case given by its fields (see golden.h). */
static bool config_of(const char *ipv6, const char *servers, const char *env,
		      const char *args, struct mi_cli *cli)
{
	struct gcase c = { (char *)args, (char *)ipv6, (char *)servers,
			   (char *)env, (char *)args };

	return golden_config(&c, cli);
}

static char *script(const struct mi_plan *p)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	mi_print_plan(p, f);
	fclose(f);
	return buf;
}

static char *flags(const struct mi_config *cfg, const struct mi_plan *p)
{
	struct mi_flag_vals fv;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	mi_record_flags(cfg, p, &fv);
	for (size_t i = 0; i < fv.n; i++)
		fprintf(f, "%s=%s\n", fv.v[i].flag, fv.v[i].value);
	fclose(f);
	mi_flag_vals_release(&fv);
	return buf;
}

/* The batch of @plan parsed back into @s, as a dump of the kernel would. */
static void batch_snap(const struct mi_plan *plan, struct mi_snap *s)
{
	struct mi_batch *batch = mi_emit(plan, 0, 1);
	struct iovec *iov;
	size_t n;

	iov = mi_batch_iov(batch, &n);
	mi_snap_init(s);
	for (size_t i = 0; i < n; i++)
		mi_snap_add_batch(s, iov[i].iov_base, iov[i].iov_len);
	free(iov);
	mi_batch_free(batch);
}

static unsigned int ncases;

/* Emit, parse back, compare: the whole inverse for one configuration. */
static void round_trip(const char *name, const char *ipv6, const char *servers,
		       const char *env, const char *args)
{
	struct mi_plan plan, back, rebuilt;
	struct mi_cli cli;
	struct mi_record rec;
	struct mi_config rcfg;
	struct mi_err err = { 0 };
	struct mi_snap s;
	char *want, *got, *wf, *gf;

	if (!config_of(ipv6, servers, env, args, &cli)) {
		mi_config_release(&cli.cfg);
		return;
	}
	ncases++;
	mi_plan_build_recorded(&cli.cfg, &plan);
	batch_snap(&plan, &s);
	CHECK(s.have_table);
	mi_readback_snap(&s, &back, &rec, &err);
	want = script(&plan);
	got = script(&back);
	if (!CHECK_EQ_STR(got, want))
		NOTE("%s: the read-back plan prints differently", name);
	CHECK_EQ_INT(mi_readback_nraw(&back), 0);
	CHECK_EQ_INT(back.nxchains, 0);
	CHECK_EQ_INT(back.nxsets, 0);
	CHECK(back.ipv6 == plan.ipv6);
	/* the record: version, configuration, set digest */
	if (CHECK_EQ_STR(rec.version, MI_VERSION) &&
	    CHECK_EQ_INT(mi_record_config(&rec, &back, &rcfg, &err), 0)) {
		CHECK(mi_record_sets_match(&rec, &back));
		mi_plan_build_recorded(&rcfg, &rebuilt);
		free(got);
		got = script(&rebuilt);
		if (!CHECK_EQ_STR(got, want))
			NOTE("%s: the plan rebuilt from the install record "
				"differs",
			     name);
		wf = flags(&cli.cfg, &plan);
		gf = flags(&rcfg, &back);
		if (!CHECK_EQ_STR(gf, wf))
			NOTE("%s: the flags of the record differ", name);
		free(wf);
		free(gf);
		mi_plan_release(&rebuilt);
		mi_config_release(&rcfg);
	} else {
		NOTE("%s: %s", name, err.msg);
	}
	free(want);
	free(got);
	mi_snap_release(&s);
	mi_plan_release(&back);
	mi_plan_release(&plan);
	mi_config_release(&cli.cfg);
}

static void round_trip_case(const struct gcase *c)
{
	round_trip(c->name, c->ipv6, c->servers, c->env, c->args);
}

static void test_readback__golden_configs(void)
{
	unsigned int before = ncases;

	golden_cases(round_trip_case);
	CHECK(ncases - before >= 9);
}

/* Configurations the golden files do not cover. */
static void test_readback__more_configs(void)
{
	static const char *const cases[][5] = {
		{ "tproxy-v6-dns-all", "on", "-", "-",
		  "-m TPROXY -b * -d 15020,15021 -i * -x ::/0 --redirect-dns "
		  "--capture-all-dns -u 1337 -g 1337,1338" },
		{ "owner-include", "off", "-",
		  "ISTIO_OUTBOUND_OWNER_GROUPS=10,20",
		  "-u 1337 -i 10.0.0.0/9,10.128.0.0/9,192.0.2.1/32 -b 80" },
		{ "owner-include-empty", "off", "-",
		  "ISTIO_OUTBOUND_OWNER_GROUPS=", "-u 1337 -i *" },
		{ "ranges-not-prefixes", "on", "-", "-",
		  "-u 7 -i * -x "
		  "10.0.0.0/8,11.0.0.0/16,2001:db8::/33,2001:db8:8000::/34 "
		  "-q 1-100,102 -o 65535" },
		{ "ifaces-unsorted", "off", "-", "-",
		  "-u 1337 -c veth9,eth0,lo2 -k zz,aa -i 10.1.0.0/16 -b * "
		  "--drop-invalid" },
		{ "uid-ports", "on", "-", "-",
		  "-u 1337 -i * --exclude-outbound-ports-for-uids "
		  "udp:53:0-100;tcp:1-1024:5 --exclude-outbound-uids "
		  "0-4294967294 --exclude-outbound-gids 3" },
		{ "other-ports", "off", "10.0.0.1 10.0.0.2 10.0.0.4", "-",
		  "-p 16001 -z 16006 -e 16008 -u 1 -g 2 -m REDIRECT -b "
		  "1:65535 -i 0.0.0.0/0 --redirect-dns" },
		{ "loopback-cidr", "off", "-",
		  "ISTIO_OUTBOUND_IPV4_LOOPBACK_CIDR=127.0.0.0/8",
		  "-u 1337 -i 127.0.0.0/8 -t 7 -r 77 -m TPROXY -b 8080" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		round_trip(cases[i][0], cases[i][1], cases[i][2], cases[i][3],
			   cases[i][4]);
}

/* A rule added by hand with a statement meshinit never emits: raw, listed. */
static void test_readback__foreign_rule_is_raw(void)
{
	struct mi_plan plan, back;
	struct mi_record rec;
	struct mi_cli cli;
	struct mi_snap s;
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct nftnl_expr *e = nftnl_expr_alloc("log");
	char buf[8192], *text = NULL;
	size_t len = 0;
	struct nlmsghdr *nlh;
	FILE *f;

	if (!config_of("off", "-", "-", "-u 1337 -i * -b *", &cli))
		goto out_cfg;
	mi_plan_build_recorded(&cli.cfg, &plan);
	batch_snap(&plan, &s);
	/* "add rule inet meshinit istio-output log" */
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, MI_TABLE_NAME);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, "istio-output");
	nftnl_rule_add_expr(r, e);
	memset(buf, 0, sizeof(buf));
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_NEWRULE, NFPROTO_INET,
				    NLM_F_APPEND, 1);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	mi_snap_add_msg(&s, nlh);
	/* and a chain of its own, jumped to from nowhere */
	mi_readback_snap(&s, &back, &rec, NULL);
	CHECK_EQ_INT(mi_readback_nraw(&back), 1);
	CHECK_EQ_INT(back.chains[MI_C_OUTPUT].n,
		     plan.chains[MI_C_OUTPUT].n + 1);
	f = open_memstream(&text, &len);
	mi_print_listing(&back, 10, f);
	fclose(f);
	CHECK_CONTAINS(text, "# not read back by meshinit: [ log");
	free(text);
	mi_plan_release(&back);
	mi_plan_release(&plan);
	mi_snap_release(&s);
out_cfg:
	nftnl_rule_free(r);
	mi_config_release(&cli.cfg);
}

/* The record's format, and what a damaged one says. */
static void test_readback__record_parse(void)
{
	struct mi_record rec;
	struct mi_err err = { 0 };
	struct mi_config cfg;
	struct mi_plan empty;

	memset(&empty, 0, sizeof(empty));
	CHECK_EQ_INT(mi_record_parse("p=1 u=2", &rec, &err), -EINVAL);
	CHECK_CONTAINS(err.msg, "no meshinit= word");
	memset(&err, 0, sizeof(err));
	CHECK_EQ_INT(mi_record_parse("meshinit=9.9 p=15001 x", &rec, &err),
		     -EINVAL);
	CHECK_CONTAINS(err.msg, "\"x\" is not key=value");
	memset(&err, 0, sizeof(err));
	CHECK_EQ_INT(
		mi_record_parse("meshinit=9.9 p=70000 u=1 g=1", &rec, &err), 0);
	CHECK_EQ_STR(rec.version, "9.9");
	CHECK_EQ_INT(mi_record_config(&rec, &empty, &cfg, &err), -EINVAL);
	CHECK_CONTAINS(err.msg, "bad value of p");
	mi_config_release(&cfg);
	/* words of a later version are ignored */
	memset(&err, 0, sizeof(err));
	CHECK_EQ_INT(mi_record_parse("meshinit=9.9 u=5,7-9 g=6 future=1", &rec,
				     &err),
		     0);
	if (CHECK_EQ_INT(mi_record_config(&rec, &empty, &cfg, &err), 0)) {
		CHECK_EQ_INT(cfg.proxy_uids.n, 2);
		CHECK_EQ_INT(cfg.proxy_uids.v[1].hi, 9);
	}
	mi_config_release(&cfg);
}

/* Each chunk fits nft's comment limit and the kernel's userdata limit. */
static void test_readback__record_chunks(void)
{
	struct mi_cli cli;
	struct mi_plan plan;
	char *text = NULL, *p;
	size_t len = 0;
	FILE *f;

	if (!config_of(
		    "on", "-", "-",
		    "-u 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20 -g "
		       "101,102,103,104,105,106,107,108,109,110,111,112,113,"
		       "114,115 -i * -b *",
		    &cli))
		goto out;
	mi_plan_build_recorded(&cli.cfg, &plan);
	CHECK(strlen(plan.record) > 2 * MI_RECORD_CHUNK);
	CHECK(!strchr(plan.record, '"'));
	f = open_memstream(&text, &len);
	mi_print_plan(&plan, f);
	fclose(f);
	p = strstr(text,
		   "add element inet meshinit install-record { 0 comment \"");
	CHECK(p);
	CHECK_CONTAINS(text, ", 2 comment \"");
	mi_plan_release(&plan);
	free(text);
out:
	mi_config_release(&cli.cfg);
}

int main(void)
{
	RUN(test_readback__golden_configs);
	RUN(test_readback__more_configs);
	RUN(test_readback__foreign_rule_is_raw);
	RUN(test_readback__record_parse);
	RUN(test_readback__record_chunks);
	printf("# %u configurations emitted, read back and compared\n", ncases);
	TEST_MAIN_END();
}
