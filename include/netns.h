/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef MI_NETNS_H
#define MI_NETNS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "err.h"

/*
 * mi_netns_enter - move the calling thread into the network namespace
 * @spec: a path (it contains '/'), a pid (all digits: /proc/PID/ns/net)
 * or a name (/var/run/netns/NAME, as `ip netns` creates them). Needs
 * CAP_SYS_ADMIN. Returns 0 or -errno with @err naming the namespace.
 */
int mi_netns_enter(const char *spec, struct mi_err *err);

/*
 * What decides whether a network namespace is the node's initial one:
 * the identities of namespace files, each with whether it could be read.
 */
struct mi_ns_id {
	bool ok;
	dev_t dev;
	ino_t ino;
};

struct mi_netns_facts {
	struct mi_ns_id net;		/* the namespace in question */
	struct mi_ns_id pid1_pidns;	/* /proc/1/ns/pid */
	struct mi_ns_id pid1_net;	/* /proc/1/ns/net */
	struct mi_ns_id named;		/* test builds: named initial */
};

/*
 * Fixed inode numbers of initial namespaces (the kernel's proc_ns.h):
 * the initial PID namespace's since Linux 3.8; the initial network
 * namespace's only on recent kernels (older ones number it dynamically,
 * from 0xF0000000 up, so the fixed number never names another one).
 */
#define MI_PROC_PID_INIT_INO 0xEFFFFFFCu
#define MI_PROC_NET_INIT_INO 0xEFFFFFF9u

/*
 * mi_netns_initial_rule - the rule, pure: @f->net is the node's initial
 * network namespace when
 *  (a) its inode is the initial network namespace's fixed number, or
 *  (b) /proc/1 is in the initial PID namespace (so it is the node's init,
 *      which the kernel starts in the initial network namespace) and
 *      @f->net is the network namespace of that process, or
 *  (c) (test builds) it is the namespace a test named as the initial one.
 * In a pod, PID 1 is in the pod's own PID namespace (the pause process
 * or another container, with shareProcessNamespace or not, meshinit PID 1
 * or not), so (b) never applies there, and (a) never matches a pod's
 * namespace. Writes which rule matched to @why.
 */
bool mi_netns_initial_rule(const struct mi_netns_facts *f, const char **why);

/*
 * mi_netns_is_initial - read the facts for the calling thread's network
 * namespace and apply the rule. In test builds MESHINIT_TEST_INITIAL_NETNS
 * names a namespace (a path) that counts as initial too, so that tests
 * exercise the refusal without ever touching the machine's own namespace.
 */
bool mi_netns_is_initial(const char **why);

#endif
