// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * chroot-netadmin - test helper (not shipped): run a program from a root
 * filesystem as a non-root user whose only capability is CAP_NET_ADMIN,
 * the way a container runtime starts an init container with
 * runAsUser and capabilities {drop: [ALL], add: [NET_ADMIN]}.
 *
 *   chroot-netadmin [-n|-b] ROOTFS UID GID PROG [ARG...]
 *
 * Must start as root. chroot(ROOTFS), drop every capability but
 * CAP_NET_ADMIN from the bounding set, switch to UID/GID with no
 * supplementary groups, keep CAP_NET_ADMIN as permitted, effective,
 * inheritable and ambient (so it survives execve), set no_new_privs,
 * print the resulting identity on stderr, then execve PROG.
 * -n: keep no capability at all.
 * -b: what a non-root program keeps across execve in a container that
 *     containerd/CRI-O start with capabilities.add [NET_ADMIN] and
 *     allowPrivilegeEscalation: true: CAP_NET_ADMIN only in the bounding
 *     set (the runtime also sets it permitted and effective, which
 *     execve as non-root clears), no ambient set (Kubernetes has no API
 *     for it), no no_new_privs; the program gets the capability only
 *     from its file capabilities. make check-image runs the real sets
 *     with runc, no_new_privs on and off.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>

extern char **environ;

static int die(const char *what)
{
	fprintf(stderr, "chroot-netadmin: %s: %s\n", what, strerror(errno));
	return 125;
}

static int set_caps(__u32 mask)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2] = { { mask, mask, mask }, { 0, 0, 0 } };

	return syscall(SYS_capset, &hdr, data);
}

static int print_caps(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	int amb = prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_ADMIN, 0, 0);

	if (syscall(SYS_capget, &hdr, data) < 0)
		return -1;
	fprintf(stderr, "chroot-netadmin: uid=%d gid=%d groups=%d eff=%#x:%#x prm=%#x:%#x ambient_net_admin=%d\n",
		(int)getuid(), (int)getgid(), getgroups(0, NULL),
		data[1].effective, data[0].effective,
		data[1].permitted, data[0].permitted, amb);
	return 0;
}

int main(int argc, char *argv[])
{
	int keep = 1, bounding_only = 0, i = 1;
	unsigned long cap;
	uid_t uid;
	gid_t gid;

	if (argc > 1 && !strcmp(argv[1], "-n")) {
		keep = 0;
		i++;
	} else if (argc > 1 && !strcmp(argv[1], "-b")) {
		bounding_only = 1;
		i++;
	}
	if (argc - i < 4) {
		fprintf(stderr, "usage: %s [-n|-b] ROOTFS UID GID PROG [ARG...]\n", argv[0]);
		return 125;
	}
	uid = (uid_t)strtoul(argv[i + 1], NULL, 10);
	gid = (gid_t)strtoul(argv[i + 2], NULL, 10);
	if (chroot(argv[i]) < 0)
		return die("chroot");
	if (chdir("/") < 0)
		return die("chdir");
	for (cap = 0; cap <= CAP_LAST_CAP; cap++) {
		if (keep && cap == CAP_NET_ADMIN)
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			return die("PR_CAPBSET_DROP");
	}
	if (!bounding_only && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return die("PR_SET_KEEPCAPS");
	if (setgroups(0, NULL) < 0)
		return die("setgroups");
	if (setresgid(gid, gid, gid) < 0)
		return die("setresgid");
	if (setresuid(uid, uid, uid) < 0)
		return die("setresuid");
	if (set_caps(keep && !bounding_only ? 1U << CAP_NET_ADMIN : 0) < 0)
		return die("capset");
	if (keep && !bounding_only &&
	    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_ADMIN, 0, 0) < 0)
		return die("PR_CAP_AMBIENT_RAISE");
	if (!bounding_only && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return die("PR_SET_NO_NEW_PRIVS");
	if (print_caps() < 0)
		return die("capget");
	execve(argv[i + 3], &argv[i + 3], environ);
	return die(argv[i + 3]);
}
