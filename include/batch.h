/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef MI_BATCH_H
#define MI_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "err.h"
#include "util.h"

struct nftnl_chain;
struct nftnl_rule;
struct nftnl_set;
struct nlmsghdr;

/*
 * An nf_tables transaction being built: BATCH_BEGIN, the messages, and
 * BATCH_END (left out for a check-only batch, so the kernel validates
 * everything and then aborts). Every message carries NLM_F_ACK and is
 * recorded with what it stands for, a hint (what a failure of it
 * means) and, once committed, the kernel's error, so each error can be
 * reported against its command. Nothing here touches a socket: nl.c
 * sends a batch (mi_nl_commit). Allocation failure exits 5 (mi_xmalloc,
 * mi_xnn).
 */
struct mi_batch;

/* What a failure of a message means beyond the kernel's errno. */
enum mi_batch_hint {
	MI_HINT_NONE = 0,
	/* a rule with tproxy: ENOENT/EOPNOTSUPP is a missing nft_tproxy */
	MI_HINT_TPROXY,
	/* a destroy: EINVAL/EOPNOTSUPP is a kernel older than 6.3 */
	MI_HINT_DESTROY,
	/* a create-only table: EEXIST is a table that appeared meanwhile */
	MI_HINT_CREATE_ONLY,
};

/* A batch whose messages are numbered from @seq0 (BATCH_BEGIN is @seq0). */
struct mi_batch *mi_batch_new(uint32_t seq0);
void mi_batch_free(struct mi_batch *b);

/*
 * mi_batch_msg - start a message of nf_tables @type (NFPROTO_INET,
 * NLM_F_ACK added) described by @fmt; the returned header is filled by
 * one of libnftnl's *_nlmsg_build_payload() within @room bytes (zeroed
 * here) and closed with mi_batch_msg_end(). For messages the helpers
 * below do not cover.
 */
struct nlmsghdr *mi_batch_msg(struct mi_batch *b, uint16_t type,
			      uint16_t flags, size_t room,
			      enum mi_batch_hint hint, const char *fmt, ...)
	MI_PRINTF(6, 7);
void mi_batch_msg_end(struct mi_batch *b);

/* One message each; @fmt describes it in error reports. */
void mi_batch_table(struct mi_batch *b, uint16_t type, uint16_t flags,
		    const char *name, enum mi_batch_hint hint,
		    const char *fmt, ...) MI_PRINTF(6, 7);
void mi_batch_chain(struct mi_batch *b, const struct nftnl_chain *c,
		    const char *fmt, ...) MI_PRINTF(3, 4);
void mi_batch_set(struct mi_batch *b, const struct nftnl_set *s,
		  const char *fmt, ...) MI_PRINTF(3, 4);
/* The elements of @s (at most @n, for the room to reserve). */
void mi_batch_elems(struct mi_batch *b, const struct nftnl_set *s, size_t n,
		    const char *fmt, ...) MI_PRINTF(4, 5);
/* An appended rule. */
void mi_batch_rule(struct mi_batch *b, const struct nftnl_rule *r,
		   enum mi_batch_hint hint, const char *fmt, ...)
	MI_PRINTF(4, 5);

/* Close the transaction with BATCH_END (not for a check-only batch). */
void mi_batch_end(struct mi_batch *b);

/* Messages between BEGIN and END. */
size_t mi_batch_nmsg(const struct mi_batch *b);
/* Sequence number of the last message (BATCH_END when there is one). */
uint32_t mi_batch_last_seq(const struct mi_batch *b);

/* The serialised batch as an iovec array (freed by the caller). */
struct iovec *mi_batch_iov(const struct mi_batch *b, size_t *n);

/* Description of the message with sequence number @seq, or NULL. */
const char *mi_batch_what(const struct mi_batch *b, uint32_t seq);

/*
 * Record the kernel's error @code (negative errno) and extended-ack
 * text @ext (may be NULL) against message @seq; false when @seq is not
 * one of the batch's.
 */
bool mi_batch_set_error(struct mi_batch *b, uint32_t seq, int code,
			const char *ext);

/* Errors recorded; the error of the first message with @hint, or 0. */
size_t mi_batch_nerrors(const struct mi_batch *b);
int mi_batch_hint_error(const struct mi_batch *b, enum mi_batch_hint hint);

/*
 * mi_batch_report - put every recorded error, in batch order, each
 * against its message ("kernel rejected <what>: <strerror>: <ext>"),
 * with what its hint means, into @err. Returns the first error's code
 * (0 when none was recorded).
 */
int mi_batch_report(const struct mi_batch *b, struct mi_err *err);

#endif
