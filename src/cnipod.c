/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "cnipod.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cniconf.h"
#include "util.h"

#define ISTIO_INIT	   "istio-init"
#define ISTIO_PROXY	   "istio-proxy"
#define ANN_INJECT	   "sidecar.istio.io/inject"
#define ANN_STATUS	   "sidecar.istio.io/status"
#define ANN_MODE	   "sidecar.istio.io/interceptionMode"
#define TRAFFIC		   "traffic.sidecar.istio.io/"
#define ANN_INCLUDE_CIDRS  TRAFFIC "includeOutboundIPRanges"
#define ANN_EXCLUDE_CIDRS  TRAFFIC "excludeOutboundIPRanges"
#define ANN_INCLUDE_IN	   TRAFFIC "includeInboundPorts"
#define ANN_EXCLUDE_IN	   TRAFFIC "excludeInboundPorts"
#define ANN_INCLUDE_OUT	   TRAFFIC "includeOutboundPorts"
#define ANN_EXCLUDE_OUT	   TRAFFIC "excludeOutboundPorts"
#define ANN_EXCLUDE_IFACES TRAFFIC "excludeInterfaces"
#define ANN_KUBEVIRT	   TRAFFIC "kubevirtInterfaces"
#define ANN_REROUTE_VIRT   "istio.io/reroute-virtual-interfaces"

/* Istio's plugin: fixed ports, and the inbound ports it always excludes. */
#define PROXY_PORT		"15001"
#define INBOUND_CAPTURE_PORT	"15006"
#define DEFAULT_PROXY_ID	1337
#define ALWAYS_EXCLUDED_INBOUND "15020,15021,15090"
#define DEFAULT_EXCLUDE_PORT	"15020" /* status port: -d and -o default */

/* Which flag each pod setting becomes, for error messages. */
static const struct {
	const char *flag, *source;
} blame_table[] = {
	{ "--istio-inbound-interception-mode", "annotation " ANN_MODE },
	{ "--istio-service-cidr", "annotation " ANN_INCLUDE_CIDRS },
	{ "--istio-service-exclude-cidr", "annotation " ANN_EXCLUDE_CIDRS },
	{ "--istio-inbound-ports", "annotation " ANN_INCLUDE_IN },
	{ "--istio-local-exclude-ports", "annotation " ANN_EXCLUDE_IN },
	{ "--istio-outbound-ports", "annotation " ANN_INCLUDE_OUT },
	{ "--istio-local-outbound-ports-exclude",
	  "annotation " ANN_EXCLUDE_OUT },
	{ "--istio-exclude-interfaces", "annotation " ANN_EXCLUDE_IFACES },
	{ "--kube-virt-interfaces",
	  "annotation " ANN_REROUTE_VIRT " (or " ANN_KUBEVIRT ")" },
	{ "--proxy-uid", "istio-proxy securityContext.runAsUser" },
	{ "--proxy-gid", "istio-proxy securityContext.runAsGroup" },
	{ "--exclude-outbound-uids", "annotation " MI_ANN_EXCLUDE_UIDS },
	{ "--exclude-outbound-gids", "annotation " MI_ANN_EXCLUDE_GIDS },
	{ "--exclude-outbound-ports-for-uids",
	  "annotation " MI_ANN_EXCLUDE_PORTS_FOR_UIDS },
	{ "ISTIO_OUTBOUND_OWNER_GROUPS_EXCLUDE", "the plugin's environment" },
	{ "ISTIO_OUTBOUND_OWNER_GROUPS", "the plugin's environment" },
	{ "ISTIO_OUTBOUND_IPV4_LOOPBACK_CIDR", "the plugin's environment" },
};

/* Facts of the pod, as Istio's ExtractPodInfo reads them. */
struct pod_info {
	json_object *labels, *annotations;
	bool has_init, has_proxy;
	json_object *proxy_env; /* istio-proxy env (array) */
	const char *proxy_type; /* args "proxy <type>" */
	bool have_uid, have_gid;
	int64_t uid, gid;
	char containers[256]; /* names, for the log */
};

static json_object *get(json_object *obj, const char *key, json_type type)
{
	json_object *v;

	if (!obj || !json_object_object_get_ex(obj, key, &v) || !v ||
	    !json_object_is_type(v, type))
		return NULL;
	return v;
}

