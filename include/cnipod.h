/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef MI_CNIPOD_H
#define MI_CNIPOD_H

#include <stdbool.h>

#include <json-c/json.h>

#include "err.h"

/*
 * Pod -> meshinit configuration, as Istio's CNI plugin decides and
 * derives it (pure: no I/O). The result is an istio-iptables command line
 * for mi_cli_parse(), so every value goes through the same validation as
 * meshinit's own flags.
 */

/* meshinit's own pod annotations (init-container exclusions). */
#define MI_ANN_EXCLUDE_UIDS "meshinit.io/exclude-outbound-uids"
#define MI_ANN_EXCLUDE_GIDS "meshinit.io/exclude-outbound-gids"
#define MI_ANN_EXCLUDE_PORTS_FOR_UIDS \
	"meshinit.io/exclude-outbound-ports-for-uids"

enum mi_cni_pod_action {
	MI_CNI_POD_SKIP,    /* leave the pod alone (reason says why) */
	MI_CNI_POD_CAPTURE, /* program the capture from argv/envp */
};

#define MI_CNI_POD_MAX_ARGS 40
#define MI_CNI_POD_MAX_WARN 4

struct mi_cni_pod_plan {
	enum mi_cni_pod_action action;
	char reason[256]; /* SKIP: Istio's log message */
	int argc;
	char *argv[MI_CNI_POD_MAX_ARGS + 1]; /* owned, NULL-terminated */
	char *envp[4];			     /* owned, NULL-terminated */
	unsigned int n_warn;
	char warn[MI_CNI_POD_MAX_WARN][160]; /* unparsable proxy env booleans */
};

/*
 * mi_cni_pod_derive - decide for @pod (a v1 Pod object) whether to
 * capture, and with which configuration. @host_env (NULL-terminated "K=V",
 * may be NULL) supplies the env-only settings Istio's plugin reads from its
 * own environment (ISTIO_OUTBOUND_OWNER_GROUPS, ..._EXCLUDE,
 * ISTIO_OUTBOUND_IPV4_LOOPBACK_CIDR). An annotation Istio's plugin rejects is
 * an error with err->exit MI_CNI_ERR_POD naming it. Release with
 * mi_cni_pod_release().
 */
int mi_cni_pod_derive(json_object *pod, char *const host_env[],
		      struct mi_cni_pod_plan *out, struct mi_err *err);

void mi_cni_pod_release(struct mi_cni_pod_plan *plan);

/*
 * mi_cni_pod_blame - after mi_cli_parse() rejected @plan's command line
 * with @err, prefix the message with the annotation or proxy setting the
 * offending flag came from.
 */
void mi_cni_pod_blame(struct mi_err *err);

#endif
