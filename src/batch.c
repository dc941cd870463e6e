/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "batch.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <libmnl/libmnl.h>
#include <libnftnl/batch.h>
#include <libnftnl/chain.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>

/*
 * Batch pages of 256 KiB: every message must fit in one page, and the
 * largest we build (a chunk of IPv6 interval elements) stays well below.
 */
#define BATCH_PAGE_SIZE (256 * 1024)
/*
 * A message is built past the page's tail before nftnl_batch_update()
 * moves it to a new page, so the overrun room must hold the largest
 * message (512 IPv6 interval elements: 32 KiB). With only
 * MNL_SOCKET_BUFFER_SIZE of room, 100,000 -x CIDRs overflowed the heap
 * (SIGSEGV).
 */
#define BATCH_OVERRUN (128 * 1024)
/*
 * Room to zero for one message: a table, chain, set or rule message is
 * far below MSG_ROOM; a chunk of set elements takes at most ELEM_ROOM
 * bytes per element (an IPv6 interval's start and end keys, twice).
 */
#define MSG_ROOM 4096
#define ELEM_ROOM 128

/* One message: what it stands for, and what the kernel said of it. */
struct mi_batch_cmd {
	uint32_t seq;
	enum mi_batch_hint hint;
	int error;		/* negative errno from the kernel, or 0 */
	char *ext;		/* the kernel's extended-ack text, or NULL */
	char what[120];
};

struct mi_batch {
	struct nftnl_batch *b;
	uint32_t seq;		/* next sequence number */
	size_t nmsg;		/* messages between BEGIN and END */
	size_t nerr;
	struct mi_batch_cmd *cmd;
	size_t ncmd, capcmd;
};

static void page_done(struct mi_batch *b)
{
	/* only fails to allocate a page */
	if (nftnl_batch_update(b->b) < 0)
		mi_xnn(NULL);
}

struct mi_batch *mi_batch_new(uint32_t seq0)
{
	struct mi_batch *b = mi_xcalloc(1, sizeof(*b));

	b->b = mi_xnn(nftnl_batch_alloc(BATCH_PAGE_SIZE, BATCH_OVERRUN));
	b->seq = seq0;
	memset(nftnl_batch_buffer(b->b), 0, MSG_ROOM);
	nftnl_batch_begin(nftnl_batch_buffer(b->b), b->seq++);
	page_done(b);
	return b;
}

void mi_batch_free(struct mi_batch *b)
{
	size_t i;

	if (!b)
		return;
	for (i = 0; i < b->ncmd; i++)
		free(b->cmd[i].ext);
	free(b->cmd);
	nftnl_batch_free(b->b);
	free(b);
}

static MI_PRINTF(5, 0) struct nlmsghdr *
msg_vstart(struct mi_batch *b, uint16_t type, uint16_t flags, size_t room,
	   const char *fmt, va_list ap)
{
	struct mi_batch_cmd *c;

	mi_grow((void **)&b->cmd, &b->capcmd, b->ncmd + 1, sizeof(*b->cmd));
	c = &b->cmd[b->ncmd++];
	memset(c, 0, sizeof(*c));
	c->seq = b->seq;
	vsnprintf(c->what, sizeof(c->what), fmt, ap);
	b->nmsg++;
	/*
	 * The batch page is malloc'd and libmnl 1.0.4 leaves attribute
	 * padding unwritten: zero the room this message can use (a page
	 * always has BATCH_OVERRUN bytes of space after its tail) so no
	 * uninitialised byte goes to the kernel. Zeroing the whole overrun
	 * for every message cost more than building the batch.
	 */
	memset(nftnl_batch_buffer(b->b), 0,
	       room < BATCH_OVERRUN ? room : BATCH_OVERRUN);
	return nftnl_nlmsg_build_hdr(nftnl_batch_buffer(b->b), type,
				     NFPROTO_INET, flags | NLM_F_ACK, b->seq++);
}

static void set_hint(struct mi_batch *b, enum mi_batch_hint hint)
{
	b->cmd[b->ncmd - 1].hint = hint;
}

struct nlmsghdr *mi_batch_msg(struct mi_batch *b, uint16_t type,
			      uint16_t flags, size_t room,
			      enum mi_batch_hint hint, const char *fmt, ...)
{
	struct nlmsghdr *nlh;
	va_list ap;

	va_start(ap, fmt);
	nlh = msg_vstart(b, type, flags, room, fmt, ap);
	va_end(ap);
	set_hint(b, hint);
	return nlh;
}

void mi_batch_msg_end(struct mi_batch *b)
{
	page_done(b);
}

void mi_batch_table(struct mi_batch *b, uint16_t type, uint16_t flags,
		    const char *name, enum mi_batch_hint hint,
		    const char *fmt, ...)
{
	struct nftnl_table *t = mi_xnn(nftnl_table_alloc());
	struct nlmsghdr *nlh;
	va_list ap;

	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, name);
	va_start(ap, fmt);
	nlh = msg_vstart(b, type, flags, MSG_ROOM, fmt, ap);
	va_end(ap);
	set_hint(b, hint);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	page_done(b);
}

void mi_batch_chain(struct mi_batch *b, const struct nftnl_chain *c,
		    const char *fmt, ...)
{
	struct nlmsghdr *nlh;
	va_list ap;

	va_start(ap, fmt);
	nlh = msg_vstart(b, NFT_MSG_NEWCHAIN, NLM_F_CREATE, MSG_ROOM, fmt, ap);
	va_end(ap);
	/* libnftnl's builders take a non-const object but only read it */
	nftnl_chain_nlmsg_build_payload(nlh, (struct nftnl_chain *)c);
	page_done(b);
}

