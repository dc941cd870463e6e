/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "nl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/netlink.h>

#include <libmnl/libmnl.h>
#include <libnftnl/batch.h>

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
	return (uint32_t)time(NULL);
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

struct commit_state {
	const struct mi_batch *batch;
	struct mi_err *err;
	int first;
};

static void record_error(struct commit_state *st, const struct nlmsghdr *nlh,
			 int code)
{
	const char *what = mi_batch_what(st->batch, nlh->nlmsg_seq);
	const char *ext = extack_msg(nlh);
	/* an expression type the kernel does not know: a missing module */
	bool tproxy = (code == -ENOENT || code == -EOPNOTSUPP) && what &&
		      strstr(what, "of chain istio-tproxy");

	if (!st->first)
		st->first = code;
	mi_err_set(st->err, code, "kernel rejected %s: %s%s%s%s",
		   what ? what : "the batch", strerror(-code),
		   ext ? ": " : "", ext ? ext : "",
		   tproxy ? " (the kernel lacks nft_tproxy, needed by -m TPROXY)" : "");
}

static int drain(struct mnl_socket *nl, struct commit_state *st)
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
			if (e->error)
				record_error(st, nlh, e->error);
		}
	}
	free(buf);
	return ret;
}

int mi_nl_commit(struct mnl_socket *nl, const struct mi_batch *batch,
		 struct mi_err *err)
{
	struct commit_state st = { .batch = batch, .err = err };
	int iovlen = nftnl_batch_iovec_len(batch->b);
	struct iovec *iov = mi_xcalloc((size_t)iovlen, sizeof(*iov));
	struct sockaddr_nl snl = { .nl_family = AF_NETLINK };
	struct msghdr msg = { .msg_name = &snl, .msg_namelen = sizeof(snl) };
	size_t total = 0;
	int i, ret;

	nftnl_batch_iovec(batch->b, iov, (uint32_t)iovlen);
	for (i = 0; i < iovlen; i++)
		total += iov[i].iov_len;
	grow_buffers(nl, total + 4096, batch->nmsg * ACK_ROOM + 65536);
	msg.msg_iov = iov;
	msg.msg_iovlen = (size_t)iovlen;
	/* nf_tables processes the whole batch inside this call */
	if (sendmsg(mnl_socket_get_fd(nl), &msg, 0) < 0) {
		ret = -errno;
		free(iov);
		return mi_err_set(err, ret, "cannot send the netlink batch: %s",
				  strerror(-ret));
	}
	free(iov);
	ret = drain(nl, &st);
	if (ret < 0 && !st.first)
		return mi_err_set(err, ret, "cannot read the kernel's replies: %s",
				  strerror(-ret));
	return st.first;
}

struct talk_state {
	int (*cb)(const void *nlh, void *data);
	void *data;
};

static int talk_cb(const struct nlmsghdr *nlh, void *data)
{
	struct talk_state *ts = data;

	return ts->cb(nlh, ts->data) < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

int mi_nl_talk(struct mnl_socket *nl, void *req, size_t len,
	       int (*cb)(const void *nlh, void *data), void *data,
	       struct mi_err *err)
{
	struct nlmsghdr *nlh = req;
	struct talk_state ts = { cb, data };
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
		ret = mnl_cb_run(buf, (size_t)n, nlh->nlmsg_seq, portid,
				 cb ? talk_cb : NULL, &ts);
		if (ret <= MNL_CB_STOP)
			break;
	}
	ret = ret < 0 ? -errno : 0;
out_free:
	free(buf);
	if (ret < 0)
		mi_err_set(err, ret, "netlink request failed: %s", strerror(-ret));
	return ret;
}
