/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef MI_CAPS_H
#define MI_CAPS_H

#include <stdbool.h>

#include "err.h"

/*
 * mi_caps_narrow - keep only CAP_NET_ADMIN (when held at all) in the
 * effective and permitted sets, clear the inheritable (and so the
 * ambient) set, and set PR_SET_NO_NEW_PRIVS. Call it once the network
 * namespace has been entered. Returns 0 or -errno.
 */
int mi_caps_narrow(struct mi_err *err);

/* Drop every capability; after the last netlink write. Best effort. */
void mi_caps_drop_all(void);

/* True when CAP_NET_ADMIN is in the effective set. */
bool mi_caps_have_net_admin(void);

#endif
