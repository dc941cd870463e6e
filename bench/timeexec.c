// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * timeexec - time one whole process, exec to exit, for make bench.
 *
 *   timeexec [-n NETNS] [-i STDIN] PROGRAM [ARG...]
 *
 * Enters the network namespace NETNS (a path such as /run/netns/x) first,
 * outside the timed part, then forks, execs PROGRAM with stdin from STDIN
 * (default /dev/null) and stdout to /dev/null, and waits with wait4().
 * Prints "<nanoseconds> <peak RSS KiB> <exit status> <CPU ns>" (CPU =
 * user + system time of the process and its waited-for children) and exits 0 when the
 * program exited 0. It is a small C program on purpose: a child's
 * ru_maxrss includes the RSS of the process it was forked from, so the
 * driver must be tiny (its own floor is what `timeexec /bin/true` shows).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	const char *netns = NULL, *in = "/dev/null";
	struct rusage ru;
	long long t0, t1;
	int opt, status, fd;
	pid_t pid;

	while ((opt = getopt(argc, argv, "+n:i:")) != -1) {
		if (opt == 'n')
			netns = optarg;
		else if (opt == 'i')
			in = optarg;
		else
			return 2;
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: timeexec [-n NETNS] [-i STDIN] PROGRAM [ARG...]\n");
		return 2;
	}
	if (netns) {
		fd = open(netns, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || setns(fd, CLONE_NEWNET)) {
			perror(netns);
			return 2;
		}
		close(fd);
	}
	t0 = now_ns();
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 2;
	}
	if (pid == 0) {
		int i = open(in, O_RDONLY), o = open("/dev/null", O_WRONLY);

		if (i < 0 || o < 0 || dup2(i, 0) < 0 || dup2(o, 1) < 0)
			_exit(127);
		execvp(argv[optind], argv + optind);
		perror(argv[optind]);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) < 0) {
		perror("wait4");
		return 2;
	}
	t1 = now_ns();
	printf("%lld %ld %d %lld\n", t1 - t0, ru.ru_maxrss, status,
	       (long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL +
	       (long long)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL);
	return status == 0 ? 0 : 1;
}
