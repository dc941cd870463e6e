/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef MI_KUBE_H
#define MI_KUBE_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "err.h"
#include "log.h"

/*
 * A minimal Kubernetes client for meshinit-cni: the kubeconfig (libyaml)
 * and GET of one Pod over HTTPS (libcurl). Errors carry err->exit
 * MI_CNI_ERR_KUBECONFIG or MI_CNI_ERR_API.
 */

/* The current context's cluster and user, as the kubeconfig gives them. */
struct mi_kube {
	char *server;  /* https://host:port */
	char *ca_data; /* certificate-authority-data, decoded PEM */
	size_t ca_len;
	char *ca_file;	  /* certificate-authority (absolute) */
	bool insecure;	  /* insecure-skip-tls-verify */
	char *token;	  /* token */
	char *token_file; /* tokenFile (absolute), read per request */
	char *cert_data,
		*key_data; /* client-certificate-data, client-key-data */
	size_t cert_len, key_len;
	char *cert_file,
		*key_file; /* client-certificate, client-key (absolute) */
};

/*
 * mi_kube_config_parse - the current context of a kubeconfig @text (YAML
 * or JSON). Relative file paths are taken relative to @dir. Pure.
 */
int mi_kube_config_parse(const char *text, size_t len, const char *dir,
			 struct mi_kube *kc, struct mi_err *err);

/* Read and parse the kubeconfig file @path. */
int mi_kube_config_load(const char *path, struct mi_kube *kc,
			struct mi_err *err);

void mi_kube_release(struct mi_kube *kc);

/*
 * mi_kube_get_pod - GET /api/v1/namespaces/@ns/pods/@name, at most
 * @attempts times @interval_ms apart (as Istio's plugin: every failure is
 * retried, "not found" included). On success *pod (caller puts it) is the
 * Pod object (kind "Pod" checked). Each failure is logged to @log.
 */
int mi_kube_get_pod(const struct mi_kube *kc, const char *ns, const char *name,
		    unsigned int attempts, unsigned int interval_ms,
		    const struct mi_log *log, json_object **pod,
		    struct mi_err *err);

#endif
