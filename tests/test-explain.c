/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests of explain: flows walked through plans of the default
 * injection config and of the conformance cases' configs (ARGS of
 * /work/shared/conformance/cases/NAME.case), no kernel. The expected
 * outcomes are the listener the conformance harness sees for the same
 * probe (proxy-out = 15001, proxy-in = 15006, dns-proxy = 15053, the
 * app or peer listener = not captured). Cross-checked against the
 * harness's reference outcomes (run-case --artifacts, ref.json) for
 * ip-range, kube-virt-interfaces, inbound-ports-tproxy and
 * outbound-ports-include: every flow of those configs here agrees.
 */
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>

#include "cli.h"
#include "detect.h"
#include "explain.h"
#include "harness.h"
#include "nftexpr.h"
#include "plan.h"
#include "ruleset.h"
#include "sockdiag.h"
#include "trace.h"
#include "util.h"

#define MAX_ARGS 40

#define DEFAULT "-p 15001 -z 15006 -u 1337 -m REDIRECT -i * -x '' -b * -d 15090,15021,15020"
#define DNS4 "nameserver 127.0.0.53\n"
#define DNS46 "nameserver 127.0.0.53\nnameserver ::127.0.0.53\n"

/* Captured outcomes, as mi_explain_outcome() words them. */
#define OUT15001 "captured -> redirected to :15001 (outbound listener)"
#define IN15006 "captured -> redirected to :15006 (inbound listener)"
#define DNS15053 "captured -> redirected to :15053 (DNS agent)"
#define PASS "passes (not captured)"
#define FOLLOW15001                                                          \
	"follows the connection's first packet (nat chains see only that "  \
	"one): opened under these rules, " OUT15001 "; opened before they " \
	"were installed, not NATed (passes)"

struct tcase {
	const char *name;
	const char *args;	/* split on spaces; '' is an empty argument */
	const char *env;	/* one K=V, or NULL */
	bool ipv6;
	const char *resolv;
	/* the flow: direction proto uid gid dst src iif oif ct-state */
	const char *dir, *proto, *uid, *gid, *dst, *src, *iif, *oif, *ct;
	const char *outcome;	/* exact outcome text */
	const char *decided;	/* substring of the outcome line, or NULL */
};

