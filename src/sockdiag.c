/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sockdiag: listening sockets of the namespace through inet_diag, one
 * dump per address family.
 */
#include "sockdiag.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include <libmnl/libmnl.h>

#include "nl.h"
#include "util.h"

#define TCP_LISTEN_STATE 10 /* TCP_LISTEN of the kernel's tcp_states.h */

struct find {
	uint8_t proto;
	uint16_t port;
	struct mi_sock *v;
	size_t n, cap;
};

static int find_cb(const void *msg, void *data)
{
	const struct nlmsghdr *nlh = msg;
	const struct inet_diag_msg *d = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr;
	struct find *fd = data;
	struct mi_sock *s;

	if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*d) ||
	    ntohs(d->id.idiag_sport) != fd->port)
		return 0;
	mi_grow((void **)&fd->v, &fd->cap, fd->n + 1, sizeof(*fd->v));
	s = &fd->v[fd->n++];
	memset(s, 0, sizeof(*s));
	s->family = d->idiag_family;
	s->proto = fd->proto;
	memcpy(s->addr, d->id.idiag_src, d->idiag_family == AF_INET ? 4 : 16);
	s->port = fd->port;
	s->uid = d->idiag_uid;
	mnl_attr_for_each (attr, nlh, sizeof(*d)) {
		if (mnl_attr_get_type(attr) == INET_DIAG_SKV6ONLY &&
		    mnl_attr_get_payload_len(attr) >= 1)
			s->v6only =
				*(const uint8_t *)mnl_attr_get_payload(attr);
	}
	return 0;
}

static int dump(struct mnl_socket *nl, int family, struct find *fd,
		struct mi_err *err)
{
	char buf[256] = { 0 };
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct inet_diag_req_v2 *req;

	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = mi_nl_seq();
	req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
	req->sdiag_family = (uint8_t)family;
	req->sdiag_protocol = fd->proto;
	req->idiag_states = fd->proto == IPPROTO_TCP ? 1u << TCP_LISTEN_STATE
						     : ~0u;
	return mi_nl_talk(nl, nlh, nlh->nlmsg_len, find_cb, fd, err);
}

int mi_sock_find(uint8_t proto, uint16_t port, struct mi_sock **out, size_t *n,
		 struct mi_err *err)
{
	struct find fd = { .proto = proto, .port = port };
	struct mi_err e6 = { 0 };
	struct mnl_socket *nl;
	int ret;

	*out = NULL;
	*n = 0;
	ret = mi_nl_open(NETLINK_SOCK_DIAG, &nl, err);
	if (ret < 0)
		return ret;
	ret = dump(nl, AF_INET, &fd, err);
	/* a kernel without IPv6 has no AF_INET6 sockets to list */
	if (!ret)
		dump(nl, AF_INET6, &fd, &e6);
	mi_nl_close(nl);
	if (ret < 0) {
		free(fd.v);
		return mi_err_set(
			err, ret,
			"cannot list the namespace's sockets (sock_diag): %s",
			strerror(-ret));
	}
	*out = fd.v;
	*n = fd.n;
	return 0;
}

bool mi_sock_accepts(const struct mi_sock *s, int family, const uint8_t *addr)
{
	static const uint8_t zero[16];
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (s->family == family) {
		size_t bytes = family == AF_INET ? 4 : 16;

		return !memcmp(s->addr, zero, bytes) ||
		       !memcmp(s->addr, addr, bytes);
	}
	if (s->family != AF_INET6 || family != AF_INET || s->v6only)
		return false;
	/* a dual-stack socket: bound to :: or to the v4-mapped address */
	return !memcmp(s->addr, zero, 16) ||
	       (!memcmp(s->addr, mapped, 12) && !memcmp(s->addr + 12, addr, 4));
}
