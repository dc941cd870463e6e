/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "nl.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/netlink.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "batch.h"
#include "util.h"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

/* Receive buffer of dumps: large enough for any one netlink message. */
#define DUMP_BUF 32768

/* Room for one ack (with extack text) per message of a batch. */
#define ACK_ROOM 1024

uint32_t mi_nl_seq(void)
{
	struct timespec ts;
	uint64_t ns;

	/*
	 * Distinct for every request (time(NULL) gave every request of a
	 * run the same number, so a reply left over from a dump cut short
	 * could pass for the next one's), without a counter that would be
	 * global state: the monotonic clock in nanoseconds, which moves by
	 * far more than a batch's length between two calls. At most 2^31
	 * and never 0, so a batch's numbers never wrap.
	 */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	return ((uint32_t)ns & 0x7fffffffu) | 1u;
}

int mi_nl_open(int bus, struct mnl_socket **out, struct mi_err *err)
{
	struct mnl_socket *nl = mnl_socket_open2(bus, SOCK_CLOEXEC);
	int one = 1, ret;

	if (!nl) {
		ret = -errno;
		return mi_err_set(err, ret, "cannot open netlink socket: %s",
				  strerror(-ret));
	}
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		mnl_socket_close(nl);
		return mi_err_set(err, ret, "cannot bind netlink socket: %s",
				  strerror(-ret));
	}
	/* best effort: older kernels simply give no extended text */
	mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one));
	/*
	 * Errors without a copy of the request: a rejected 64 KiB element
	 * message echoed back overflowed the receive buffer (ENOBUFS) and
	 * the kernel's reason was lost.
	 */
	mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one));
	*out = nl;
	return 0;
}

void mi_nl_close(struct mnl_socket *nl)
{
	if (nl)
		mnl_socket_close(nl);
}

static void grow_buffers(struct mnl_socket *nl, size_t sndlen, size_t rcvlen)
{
	int fd = mnl_socket_get_fd(nl);
	int snd = sndlen > INT32_MAX ? INT32_MAX : (int)sndlen;
	int rcv = rcvlen > INT32_MAX ? INT32_MAX : (int)rcvlen;

	/* FORCE needs CAP_NET_ADMIN, which we hold while committing */
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &snd, sizeof(snd)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd, sizeof(snd));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
}

/* Extended-ack message text of an NLMSG_ERROR, or NULL. */
static const char *extack_msg(const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr;
	size_t off = sizeof(*e);

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NULL;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(e->msg);
	mnl_attr_for_each_payload((const void *)((const char *)e + off),
				  mnl_nlmsg_get_payload_len(nlh) - off) {
		if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG)
			return mnl_attr_get_str(attr);
	}
	return NULL;
}

/* Record every error reply in @batch; 0, or -errno of the socket. */
static int drain(struct mnl_socket *nl, struct mi_batch *batch)
{
	char *buf = mi_xmalloc(MNL_SOCKET_BUFFER_SIZE * 4);
	int ret = 0;

	for (;;) {
		ssize_t n = recv(mnl_socket_get_fd(nl), buf,
				 MNL_SOCKET_BUFFER_SIZE * 4, MSG_DONTWAIT);
		const struct nlmsghdr *nlh;
		int left;

		if (n < 0) {
			ret = errno == EAGAIN ? 0 : -errno;
			break;
		}
		left = (int)n;
		for (nlh = (const struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, left);
		     nlh = mnl_nlmsg_next(nlh, &left)) {
			const struct nlmsgerr *e;

			if (nlh->nlmsg_type != NLMSG_ERROR)
				continue;
			e = mnl_nlmsg_get_payload(nlh);
			/* an error against no message of ours: the batch's */
			if (e->error &&
			    !mi_batch_set_error(batch, nlh->nlmsg_seq, e->error,
						extack_msg(nlh)))
				mi_batch_set_error(batch,
						   mi_batch_last_seq(batch),
						   e->error, extack_msg(nlh));
		}
	}
	free(buf);
	return ret;
}

int mi_nl_commit(struct mnl_socket *nl, struct mi_batch *batch,
		 struct mi_err *err)
{
	struct sockaddr_nl snl = { .nl_family = AF_NETLINK };
	struct msghdr msg = { .msg_name = &snl, .msg_namelen = sizeof(snl) };
	size_t i, iovlen, total = 0;
	struct iovec *iov = mi_batch_iov(batch, &iovlen);
	int ret;

	for (i = 0; i < iovlen; i++)
		total += iov[i].iov_len;
	grow_buffers(nl, total + 4096, mi_batch_nmsg(batch) * ACK_ROOM + 65536);
	msg.msg_iov = iov;
	msg.msg_iovlen = iovlen;
	/* nf_tables processes the whole batch inside this call */
	if (sendmsg(mnl_socket_get_fd(nl), &msg, 0) < 0) {
		ret = -errno;
		free(iov);
		return mi_err_set(err, ret, "cannot send the netlink batch: %s",
				  strerror(-ret));
	}
	free(iov);
	ret = drain(nl, batch);
	if (mi_batch_nerrors(batch))
		return mi_batch_report(batch, err);
	if (ret < 0)
		return mi_err_set(err, ret, "cannot read the kernel's replies: %s",
				  strerror(-ret));
	return 0;
}

struct talk_state {
	int (*cb)(const void *nlh, void *data);
	void *data;
	int ret;		/* the callback's or the kernel's -errno */
};