static const struct tcase cases[] = {
	/* default injection: -i '*' -b '*' */
	{ "app to a peer IP", DEFAULT, NULL, false, NULL,
	  "out", "tcp", "1000", "1000", "10.1.2.3:80", NULL, NULL, NULL, NULL,
	  OUT15001, "decided by istio-output rule 7 \"-i '*' outbound capture\"" },
	{ "proxy uid", DEFAULT, NULL, false, NULL,
	  "out", "tcp", "1337", "1337", "10.1.2.3:80", NULL, NULL, NULL, NULL,
	  PASS, "\"-u proxy traffic is never captured\": uid 1337 in proxy-uids" },
	{ "proxy gid only", DEFAULT, NULL, false, NULL,
	  "out", "tcp", "1000", "1337", "10.1.2.3:80", NULL, NULL, NULL, NULL,
	  PASS, "\"-g proxy traffic is never captured\": gid 1337 in proxy-gids" },
	{ "app to 127.0.0.1", DEFAULT, NULL, false, NULL,
	  "out", "tcp", "1000", "1000", "127.0.0.1:8080", NULL, NULL, NULL, NULL,
	  PASS, "\"app to localhost is not captured\"" },
	{ "proxy to own pod IP over lo", DEFAULT, NULL, false, NULL,
	  "out", "tcp", "1337", "1337", "10.244.0.5:8080", NULL, NULL, NULL, NULL,
	  IN15006, "\"proxy to its own pod IP goes to inbound\"" },
	{ "proxy to own pod IP, tunnel port", DEFAULT, NULL, false, NULL,
	  "out", "tcp", "1337", "1337", "10.244.0.5:15008", NULL, NULL, NULL, NULL,
	  PASS, "\"-u proxy traffic is never captured\"" },
	{ "127.0.0.6 source", DEFAULT, NULL, false, NULL,
	  "out", "tcp", "1337", "1337", "10.244.0.5:8080", "127.0.0.6", NULL, NULL, NULL,
	  PASS, "\"127.0.0.6 inbound passthrough\": oif lo == lo, 127.0.0.6 in 127.0.0.6/32" },
	{ "app to own pod IP", DEFAULT, NULL, false, NULL,
	  "out", "tcp", "1000", "1000", "10.244.0.5:80", NULL, NULL, NULL, NULL,
	  PASS, "\"app to localhost is not captured\"" },
	{ "-x CIDR", "-u 1337 -i * -x 10.1.0.0/16", NULL, false, NULL,
	  "out", "tcp", "1000", "1000", "10.1.2.3:80", NULL, NULL, NULL, NULL,
	  PASS, "\"-x excluded CIDRs\": 10.1.2.3 in exclude-cidrs4" },
	{ "-x does not cover", "-u 1337 -i * -x 10.1.0.0/16", NULL, false, NULL,
	  "out", "tcp", "1000", "1000", "10.2.0.1:80", NULL, NULL, NULL, NULL,
	  OUT15001, "\"-i '*' outbound capture\"" },
	{ "-o port", "-u 1337 -i * -o 8080,9000-9100", NULL, false, NULL,
	  "out", "tcp", "1000", "1000", "10.1.2.3:9050", NULL, NULL, NULL, NULL,
	  PASS, "\"-o outbound excluded ports\": tcp port 9050 in outbound-exclude-ports" },
	{ "-o port, udp", "-u 1337 -i * -o 8080", NULL, false, NULL,
	  "out", "udp", "1000", "1000", "10.1.2.3:8080", NULL, NULL, NULL, NULL,
	  PASS, "udp port 8080 in outbound-exclude-ports" },
	/* outbound-ports-include: -q with -i "" */
	{ "-q port with -i \"\"", "-p 15001 -z 15006 -u 1337 -g 1337 -q 32000,31000", NULL, false, NULL,
	  "out", "tcp", "1000", "1000", "9.9.1.1:31000", NULL, NULL, NULL, NULL,
	  OUT15001, "\"-q outbound ports\": tcp port 31000 in outbound-ports" },
	{ "not a -q port with -i \"\"", "-p 15001 -z 15006 -u 1337 -g 1337 -q 32000,31000", NULL, false, NULL,
	  "out", "tcp", "1000", "1000", "9.9.1.1:80", NULL, NULL, NULL, NULL,
	  PASS, "ran off the end of istio-output" },
	/* owner groups (outbound-owner-groups, -exclude; numeric groups) */
	{ "owner group included", "-u 1337 -g 1337 -i *", "ISTIO_OUTBOUND_OWNER_GROUPS=2001,202", false, NULL,
	  "out", "tcp", "1000", "202", "9.9.1.1:80", NULL, NULL, NULL, NULL,
	  OUT15001, NULL },
	{ "owner group not included", "-u 1337 -g 1337 -i *", "ISTIO_OUTBOUND_OWNER_GROUPS=2001,202", false, NULL,
	  "out", "tcp", "1000", "1000", "9.9.1.1:80", NULL, NULL, NULL, NULL,
	  PASS, "\"ISTIO_OUTBOUND_OWNER_GROUPS\": gid 1000 not in owner-groups" },
	{ "owner group excluded", "-u 1337 -g 1337 -i *", "ISTIO_OUTBOUND_OWNER_GROUPS_EXCLUDE=888,2002", false, NULL,
	  "out", "tcp", "1000", "888", "9.9.1.1:80", NULL, NULL, NULL, NULL,
	  PASS, "\"ISTIO_OUTBOUND_OWNER_GROUPS_EXCLUDE\": gid 888 in owner-groups" },
	{ "owner group not excluded", "-u 1337 -g 1337 -i *", "ISTIO_OUTBOUND_OWNER_GROUPS_EXCLUDE=888,2002", false, NULL,
	  "out", "tcp", "1000", "1000", "9.9.1.1:80", NULL, NULL, NULL, NULL,
	  OUT15001, NULL },
	/* init-container exclusions */
	{ "--exclude-outbound-uids range", "-u 1337 -i * --exclude-outbound-uids 500,700-710", NULL, false, NULL,
	  "out", "tcp", "705", "705", "9.9.1.1:80", NULL, NULL, NULL, NULL,
	  PASS, "\"--exclude-outbound-uids\": uid 705 in exclude-uids" },
	{ "--exclude-outbound-uids outside", "-u 1337 -i * --exclude-outbound-uids 500,700-710", NULL, false, NULL,
	  "out", "tcp", "711", "711", "9.9.1.1:80", NULL, NULL, NULL, NULL,
	  OUT15001, NULL },
	{ "--exclude-outbound-gids", "-u 1337 -i * --exclude-outbound-gids 600", NULL, false, NULL,
	  "out", "udp", "1000", "600", "9.9.1.1:5000", NULL, NULL, NULL, NULL,
	  PASS, "\"--exclude-outbound-gids\": gid 600 in exclude-gids" },
	{ "per-uid port excluded", "-u 1337 -i * --exclude-outbound-ports-for-uids tcp:443:1001", NULL, false, NULL,
	  "out", "tcp", "1001", "1001", "9.9.1.1:443", NULL, NULL, NULL, NULL,
	  PASS, "uid 1001 . port 443 in exclude-uid-tcp-ports" },
	{ "per-uid port, other port", "-u 1337 -i * --exclude-outbound-ports-for-uids tcp:443:1001", NULL, false, NULL,
	  "out", "tcp", "1001", "1001", "9.9.1.1:80", NULL, NULL, NULL, NULL,
	  OUT15001, NULL },
	{ "per-uid port, other uid", "-u 1337 -i * --exclude-outbound-ports-for-uids tcp:443:1001", NULL, false, NULL,
	  "out", "tcp", "1002", "1002", "9.9.1.1:443", NULL, NULL, NULL, NULL,
	  OUT15001, NULL },
	/* dns-uid-gid */
	{ "DNS udp to resolv.conf server", "-p 15001 -z 15006 -u 3,4 -g 1,2 --redirect-dns", NULL, true, DNS46,
	  "out", "udp", "1000", "1000", "127.0.0.53:53", NULL, NULL, NULL, NULL,
	  DNS15053, "\"DNS to resolv.conf servers\"" },
	{ "DNS tcp to resolv.conf server", "-p 15001 -z 15006 -u 3,4 -g 1,2 --redirect-dns", NULL, true, DNS46,
	  "out", "tcp", "1000", "1000", "127.0.0.53:53", NULL, NULL, NULL, NULL,
	  DNS15053, "\"DNS to resolv.conf servers\"" },
	{ "DNS over IPv6", "-p 15001 -z 15006 -u 3,4 -g 1,2 --redirect-dns", NULL, true, DNS46,
	  "out", "udp", "1000", "1000", "[::127.0.0.53]:53", NULL, NULL, NULL, NULL,
	  DNS15053, NULL },
	{ "DNS to another server", "-p 15001 -z 15006 -u 3,4 -g 1,2 --redirect-dns", NULL, true, DNS46,
	  "out", "udp", "1000", "1000", "9.9.1.1:53", NULL, NULL, NULL, NULL,
	  PASS, NULL },
	{ "DNS from the agent (proxy uid 4)", "-p 15001 -z 15006 -u 3,4 -g 1,2 --redirect-dns", NULL, true, DNS46,
	  "out", "udp", "4", "4", "127.0.0.53:53", NULL, NULL, NULL, NULL,
	  PASS, "uid 4 in proxy-uids" },
	{ "capture-all-dns", "-u 1337 -i 10.0.0.0/8 --redirect-dns --capture-all-dns", NULL, false, NULL,
	  "out", "udp", "1000", "1000", "9.9.1.1:53", NULL, NULL, NULL, NULL,
	  DNS15053, "\"--capture-all-dns\"" },
	{ "capture-all-dns, tcp", "-u 1337 -i 10.0.0.0/8 --redirect-dns --capture-all-dns", NULL, false, NULL,
	  "out", "tcp", "1000", "1000", "9.9.1.1:53", NULL, NULL, NULL, NULL,
	  DNS15053, NULL },
	/* ip-range */
	{ "ip-range: -i CIDR", "-p 15001 -z 15006 -u 3,4 -g 1,2 -i 9.9.0.0/16 -x 1.1.0.0/16 --redirect-dns", NULL, false, DNS4,
	  "out", "tcp", "1000", "1000", "9.9.1.1:80", NULL, NULL, NULL, NULL,
	  OUT15001, "\"-i captured CIDRs\": 9.9.1.1 in include-cidrs4" },
	{ "ip-range: -x CIDR", "-p 15001 -z 15006 -u 3,4 -g 1,2 -i 9.9.0.0/16 -x 1.1.0.0/16 --redirect-dns", NULL, false, DNS4,
	  "out", "tcp", "1000", "1000", "1.1.1.1:80", NULL, NULL, NULL, NULL,
	  PASS, "1.1.1.1 in exclude-cidrs4" },
	{ "ip-range: outside -i", "-p 15001 -z 15006 -u 3,4 -g 1,2 -i 9.9.0.0/16 -x 1.1.0.0/16 --redirect-dns", NULL, false, DNS4,
	  "out", "tcp", "1000", "1000", "10.1.2.3:80", NULL, NULL, NULL, NULL,
	  PASS, NULL },
	{ "ip-range: second proxy gid", "-p 15001 -z 15006 -u 3,4 -g 1,2 -i 9.9.0.0/16 -x 1.1.0.0/16 --redirect-dns", NULL, false, DNS4,
	  "out", "tcp", "1000", "2", "9.9.1.1:80", NULL, NULL, NULL, NULL,
	  PASS, "gid 2 in proxy-gids" },
	/* loopback-outbound-iprange */
	{ "-i loopback CIDR", "-p 15001 -z 15006 -u 3,4 -g 1,2 -i 127.1.2.3/32 --redirect-dns", NULL, false, DNS4,
	  "out", "tcp", "1000", "1000", "127.1.2.3:80", NULL, NULL, NULL, NULL,
	  OUT15001, "\"-i captured CIDRs\"" },
	/* IPv6: a v4 rule never matches a v6 packet */
	{ "v6 with v4 -x", "-u 1337 -i * -x 10.0.0.0/8", NULL, true, NULL,
	  "out", "tcp", "1000", "1000", "[2001:db8::1]:80", NULL, NULL, NULL, NULL,
	  OUT15001, NULL },
	{ "ipv6-ipnets: -x before -i", "-p 15001 -z 15006 -u 1337 -g 1337 -b 4000,5000 -d 6000,7000, -i 2001:db8::/32 -x 2001:db8::/32 -k eth0,eth1", NULL, true, NULL,
	  "out", "tcp", "1000", "1000", "[2001:db8::1]:80", NULL, NULL, NULL, NULL,
	  PASS, "2001:db8::1 in exclude-cidrs6" },
	{ "v6 app to ::1", DEFAULT, NULL, true, NULL,
	  "out", "tcp", "1000", "1000", "[::1]:8080", NULL, NULL, NULL, NULL,
	  PASS, "\"app to localhost is not captured\"" },
	/* inbound, REDIRECT */
	{ "inbound -b '*'", DEFAULT, NULL, false, NULL,
	  "in", "tcp", NULL, NULL, "10.244.0.5:8080", "10.244.0.1", NULL, NULL, NULL,
	  IN15006, "\"-b '*' inbound capture\"" },
	{ "inbound -d excluded port", DEFAULT, NULL, false, NULL,
	  "in", "tcp", NULL, NULL, "10.244.0.5:15020", "10.244.0.1", NULL, NULL, NULL,
	  PASS, "\"-d inbound excluded ports\": tcp port 15020 in inbound-exclude-ports" },
	{ "inbound tunnel port", DEFAULT, NULL, false, NULL,
	  "in", "tcp", NULL, NULL, "10.244.0.5:15008", "10.244.0.1", NULL, NULL, NULL,
	  PASS, "\"-e tunnel port is never captured\"" },
	{ "inbound udp", DEFAULT, NULL, false, NULL,
	  "in", "udp", NULL, NULL, "10.244.0.5:8080", "10.244.0.1", NULL, NULL, NULL,
	  PASS, NULL },
	{ "inbound port list, not listed", "-p 15001 -z 15006 -u 1337 -g 1337 -b 32000,31000", NULL, false, NULL,
	  "in", "tcp", NULL, NULL, "10.244.0.5:80", "10.244.0.1", NULL, NULL, NULL,
	  PASS, "ran off the end of istio-inbound" },
	{ "inbound port list, listed", "-p 15001 -z 15006 -u 1337 -g 1337 -b 32000,31000", NULL, false, NULL,
	  "in", "tcp", NULL, NULL, "10.244.0.5:31000", "10.244.0.1", NULL, NULL, NULL,
	  IN15006, "\"-b inbound ports\": tcp port 31000 in inbound-ports" },
	/* TPROXY */
	{ "TPROXY inbound -b '*'", "-p 15001 -z 15006 -u 1337 -g 1337 -m TPROXY -b *", NULL, false, NULL,
	  "in", "tcp", NULL, NULL, "10.244.0.5:80", "10.244.0.1", NULL, NULL, NULL,
	  "captured -> TPROXY to :15006 with mark 1337 (inbound listener)",
	  "\"-b '*' inbound capture\"" },
	{ "TPROXY inbound ports, not listed", "-p 15001 -z 15006 -u 1337 -g 1337 -m TPROXY -b 32000,31000", NULL, false, NULL,
	  "in", "tcp", NULL, NULL, "10.244.0.5:80", "10.244.0.1", NULL, NULL, NULL,
	  PASS, NULL },
	{ "TPROXY inbound ports, listed", "-p 15001 -z 15006 -u 1337 -g 1337 -m TPROXY -b 32000,31000", NULL, false, NULL,
	  "in", "tcp", NULL, NULL, "10.244.0.5:31000", "10.244.0.1", NULL, NULL, NULL,
	  "captured -> TPROXY to :15006 with mark 1337 (inbound listener)", "\"-b inbound ports\"" },
	{ "TPROXY: proxy to own pod IP", "-p 15001 -z 15006 -u 1337 -g 1337 -m TPROXY -b * -i 9.9.0.0/16 -x 1.1.0.0/16 -c not-istio-nic --redirect-dns", NULL, true, DNS4,
	  "out", "tcp", "1337", "1337", "10.244.0.5:80", NULL, NULL, NULL, NULL,
	  IN15006, "\"proxy to its own pod IP goes to inbound\"" },
	{ "TPROXY: excluded NIC inbound", "-p 15001 -z 15006 -u 1337 -g 1337 -m TPROXY -b * -i 9.9.0.0/16 -x 1.1.0.0/16 -c not-istio-nic --redirect-dns", NULL, true, DNS4,
	  "in", "tcp", NULL, NULL, "10.244.0.5:80", "10.245.1.2", "not-istio-nic", NULL, NULL,
	  PASS, "\"-c excluded interfaces\": iif not-istio-nic in exclude-ifaces" },
	/* kube-virt */
	{ "kube-virt to -i '*'", "-p 15001 -z 15006 -u 1337 -g 1337 -i * -k eth1,eth2", NULL, false, NULL,
	  "in", "tcp", NULL, NULL, "9.9.1.1:80", "10.245.1.2", "eth1", NULL, NULL,
	  OUT15001, "\"-k kube-virt traffic to -i '*'\": iif eth1 in virt-ifaces" },
	{ "kube-virt to -i CIDR", "-p 15001 -z 15006 -u 1337 -g 1337 -i 10.0.0.0/8 -k eth1,eth2", NULL, false, NULL,
	  "in", "tcp", NULL, NULL, "10.1.2.3:80", "10.245.1.2", "eth2", NULL, NULL,
	  OUT15001, "\"-k kube-virt traffic to -i CIDRs\"" },
	{ "kube-virt outside -i CIDR", "-p 15001 -z 15006 -u 1337 -g 1337 -i 10.0.0.0/8 -k eth1,eth2", NULL, false, NULL,
	  "in", "tcp", NULL, NULL, "9.9.1.1:80", "10.245.1.2", "eth1", NULL, NULL,
	  PASS, "\"-k kube-virt interfaces are not inbound\"" },
	/* basic-exclude-nic */
	{ "-c excluded interface, outbound", "-p 15001 -z 15006 -u 1337 -g 1337 -i * -c not-istio-nic", NULL, false, NULL,
	  "out", "tcp", "1000", "1000", "9.9.9.9:80", NULL, NULL, "not-istio-nic", NULL,
	  PASS, "\"-c excluded interfaces\": oif not-istio-nic in exclude-ifaces" },
	{ "-c: other interface captured", "-p 15001 -z 15006 -u 1337 -g 1337 -i * -c not-istio-nic", NULL, false, NULL,
	  "out", "tcp", "1000", "1000", "9.9.9.9:80", NULL, NULL, NULL, NULL,
	  OUT15001, NULL },
	/* not NEW: nat chains see a connection's first packet only */
	{ "established app flow", DEFAULT, NULL, false, NULL,
	  "out", "tcp", "1000", "1000", "10.1.2.3:80", NULL, NULL, NULL,
	  "established", FOLLOW15001,
	  "; the first packet is decided by istio-output rule 7 "
	  "\"-i '*' outbound capture\"" },
	{ "related app flow", DEFAULT, NULL, false, NULL,
	  "out", "tcp", "1000", "1000", "10.1.2.3:80", NULL, NULL, NULL,
	  "related", FOLLOW15001, NULL },
	{ "established, first packet not captured", DEFAULT, NULL, false, NULL,
	  "out", "tcp", "1337", "1337", "10.1.2.3:80", NULL, NULL, NULL,
	  "established", PASS,
	  "NAT sees a connection's first packet only, and these rules do not "
	  "capture that one either; the first packet is decided by "
	  "istio-output rule 4 \"-u proxy traffic is never captured\"" },
	{ "established inbound", DEFAULT, NULL, false, NULL,
	  "in", "tcp", NULL, NULL, "10.244.0.5:8080", "10.244.0.1", NULL, NULL,
	  "established",
	  "follows the connection's first packet (nat chains see only that "
	  "one): opened under these rules, " IN15006 "; opened before they "
	  "were installed, not NATed (passes)", NULL },
	{ "invalid without --drop-invalid", DEFAULT, NULL, false, NULL,
	  "out", "tcp", "1000", "1000", "10.1.2.3:80", NULL, NULL, NULL,
	  "invalid", PASS, "an invalid packet belongs to no connection" },
	/* UDP outside DNS capture: why */
	{ "UDP, DNS capture off", "-u 1337 -i *", NULL, false, NULL,
	  "out", "udp", "1000", "1000", "10.1.2.3:5000", NULL, NULL, NULL,
	  NULL, PASS, "outcome: passes (not captured); only TCP goes to "
	  ":15001; UDP is captured as DNS only, and DNS capture is off "
	  "(--redirect-dns)\n" },
	{ "UDP to the DNS server, not port 53",
	  "-p 15001 -z 15006 -u 3,4 -g 1,2 --redirect-dns", NULL, true, DNS46,
	  "out", "udp", "1000", "1000", "127.0.0.53:5353", NULL, NULL, NULL,
	  NULL, PASS, "only TCP goes to :15001; UDP is captured as DNS only "
	  "(port 53), not to port 5353\n" },
	{ "UDP port 53 to another server",
	  "-p 15001 -z 15006 -u 3,4 -g 1,2 --redirect-dns", NULL, true, DNS46,
	  "out", "udp", "1000", "1000", "9.9.1.1:53", NULL, NULL, NULL,
	  NULL, PASS, "only TCP goes to :15001; UDP is captured as DNS only, "
	  "to the resolv.conf servers (127.0.0.53): 9.9.1.1 is not one of "
	  "them\n" },
	{ "UDP arriving", DEFAULT, NULL, false, NULL,
	  "in", "udp", NULL, NULL, "10.244.0.5:8080", "10.244.0.1", NULL, NULL,
	  NULL, PASS, "only TCP goes to :15006; arriving UDP is never "
	  "captured\n" },
	/* drop-invalid */
	{ "conntrack-invalid inbound", "-p 15001 -z 15006 -u 1337 -g 1337 --drop-invalid", NULL, false, NULL,
	  "in", "tcp", NULL, NULL, "10.244.0.5:80", "10.244.0.1", NULL, NULL, "invalid",
	  "dropped", "\"--drop-invalid\": tcp == tcp, ct state invalid" },
	{ "new inbound with --drop-invalid", "-p 15001 -z 15006 -u 1337 -g 1337 --drop-invalid", NULL, false, NULL,
	  "in", "tcp", NULL, NULL, "10.244.0.5:80", "10.244.0.1", NULL, NULL, NULL,
	  PASS, NULL },
};