static const char *get_str(json_object *obj, const char *key)
{
	json_object *v = get(obj, key, json_type_string);

	return v ? json_object_get_string(v) : NULL;
}

static void read_proxy(struct pod_info *pi, json_object *c)
{
	json_object *args = get(c, "args", json_type_array);
	json_object *sc = get(c, "securityContext", json_type_object);
	json_object *v;

	pi->has_proxy = true;
	pi->proxy_env = get(c, "env", json_type_array);
	if (args && json_object_array_length(args) >= 2) {
		json_object *a0 = json_object_array_get_idx(args, 0);
		json_object *a1 = json_object_array_get_idx(args, 1);

		if (json_object_is_type(a0, json_type_string) &&
		    json_object_is_type(a1, json_type_string) &&
		    !strcmp(json_object_get_string(a0), "proxy"))
			pi->proxy_type = json_object_get_string(a1);
	}
	if ((v = get(sc, "runAsUser", json_type_int))) {
		pi->have_uid = true;
		pi->uid = json_object_get_int64(v);
	}
	if ((v = get(sc, "runAsGroup", json_type_int))) {
		pi->have_gid = true;
		pi->gid = json_object_get_int64(v);
	}
}

static void read_containers(struct pod_info *pi, json_object *list)
{
	size_t n = list ? json_object_array_length(list) : 0;

	for (size_t i = 0; i < n; i++) {
		json_object *c = json_object_array_get_idx(list, i);
		const char *name = get_str(c, "name");
		size_t used = strlen(pi->containers);

		if (!name)
			continue;
		snprintf(pi->containers + used, sizeof(pi->containers) - used,
			 "%s%s", used ? " " : "", name);
		if (!strcmp(name, ISTIO_INIT))
			pi->has_init = true;
		/* Istio keeps the last container of that name */
		if (!strcmp(name, ISTIO_PROXY))
			read_proxy(pi, c);
	}
}

static void pod_info(json_object *pod, struct pod_info *pi)
{
	json_object *meta = get(pod, "metadata", json_type_object);
	json_object *spec = get(pod, "spec", json_type_object);

	memset(pi, 0, sizeof(*pi));
	pi->labels = get(meta, "labels", json_type_object);
	pi->annotations = get(meta, "annotations", json_type_object);
	/* init containers first: the proxy may be a native sidecar */
	read_containers(pi, get(spec, "initContainers", json_type_array));
	read_containers(pi, get(spec, "containers", json_type_array));
}

/* The value of env @name of istio-proxy ("" for valueFrom), or NULL. */
static const char *proxy_env(const struct pod_info *pi, const char *name)
{
	size_t n = pi->proxy_env ? json_object_array_length(pi->proxy_env) : 0;
	const char *val = NULL;

	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(pi->proxy_env, i);
		const char *en = get_str(e, "name");

		if (en &&
		    !strcmp(en, name)) { /* the last one wins, as in a map */
			val = get_str(e, "value");
			if (!val)
				val = "";
		}
	}
	return val;
}

/* Go strconv.ParseBool of a proxy env value; a warning when it fails. */
static bool env_bool(const struct pod_info *pi, const char *name,
		     struct mi_cni_pod_plan *out)
{
	const char *v = proxy_env(pi, name);
	bool b = false;

	if (v && mi_parse_bool(v, &b) < 0) {
		if (out->n_warn < MI_CNI_POD_MAX_WARN)
			snprintf(out->warn[out->n_warn++], sizeof(out->warn[0]),
				 "cannot parse istio-proxy env %s=\"%.60s\" as "
				 "a boolean; using false",
				 name, v);
		b = false;
	}
	return b;
}

static MI_PRINTF(2, 3) int skip(struct mi_cni_pod_plan *out, const char *fmt,
				...)
{
	va_list ap;

	out->action = MI_CNI_POD_SKIP;
	va_start(ap, fmt);
	vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
	va_end(ap);
	return 0;
}

