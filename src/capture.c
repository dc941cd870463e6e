/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "capture.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter.h>

#include "plan.h"
#include "util.h"

static struct mi_capture_item *item(struct mi_capture_pic *p,
				    enum mi_capture_kind k, const char *fmt,
				    ...) MI_PRINTF(3, 4);

static struct mi_capture_item *
item(struct mi_capture_pic *p, enum mi_capture_kind k, const char *fmt, ...)
{
	struct mi_capture_item *it;
	va_list ap;

	p->v = mi_xrealloc(p->v, (p->n + 1) * sizeof(*p->v));
	it = &p->v[p->n++];
	memset(it, 0, sizeof(*it));
	it->kind = k;
	va_start(ap, fmt);
	vsnprintf(it->what, sizeof(it->what), fmt, ap);
	va_end(ap);
	return it;
}

static void effect(struct mi_capture_item *it, const char *fmt, ...)
	MI_PRINTF(2, 3);

static void effect(struct mi_capture_item *it, const char *fmt, ...)
{
	size_t n = strlen(it->effect);
	va_list ap;

	if (n + 3 >= sizeof(it->effect))
		return;
	if (n) {
		strcpy(it->effect + n, "; ");
		n += 2;
	}
	va_start(ap, fmt);
	vsnprintf(it->effect + n, sizeof(it->effect) - n, fmt, ap);
	va_end(ap);
}

static const char *hook_name(int h)
{
	static const char *const names[] = { "prerouting", "input", "forward",
					     "output", "postrouting" };

	return h >= 0 && (size_t)h < ARRAY_SIZE(names) ? names[h] : "ingress";
}

/* Where a base chain runs against meshinit's chains on the same hook. */
static const char *order(const struct mi_snap_chain_sum *c)
{
	if (c->hook != MI_HOOK_PREROUTING && c->hook != MI_HOOK_OUTPUT)
		return "on a hook meshinit does not use";
	if (c->prio < -300)
		return "before all of meshinit's chains there";
	if (c->prio < -100)
		return "before meshinit's nat chain there (priority -100)";
	if (c->prio == -100)
		return "at the priority of meshinit's nat chain (-100; the "
			"order between them is not defined)";
	return "after meshinit's nat chain there (priority -100)";
}

/* What the base chains of @t do, as effects; true when any acts. */
static bool base_effects(const struct mi_snap_table *t,
			 struct mi_capture_item *it)
{
	bool acts = false;

	for (size_t i = 0; i < t->nchains; i++) {
		const struct mi_snap_chain_sum *c = &t->chains[i];
		char what[160] = "";
		size_t n = 0;

		if (c->hook < 0)
			continue;
#define ADD(...)                                                        \
	(n += (size_t)snprintf(what + n,                                \
			       n < sizeof(what) ? sizeof(what) - n : 0, \
			       __VA_ARGS__))
		if (c->policy == NF_DROP)
			ADD("%spolicy drop", n ? ", " : "");
		if (c->drops)
			ADD("%s%u drop rule%s", n ? ", " : "", c->drops,
			    c->drops == 1 ? "" : "s");
		if (c->rejects)
			ADD("%s%u reject rule%s", n ? ", " : "", c->rejects,
			    c->rejects == 1 ? "" : "s");
		if (c->nats)
			ADD("%sredirects or rewrites destinations (%u)",
			    n ? ", " : "", c->nats);
		if (c->marks)
			ADD("%ssets marks or conntrack state (%u)",
			    n ? ", " : "", c->marks);
		if (c->queues)
			ADD("%squeues packets to user space", n ? ", " : "");
#undef ADD
		if (!n)
			continue;
		acts = true;
		effect(it,
		       "chain %s (type %s hook %s priority %d, %zu "
		       "rule%s%s%s): %s, %s",
		       c->name, c->type, hook_name(c->hook), c->prio, c->rules,
		       c->rules == 1 ? "" : "s",
		       *c->targets ? ", iptables targets " : "", c->targets,
		       what, order(c));
	}
	return acts;
}

