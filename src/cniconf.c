/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "cniconf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

const char *const mi_cni_versions[] = { "0.3.0", "0.3.1", "0.4.0", "1.0.0",
					NULL };

bool mi_cni_version_supported(const char *v)
{
	for (size_t i = 0; v && mi_cni_versions[i]; i++)
		if (!strcmp(v, mi_cni_versions[i]))
			return true;
	return false;
}

bool mi_cni_version_has_check(const char *v)
{
	return v && (!strcmp(v, "0.4.0") || !strcmp(v, "1.0.0"));
}

/* The string value of @key in @obj; -EINVAL when present but not a string. */
static int get_str(json_object *obj, const char *key, const char **out,
		   struct mi_err *err)
{
	json_object *v;

	*out = NULL;
	if (!json_object_object_get_ex(obj, key, &v) || !v)
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return mi_err_setx(
			err, MI_CNI_ERR_CONFIG, -EINVAL,
			"invalid network configuration: \"%s\" must be a "
			"string, not %s",
			key, json_type_to_name(json_object_get_type(v)));
	*out = json_object_get_string(v);
	return 0;
}

static int get_bool(json_object *obj, const char *key, bool *out,
		    struct mi_err *err)
{
	json_object *v;

	*out = false;
	if (!json_object_object_get_ex(obj, key, &v) || !v)
		return 0;
	if (!json_object_is_type(v, json_type_boolean))
		return mi_err_setx(
			err, MI_CNI_ERR_CONFIG, -EINVAL,
			"invalid network configuration: \"%s\" must be true or "
			"false, not %s",
			key, json_type_to_name(json_object_get_type(v)));
	*out = json_object_get_boolean(v);
	return 0;
}

static int get_obj(json_object *obj, const char *key, json_object **out,
		   struct mi_err *err)
{
	json_object *v;

	*out = NULL;
	if (!json_object_object_get_ex(obj, key, &v) || !v)
		return 0;
	if (!json_object_is_type(v, json_type_object))
		return mi_err_setx(
			err, MI_CNI_ERR_CONFIG, -EINVAL,
			"invalid network configuration: \"%s\" must be an "
			"object, not %s",
			key, json_type_to_name(json_object_get_type(v)));
	*out = v;
	return 0;
}

static int parse_exclude_ns(struct mi_cni_conf *conf, struct mi_err *err)
{
	json_object *v;
	size_t n;

	if (!json_object_object_get_ex(conf->root, "exclude_namespaces", &v) ||
	    !v)
		return 0; /* absent or null (Istio writes null for none) */
	if (!json_object_is_type(v, json_type_array))
		return mi_err_setx(
			err, MI_CNI_ERR_CONFIG, -EINVAL,
			"invalid network configuration: \"exclude_namespaces\" "
			"must be a list of strings, not %s",
			json_type_to_name(json_object_get_type(v)));
	n = json_object_array_length(v);
	conf->exclude_ns = n ? mi_xcalloc(n, sizeof(*conf->exclude_ns)) : NULL;
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(v, i);

		if (!json_object_is_type(e, json_type_string))
			return mi_err_setx(
				err, MI_CNI_ERR_CONFIG, -EINVAL,
				"invalid network configuration: "
				"\"exclude_namespaces\" item %zu must be a "
				"string",
				i + 1);
		conf->exclude_ns[conf->n_exclude_ns++] =
			json_object_get_string(e);
	}
	return 0;
}

/* meshinit-cni's own keys, in an object of their own: {"meshinit": {...}} */
static int parse_own(struct mi_cni_conf *conf, struct mi_err *err)
{
	json_object *own, *v;
	const char *dur;
	uint64_t ms;
	int ret;

	conf->api_retries = MI_CNI_API_RETRIES;
	conf->api_interval_ms = MI_CNI_API_INTERVAL_MS;
	ret = get_obj(conf->root, "meshinit", &own, err);
	if (ret < 0 || !own)
		return ret;
	if (json_object_object_get_ex(own, "api_retries", &v) && v) {
		int64_t n = json_object_get_int64(v);

		if (!json_object_is_type(v, json_type_int) || n < 1 || n > 1000)
			return mi_err_setx(
				err, MI_CNI_ERR_CONFIG, -EINVAL,
				"invalid network configuration: "
				"\"meshinit.api_retries\" must be a number of "
				"attempts from 1 to 1000");
		conf->api_retries = (unsigned int)n;
	}
	ret = get_str(own, "api_retry_interval", &dur, err);
	if (ret < 0)
		return ret;
	if (dur) {
		if (mi_parse_duration_ms(dur, &ms) < 0 || ms > 60000)
			return mi_err_setx(
				err, MI_CNI_ERR_CONFIG, -EINVAL,
				"invalid network configuration: "
				"\"meshinit.api_retry_interval\" \"%s\" is not "
				"a duration up to 60s (e.g. 1s, 200ms)",
				dur);
		conf->api_interval_ms = (unsigned int)ms;
	}
	return 0;
}

