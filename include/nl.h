/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef MI_NL_H
#define MI_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct mi_batch;
struct mnl_socket;

/*
 * mi_nl_open - open a netlink socket of @bus (NETLINK_NETFILTER or
 * NETLINK_ROUTE) with extended acks enabled. Returns 0 or -errno.
 */
int mi_nl_open(int bus, struct mnl_socket **out, struct mi_err *err);

void mi_nl_close(struct mnl_socket *nl);

/*
 * mi_nl_commit - send @batch in one sendmsg() and collect every reply.
 * The kernel applies all of it or nothing. Every error the kernel
 * reports is recorded in @batch against its message (with the
 * extended-ack text when there is one; see mi_batch_hint_error) and
 * all of them are reported in @err (mi_batch_report). Returns 0 or the
 * first -errno.
 */
int mi_nl_commit(struct mnl_socket *nl, struct mi_batch *batch,
		 struct mi_err *err);

/*
 * mi_nl_talk - send one request and run @cb over every reply until the
 * final ack or NLMSG_DONE. Returns 0, or -errno (with @err filled).
 */
int mi_nl_talk(struct mnl_socket *nl, void *req, size_t len,
	       int (*cb)(const void *nlh, void *data), void *data,
	       struct mi_err *err);

/*
 * mi_nl_table_lookup - whether table inet @name exists: one GETTABLE
 * request for it (not a dump of every table). *@flags gets the table's
 * flags (NFT_TABLE_F_DORMANT...) when it exists. Returns 0 whether or
 * not it exists, or -errno with @err set.
 */
int mi_nl_table_lookup(struct mnl_socket *nl, const char *name, bool *exists,
		       uint32_t *flags, struct mi_err *err);

/*
 * mi_nl_join - subscribe @nl to multicast group @group (e.g.
 * NFNLGRP_NFTRACE) with a receive buffer of @rcvbuf bytes.
 */
int mi_nl_join(struct mnl_socket *nl, int group, int rcvbuf,
	       struct mi_err *err);

/* The descriptor to poll() for events of a joined group. */
int mi_nl_fd(const struct mnl_socket *nl);

/*
 * mi_nl_read_events - run @cb over every multicast message queued on
 * @nl, without blocking. An overrun (events lost) is skipped. Returns
 * 0, the first negative return of @cb, or -errno with @err set.
 */
int mi_nl_read_events(struct mnl_socket *nl,
		      int (*cb)(const void *nlh, void *data), void *data,
		      struct mi_err *err);

/*
 * A sequence number for a request or the first message of a batch on a
 * socket opened here: different from call to call (not time(NULL)).
 */
uint32_t mi_nl_seq(void);

#endif