/* The pod of the conformance topology: eth0 10.244.0.5, fd00::5. */
static const struct mi_cidr pod_addrs[] = {
	{ .family = AF_INET, .plen = 32, .addr = { 127, 0, 0, 1 } },
	{ .family = AF_INET, .plen = 32, .addr = { 10, 244, 0, 5 } },
	{ .family = AF_INET6, .plen = 128, .addr = { [15] = 1 } },
	{ .family = AF_INET6, .plen = 128, .addr = { 0xfd, [15] = 5 } },
};

static int split_args(const char *s, char *buf, size_t len, char **argv)
{
	int argc = 0;
	char *p, *save = NULL;

	snprintf(buf, len, "%s", s);
	argv[argc++] = (char *)"meshinit";
	for (p = strtok_r(buf, " ", &save); p && argc < MAX_ARGS;
	     p = strtok_r(NULL, " ", &save))
		argv[argc++] = strcmp(p, "''") ? p : (char *)"";
	argv[argc] = NULL;
	return argc;
}

/* Parse, complete as mi_detect() would, build the plan. */
static bool plan_for(const struct tcase *t, struct mi_cli *cli, struct mi_plan *p)
{
	char buf[1024], *argv[MAX_ARGS + 1];
	char *envp[2] = { (char *)t->env, NULL };
	struct mi_err err = { 0 };
	int argc = split_args(t->args, buf, sizeof(buf), argv);

	if (!CHECK_EQ_INT(mi_cli_parse(argc, argv, envp, cli, &err), 0)) {
		NOTE("%s: parse error: %s", t->name, err.msg);
		mi_config_release(&cli->cfg);
		return false;
	}
	cli->cfg.ipv6 = t->ipv6;
	if (t->resolv)
		mi_resolv_parse(t->resolv, &cli->cfg.dns_servers);
	cli->cfg.dns = cli->cfg.redirect_dns &&
		       (cli->cfg.capture_all_dns || cli->cfg.dns_servers.n);
	mi_plan_build(&cli->cfg, p);
	return true;
}

