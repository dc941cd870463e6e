/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "detect.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>

#include <libmnl/libmnl.h>

#include "nl.h"
#include "util.h"

/* resolv.conf is tiny; a larger file is not one. */
#define RESOLV_MAX (64 * 1024)

static bool usable(const struct mi_ifaddr *a)
{
	static const unsigned char v4mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (a->family == AF_INET)
		return a->addr[0] != 127;
	if (!memcmp(a->addr, v4mapped, 12))
		return a->addr[12] != 127;
	if (a->addr[0] == 0xfe && (a->addr[1] & 0xc0) == 0x80)
		return false; /* link-local unicast */
	if (a->addr[0] == 0xff && (a->addr[1] & 0x0f) == 0x02)
		return false; /* link-local multicast */
	static const unsigned char lo[16] = { [15] = 1 };
	return memcmp(a->addr, lo, 16) != 0;
}

static bool is_v6(const struct mi_ifaddr *a)
{
	static const unsigned char v4mapped[12] = { [10] = 0xff, [11] = 0xff };

	return a->family == AF_INET6 && memcmp(a->addr, v4mapped, 12);
}

bool mi_ipv6_decide(const struct mi_ifaddr *a, size_t n, bool dual_stack,
		    bool *any_addr)
{
	size_t i;

	*any_addr = false;
	for (i = 0; i < n; i++) {
		if (!usable(&a[i]))
			continue;
		*any_addr = true;
		if (!dual_stack)
			return is_v6(&a[i]);
		if (is_v6(&a[i]))
			return true;
	}
	return false;
}

void mi_resolv_parse(const char *text, struct mi_cidrs *out)
{
	const char *line = text;

	while (line && *line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		char buf[256], addr[128];
		struct mi_cidr c;

		if (len < sizeof(buf)) {
			char *pct;

			memcpy(buf, line, len);
			buf[len] = '\0';
			if (sscanf(buf, " nameserver %127s", addr) == 1) {
				pct = strchr(addr, '%');
				if (pct)
					*pct = '\0';
				if (mi_addr_parse(addr, &c) == 0) {
					size_t k;

					for (k = 0; k < out->n; k++)
						if (!memcmp(&out->v[k], &c, sizeof(c)))
							break;
					if (k == out->n)
						mi_cidrs_add(out, &c);
				}
			}
		}
		line = end ? end + 1 : NULL;
	}
}

static int read_file(const char *path, char **out, struct mi_err *err)
{
	char *buf = mi_xmalloc(RESOLV_MAX + 1);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	size_t len = 0;
	int ret;

	if (fd < 0) {
		ret = -errno;
		free(buf);
		return mi_err_set(err, ret, "failed to load %s (--resolv-conf): %s", path,
				  strerror(-ret));
	}
	while ((n = read(fd, buf + len, RESOLV_MAX - len)) > 0)
		len += (size_t)n;
	ret = n < 0 ? -errno : 0;
	close(fd);
	if (ret < 0) {
		free(buf);
		return mi_err_set(err, ret, "failed to load %s (--resolv-conf): %s", path,
				  strerror(-ret));
	}
	buf[len] = '\0';
	*out = buf;
	return 0;
}

struct addrs {
	size_t n, cap;
	struct mi_ifaddr *v;
};

static int addr_cb(const void *msg, void *data)
{
	const struct nlmsghdr *nlh = msg;
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	struct addrs *as = data;
	const struct nlattr *a;
	struct mi_ifaddr x = { .family = ifa->ifa_family,
			       .ifindex = ifa->ifa_index,
			       .scope = ifa->ifa_scope };
	bool found = false;

	if (nlh->nlmsg_type != RTM_NEWADDR ||
	    (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6))
		return 0;
	mnl_attr_for_each(a, nlh, sizeof(*ifa)) {
		uint16_t t = mnl_attr_get_type(a);
		size_t l = ifa->ifa_family == AF_INET ? 4 : 16;

		/* IFA_LOCAL is the own address on point-to-point links */
		if ((t == IFA_LOCAL || (t == IFA_ADDRESS && !found)) &&
		    mnl_attr_get_payload_len(a) == l) {
			memcpy(x.addr, mnl_attr_get_payload(a), l);
			found = true;
		}
	}
	if (!found)
		return 0;
	mi_grow((void **)&as->v, &as->cap, as->n + 1, sizeof(*as->v));
	as->v[as->n++] = x;
	return 0;
}

int mi_detect_addrs(struct mi_ifaddr **out, size_t *n, struct mi_err *err)
{
	struct addrs as = { 0 };
	char req[256];
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	struct rtgenmsg *g;
	int ret;

	ret = mi_nl_open(NETLINK_ROUTE, &nl, err);
	if (ret < 0)
		return ret;
	nlh = mnl_nlmsg_put_header(req);
	nlh->nlmsg_type = RTM_GETADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = mi_nl_seq();
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->rtgen_family = AF_UNSPEC;
	ret = mi_nl_talk(nl, nlh, nlh->nlmsg_len, addr_cb, &as, err);
	mi_nl_close(nl);
	if (ret < 0) {
		free(as.v);
		mi_err_prefix(err, "cannot list the interface addresses");
		return ret;
	}
	*out = as.v;
	*n = as.n;
	return 0;
}

static int detect_ipv6(struct mi_config *cfg, unsigned int *warn,
		       struct mi_err *err)
{
	struct mi_ifaddr *addrs;
	size_t n;
	bool any;
	int ret;

	if (cfg->ipv6_mode != MI_IPV6_AUTO) {
		cfg->ipv6 = cfg->ipv6_mode == MI_IPV6_ON;
		return 0;
	}
	ret = mi_detect_addrs(&addrs, &n, err);
	if (ret < 0)
		return ret;
	cfg->ipv6 = mi_ipv6_decide(addrs, n, cfg->dual_stack, &any);
	if (!any)
		*warn |= MI_WARN_NO_ADDRESS;
	free(addrs);
	return 0;
}

static int detect_dns(struct mi_config *cfg, unsigned int *warn,
		      struct mi_err *err)
{
	char *text = NULL;
	int ret;

	cfg->dns = cfg->redirect_dns;
	if (!cfg->redirect_dns || cfg->capture_all_dns)
		return 0;
	ret = read_file(cfg->resolv_conf, &text, err);
	if (ret < 0)
		return ret;
	mi_resolv_parse(text, &cfg->dns_servers);
	free(text);
	if (!cfg->dns_servers.n) {
		cfg->dns = false;
		*warn |= MI_WARN_NO_DNS_SERVERS;
	}
	return 0;
}

int mi_detect(struct mi_config *cfg, unsigned int *warn, struct mi_err *err)
{
	int ret;

	*warn = 0;
	ret = detect_ipv6(cfg, warn, err);
	if (ret < 0)
		return ret;
	return detect_dns(cfg, warn, err);
}
