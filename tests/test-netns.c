/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests of the initial-network-namespace rule (netns.c), pure: the
 * facts a node, a pod (with and without shareProcessNamespace, meshinit
 * PID 1 or not), a hostPID pod, a child user namespace would give.
 */
#include <string.h>

#include "harness.h"
#include "netns.h"
#include "util.h"

#define ID(d, i) ((struct mi_ns_id){ true, (d), (i) })
#define NONE ((struct mi_ns_id){ false, 0, 0 })

/* inode numbers as the kernel gives them: fixed initial ones, dynamic */
#define NSFS 4
#define DYN_NODE 0xF0000098u	/* an older kernel's initial netns */
#define DYN_POD 0xF0000abcu
#define DYN_PODPID 0xF0000def

static void test_netns__initial_rule(void)
{
	static const struct {
		const char *what;
		struct mi_netns_facts f;
		bool want;
	} cases[] = {
		{ "node, recent kernel (fixed inode)",
		  { ID(NSFS, MI_PROC_NET_INIT_INO), NONE, NONE, NONE }, true },
		{ "node, older kernel: init's namespace, init in the initial "
		  "PID ns",
		  { ID(NSFS, DYN_NODE), ID(NSFS, MI_PROC_PID_INIT_INO),
		    ID(NSFS, DYN_NODE), NONE }, true },
		{ "node debugger entering a pod with --netns (hostPID view)",
		  { ID(NSFS, DYN_POD), ID(NSFS, MI_PROC_PID_INIT_INO),
		    ID(NSFS, DYN_NODE), NONE }, false },
		{ "pod: PID 1 is the pause process in the pod's netns",
		  { ID(NSFS, DYN_POD), ID(NSFS, DYN_PODPID), ID(NSFS, DYN_POD),
		    NONE }, false },
		{ "pod with shareProcessNamespace, meshinit not PID 1",
		  { ID(NSFS, DYN_POD), ID(NSFS, DYN_PODPID), ID(NSFS, DYN_POD),
		    NONE }, false },
		{ "pod, /proc/1 not readable (non-root)",
		  { ID(NSFS, DYN_POD), NONE, NONE, NONE }, false },
		{ "hostNetwork pod without hostPID, older kernel: cannot tell",
		  { ID(NSFS, DYN_NODE), ID(NSFS, DYN_PODPID), ID(NSFS,
		  	DYN_NODE),
		    NONE }, false },
		{ "hostNetwork pod, recent kernel",
		  { ID(NSFS, MI_PROC_NET_INIT_INO), ID(NSFS, DYN_PODPID),
		    ID(NSFS, MI_PROC_NET_INIT_INO), NONE }, true },
		{ "child user+net namespace (unshare -Urn): /proc/1 unreadable",
		  { ID(NSFS, DYN_POD), NONE, NONE, NONE }, false },
		{ "same inode, other device: not the same namespace",
		  { ID(NSFS + 1, DYN_NODE), ID(NSFS, MI_PROC_PID_INIT_INO),
		    ID(NSFS, DYN_NODE), NONE }, false },
		{ "own namespace unknown: never refuse",
		  { NONE, ID(NSFS, MI_PROC_PID_INIT_INO), ID(NSFS, DYN_NODE),
		    NONE }, false },
		{ "test build: the namespace a test names",
		  { ID(NSFS, DYN_POD), NONE, NONE, ID(NSFS, DYN_POD) }, true },
		{ "test build: another one named",
		  { ID(NSFS, DYN_POD), NONE, NONE, ID(NSFS, DYN_NODE) },
		  	false },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *why = NULL;
		bool got = mi_netns_initial_rule(&cases[i].f, &why);

		if (!CHECK_EQ_INT(got, cases[i].want))
			NOTE("case %zu: %s", i, cases[i].what);
		if (got)
			CHECK(why && *why);
	}
}

int main(void)
{
	RUN(test_netns__initial_rule);
	TEST_MAIN_END();
}