static void run_case(const struct tcase *t)
{
	struct mi_flow_args a = { t->dir, t->uid, t->gid, t->proto, t->dst,
				  t->src, t->iif, t->oif, t->ct, false, false };
	struct mi_err err = { 0 };
	struct mi_cli cli;
	struct mi_plan plan;
	struct mi_explain ex;
	struct mi_flow f;
	char out[8192] = "", oc[600];
	FILE *fp;

	if (!plan_for(t, &cli, &plan))
		return;
	if (!CHECK_EQ_INT(mi_flow_parse(&a, true, &f, &err), 0)) {
		NOTE("%s: flow error: %s", t->name, err.msg);
		goto out;
	}
	mi_flow_complete(&f, pod_addrs, ARRAY_SIZE(pod_addrs));
	mi_explain_walk(&plan, &cli.cfg, &f, &ex);
	mi_explain_outcome(&ex, &cli.cfg, oc, sizeof(oc));
	fp = fmemopen(out, sizeof(out) - 1, "w");
	mi_explain_print(&plan, &cli.cfg, &ex, true, fp);
	fclose(fp);
	if (!CHECK_EQ_STR(oc, t->outcome) ||
	    (t->decided && !CHECK_CONTAINS(out, t->decided)))
		NOTE("case \"%s\":\n%s", t->name, out);
	mi_explain_release(&ex);
out:
	mi_plan_release(&plan);
	mi_config_release(&cli.cfg);
}

