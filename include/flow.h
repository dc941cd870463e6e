/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef MI_FLOW_H
#define MI_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "cli.h"
#include "err.h"

/*
 * One packet of a flow, as explain walks it and trace filters on it:
 * parsed from the flow flags (--direction, --proto, --dst, --src, --uid,
 * --gid, --iif, --oif, --ct-state), completed with the pod's defaults,
 * and described in one line. Pure apart from the user/group lookups of
 * mi_flow_parse().
 */

enum mi_dir {
	MI_DIR_OUT, /* locally generated: output hooks */
	MI_DIR_IN,  /* arriving on an interface: prerouting hooks */
};

/* conntrack state bit of a NEW connection, as NF_CT_STATE_BIT(IP_CT_NEW) */
#define MI_CT_NEW 0x8

struct mi_flow {
	enum mi_dir dir;
	uint8_t proto; /* IPPROTO_TCP or IPPROTO_UDP; 0: any (trace) */
	int family;    /* AF_INET or AF_INET6 */
	uint8_t src[16], dst[16];
	bool have_src;	       /* src is known (given or derived) */
	uint16_t sport, dport; /* sport 0: an ephemeral port */
	bool have_uid;	       /* socket owner known (outbound only) */
	bool have_gid;	       /* --gid given (a trace filter) */
	uint32_t uid, gid;
	char iif[MI_IFNAMSIZ]; /* "" when not applicable */
	char oif[MI_IFNAMSIZ];
	uint32_t mark, ctmark;
	uint32_t ctstate; /* MI_CT_* bits; MI_CT_NEW by default */
};

/*
 * mi_flow_parse - validate the explain/trace flags of @a into @f. With
 * @need (explain) --direction, --proto and --dst are required, and
 * --uid/--gid for outbound flows; for trace every flag is an optional
 * filter (f->family 0: any address). Interfaces are left empty when
 * not given: see mi_flow_complete(). Errors name the flag and value
 * (exit 1).
 */
int mi_flow_parse(const struct mi_flow_args *a, bool need, struct mi_flow *f,
		  struct mi_err *err);

/*
 * mi_flow_complete - the defaults that depend on the pod (pure): the
 * interface (outbound: lo for loopback destinations and the pod's own
 * addresses @local (n full-length prefixes), else eth0; inbound: eth0)
 * and, when not given, the source address (outbound: the destination
 * over lo, else the pod's first address of the family).
 */
void mi_flow_complete(struct mi_flow *f, const struct mi_cidr *local, size_t n);

/* True when the destination is loopback or one of @local (n prefixes). */
bool mi_flow_dst_local(const struct mi_flow *f, const struct mi_cidr *local,
		       size_t n);

/* Format the flow as one line ("out tcp uid 1000 gid 1000 a -> b:80 ..."). */
void mi_flow_format(const struct mi_flow *f, char *buf, size_t len);

/* "10.0.0.1:80", "[fd00::1]:80", or the bare address when @port is 0. */
void mi_flow_endpoint(int family, const uint8_t *addr, uint16_t port, char *buf,
		      size_t len);

/* "new", "established", "related" or "invalid" for one MI_CT_* bit. */
const char *mi_ct_state_name(uint32_t bit);

#endif