static int talk_cb(const struct nlmsghdr *nlh, void *data)
{
	struct talk_state *ts = data;
	int ret = ts->cb ? ts->cb(nlh, ts->data) : 0;

	if (ret < 0) {
		ts->ret = ret;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

/* NLMSG_ERROR: the kernel's ack (error 0) or its error code. */
static int talk_err(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	struct talk_state *ts = data;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e))) {
		ts->ret = -EBADMSG;
		return MNL_CB_ERROR;
	}
	if (!e->error)
		return MNL_CB_STOP;
	ts->ret = e->error;
	return MNL_CB_ERROR;
}

static int talk_done(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(void)data;
	return MNL_CB_STOP;
}

static int talk_noop(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(void)data;
	return MNL_CB_OK;
}

static int talk_overrun(const struct nlmsghdr *nlh, void *data)
{
	struct talk_state *ts = data;

	(void)nlh;
	ts->ret = -ENOBUFS;
	return MNL_CB_ERROR;
}

int mi_nl_talk(struct mnl_socket *nl, void *req, size_t len,
	       int (*cb)(const void *nlh, void *data), void *data,
	       struct mi_err *err)
{
	/* not const: libmnl 1.0.4 takes a non-const array */
	mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
		[NLMSG_NOOP] = talk_noop,
		[NLMSG_ERROR] = talk_err,
		[NLMSG_DONE] = talk_done,
		[NLMSG_OVERRUN] = talk_overrun,
	};
	struct nlmsghdr *nlh = req;
	struct talk_state ts = { cb, data, 0 };
	uint32_t portid = mnl_socket_get_portid(nl);
	char *buf = mi_xmalloc(DUMP_BUF);
	ssize_t n;
	int ret;

	if (mnl_socket_sendto(nl, req, len) < 0) {
		ret = -errno;
		goto out_free;
	}
	for (;;) {
		n = mnl_socket_recvfrom(nl, buf, DUMP_BUF);
		if (n < 0) {
			ret = -errno;
			goto out_free;
		}
		ret = mnl_cb_run2(buf, (size_t)n, nlh->nlmsg_seq, portid,
				  talk_cb, &ts, ctl, NLMSG_MIN_TYPE);
		if (ret <= MNL_CB_STOP)
			break;
	}
	/* -1 without an error of ours: a reply to another request */
	ret = ts.ret ? ts.ret : ret < 0 ? -EPROTO : 0;
out_free:
	free(buf);
	if (ret < 0)
		mi_err_set(err, ret, "netlink request failed: %s", strerror(-ret));
	return ret;
}

static int table_cb(const void *msg, void *data)
{
	struct nftnl_table *t = data;

	return nftnl_table_nlmsg_parse(msg, t) < 0 ? -EPROTO : 0;
}

int mi_nl_table_lookup(struct mnl_socket *nl, const char *name, bool *exists,
		       uint32_t *flags, struct mi_err *err)
{
	char buf[512] = { 0 }; /* libmnl 1.0.4 leaves padding unwritten */
	struct nftnl_table *t = mi_xnn(nftnl_table_alloc());
	struct mi_err lookup = { 0 };
	struct nlmsghdr *nlh;
	int ret;

	nftnl_table_set_str(t, NFTNL_TABLE_NAME, name);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETTABLE, NFPROTO_INET,
				    NLM_F_ACK, mi_nl_seq());
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	t = mi_xnn(nftnl_table_alloc());
	ret = mi_nl_talk(nl, nlh, nlh->nlmsg_len, table_cb, t, &lookup);
	*exists = ret == 0;
	*flags = 0;
	if (ret == 0 && nftnl_table_is_set(t, NFTNL_TABLE_FLAGS))
		*flags = nftnl_table_get_u32(t, NFTNL_TABLE_FLAGS);
	nftnl_table_free(t);
	/* a missing table is an answer, not an error */
	if (ret == -ENOENT)
		return 0;
	if (ret < 0)
		return mi_err_set(err, ret, "cannot look up table inet %s: %s",
				  name, lookup.msg);
	return 0;
}

int mi_nl_join(struct mnl_socket *nl, int group, int rcvbuf,
	       struct mi_err *err)
{
	int fd = mnl_socket_get_fd(nl), ret;

	if (mnl_socket_setsockopt(nl, NETLINK_ADD_MEMBERSHIP, &group,
				  sizeof(group)) < 0) {
		ret = -errno;
		return mi_err_set(err, ret, "cannot join netlink group %d: %s",
				  group, strerror(-ret));
	}
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
		       sizeof(rcvbuf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	return 0;
}

int mi_nl_fd(const struct mnl_socket *nl)
{
	return mnl_socket_get_fd(nl);
}

/* Events of one group: large enough for any one message. */
#define EV_BUF (64 * 1024)

struct ev_state {
	int (*cb)(const void *nlh, void *data);
	void *data;
	int ret;
};

static int ev_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ev_state *es = data;
	int ret = es->cb(nlh, es->data);

	if (ret < 0) {
		es->ret = ret;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

int mi_nl_read_events(struct mnl_socket *nl,
		      int (*cb)(const void *nlh, void *data), void *data,
		      struct mi_err *err)
{
	struct ev_state es = { cb, data, 0 };
	char *buf = mi_xmalloc(EV_BUF);
	int ret = 0;

	while (!es.ret) {
		ssize_t n = recv(mnl_socket_get_fd(nl), buf, EV_BUF,
				 MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			/* overrun: events were lost; go on */
			if (errno == ENOBUFS)
				continue;
			ret = -errno;
			mi_err_set(err, ret, "cannot read netlink events: %s",
				   strerror(-ret));
			break;
		}
		/* multicast: no sequence or port id to check */
		mnl_cb_run(buf, (size_t)n, 0, 0, ev_cb, &es);
	}
	free(buf);
	return ret ? ret : es.ret;
}