static void test_explain__flows(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		run_case(&cases[i]);
	NOTE("%zu flows", ARRAY_SIZE(cases));
}

/* The printed path: matched rules with their text and comment. */
static void test_explain__print(void)
{
	static const struct tcase t = { "p", DEFAULT, NULL, false, NULL,
		"out", "tcp", "1000", "1000", "10.1.2.3:80", NULL, NULL, NULL, NULL,
		NULL, NULL };
	struct mi_flow_args a = { "out", "1000", "1000", "tcp", "10.1.2.3:80",
				  NULL, NULL, NULL, NULL, false, false };
	struct mi_err err = { 0 };
	struct mi_cli cli;
	struct mi_plan plan;
	struct mi_explain ex;
	struct mi_flow f;
	char out[8192] = "";
	FILE *fp;

	if (!plan_for(&t, &cli, &plan))
		return;
	CHECK_EQ_INT(mi_flow_parse(&a, true, &f, &err), 0);
	mi_flow_complete(&f, pod_addrs, ARRAY_SIZE(pod_addrs));
	CHECK_EQ_STR(f.oif, "eth0");
	mi_explain_walk(&plan, &cli.cfg, &f, &ex);
	fp = fmemopen(out, sizeof(out) - 1, "w");
	mi_explain_print(&plan, &cli.cfg, &ex, false, fp);
	fclose(fp);
	CHECK_CONTAINS(out, "nat-output            rule 1  counter jump istio-output  # outbound capture\n");
	CHECK_CONTAINS(out, "istio-redirect        rule 1  meta l4proto tcp counter redirect to :15001  # -p outbound capture port\n");
	CHECK(!strstr(out, "-> no"));
	memset(out, 0, sizeof(out));
	fp = fmemopen(out, sizeof(out) - 1, "w");
	mi_explain_print(&plan, &cli.cfg, &ex, true, fp);
	fclose(fp);
	CHECK_CONTAINS(out, "meta skuid @proxy-uids counter return  -> no (uid 1000 not in proxy-uids)");
	mi_explain_release(&ex);
	mi_plan_release(&plan);
	mi_config_release(&cli.cfg);
}

/* Defaults: lo for local destinations, eth0 otherwise; inbound eth0. */
static void test_explain__complete(void)
{
	struct mi_flow_args a = { "out", "1000", "1000", "udp", "[fd00::5]:53",
				  NULL, NULL, NULL, NULL, false, false };
	struct mi_err err = { 0 };
	struct mi_flow f;

	CHECK_EQ_INT(mi_flow_parse(&a, true, &f, &err), 0);
	mi_flow_complete(&f, pod_addrs, ARRAY_SIZE(pod_addrs));
	CHECK_EQ_STR(f.oif, "lo");
	CHECK_EQ_INT(f.family, AF_INET6);
	CHECK_EQ_INT(f.dport, 53);
	a.dst = "10.9.9.9:1";
	a.oif = "eth7";
	CHECK_EQ_INT(mi_flow_parse(&a, true, &f, &err), 0);
	mi_flow_complete(&f, pod_addrs, ARRAY_SIZE(pod_addrs));
	CHECK_EQ_STR(f.oif, "eth7");
	CHECK(f.have_src && f.src[0] == 10 && f.src[1] == 244);
}

/* Bad values: one-line errors naming the flag and the value. */
static void test_explain__bad_flags(void)
{
	static const struct {
		const char *f[9];	/* the mi_flow_args strings, in order */
		const char *msg;
	} bad[] = {
		{ { "sideways", "1", "1", "tcp", "1.2.3.4:80" }, "invalid --direction \"sideways\"" },
		{ { "out", "1", "1", "sctp", "1.2.3.4:80" }, "invalid --proto \"sctp\"" },
		{ { "out", "1", "1", "tcp", "1.2.3.4" }, "invalid --dst \"1.2.3.4\": has no port" },
		{ { "out", "1", "1", "tcp", "1.2.3.4:0" }, "invalid --dst \"1.2.3.4:0\"" },
		{ { "out", "1", "1", "tcp", "[::1:80" }, "invalid --dst \"[::1:80\"" },
		{ { "out", "1", "1", "tcp", "example:80" }, "invalid --dst \"example:80\"" },
		{ { "out", "-1", "1", "tcp", "1.2.3.4:80" }, "invalid --uid \"-1\"" },
		{ { "out", "1", "no-such-group-xyz", "tcp", "1.2.3.4:80" }, "invalid --gid \"no-such-group-xyz\"" },
		{ { "out", "1", "1", "tcp", "1.2.3.4:80", "::1" }, "invalid --src \"::1\"" },
		{ { "out", "1", "1", "tcp", "1.2.3.4:80", NULL, NULL, "bad/if" }, "invalid --oif \"bad/if\"" },
		{ { "in", NULL, NULL, "tcp", "1.2.3.4:80", NULL, NULL, NULL, "weird" }, "invalid --ct-state \"weird\"" },
		{ { "out", NULL, NULL, "tcp", "1.2.3.4:80" }, "needs --uid and --gid" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		const char *const *v = bad[i].f;
		struct mi_flow_args a = { v[0], v[1], v[2], v[3], v[4], v[5],
					  v[6], v[7], v[8], false, false };
		struct mi_err err = { 0 };
		struct mi_flow f;

		CHECK(mi_flow_parse(&a, true, &f, &err) < 0);
		CHECK_CONTAINS(err.msg, bad[i].msg);
		CHECK(!strchr(err.msg, '\n'));
		CHECK(err.exit == 0 || err.exit == MI_EXIT_FAILURE);
	}
}


/* Walk @plan for the flow @a; the printed explanation into @out. */
static void walk_print(const struct mi_plan *plan, const struct mi_config *cfg,
		       const struct mi_flow_args *a, char *out, size_t len)
{
	struct mi_err err = { 0 };
	struct mi_explain ex;
	struct mi_flow f;
	FILE *fp;

	memset(out, 0, len);
	if (!CHECK_EQ_INT(mi_flow_parse(a, true, &f, &err), 0))
		return;
	mi_flow_complete(&f, pod_addrs, ARRAY_SIZE(pod_addrs));
	mi_explain_walk(plan, cfg, &f, &ex);
	fp = fmemopen(out, len - 1, "w");
	mi_explain_print(plan, cfg, &ex, false, fp);
	fclose(fp);
	mi_explain_release(&ex);
}

/*
 * A rule a person added by hand to the installed table (no meshinit
 * comment) is walked where it stands: the rules after it renumber.
 */
static void test_explain__hand_rule(void)
{
	static const struct tcase t = { "h", DEFAULT, NULL, false, NULL,
		NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
		NULL, NULL };
	struct mi_flow_args a = { "out", "1000", "1000", "tcp", "10.1.2.3:9999",
				  NULL, NULL, NULL, NULL, false, false };
	struct mi_rules *rs;
	struct mi_rule hand = { .nm = 1, .verdict = MI_VERDICT_DROP };
	struct mi_cli cli;
	struct mi_plan plan;
	char out[8192];

	if (!plan_for(&t, &cli, &plan))
		return;
	hand.m[0].key = MI_K_TCP_DPORT;
	hand.m[0].val = MI_V_NUM;
	hand.m[0].num = 9999;
	rs = &plan.chains[MI_C_OUTPUT];
	mi_grow((void **)&rs->v, &rs->cap, rs->n + 1, sizeof(*rs->v));
	memmove(rs->v + 1, rs->v, rs->n * sizeof(*rs->v));
	rs->v[0] = hand;
	rs->n++;
	walk_print(&plan, &cli.cfg, &a, out, sizeof(out));
	CHECK_CONTAINS(out, "outcome: dropped; decided by istio-output rule 1 "
			    "(no meshinit comment: added by hand?): "
			    "tcp port 9999 == 9999\n");
	a.dst = "10.1.2.3:80";
	walk_print(&plan, &cli.cfg, &a, out, sizeof(out));
	CHECK_CONTAINS(out, "decided by istio-output rule 8 "
			    "\"-i '*' outbound capture\"");
	/* one meshinit cannot read back: never evaluated, said so */
	rs->v[0].raw = "[ payload load 1b @ network header + 8 ] ...";
	walk_print(&plan, &cli.cfg, &a, out, sizeof(out));
	CHECK_CONTAINS(out, "istio-output          rule 1  # not read back by "
			    "meshinit: [ payload load 1b @ network header + 8 "
			    "] ...  -> no (cannot evaluate it: assumed not to "
			    "match)\n");
	CHECK_CONTAINS(out, "note: istio-output rule 1 is not one meshinit "
			    "writes (added by hand?) and cannot be evaluated");
	CHECK_CONTAINS(out, "decided by istio-output rule 8 ");
	a.dst = "10.1.2.3:9999";
	walk_print(&plan, &cli.cfg, &a, out, sizeof(out));
	CHECK_CONTAINS(out, "outcome: captured -> redirected to :15001");
	rs->v[0].raw = NULL;
	mi_plan_release(&plan);
	mi_config_release(&cli.cfg);
}

/* One NEWCHAIN message into @rs, as a dump would deliver it. */
static void add_chain(struct mi_ruleset *rs, uint32_t family,
		      const char *table, const char *name, uint32_t hook,
		      int32_t prio, uint32_t policy)
{
	char buf[4096];
	struct nftnl_chain *c = nftnl_chain_alloc();
	struct nlmsghdr *nlh;

	nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, family);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, table);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "filter");
	nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, hook);
	nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, prio);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, policy);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_NEWCHAIN, (uint16_t)family,
				    0, 1);
	nftnl_chain_nlmsg_build_payload(nlh, c);
	nftnl_chain_free(c);
	mi_ruleset_add_msg(rs, nlh);
}

