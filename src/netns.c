/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE /* setns */
#include "netns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

static bool same_ns(const struct mi_ns_id *a, const struct mi_ns_id *b)
{
	return a->ok && b->ok && a->dev == b->dev && a->ino == b->ino;
}

bool mi_netns_initial_rule(const struct mi_netns_facts *f, const char **why)
{
	if (!f->net.ok)
		return false;
	if (f->net.ino == MI_PROC_NET_INIT_INO) {
		*why = "its inode is the initial network namespace's fixed "
		       "number";
		return true;
	}
	if (f->pid1_pidns.ok && f->pid1_pidns.ino == MI_PROC_PID_INIT_INO &&
	    same_ns(&f->net, &f->pid1_net)) {
		*why = "it is the network namespace of the node's init (PID 1 "
		       "of the initial PID namespace)";
		return true;
	}
#ifdef MI_TEST_HOOKS
	if (same_ns(&f->net, &f->named)) {
		*why = "MESHINIT_TEST_INITIAL_NETNS names it (test build)";
		return true;
	}
#endif
	return false;
}

static void ns_id(const char *path, struct mi_ns_id *id)
{
	struct stat st;

	id->ok = stat(path, &st) == 0;
	if (id->ok) {
		id->dev = st.st_dev;
		id->ino = st.st_ino;
	}
}

bool mi_netns_is_initial(const char **why)
{
	struct mi_netns_facts f = { 0 };

	ns_id("/proc/thread-self/ns/net", &f.net);
	if (!f.net.ok)
		ns_id("/proc/self/ns/net", &f.net);
	ns_id("/proc/1/ns/pid", &f.pid1_pidns);
	ns_id("/proc/1/ns/net", &f.pid1_net);
#ifdef MI_TEST_HOOKS
	{
		const char *named = getenv("MESHINIT_TEST_INITIAL_NETNS");

		if (named && *named)
			ns_id(named, &f.named);
	}
#endif
	return mi_netns_initial_rule(&f, why);
}
