/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE /* accept4 */
#include "probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "detect.h"
#include "plan.h"
#include "readback.h"
#include "snapshot.h"

/* <linux/netfilter_ipv4.h> and <linux/netfilter_ipv6/ip6_tables.h> */
#define MI_SO_ORIGINAL_DST 80
#define MI_IP6T_SO_ORIGINAL_DST 80

#define PROBE_INTERVAL_MS 1000

/* ---- kernel facts ------------------------------------------------------- */

static void collect_lo(struct mi_probe_facts *f)
{
	static const uint8_t six[16] = { [15] = 6 };
	unsigned int lo = if_nametoindex("lo");
	struct mi_err e = { 0 };
	struct mi_ifaddr *a;
	size_t n, i;

	if (mi_detect_addrs(&a, &n, &e) < 0)
		return;
	for (i = 0; i < n; i++)
		if (a[i].family == AF_INET6 && a[i].ifindex == lo &&
		    !memcmp(a[i].addr, six, 16))
			f->lo_has_6 = true;
	free(a);
}

void mi_probe_collect(struct mi_probe_facts *f)
{
	struct mi_record rec;
	struct mi_plan plan;
	struct mi_snap s;
	struct mi_err e = { 0 };
	size_t i, n = 0;

	memset(f, 0, sizeof(*f));
	collect_lo(f);
	if (mi_snap_load(&s, &e) < 0) {
		snprintf(f->read_error, sizeof(f->read_error), "%s", e.msg);
		return;
	}
	f->read = true;
	f->have_table = s.have_table;
	for (i = 0; i < s.ntables; i++) {
		const struct mi_snap_table *t = &s.tables[i];
		size_t cap = sizeof(f->istio_tables);
		size_t room = n < cap ? cap - n : 0;

		if (strstr(t->name, "istio"))
			n += (size_t)snprintf(f->istio_tables + n, room,
					      "%s%s %s", n ? ", " : "",
					      mi_family_name(t->family),
					      t->name);
	}
	mi_readback_snap(&s, &plan, &rec, NULL);
	if (mi_plan_has_set(&plan, MI_SET_PROXY_UIDS)) {
		const struct mi_elems *es = &plan.sets[MI_SET_PROXY_UIDS];

		f->have_uid_set = true;
		f->uids = mi_xcalloc(es->n + 1, sizeof(*f->uids));
		for (i = 0; i < es->n; i++) {
			char buf[32];

			const struct mi_range *r = &es->v[i].r;

			if (r->lo == r->hi)
				snprintf(buf, sizeof(buf), "%u", r->lo);
			else
				snprintf(buf, sizeof(buf), "%u-%u", r->lo,
					 r->hi);
			f->uids[f->nuids++] = mi_xstrdup(buf);
		}
	}
	mi_plan_release(&plan);
	mi_snap_release(&s);
}

void mi_probe_facts_release(struct mi_probe_facts *f)
{
	for (size_t i = 0; i < f->nuids; i++)
		free(f->uids[i]);
	free(f->uids);
	f->uids = NULL;
	f->nuids = 0;
}

/* ---- the probe ---------------------------------------------------------- */

struct probe {
	int family;
	uint16_t port;		/* the probe port */
	int lfd[2];
	int cfd;
	int last_port;		/* original port of a non-matching redirect */
	char last_error[128];	/* of the client's last connect */
};

static socklen_t loopback(int family, uint16_t port, bool six,
			  struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;

		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		in->sin_addr.s_addr = htonl(six ? 0x7f000006 : INADDR_LOOPBACK);
		return sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		in6->sin6_addr.s6_addr[15] = six ? 6 : 1;
		return sizeof(*in6);
	}
}