static bool has_istio_chain(const struct mi_snap_table *t, char *names,
			    size_t len)
{
	size_t n = 0;

	names[0] = '\0';
	for (size_t i = 0; i < t->nchains; i++)
		if (!strncmp(t->chains[i].name, "ISTIO_", 6) && n + 2 < len)
			n += (size_t)snprintf(names + n, len - n, "%s%s",
					      n ? "," : "", t->chains[i].name);
	return n > 0;
}

static void one_table(const struct mi_snap_table *t, struct mi_capture_pic *p)
{
	const char *fam = mi_family_name(t->family);
	struct mi_capture_item *it;
	char chains[200];

	if (t->family == NFPROTO_INET && !strcmp(t->name, MI_TRACE_TABLE)) {
		it = item(p, MI_CK_TRACE, "table inet %s", t->name);
		effect(it,
		       "left by a 'meshinit trace' that did not finish: it "
		       "sets nftrace on the packets it matches (no "
		       "verdict; every one of them then costs a trace "
		       "event); remove it with 'meshinit cleanup "
		       "--trace-only'");
		return;
	}
	if (!strncmp(t->name, "istio", 5)) {
		it = item(p, MI_CK_ISTIO_NFT, "table %s %s", fam, t->name);
		effect(it,
		       "Istio's own nftables capture (istio-iptables with "
		       "native nftables): it redirects the pod's "
		       "traffic as well, independently of meshinit");
		base_effects(t, it);
		return;
	}
	if (has_istio_chain(t, chains, sizeof(chains))) {
		it = item(p, MI_CK_ISTIO_IPT, "table %s %s (iptables-nft)", fam,
			  t->name);
		effect(it,
		       "Istio's iptables rules (chains %s), made by "
		       "istio-init or istio-iptables through "
		       "iptables-nft: they capture the pod's traffic "
		       "as well",
		       chains);
		base_effects(t, it);
		return;
	}
	it = item(p, MI_CK_FOREIGN, "table %s %s", fam, t->name);
	if (!base_effects(t, it)) {
		it->kind = MI_CK_INERT;
		effect(it,
		       "%zu chain%s; no base chain that drops, rejects, "
		       "redirects or marks",
		       t->nchains, t->nchains == 1 ? "" : "s");
	}
}

static void legacy(const char *path, const char *family,
		   struct mi_capture_pic *p)
{
	FILE *f = fopen(path, "re");
	char line[64];

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		struct mi_capture_item *it;

		line[strcspn(line, "\n")] = '\0';
		if (!*line)
			continue;
		it = item(p, MI_CK_LEGACY, "iptables-legacy table %s %s",
			  family, line);
		effect(it,
		       "x_tables rules outside nftables (%s-legacy -t %s -S "
		       "lists them; meshinit cannot read them without "
		       "CAP_NET_RAW): Istio's istio-init in legacy "
		       "mode puts its ISTIO_* chains here",
		       !strcmp(family, "ip") ? "iptables" : "ip6tables", line);
	}
	fclose(f);
}

void mi_capture_collect(const struct mi_snap *s, struct mi_capture_pic *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < s->ntables; i++)
		one_table(&s->tables[i], out);
	legacy("/proc/net/ip_tables_names", "ip", out);
	legacy("/proc/net/ip6_tables_names", "ip6", out);
}

void mi_capture_release(struct mi_capture_pic *p)
{
	free(p->v);
	memset(p, 0, sizeof(*p));
}

bool mi_capture_affects(const struct mi_capture_item *it)
{
	return it->kind != MI_CK_INERT;
}

const char *mi_capture_kind_name(enum mi_capture_kind k)
{
	static const char *const names[] = {
		[MI_CK_ISTIO_NFT] = "istio-nftables",
		[MI_CK_ISTIO_IPT] = "istio-iptables-nft",
		[MI_CK_LEGACY] = "iptables-legacy",
		[MI_CK_TRACE] = "meshinit-trace",
		[MI_CK_FOREIGN] = "foreign",
		[MI_CK_INERT] = "inert",
	};

	return names[k];
}
