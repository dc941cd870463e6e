/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef MI_CNICONF_H
#define MI_CNICONF_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "err.h"

/*
 * The CNI side of meshinit-cni: error codes, the network configuration
 * read from stdin (Istio's plugin keys) and CNI_ARGS. Pure: no I/O.
 */

/* CNI error codes: 1-11 are the spec's, 100 and up are meshinit-cni's. */
enum mi_cni_code {
	MI_CNI_ERR_VERSION = 1,	  /* incompatible CNI version */
	MI_CNI_ERR_FIELD = 2,	  /* unsupported configuration field */
	MI_CNI_ERR_CONTAINER = 3, /* container unknown or does not exist */
	MI_CNI_ERR_ENV = 4,	  /* invalid necessary environment */
	MI_CNI_ERR_IO = 5,	  /* I/O failure */
	MI_CNI_ERR_DECODE = 6,	  /* failed to decode content */
	MI_CNI_ERR_CONFIG = 7,	  /* invalid network configuration */
	MI_CNI_ERR_AGAIN = 11,	  /* try again later */
	MI_CNI_ERR_KUBECONFIG = 100, /* the kubeconfig is missing or invalid */
	MI_CNI_ERR_API =
		101, /* the pod could not be read from the API server */
	MI_CNI_ERR_POD = 102, /* the pod's annotations/proxy env are invalid */
	MI_CNI_ERR_APPLY = 103, /* the rules could not be installed */
	MI_CNI_ERR_DRIFT =
		104, /* CHECK: the namespace differs from the pod's config */
};

/* The CNI versions meshinit-cni implements, oldest first. */
extern const char *const mi_cni_versions[];
#define MI_CNI_VERSION_LATEST "1.0.0"

/* True when @v is one of mi_cni_versions. */
bool mi_cni_version_supported(const char *v);

/* True when @v is at least 0.4.0 (CHECK exists from 0.4.0 on). */
bool mi_cni_version_has_check(const char *v);

/* Defaults of Istio's plugin and node agent. */
#define MI_CNI_AGENT_RUN_DIR   "/var/run/istio-cni"
#define MI_CNI_KUBECONFIG_NAME "istio-cni-kubeconfig"
#define MI_CNI_LOG_NAME	       "istio-cni.log"
#define MI_CNI_LOG_SOCKET      "log.sock"
#define MI_CNI_API_RETRIES     30   /* Istio: podRetrievalMaxRetries */
#define MI_CNI_API_INTERVAL_MS 1000 /* Istio: podRetrievalInterval */

/*
 * The network configuration (stdin). Strings point into @root and live
 * as long as it; NULL when absent.
 */
struct mi_cni_conf {
	json_object *root;
	const char *cni_version;
	const char *name;
	const char *type;
	const char *plugin_log_level; /* "" when absent */
	const char *agent_run_dir;    /* cni_agent_run_dir, default
					 MI_CNI_AGENT_RUN_DIR */
	const char *pod_namespace;    /* the node agent's own namespace */
	char kubeconfig[512]; /* kubernetes.kubeconfig, else run dir + name */
	const char **exclude_ns; /* exclude_namespaces */
	size_t n_exclude_ns;
	bool native_nftables;	  /* accepted; always nftables */
	bool ambient_enabled;	  /* accepted; sidecar pods only */
	json_object *prev_result; /* prevResult, passed through unchanged */
	/* meshinit-cni's own keys (object "meshinit") */
	unsigned int api_retries; /* api_retries, default MI_CNI_API_RETRIES */
	unsigned int api_interval_ms; /* api_retry_interval (Go duration) */
};

/*
 * mi_cni_conf_parse - parse and check the configuration @text (@len
 * bytes). Errors carry err->exit = an enum mi_cni_code: DECODE for text
 * that is not a JSON object, VERSION for an unsupported cniVersion, CONFIG
 * for a key of the wrong type. Release with mi_cni_conf_release() in every
 * case.
 */
int mi_cni_conf_parse(const char *text, size_t len, struct mi_cni_conf *conf,
		      struct mi_err *err);

void mi_cni_conf_release(struct mi_cni_conf *conf);

/* True when @ns is in conf->exclude_ns. */
bool mi_cni_conf_excludes(const struct mi_cni_conf *conf, const char *ns);

/* CNI_ARGS as Kubernetes runtimes pass them. Copies, "" when absent. */
struct mi_cni_args {
	char pod_namespace[256]; /* K8S_POD_NAMESPACE */
	char pod_name[256];	 /* K8S_POD_NAME */
	char pod_uid[128];	 /* K8S_POD_UID */
	char infra_id[256];	 /* K8S_POD_INFRA_CONTAINER_ID */
};

/*
 * mi_cni_args_parse - "K=V;K=V" as the CNI library's LoadArgs reads it:
 * a pair without '=' is an error, an unknown key is an error unless
 * IgnoreUnknown=1 (or true) is given, as containerd and CRI-O do. @s may
 * be NULL (no args). Errors carry err->exit MI_CNI_ERR_ENV.
 */
int mi_cni_args_parse(const char *s, struct mi_cni_args *args,
		      struct mi_err *err);

#endif