static int listen_on(int family, uint16_t port, const struct mi_log *log)
{
	struct sockaddr_storage ss;
	socklen_t len = loopback(family, port, false, &ss);
	char addr[64];
	int fd, one = 1;

	snprintf(addr, sizeof(addr), family == AF_INET ? "127.0.0.1:%u" : "[::1]:%u",
		 port);
	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 16) < 0) {
		mi_error(log, "Error listening on %s: %s", addr, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	mi_info(log, "Listening on %s", addr);
	return fd;
}

static void connect_probe(struct probe *p, const struct mi_log *log)
{
	struct sockaddr_storage src, dst;
	socklen_t slen = loopback(p->family, 0, false, &src);
	socklen_t dlen = loopback(p->family, p->port, true, &dst);
	int fd = socket(p->family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return;
	if (bind(fd, (struct sockaddr *)&src, slen) < 0 ||
	    (connect(fd, (struct sockaddr *)&dst, dlen) < 0 && errno != EINPROGRESS)) {
		snprintf(p->last_error, sizeof(p->last_error), "%s", strerror(errno));
		mi_error(log, "Error connecting to %s:%u: %s",
			 p->family == AF_INET ? "127.0.0.6" : "[::6]", p->port,
			 p->last_error);
		close(fd);
		return;
	}
	if (p->cfd >= 0)
		close(p->cfd);
	p->cfd = fd;
}

static void client_done(struct probe *p, const struct mi_log *log)
{
	int e = 0;
	socklen_t len = sizeof(e);

	getsockopt(p->cfd, SOL_SOCKET, SO_ERROR, &e, &len);
	if (e) {
		snprintf(p->last_error, sizeof(p->last_error), "%s", strerror(e));
		mi_error(log, "Error connecting to %s:%u: %s",
			 p->family == AF_INET ? "127.0.0.6" : "[::6]", p->port,
			 p->last_error);
	}
	close(p->cfd);
	p->cfd = -1;
}

/* True when the accepted connection was redirected from the probe port. */
static bool serve(struct probe *p, int lfd)
{
	struct sockaddr_storage od;
	socklen_t len = sizeof(od);
	char reply[8];
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC), port = -1, n;

	if (fd < 0)
		return false;
	if (p->family == AF_INET &&
	    getsockopt(fd, SOL_IP, MI_SO_ORIGINAL_DST, &od, &len) == 0)
		port = ntohs(((struct sockaddr_in *)&od)->sin_port);
	else if (p->family == AF_INET6 &&
		 getsockopt(fd, SOL_IPV6, MI_IP6T_SO_ORIGINAL_DST, &od, &len) == 0)
		port = ntohs(((struct sockaddr_in6 *)&od)->sin6_port);
	if (port >= 0) {
		n = snprintf(reply, sizeof(reply), "%d", port);
		if (write(fd, reply, (size_t)n) < 0) {
			/* the reply is a courtesy; the port decides */
		}
	}
	close(fd);
	if (port >= 0 && port != p->port)
		p->last_port = port;
	return port == p->port;
}

/* Poll until a matching redirect arrives or @deadline (ms) passes. */
static bool probe_loop(struct probe *p, uint64_t deadline,
		       const struct mi_log *log)
{
	uint64_t next = mi_now_ms(), t;
	struct pollfd pfd[3];
	int i;

	while ((t = mi_now_ms()) < deadline) {
		if (t >= next) {
			connect_probe(p, log);
			next = t + PROBE_INTERVAL_MS;
		}
		for (i = 0; i < 2; i++)
			pfd[i] = (struct pollfd){ .fd = p->lfd[i], .events = POLLIN };
		pfd[2] = (struct pollfd){ .fd = p->cfd, .events = POLLOUT };
		t = (next < deadline ? next : deadline) - t;
		if (poll(pfd, 3, (int)t) < 0 && errno != EINTR)
			return false;
		for (i = 0; i < 2; i++)
			if (p->lfd[i] >= 0 && (pfd[i].revents & POLLIN) &&
			    serve(p, p->lfd[i]))
				return true;
		if (p->cfd >= 0 && pfd[2].revents)
			client_done(p, log);
	}
	return false;
}

/* ---- diagnosis ---------------------------------------------------------- */

static bool uid_listed(const struct mi_probe_facts *f, uid_t uid)
{
	size_t i;
	unsigned long lo, hi;
	int n;

	for (i = 0; i < f->nuids; i++) {
		n = sscanf(f->uids[i], "%lu-%lu", &lo, &hi);
		if (n == 1)
			hi = lo;
		if (n >= 1 && uid >= lo && uid <= hi)
			return true;
	}
	return false;
}

static void diagnose(const struct mi_config *cfg,
		     const struct mi_probe_facts *f, const struct probe *p,
		     char *buf, size_t len)
{
	const char *set = mi_set_info(MI_SET_PROXY_UIDS)->name;
	uid_t uid = geteuid();

	if (!f->read)
		snprintf(buf, len, "cannot read the kernel's rules to tell why (%s)",
			 f->read_error);
	else if (!f->have_table && *f->istio_tables)
		snprintf(buf, len, "no meshinit rules installed; Istio's own tables are there (%s), installed by someone else%s",
			 f->istio_tables,
			 cfg->skip_rule_apply ? " (--skip-rule-apply: meshinit did not install any)" : "");
	else if (!f->have_table)
		snprintf(buf, len, "no meshinit rules installed (table inet %s is missing)%s",
			 MI_TABLE_NAME,
			 cfg->skip_rule_apply ? "; with --skip-rule-apply the CNI plugin should have installed them" : "");
	else if (!f->have_uid_set)
		snprintf(buf, len, "set %s is not installed, so the probe's uid %u is not a proxy uid",
			 set, (unsigned int)uid);
	else if (!uid_listed(f, uid))
		snprintf(buf, len, "the probe's uid %u is not among the proxy uids in set %s (%s%s)",
			 (unsigned int)uid, set, f->nuids ? f->uids[0] : "empty",
			 f->nuids > 1 ? ", ..." : "");
	else if (p->family == AF_INET6 && !f->lo_has_6)
		snprintf(buf, len, "::6 is missing on lo");
	else if (p->last_port)
		snprintf(buf, len, "the redirect landed on port %d, not the probe port %u",
			 p->last_port, p->port);
	else
		snprintf(buf, len, "the rules and the probe's uid look right, but no redirected connection arrived (last connect error: %s)",
			 *p->last_error ? p->last_error : "none");
}

static const char istio_text[] =
	"iptables validation failed; workload is not ready for Istio.\n"
	"When using Istio CNI, this can occur if a pod is scheduled before the node is ready.\n\n"
	"If installed with `cni.repair.deletePods=true`, this pod should automatically be deleted and retry.\n"
	"Otherwise, this pod will need to be manually removed so that it is scheduled on a node with istio-cni running, allowing iptables rules to be established.";

int mi_probe_run(const struct mi_config *cfg, const struct mi_probe_facts *f,
		    const struct mi_log *log, struct mi_err *err)
{
	struct probe p = { .port = cfg->probe_port, .cfd = -1 };
	uint64_t deadline = mi_now_ms() + cfg->probe_timeout_ms;
	char why[1024];
	bool ok = false;
	int i;

	why[0] = '\0';
	p.family = cfg->ipv6 && !cfg->dual_stack ? AF_INET6 : AF_INET;
	p.lfd[0] = listen_on(p.family, cfg->proxy_port, log);
	p.lfd[1] = listen_on(p.family, cfg->inbound_port, log);
	if (p.lfd[0] < 0 && p.lfd[1] < 0) {
		snprintf(p.last_error, sizeof(p.last_error), "no listener available");
		goto out;
	}
	ok = probe_loop(&p, deadline, log);
out:
	for (i = 0; i < 2; i++)
		if (p.lfd[i] >= 0)
			close(p.lfd[i]);
	if (p.cfd >= 0)
		close(p.cfd);
	if (ok) {
		mi_info(log, "Validation passed, iptables rules established");
		return 0;
	}
	if (p.lfd[0] < 0 && p.lfd[1] < 0)
		snprintf(why, sizeof(why), "no listener available on ports %u and %u",
			 cfg->proxy_port, cfg->inbound_port);
	else
		diagnose(cfg, f, &p, why, sizeof(why));
	mi_error(log, "validation timeout\n%s", istio_text);
	return mi_err_setx(err, MI_EXIT_VALIDATION, -ETIMEDOUT,
			   "iptables validation failed; workload is not ready for Istio. diagnosis: %s",
			   why);
}