static int parse_kubeconfig_path(struct mi_cni_conf *conf, struct mi_err *err)
{
	json_object *kube;
	const char *path = NULL;
	int ret;

	/* older Istio releases: "kubernetes": {"kubeconfig": PATH} */
	ret = get_obj(conf->root, "kubernetes", &kube, err);
	if (ret < 0)
		return ret;
	if (kube) {
		ret = get_str(kube, "kubeconfig", &path, err);
		if (ret < 0)
			return ret;
	}
	if (path && *path)
		ret = snprintf(conf->kubeconfig, sizeof(conf->kubeconfig), "%s",
			       path);
	else
		ret = snprintf(conf->kubeconfig, sizeof(conf->kubeconfig),
			       "%s/%s", conf->agent_run_dir,
			       MI_CNI_KUBECONFIG_NAME);
	if (ret < 0 || (size_t)ret >= sizeof(conf->kubeconfig))
		return mi_err_setx(
			err, MI_CNI_ERR_CONFIG, -ENAMETOOLONG,
			"invalid network configuration: the kubeconfig path is "
			"too long");
	return 0;
}

static int parse_fields(struct mi_cni_conf *conf, struct mi_err *err)
{
	json_object *prev;
	int ret;

	if ((ret = get_str(conf->root, "cniVersion", &conf->cni_version, err)) <
		    0 ||
	    (ret = get_str(conf->root, "name", &conf->name, err)) < 0 ||
	    (ret = get_str(conf->root, "type", &conf->type, err)) < 0 ||
	    (ret = get_str(conf->root, "plugin_log_level",
			   &conf->plugin_log_level, err)) < 0 ||
	    (ret = get_str(conf->root, "cni_agent_run_dir",
			   &conf->agent_run_dir, err)) < 0 ||
	    (ret = get_str(conf->root, "pod_namespace", &conf->pod_namespace,
			   err)) < 0 ||
	    (ret = get_bool(conf->root, "native_nftables",
			    &conf->native_nftables, err)) < 0 ||
	    (ret = get_bool(conf->root, "ambient_enabled",
			    &conf->ambient_enabled, err)) < 0 ||
	    (ret = get_obj(conf->root, "prevResult", &prev, err)) < 0)
		return ret;
	conf->prev_result = prev;
	if (!conf->cni_version || !*conf->cni_version)
		return mi_err_setx(
			err, MI_CNI_ERR_VERSION, -EINVAL,
			"invalid network configuration: \"cniVersion\" is "
			"missing (supported: 0.3.0, 0.3.1, 0.4.0, 1.0.0)");
	if (!mi_cni_version_supported(conf->cni_version))
		return mi_err_setx(
			err, MI_CNI_ERR_VERSION, -EINVAL,
			"incompatible CNI version \"%s\" (supported: 0.3.0, "
			"0.3.1, 0.4.0, 1.0.0)",
			conf->cni_version);
	if (!conf->plugin_log_level)
		conf->plugin_log_level = "";
	if (!conf->agent_run_dir || !*conf->agent_run_dir)
		conf->agent_run_dir = MI_CNI_AGENT_RUN_DIR;
	if (!conf->pod_namespace)
		conf->pod_namespace = "";
	if ((ret = parse_exclude_ns(conf, err)) < 0 ||
	    (ret = parse_kubeconfig_path(conf, err)) < 0)
		return ret;
	return parse_own(conf, err);
}

int mi_cni_conf_parse(const char *text, size_t len, struct mi_cni_conf *conf,
		      struct mi_err *err)
{
	struct json_tokener *tok;
	enum json_tokener_error jerr;
	size_t used;