/* Istio's decisions, in Istio's order. Returns true when the pod is skipped. */
static bool decide(const struct pod_info *pi, struct mi_cni_pod_plan *out)
{
	const char *v, *proxy_disabled = proxy_env(pi, "DISABLE_ENVOY");
	bool b;

	if (pi->has_init)
		return !skip(out,
			     "excluded due to being already injected with %s "
			     "container",
			     ISTIO_INIT);
	if (proxy_disabled && mi_parse_bool(proxy_disabled, &b) == 0 && b)
		return !skip(out, "excluded due to DISABLE_ENVOY on %s",
			     ISTIO_PROXY);
	if (!pi->has_proxy)
		return !skip(out,
			     "excluded because it does not have istio-proxy "
			     "container (have [%s])",
			     pi->containers);
	if (pi->proxy_type && *pi->proxy_type &&
	    strcmp(pi->proxy_type, "sidecar"))
		return !skip(out, "excluded because it has proxy type %s",
			     pi->proxy_type);
	/* the label is the newer API and wins over the annotation */
	v = get_str(pi->labels, ANN_INJECT);
	if (!v)
		v = get_str(pi->annotations, ANN_INJECT);
	if (v && *v && mi_parse_bool(v, &b) == 0 && !b)
		return !skip(out, "excluded due to inject-disabled annotation");
	if (!get(pi->annotations, ANN_STATUS, json_type_string))
		return !skip(
			out,
			"excluded due to not containing sidecar annotation");
	return false;
}

/* Istio's port list check: "*" or comma-separated 16-bit decimals. */
static bool istio_ports_ok(const char *s, bool wildcard)
{
	const char *p = s, *end;

	if (wildcard && !strcmp(s, "*"))
		return true;
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	if (!*p)
		return true;
	for (;;) {
		uint32_t port;
		size_t len;

		end = strchr(p, ',');
		len = end ? (size_t)(end - p) : strlen(p);
		while (len && isspace((unsigned char)*p))
			p++, len--;
		while (len && isspace((unsigned char)p[len - 1]))
			len--;
		if (mi_parse_u32n(p, len, 0, 65535, &port) < 0)
			return false;
		if (!end)
			return true;
		p = end + 1;
	}
}

/* Istio's CIDR list check: netip.ParsePrefix of each item, no blanks. */
static bool istio_cidrs_ok(const char *s, bool wildcard)
{
	const char *p = s, *end;

	if (!*s || (wildcard && !strcmp(s, "*")))
		return true;
	for (;;) {
		size_t len;

		end = strchr(p, ',');
		len = end ? (size_t)(end - p) : strlen(p);
		if (!len || !memchr(p, '/', len))
			return false;
		for (size_t i = 0; i < len; i++)
			if (isspace((unsigned char)p[i]))
				return false;
		if (!end)
			return true;
		p = end + 1;
	}
}

enum ann_kind {
	ANN_PORTS,
	ANN_PORTS_WILD,
	ANN_CIDRS,
	ANN_CIDRS_WILD,
	ANN_ANY
};

/* An annotation's value, or @def; -EINVAL when Istio's check rejects it. */
static int annotation(const struct pod_info *pi, const char *key,
		      const char *def, enum ann_kind kind, const char **out,
		      bool *found, struct mi_err *err)
{
	const char *v = get_str(pi->annotations, key);
	bool ok = true;

	if (found)
		*found = v != NULL;
	*out = v ? v : def;
	if (!v)
		return 0;
	switch (kind) {
	case ANN_PORTS:
		ok = istio_ports_ok(v, false);
		break;
	case ANN_PORTS_WILD:
		ok = istio_ports_ok(v, true);
		break;
	case ANN_CIDRS:
		ok = istio_cidrs_ok(v, false);
		break;
	case ANN_CIDRS_WILD:
		ok = istio_cidrs_ok(v, true);
		break;
	case ANN_ANY:
		break;
	}
	if (!ok)
		return mi_err_setx(
			err, MI_CNI_ERR_POD, -EINVAL,
			"annotation %s \"%.200s\" is invalid: expected %s", key,
			v,
			kind == ANN_CIDRS || kind == ANN_CIDRS_WILD
				? "a comma-separated list of CIDRs (a/len, no "
				  "blanks)"
				: "a comma-separated list of ports (0-65535)");
	return 0;
}

