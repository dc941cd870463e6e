/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef MI_NETNS_H
#define MI_NETNS_H

#include "err.h"

/*
 * mi_netns_enter - move the calling thread into the network namespace
 * @spec: a path (it contains '/'), a pid (all digits: /proc/PID/ns/net)
 * or a name (/var/run/netns/NAME, as `ip netns` creates them). Needs
 * CAP_SYS_ADMIN. Returns 0 or -errno with @err naming the namespace.
 */
int mi_netns_enter(const char *spec, struct mi_err *err);

#endif
