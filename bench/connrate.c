// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * connrate - TCP new-connection rate load generator for make bench.
 *
 *   connrate server ADDR PORT
 *	accept connections on ADDR:PORT and close each at once, forever
 *   connrate client ADDR PORT SECONDS MAXCOUNT [UID]
 *	(after setuid(UID) when given) connect, wait for the server's
 *	close, close with an RST (no TIME_WAIT, so no port exhaustion);
 *	repeat until SECONDS elapsed or MAXCOUNT connections. Prints
 *	"rate=<conn/s> count=<n> secs=<s> errors=<n>"; exits 1 on any error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int parse_addr(const char *a, const char *p, struct sockaddr_in *sin)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((unsigned short)atoi(p));
	return inet_pton(AF_INET, a, &sin->sin_addr) == 1 ? 0 : -1;
}

static int server(const struct sockaddr_in *sin)
{
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (const struct sockaddr *)sin, sizeof(*sin)) || listen(fd, 4096)) {
		perror("connrate server");
		return 1;
	}
	printf("listening\n");
	fflush(stdout);
	for (;;) {
		int c = accept(fd, NULL, NULL);

		if (c >= 0)
			close(c);
		else if (errno != EINTR && errno != ECONNABORTED)
			perror("accept");
	}
}

static int client(const struct sockaddr_in *sin, double secs, unsigned long max)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	unsigned long n = 0, errors = 0;
	double t0 = now(), t = t0;
	char b;

	while (n < max && t - t0 < secs) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		if (fd < 0 || connect(fd, (const struct sockaddr *)sin, sizeof(*sin))) {
			if (errors++ < 3)
				perror("connect");
		} else {
			/* wait for the server's FIN: the whole connection lived */
			while (read(fd, &b, 1) < 0 && errno == EINTR)
				;
			setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
			n++;
		}
		if (fd >= 0)
			close(fd);
		if ((n & 63) == 0 || errors)
			t = now();
		if (errors > 100)
			break;
	}
	t = now();
	printf("rate=%.1f count=%lu secs=%.3f errors=%lu\n", (double)n / (t - t0), n,
	       t - t0, errors);
	return errors ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sin;

	signal(SIGPIPE, SIG_IGN);
	if (argc >= 4 && !strcmp(argv[1], "server") && !parse_addr(argv[2], argv[3], &sin))
		return server(&sin);
	if (argc >= 6 && !strcmp(argv[1], "client") && !parse_addr(argv[2], argv[3], &sin)) {
		if (argc >= 7 && setuid((uid_t)atoi(argv[6]))) {
			perror("setuid");
			return 1;
		}
		return client(&sin, atof(argv[4]), strtoul(argv[5], NULL, 10));
	}
	fprintf(stderr, "usage: connrate server ADDR PORT | client ADDR PORT SECONDS MAXCOUNT [UID]\n");
	return 2;
}