void mi_batch_set(struct mi_batch *b, const struct nftnl_set *s,
		  const char *fmt, ...)
{
	struct nlmsghdr *nlh;
	va_list ap;

	va_start(ap, fmt);
	nlh = msg_vstart(b, NFT_MSG_NEWSET, NLM_F_CREATE, MSG_ROOM, fmt, ap);
	va_end(ap);
	nftnl_set_nlmsg_build_payload(nlh, (struct nftnl_set *)s);
	page_done(b);
}

void mi_batch_elems(struct mi_batch *b, const struct nftnl_set *s, size_t n,
		    const char *fmt, ...)
{
	struct nlmsghdr *nlh;
	va_list ap;

	va_start(ap, fmt);
	nlh = msg_vstart(b, NFT_MSG_NEWSETELEM, NLM_F_CREATE,
			 MSG_ROOM + n * ELEM_ROOM, fmt, ap);
	va_end(ap);
	nftnl_set_elems_nlmsg_build_payload(nlh, (struct nftnl_set *)s);
	page_done(b);
}

void mi_batch_rule(struct mi_batch *b, const struct nftnl_rule *r,
		   enum mi_batch_hint hint, const char *fmt, ...)
{
	struct nlmsghdr *nlh;
	va_list ap;

	va_start(ap, fmt);
	nlh = msg_vstart(b, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND,
			 MSG_ROOM, fmt, ap);
	va_end(ap);
	set_hint(b, hint);
	nftnl_rule_nlmsg_build_payload(nlh, (struct nftnl_rule *)r);
	page_done(b);
}

void mi_batch_end(struct mi_batch *b)
{
	memset(nftnl_batch_buffer(b->b), 0, MSG_ROOM);
	nftnl_batch_end(nftnl_batch_buffer(b->b), b->seq++);
	page_done(b);
}

size_t mi_batch_nmsg(const struct mi_batch *b)
{
	return b->nmsg;
}

uint32_t mi_batch_last_seq(const struct mi_batch *b)
{
	return b->seq - 1;
}

struct iovec *mi_batch_iov(const struct mi_batch *b, size_t *n)
{
	int len = nftnl_batch_iovec_len(b->b);
	struct iovec *iov = mi_xcalloc((size_t)len, sizeof(*iov));

	nftnl_batch_iovec(b->b, iov, (uint32_t)len);
	*n = (size_t)len;
	return iov;
}

static struct mi_batch_cmd *find(const struct mi_batch *b, uint32_t seq)
{
	size_t lo = 0, hi = b->ncmd;

	/* recorded in increasing sequence order */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (b->cmd[mid].seq == seq)
			return &b->cmd[mid];
		if (b->cmd[mid].seq < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const char *mi_batch_what(const struct mi_batch *b, uint32_t seq)
{
	const struct mi_batch_cmd *c = find(b, seq);

	return c ? c->what : NULL;
}

bool mi_batch_set_error(struct mi_batch *b, uint32_t seq, int code,
			const char *ext)
{
	struct mi_batch_cmd *c = find(b, seq);

	if (!c)
		return false;
	if (!c->error)
		b->nerr++;
	c->error = code;
	free(c->ext);
	c->ext = ext && *ext ? mi_xstrdup(ext) : NULL;
	return true;
}

size_t mi_batch_nerrors(const struct mi_batch *b)
{
	return b->nerr;
}

int mi_batch_hint_error(const struct mi_batch *b, enum mi_batch_hint hint)
{
	size_t i;

	for (i = 0; i < b->ncmd; i++)
		if (b->cmd[i].hint == hint && b->cmd[i].error)
			return b->cmd[i].error;
	return 0;
}

/* What an error of a message with @hint means, or "". */
static const char *hint_text(enum mi_batch_hint hint, int code)
{
	switch (hint) {
	case MI_HINT_TPROXY:
		/* an expression type the kernel does not know: no module */
		if (code == -ENOENT || code == -EOPNOTSUPP)
			return " (the kernel lacks nft_tproxy, needed by "
			       "-m TPROXY: load it with `modprobe nft_tproxy`, "
			       "which also loads nf_tproxy_ipv4 and "
			       "nf_tproxy_ipv6)";
		break;
	case MI_HINT_DESTROY:
		if (code == -EINVAL || code == -EOPNOTSUPP)
			return " (the kernel has no destroy message: "
			       "older than 6.3)";
		break;
	case MI_HINT_CREATE_ONLY:
		if (code == -EEXIST)
			return " (the table appeared while this batch "
			       "was built)";
		break;
	case MI_HINT_NONE:
		break;
	}
	return "";
}

int mi_batch_report(const struct mi_batch *b, struct mi_err *err)
{
	char msg[sizeof(err->msg)];
	size_t i, len = 0, shown = 0;
	int first = 0;

	msg[0] = '\0';
	for (i = 0; i < b->ncmd; i++) {
		const struct mi_batch_cmd *c = &b->cmd[i];
		int n;

		if (!c->error)
			continue;
		if (!first)
			first = c->error;
		n = snprintf(msg + len, sizeof(msg) - len, "%s%s: %s%s%s%s",
			     shown ? "; and " : "", c->what,
			     strerror(-c->error),
			     c->ext ? ": " : "", c->ext ? c->ext : "",
			     hint_text(c->hint, c->error));
		if (n < 0 || (size_t)n >= sizeof(msg) - len) {
			/* no room for this one: say how many are left out */
			msg[len] = '\0';
			snprintf(msg + len, sizeof(msg) - len, "; and %zu more",
				 b->nerr - shown);
			break;
		}
		len += (size_t)n;
		shown++;
	}
	if (!first)
		return 0;
	return mi_err_set(err, first, "kernel rejected %s", msg);
}