	memset(conf, 0, sizeof(*conf));
	if (len > (size_t)(1 << 24))
		return mi_err_setx(
			err, MI_CNI_ERR_DECODE, -E2BIG,
			"network configuration on stdin is larger than 16 MiB");
	tok = json_tokener_new();
	if (!tok)
		return mi_err_setx(err, MI_EXIT_NOMEM, -ENOMEM,
				   "out of memory");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	conf->root = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	used = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!conf->root || jerr != json_tokener_success) {
		json_object_put(conf->root);
		conf->root = NULL;
		return mi_err_setx(
			err, MI_CNI_ERR_DECODE, -EINVAL,
			"failed to parse network configuration: %s at byte %zu",
			len ? json_tokener_error_desc(
				      jerr == json_tokener_continue
					      ? json_tokener_error_parse_eof
					      : jerr)
			    : "empty input",
			used);
	}
	for (; used < len; used++)
		if (!strchr(" \t\r\n", text[used]))
			return mi_err_setx(
				err, MI_CNI_ERR_DECODE, -EINVAL,
				"failed to parse network configuration: "
				"unexpected data after the JSON object at byte "
				"%zu",
				used);
	if (!json_object_is_type(conf->root, json_type_object))
		return mi_err_setx(
			err, MI_CNI_ERR_DECODE, -EINVAL,
			"failed to parse network configuration: expected a "
			"JSON object, got %s",
			json_type_to_name(json_object_get_type(conf->root)));
	return parse_fields(conf, err);
}

void mi_cni_conf_release(struct mi_cni_conf *conf)
{
	free(conf->exclude_ns);
	json_object_put(conf->root);
	memset(conf, 0, sizeof(*conf));
}

bool mi_cni_conf_excludes(const struct mi_cni_conf *conf, const char *ns)
{
	for (size_t i = 0; i < conf->n_exclude_ns; i++)
		if (!strcmp(conf->exclude_ns[i], ns))
			return true;
	return false;
}

static int copy_val(char *dst, size_t size, const char *key, const char *v,
		    size_t n, struct mi_err *err)
{
	if (n >= size)
		return mi_err_setx(err, MI_CNI_ERR_ENV, -ENAMETOOLONG,
				   "CNI_ARGS: %s is longer than %zu bytes", key,
				   size - 1);
	memcpy(dst, v, n);
	dst[n] = '\0';
	return 0;
}

int mi_cni_args_parse(const char *s, struct mi_cni_args *args,
		      struct mi_err *err)
{
	char unknown[128] = "";
	bool ignore_unknown = false;
	const char *p = s, *end, *eq;
	int ret = 0;

	memset(args, 0, sizeof(*args));
	while (p && *p && ret == 0) {
		size_t klen, vlen;

		end = strchr(p, ';');
		if (!end)
			end = p + strlen(p);
		eq = memchr(p, '=', (size_t)(end - p));
		if (!eq)
			return mi_err_setx(
				err, MI_CNI_ERR_ENV, -EINVAL,
				"CNI_ARGS: invalid pair \"%.*s\" (expected "
				"KEY=VALUE;KEY=VALUE)",
				(int)(end - p), p);
		klen = (size_t)(eq - p);
		vlen = (size_t)(end - eq - 1);
#define KEY_IS(k) (klen == strlen(k) && !memcmp(p, (k), klen))
		if (KEY_IS("K8S_POD_NAMESPACE"))
			ret = copy_val(args->pod_namespace,
				       sizeof(args->pod_namespace),
				       "K8S_POD_NAMESPACE", eq + 1, vlen, err);
		else if (KEY_IS("K8S_POD_NAME"))
			ret = copy_val(args->pod_name, sizeof(args->pod_name),
				       "K8S_POD_NAME", eq + 1, vlen, err);
		else if (KEY_IS("K8S_POD_UID"))
			ret = copy_val(args->pod_uid, sizeof(args->pod_uid),
				       "K8S_POD_UID", eq + 1, vlen, err);
		else if (KEY_IS("K8S_POD_INFRA_CONTAINER_ID"))
			ret = copy_val(args->infra_id, sizeof(args->infra_id),
				       "K8S_POD_INFRA_CONTAINER_ID", eq + 1,
				       vlen, err);
		else if (KEY_IS("IgnoreUnknown"))
			ignore_unknown =
				(vlen == 1 && eq[1] == '1') ||
				(vlen == 4 && !strncasecmp(eq + 1, "true", 4));
		else if (!unknown[0])
			snprintf(unknown, sizeof(unknown), "%.*s", (int)klen,
				 p);
#undef KEY_IS
		p = *end ? end + 1 : end;
	}
	if (ret == 0 && unknown[0] && !ignore_unknown)
		return mi_err_setx(
			err, MI_CNI_ERR_ENV, -EINVAL,
			"CNI_ARGS: unknown argument \"%s\" (runtimes add "
			"IgnoreUnknown=1 to allow it)",
			unknown);
	return ret;
}
