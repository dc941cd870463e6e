/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE /* setns */
#include "netns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define NETNS_RUN_DIR "/var/run/netns"

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

int mi_netns_enter(const char *spec, struct mi_err *err)
{
	char path[512];
	int fd, ret;

	if (!*spec)
		return mi_err_set(err, -EINVAL, "empty network namespace name");
	if (strchr(spec, '/'))
		snprintf(path, sizeof(path), "%s", spec);
	else if (all_digits(spec))
		snprintf(path, sizeof(path), "/proc/%s/ns/net", spec);
	else
		snprintf(path, sizeof(path), "%s/%s", NETNS_RUN_DIR, spec);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		return mi_err_set(err, ret, "cannot open network namespace '%s' (%s): %s",
				  spec, path, strerror(-ret));
	}
	if (setns(fd, CLONE_NEWNET) < 0) {
		ret = -errno;
		close(fd);
		return mi_err_set(err, ret, "cannot enter network namespace '%s' (%s): %s%s",
				  spec, path, strerror(-ret),
				  ret == -EPERM ? " (CAP_SYS_ADMIN is required)" :
				  ret == -EINVAL ? " (not a network namespace)" : "");
	}
	close(fd);
	return 0;
}