/* "tcp dport PORT VERDICT" (a negative verdict: none, counter only). */
static void add_rule(struct mi_ruleset *rs, uint32_t family,
		     const char *table, const char *chain, uint64_t handle,
		     uint16_t port, int verdict)
{
	char buf[4096];
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct nlmsghdr *nlh;
	uint8_t tcp = IPPROTO_TCP;
	uint16_t p = htons(port);

	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, family);
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	nftnl_rule_set_u64(r, NFTNL_RULE_HANDLE, handle);
	mi_expr_meta(r, NFT_META_L4PROTO, NFT_REG_1);
	mi_expr_cmp(r, NFT_CMP_EQ, &tcp, 1);
	mi_expr_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG_1);
	mi_expr_cmp(r, NFT_CMP_EQ, &p, 2);
	if (verdict >= 0 || verdict == NF_DROP)
		mi_expr_verdict(r, verdict, NULL);
	else
		mi_expr_counter(r);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_NEWRULE, (uint16_t)family,
				    0, 1);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_free(r);
	mi_ruleset_add_msg(rs, nlh);
}

static void others_of(const struct mi_ruleset *rs, const char *dst,
		      struct mi_others *o, char *out, size_t len)
{
	struct mi_flow_args a = { "out", "1000", "1000", "tcp", dst, NULL,
				  NULL, NULL, NULL, false, false };
	struct mi_err err = { 0 };
	struct mi_explain ex = { 0 };
	struct mi_flow f;
	FILE *fp;

	memset(out, 0, len);
	if (!CHECK_EQ_INT(mi_flow_parse(&a, true, &f, &err), 0))
		return;
	mi_flow_complete(&f, pod_addrs, ARRAY_SIZE(pod_addrs));
	fp = fmemopen(out, len - 1, "w");
	mi_explain_others(rs, &f, &ex, o, fp);
	fclose(fp);
}

/*
 * Other tables on the packet's hooks are named, with what can decide,
 * and walked for the packet: in hook and priority order, the first
 * that drops it decides.
 */
static void test_explain__others(void)
{
	struct mi_ruleset rs;
	struct mi_others o;
	char out[8192];

	mi_ruleset_init(&rs);
	add_chain(&rs, NFPROTO_INET, "late", "post", NF_INET_POST_ROUTING, 0,
		  NF_DROP);
	add_rule(&rs, NFPROTO_INET, "late", "post", 9, 80, NF_ACCEPT);
	add_chain(&rs, NFPROTO_IPV4, "foreign", "out", NF_INET_LOCAL_OUT, -200,
		  NF_ACCEPT);
	add_rule(&rs, NFPROTO_IPV4, "foreign", "out", 4, 81, NF_DROP);
	add_rule(&rs, NFPROTO_IPV4, "foreign", "out", 5, 82, -1);
	/* not on this packet's path: IPv6 only, inbound, meshinit's own */
	add_chain(&rs, NFPROTO_IPV6, "six", "out", NF_INET_LOCAL_OUT, 0,
		  NF_DROP);
	add_chain(&rs, NFPROTO_IPV4, "in", "pre", NF_INET_PRE_ROUTING, 0,
		  NF_DROP);
	add_chain(&rs, NFPROTO_INET, "meshinit", "nat-output",
		  NF_INET_LOCAL_OUT, -100, NF_ACCEPT);
	CHECK_EQ_INT(rs.nchains, 5);
	CHECK_EQ_INT(rs.nrules, 3);
	others_of(&rs, "10.1.2.3:81", &o, out, sizeof(out));
	CHECK_EQ_INT(o.named, 2);
	CHECK_CONTAINS(out, "other table: ip foreign chain out (type filter "
			    "hook output priority -200: before meshinit's "
			    "mangle-output (-150); policy accept)\n"
			    "  rule 1: tcp dport 81 drop  "
			    "-> can drop the packet\n"
			    "  walk: out rule 1 matches: the packet is DROPPED "
			    "here\n"
			    "other table: inet late chain post");
	CHECK(!strstr(out, "dport 82"));
	CHECK_CONTAINS(out, "other table: inet late chain post (type filter "
			    "hook postrouting priority 0: after meshinit's "
			    "output chains; policy drop)\n");
	CHECK_CONTAINS(out, "  policy drop: drops what no rule accepts\n");
	CHECK(!strstr(out, "six") && !strstr(out, " in chain") &&
	      !strstr(out, "meshinit chain"));
	CHECK_CONTAINS(out, "outcome with the other tables: dropped by ip "
			    "foreign chain out rule 1\n");
	CHECK(o.dropped && o.idx == 1 && !strcmp(o.table, "foreign"));
	/* port 80: the late chain accepts it; 82: its policy drops it */
	others_of(&rs, "10.1.2.3:80", &o, out, sizeof(out));
	CHECK_CONTAINS(out, "  walk: post rule 1 accepts it: the packet goes "
			    "on\n");
	CHECK_CONTAINS(out, "outcome with the other tables: as above");
	CHECK(!o.dropped);
	others_of(&rs, "10.1.2.3:82", &o, out, sizeof(out));
	CHECK_CONTAINS(out, "outcome with the other tables: dropped by the "
			    "policy of inet late chain post\n");
	if (t_st.failed)
		NOTE("%s", out);
	/* over lo, the packet meets prerouting too */
	others_of(&rs, "127.0.0.1:80", &o, out, sizeof(out));
	CHECK_EQ_INT(o.named, 3);
	CHECK_CONTAINS(out, "other table: ip in chain pre");
	CHECK_CONTAINS(out, "dropped by the policy of ip in chain pre");
	mi_ruleset_release(&rs);
}