static void add_arg(struct mi_cni_pod_plan *out, const char *flag,
		    const char *val)
{
	char *s;

	if (out->argc >= MI_CNI_POD_MAX_ARGS)
		return; /* cannot happen: the flags are fixed */
	if (val) {
		size_t n = strlen(flag) + strlen(val) + 2;

		s = mi_xmalloc(n);
		snprintf(s, n, "%s=%s", flag, val);
	} else {
		s = mi_xstrdup(flag);
	}
	out->argv[out->argc++] = s;
}

/* True when @tok is one item of the comma list @list. */
static bool list_has(const char *list, const char *tok)
{
	size_t n = strlen(tok);

	for (const char *p = list; *p;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len == n && !memcmp(p, tok, n))
			return true;
		if (!end)
			break;
		p = end + 1;
	}
	return false;
}

/* "a, b,a" -> "a,b": Istio's split and dedup of the inbound exclusions. */
static char *exclude_inbound(const char *ann)
{
	size_t n = strlen(ann) + sizeof(ALWAYS_EXCLUDED_INBOUND) + 2;
	char *all = mi_xmalloc(n), *res = mi_xcalloc(1, n), *tok, *save = NULL;
	const char *b = ann, *e;

	while (isspace((unsigned char)*b))
		b++;
	e = b + strlen(b);
	while (e > b && isspace((unsigned char)e[-1]))
		e--;
	snprintf(all, n, "%.*s%s%s", (int)(e - b), b,
		 e > b && e[-1] != ',' ? "," : "", ALWAYS_EXCLUDED_INBOUND);
	for (tok = strtok_r(all, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save))
		if (!list_has(res, tok)) {
			if (*res)
				strcat(res, ",");
			strcat(res, tok);
		}
	free(all);
	return res;
}

static void add_id(struct mi_cni_pod_plan *out, const char *flag, bool have,
		   int64_t id)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRId64,
		 have && id != 0 ? id : DEFAULT_PROXY_ID);
	add_arg(out, flag, buf);
}

static void pass_env(struct mi_cni_pod_plan *out, char *const host_env[])
{
	static const char *const keys[] = {
		"ISTIO_OUTBOUND_OWNER_GROUPS=",
		"ISTIO_OUTBOUND_OWNER_GROUPS_EXCLUDE=",
		"ISTIO_OUTBOUND_IPV4_LOOPBACK_CIDR=",
	};
	size_t n = 0;

	for (size_t k = 0; k < ARRAY_SIZE(keys); k++)
		for (size_t i = 0; host_env && host_env[i]; i++)
			if (!strncmp(host_env[i], keys[k], strlen(keys[k]))) {
				out->envp[n++] = mi_xstrdup(host_env[i]);
				break;
			}
	out->envp[n] = NULL;
}

static int derive(const struct pod_info *pi, struct mi_cni_pod_plan *out,
		  struct mi_err *err)
{
	const char *mode, *inc, *exc, *in, *exin, *out_inc, *out_exc, *ifs,
		*virt;
	const char *u, *g, *up;
	bool found;
	char *d;
	int ret;

	if ((ret = annotation(pi, ANN_MODE, "REDIRECT", ANN_ANY, &mode, NULL,
			      err)) < 0)
		return ret;
	if (strcmp(mode, "REDIRECT") && strcmp(mode, "TPROXY"))
		return mi_err_setx(
			err, MI_CNI_ERR_POD, -EINVAL,
			"annotation %s \"%.100s\" is invalid: expected "
			"REDIRECT or TPROXY",
			ANN_MODE, mode);
	if ((ret = annotation(pi, ANN_INCLUDE_CIDRS, "*", ANN_CIDRS_WILD, &inc,
			      NULL, err)) < 0 ||
	    (ret = annotation(pi, ANN_EXCLUDE_CIDRS, "", ANN_CIDRS, &exc, NULL,
			      err)) < 0 ||
	    (ret = annotation(pi, ANN_EXCLUDE_IN, DEFAULT_EXCLUDE_PORT,
			      ANN_PORTS_WILD, &exin, NULL, err)) < 0 ||
	    (ret = annotation(pi, ANN_INCLUDE_IN, "*", ANN_PORTS_WILD, &in,
			      NULL, err)) < 0 ||
	    (ret = annotation(pi, ANN_EXCLUDE_OUT, DEFAULT_EXCLUDE_PORT,
			      ANN_PORTS_WILD, &out_exc, NULL, err)) < 0 ||
	    (ret = annotation(pi, ANN_INCLUDE_OUT, "", ANN_PORTS_WILD, &out_inc,
			      NULL, err)) < 0 ||
	    (ret = annotation(pi, ANN_EXCLUDE_IFACES, "", ANN_ANY, &ifs, NULL,
			      err)) < 0 ||
	    (ret = annotation(pi, ANN_REROUTE_VIRT, "", ANN_ANY, &virt, &found,
			      err)) < 0)
		return ret;
	if (!found && (ret = annotation(pi, ANN_KUBEVIRT, "", ANN_ANY, &virt,
					NULL, err)) < 0)
		return ret;