/* An NFT_MSG_TRACE message of family @fam with the given attributes. */
struct tattr {
	uint16_t type;
	const void *data;
	size_t len;
};

static void trace_msg(char *buf, uint8_t fam, const struct tattr *at,
		      size_t n)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *g;

	nlh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_TRACE;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = fam;
	for (size_t i = 0; i < n; i++) {
		if (at[i].type == NFTA_TRACE_VERDICT) {
			struct nlattr *nest;

			nest = mnl_attr_nest_start(nlh, at[i].type);

			mnl_attr_put(nlh, NFTA_VERDICT_CODE, at[i].len,
				     at[i].data);
			mnl_attr_nest_end(nlh, nest);
		} else {
			mnl_attr_put(nlh, at[i].type, at[i].len, at[i].data);
		}
	}
}

/*
 * Kernel events as different kernels send them, decoded and printed as
 * nft monitor trace words them: the table's family, the packet's
 * addresses, ports and TCP flags, a policy with or without
 * NFTA_TRACE_POLICY, a rule's text from the ruleset.
 */
static void test_trace__events(void)
{
	uint32_t id = htonl(0x2a), rule = htonl(NFT_TRACETYPE_RULE);
	uint32_t pol = htonl(NFT_TRACETYPE_POLICY), acc = htonl(NF_ACCEPT);
	uint32_t cont = htonl((uint32_t)NFT_CONTINUE);
	uint32_t nfp = htonl(NFPROTO_IPV4);
	uint64_t h = htobe64(7);
	uint8_t ip[20] = { 0x45, [9] = IPPROTO_TCP, [12] = 10, 0, 0, 1,
			   10, 0, 0, 2 };
	uint8_t tcp[20] = { 0x04, 0xd2, 0x00, 0x50, [13] = 0x12 };
	const struct tattr ev1[] = {
		{ NFTA_TRACE_TABLE, "nat", 4 },
		{ NFTA_TRACE_CHAIN, "OUTPUT", 7 },
		{ NFTA_TRACE_ID, &id, 4 }, { NFTA_TRACE_TYPE, &rule, 4 },
		{ NFTA_TRACE_RULE_HANDLE, &h, 8 },
		{ NFTA_TRACE_VERDICT, &cont, 4 },
		{ NFTA_TRACE_NFPROTO, &nfp, 4 },
		{ NFTA_TRACE_NETWORK_HEADER, ip, sizeof(ip) },
		{ NFTA_TRACE_TRANSPORT_HEADER, tcp, sizeof(tcp) },
	};
	/* a policy event carrying its verdict as NFTA_TRACE_VERDICT only */
	const struct tattr ev2[] = {
		{ NFTA_TRACE_TABLE, "nat", 4 },
		{ NFTA_TRACE_CHAIN, "OUTPUT", 7 },
		{ NFTA_TRACE_ID, &id, 4 }, { NFTA_TRACE_TYPE, &pol, 4 },
		{ NFTA_TRACE_VERDICT, &acc, 4 },
	};
	/* a truncated network header: no packet, no crash */
	const struct tattr ev3[] = {
		{ NFTA_TRACE_TABLE, "t", 2 }, { NFTA_TRACE_CHAIN, "c", 2 },
		{ NFTA_TRACE_ID, &id, 4 }, { NFTA_TRACE_TYPE, &pol, 4 },
		{ NFTA_TRACE_POLICY, &acc, 4 },
		{ NFTA_TRACE_NETWORK_HEADER, ip, 8 },
	};
	uint32_t ret_t = htonl(NFT_TRACETYPE_RETURN);
	uint32_t ret_v = htonl((uint32_t)NFT_RETURN);
	const struct tattr ev4[] = {
		{ NFTA_TRACE_TABLE, "nat", 4 },
		{ NFTA_TRACE_CHAIN, "OUTPUT", 7 },
		{ NFTA_TRACE_ID, &id, 4 }, { NFTA_TRACE_TYPE, &ret_t, 4 },
		{ NFTA_TRACE_RULE_HANDLE, &h, 8 },
		{ NFTA_TRACE_VERDICT, &ret_v, 4 },
	};
	const struct tattr ev5[] = {
		{ NFTA_TRACE_TABLE, "nat", 4 },
		{ NFTA_TRACE_CHAIN, "OUTPUT", 7 },
		{ NFTA_TRACE_ID, &id, 4 }, { NFTA_TRACE_TYPE, &ret_t, 4 },
		{ NFTA_TRACE_RULE_HANDLE, &h, 8 },
		{ NFTA_TRACE_VERDICT, &cont, 4 },
	};
	char buf[4096], line[4096];
	struct mi_trace_ev e;
	struct mi_ruleset rs;

	mi_ruleset_init(&rs);
	add_chain(&rs, NFPROTO_IPV4, "nat", "OUTPUT", NF_INET_LOCAL_OUT, -100,
		  NF_ACCEPT);
	add_rule(&rs, NFPROTO_IPV4, "nat", "OUTPUT", 7, 80, -1);
	trace_msg(buf, NFPROTO_IPV4, ev1, ARRAY_SIZE(ev1));
	CHECK_EQ_INT(mi_trace_ev_parse(buf, &e), 1);
	CHECK_EQ_INT(e.family, NFPROTO_IPV4);
	CHECK(e.pkt.have_l3 && e.pkt.have_l4);
	CHECK_EQ_INT(e.pkt.sport, 1234);
	CHECK_EQ_INT(e.pkt.dport, 80);
	mi_trace_ev_format(&rs, &e, line, sizeof(line));
	CHECK_EQ_STR(line, "trace id 0000002a ip nat OUTPUT packet: ip "
			   "saddr 10.0.0.1 ip daddr 10.0.0.2 tcp sport 1234 "
			   "tcp dport 80 tcp flags syn,ack\n"
			   "trace id 0000002a ip nat OUTPUT rule 1: "
			   "tcp dport 80 (verdict continue)");
	trace_msg(buf, NFPROTO_IPV4, ev2, ARRAY_SIZE(ev2));
	CHECK_EQ_INT(mi_trace_ev_parse(buf, &e), 1);
	mi_trace_ev_format(&rs, &e, line, sizeof(line));
	CHECK_EQ_STR(line, "trace id 0000002a ip nat OUTPUT policy accept");
	/* Debian 5.10/6.1: a return rule as a "return" event with its handle */
	trace_msg(buf, NFPROTO_IPV4, ev4, ARRAY_SIZE(ev4));
	CHECK_EQ_INT(mi_trace_ev_parse(buf, &e), 1);
	CHECK_EQ_INT(e.type, NFT_TRACETYPE_RULE);
	CHECK(e.handle == 7);
	/* ... and a chain's end with a stale handle: no rule decided */
	trace_msg(buf, NFPROTO_IPV4, ev5, ARRAY_SIZE(ev5));
	CHECK_EQ_INT(mi_trace_ev_parse(buf, &e), 1);
	CHECK_EQ_INT(e.type, NFT_TRACETYPE_RETURN);
	CHECK(e.handle == 0);
	mi_trace_ev_format(&rs, &e, line, sizeof(line));
	CHECK_EQ_STR(line, "trace id 0000002a ip nat OUTPUT verdict continue");
	trace_msg(buf, NFPROTO_INET, ev3, ARRAY_SIZE(ev3));
	CHECK_EQ_INT(mi_trace_ev_parse(buf, &e), 1);
	CHECK(!e.pkt.have_l3);
	mi_trace_ev_format(&rs, &e, line, sizeof(line));
	CHECK_EQ_STR(line, "trace id 0000002a inet t c policy accept");
	mi_ruleset_release(&rs);
}