	out->action = MI_CNI_POD_CAPTURE;
	add_arg(out, "meshinit-cni", NULL);
	add_arg(out, "--envoy-port", PROXY_PORT);
	add_arg(out, "--inbound-capture-port", INBOUND_CAPTURE_PORT);
	add_id(out, "--proxy-uid", pi->have_uid, pi->uid);
	add_id(out, "--proxy-gid", pi->have_gid, pi->gid);
	add_arg(out, "--istio-inbound-interception-mode", mode);
	add_arg(out, "--istio-service-cidr", inc);
	add_arg(out, "--istio-service-exclude-cidr", exc);
	add_arg(out, "--istio-inbound-ports", in);
	d = exclude_inbound(exin);
	add_arg(out, "--istio-local-exclude-ports", d);
	free(d);
	add_arg(out, "--istio-local-outbound-ports-exclude", out_exc);
	add_arg(out, "--istio-outbound-ports", out_inc);
	add_arg(out, "--istio-exclude-interfaces", ifs);
	add_arg(out, "--kube-virt-interfaces", virt);
	/* the plugin runs on the node: its resolv.conf is not the pod's */
	if (env_bool(pi, "ISTIO_META_DNS_CAPTURE", out)) {
		add_arg(out, "--redirect-dns", NULL);
		add_arg(out, "--capture-all-dns", NULL);
	}
	if (env_bool(pi, "ISTIO_DUAL_STACK", out))
		add_arg(out, "--dual-stack", NULL);
	if (env_bool(pi, "INVALID_DROP", out))
		add_arg(out, "--drop-invalid", NULL);
	/* meshinit's own: init containers that must bypass the proxy */
	if ((u = get_str(pi->annotations, MI_ANN_EXCLUDE_UIDS)))
		add_arg(out, "--exclude-outbound-uids", u);
	if ((g = get_str(pi->annotations, MI_ANN_EXCLUDE_GIDS)))
		add_arg(out, "--exclude-outbound-gids", g);
	if ((up = get_str(pi->annotations, MI_ANN_EXCLUDE_PORTS_FOR_UIDS)))
		add_arg(out, "--exclude-outbound-ports-for-uids", up);
	return 0;
}

int mi_cni_pod_derive(json_object *pod, char *const host_env[],
		      struct mi_cni_pod_plan *out, struct mi_err *err)
{
	struct pod_info pi;
	int ret;

	memset(out, 0, sizeof(*out));
	pod_info(pod, &pi);
	if (decide(&pi, out))
		return 0;
	ret = derive(&pi, out, err);
	if (ret < 0)
		return ret;
	pass_env(out, host_env);
	return 0;
}

void mi_cni_pod_release(struct mi_cni_pod_plan *plan)
{
	for (int i = 0; i < plan->argc; i++)
		free(plan->argv[i]);
	for (size_t i = 0; plan->envp[i]; i++)
		free(plan->envp[i]);
	memset(plan, 0, sizeof(*plan));
}

void mi_cni_pod_blame(struct mi_err *err)
{
	for (size_t i = 0; i < ARRAY_SIZE(blame_table); i++)
		if (strstr(err->msg, blame_table[i].flag)) {
			mi_err_prefix(err, "from %s", blame_table[i].source);
			return;
		}
}