/* A rule of inet meshinit @chain: a counter of @pkts, then @verdict. */
static void add_counted(struct mi_ruleset *rs, const char *chain,
			uint64_t handle, uint64_t pkts, int verdict)
{
	char buf[4096];
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct nftnl_expr *c = nftnl_expr_alloc("counter");
	struct nlmsghdr *nlh;

	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, "meshinit");
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	nftnl_rule_set_u64(r, NFTNL_RULE_HANDLE, handle);
	nftnl_expr_set_u64(c, NFTNL_EXPR_CTR_PACKETS, pkts);
	nftnl_expr_set_u64(c, NFTNL_EXPR_CTR_BYTES, pkts * 60);
	nftnl_rule_add_expr(r, c);
	mi_expr_verdict(r, verdict, verdict == NFT_JUMP ? "istio-redirect" :
							  NULL);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_NEWRULE, NFPROTO_INET, 0, 1);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_free(r);
	mi_ruleset_add_msg(rs, nlh);
}

/*
 * Debian's 5.10 and 6.1 kernels send a `return` verdict without the
 * rule's handle: the rule is the one return rule of the chain whose
 * counter moved; none or two: left unnamed.
 */
static void test_trace__unnamed_return(void)
{
	struct mi_trace_ev ev[3] = { 0 };
	struct mi_trace_evs evs = { 3, 3, ev };
	struct mi_ruleset before, after;

	mi_ruleset_init(&before);
	mi_ruleset_init(&after);
	add_counted(&before, "istio-output", 10, 5, NFT_RETURN);
	add_counted(&before, "istio-output", 11, 3, NFT_RETURN);
	add_counted(&before, "istio-output", 12, 7, NFT_JUMP);
	add_counted(&after, "istio-output", 10, 6, NFT_RETURN);
	add_counted(&after, "istio-output", 11, 3, NFT_RETURN);
	add_counted(&after, "istio-output", 12, 8, NFT_JUMP);
	for (int i = 0; i < 3; i++) {
		ev[i].family = NFPROTO_INET;
		strcpy(ev[i].table, "meshinit");
		strcpy(ev[i].chain, "istio-output");
		ev[i].type = NFT_TRACETYPE_RETURN;
		ev[i].verdict = NFT_RETURN;
	}
	ev[1].verdict = NFT_CONTINUE;	/* a chain's end: not a rule */
	strcpy(ev[2].table, "other");
	CHECK_EQ_INT(mi_trace_resolve_returns(&before, &after, &evs), 1);
	CHECK_EQ_INT(ev[0].type, NFT_TRACETYPE_RULE);
	CHECK(ev[0].handle == 10);
	CHECK_EQ_INT(ev[1].type, NFT_TRACETYPE_RETURN);
	CHECK(ev[1].handle == 0 && ev[2].handle == 0);
	/* two return rules counted: which one is not known */
	mi_ruleset_release(&after);
	add_counted(&after, "istio-output", 10, 6, NFT_RETURN);
	add_counted(&after, "istio-output", 11, 4, NFT_RETURN);
	ev[0].type = NFT_TRACETYPE_RETURN;
	ev[0].handle = 0;
	CHECK_EQ_INT(mi_trace_resolve_returns(&before, &after, &evs), 0);
	CHECK(ev[0].handle == 0);
	mi_ruleset_release(&before);
	mi_ruleset_release(&after);
}

/* Which listening socket takes a packet to an address (wildcards, v6only). */
static void test_sockdiag__accepts(void)
{
	static const uint8_t lo4[16] = { 127, 0, 0, 1 };
	static const uint8_t pod4[16] = { 10, 0, 0, 5 };
	static const uint8_t lo6[16] = { [15] = 1 };
	struct mi_sock any4 = { .family = AF_INET, .port = 15001 };
	struct mi_sock pod = { .family = AF_INET, .port = 15001 };
	struct mi_sock any6 = { .family = AF_INET6, .port = 15001 };
	struct mi_sock mapped = { .family = AF_INET6, .port = 15001 };

	memcpy(pod.addr, pod4, 4);
	mapped.addr[10] = mapped.addr[11] = 0xff;
	memcpy(mapped.addr + 12, lo4, 4);
	CHECK(mi_sock_accepts(&any4, AF_INET, lo4));
	CHECK(!mi_sock_accepts(&pod, AF_INET, lo4));
	CHECK(mi_sock_accepts(&pod, AF_INET, pod4));
	CHECK(!mi_sock_accepts(&any4, AF_INET6, lo6));
	CHECK(mi_sock_accepts(&any6, AF_INET6, lo6));
	CHECK(mi_sock_accepts(&any6, AF_INET, lo4));	/* dual stack */
	any6.v6only = true;
	CHECK(!mi_sock_accepts(&any6, AF_INET, lo4));
	CHECK(mi_sock_accepts(&mapped, AF_INET, lo4));
	CHECK(!mi_sock_accepts(&mapped, AF_INET, pod4));
}

int main(void)
{
	RUN(test_explain__flows);
	RUN(test_explain__print);
	RUN(test_explain__complete);
	RUN(test_explain__bad_flags);
	RUN(test_explain__hand_rule);
	RUN(test_explain__others);
	RUN(test_trace__events);
	RUN(test_trace__unnamed_return);
	RUN(test_sockdiag__accepts);
	TEST_MAIN_END();
}
