/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "kube.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <yaml.h>

#include "cniconf.h"
#include "util.h"

#ifndef MI_VERSION
#define MI_VERSION "0.1.0"
#endif

#define MAX_BODY	   (16u << 20)
#define CONNECT_TIMEOUT_MS 5000L
#define REQUEST_TIMEOUT_MS 15000L

/* ---- kubeconfig -------------------------------------------------------- */

static yaml_node_t *map_get(yaml_document_t *doc, yaml_node_t *map,
			    const char *key)
{
	yaml_node_pair_t *p;

	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key);

		if (k && k->type == YAML_SCALAR_NODE &&
		    !strcmp((const char *)k->data.scalar.value, key))
			return yaml_document_get_node(doc, p->value);
	}
	return NULL;
}

static const char *scalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE
		       ? (const char *)n->data.scalar.value
		       : NULL;
}

/* The entry named @name of the list @key ("clusters", ...), its @inner map. */
static yaml_node_t *named(yaml_document_t *doc, yaml_node_t *root,
			  const char *key, const char *inner, const char *name)
{
	yaml_node_t *list = map_get(doc, root, key);
	yaml_node_item_t *it;

	if (!list || list->type != YAML_SEQUENCE_NODE)
		return NULL;
	for (it = list->data.sequence.items.start;
	     it < list->data.sequence.items.top; it++) {
		yaml_node_t *e = yaml_document_get_node(doc, *it);
		const char *n = scalar(map_get(doc, e, "name"));

		if (n && !strcmp(n, name))
			return map_get(doc, e, inner);
	}
	return NULL;
}

static int b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Standard base64 (padding optional, whitespace ignored). */
static int b64_decode(const char *s, char **out, size_t *len)
{
	size_t n = strlen(s), o = 0;
	unsigned int acc = 0, bits = 0;
	char *buf = mi_xmalloc(n / 4 * 3 + 4);

	for (size_t i = 0; i < n; i++) {
		int v;

		if (isspace((unsigned char)s[i]))
			continue;
		if (s[i] == '=')
			break;
		v = b64val((unsigned char)s[i]);
		if (v < 0) {
			free(buf);
			return -EINVAL;
		}
		acc = (acc << 6) | (unsigned int)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	buf[o] = '\0';
	*out = buf;
	*len = o;
	return 0;
}

static char *abs_path(const char *dir, const char *p)
{
	size_t n;
	char *s;

	if (!p || !*p)
		return NULL;
	if (p[0] == '/' || !dir || !*dir)
		return mi_xstrdup(p);
	n = strlen(dir) + strlen(p) + 2;
	s = mi_xmalloc(n);
	snprintf(s, n, "%s/%s", dir, p);
	return s;
}

static int data_field(yaml_document_t *doc, yaml_node_t *m, const char *key,
		      char **out, size_t *len, struct mi_err *err)
{
	const char *v = scalar(map_get(doc, m, key));

	if (!v || !*v)
		return 0;
	if (b64_decode(v, out, len) < 0)
		return mi_err_setx(err, MI_CNI_ERR_KUBECONFIG, -EINVAL,
				   "%s is not valid base64", key);
	return 0;
}

static int read_context(yaml_document_t *doc, const char *dir,
			struct mi_kube *kc, struct mi_err *err)
{
	yaml_node_t *root = yaml_document_get_root_node(doc), *ctx, *cl, *user;
	const char *cur, *cname, *uname, *v;
	int ret;

	if (!root || root->type != YAML_MAPPING_NODE)
		return mi_err_setx(
			err, MI_CNI_ERR_KUBECONFIG, -EINVAL,
			"not a kubeconfig (expected a mapping with clusters, "
			"users, contexts)");
	cur = scalar(map_get(doc, root, "current-context"));
	if (!cur || !*cur)
		return mi_err_setx(err, MI_CNI_ERR_KUBECONFIG, -EINVAL,
				   "current-context is not set");
	ctx = named(doc, root, "contexts", "context", cur);
	if (!ctx)
		return mi_err_setx(
			err, MI_CNI_ERR_KUBECONFIG, -EINVAL,
			"current-context \"%s\" is not among the contexts",
			cur);
	cname = scalar(map_get(doc, ctx, "cluster"));
	uname = scalar(map_get(doc, ctx, "user"));
	cl = cname ? named(doc, root, "clusters", "cluster", cname) : NULL;
	if (!cl)
		return mi_err_setx(
			err, MI_CNI_ERR_KUBECONFIG, -EINVAL,
			"context \"%s\" names no known cluster (\"%s\")", cur,
			cname ? cname : "");
	v = scalar(map_get(doc, cl, "server"));
	if (!v || (strncmp(v, "https://", 8) && strncmp(v, "http://", 7)))
		return mi_err_setx(
			err, MI_CNI_ERR_KUBECONFIG, -EINVAL,
			"cluster \"%s\" has no https:// (or http://) server",
			cname);
	kc->server = mi_xstrdup(v);
	v = scalar(map_get(doc, cl, "insecure-skip-tls-verify"));
	kc->insecure = v && !strcmp(v, "true");
	ret = data_field(doc, cl, "certificate-authority-data", &kc->ca_data,
			 &kc->ca_len, err);
	if (ret < 0)
		return ret;
	kc->ca_file = abs_path(
		dir, scalar(map_get(doc, cl, "certificate-authority")));
	user = uname ? named(doc, root, "users", "user", uname) : NULL;
	if (!user) /* no credentials: anonymous, as client-go */
		return 0;
	v = scalar(map_get(doc, user, "token"));
	if (v && *v)
		kc->token = mi_xstrdup(v);
	kc->token_file = abs_path(dir, scalar(map_get(doc, user, "tokenFile")));
	if ((ret = data_field(doc, user, "client-certificate-data",
			      &kc->cert_data, &kc->cert_len, err)) < 0 ||
	    (ret = data_field(doc, user, "client-key-data", &kc->key_data,
			      &kc->key_len, err)) < 0)
		return ret;
	kc->cert_file =
		abs_path(dir, scalar(map_get(doc, user, "client-certificate")));
	kc->key_file = abs_path(dir, scalar(map_get(doc, user, "client-key")));
	if (!!(kc->cert_data || kc->cert_file) !=
	    !!(kc->key_data || kc->key_file))
		return mi_err_setx(
			err, MI_CNI_ERR_KUBECONFIG, -EINVAL,
			"user \"%s\" has a client certificate without a key, "
			"or a key without a certificate",
			uname);
	return 0;
}

int mi_kube_config_parse(const char *text, size_t len, const char *dir,
			 struct mi_kube *kc, struct mi_err *err)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	int ret;

	memset(kc, 0, sizeof(*kc));
	if (!yaml_parser_initialize(&parser))
		return mi_err_setx(err, MI_EXIT_NOMEM, -ENOMEM,
				   "out of memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		ret = mi_err_setx(err, MI_CNI_ERR_KUBECONFIG, -EINVAL,
				  "YAML error at line %zu column %zu: %s",
				  parser.problem_mark.line + 1,
				  parser.problem_mark.column + 1,
				  parser.problem ? parser.problem
						 : "unknown problem");
		yaml_parser_delete(&parser);
		return ret;
	}
	ret = read_context(&doc, dir, kc, err);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return ret;
}

static int read_file(const char *path, size_t max, char **out, size_t *len,
		     struct mi_err *err)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t n = 0, cap = 0;
	int ret;

	if (!f) {
		ret = -errno;
		return mi_err_setx(err, MI_CNI_ERR_KUBECONFIG, ret,
				   "cannot read %s: %s", path, strerror(-ret));
	}
	for (;;) {
		size_t got;

		mi_grow((void **)&buf, &cap, n + 4097, 1);
		got = fread(buf + n, 1, 4096, f);
		n += got;
		if (got < 4096)
			break;
		if (n > max) {
			fclose(f);
			free(buf);
			return mi_err_setx(err, MI_CNI_ERR_KUBECONFIG, -EFBIG,
					   "%s is larger than %zu bytes", path,
					   max);
		}
	}
	ret = ferror(f) ? -EIO : 0;
	fclose(f);
	if (ret < 0) {
		free(buf);
		return mi_err_setx(err, MI_CNI_ERR_KUBECONFIG, ret,
				   "cannot read %s", path);
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

int mi_kube_config_load(const char *path, struct mi_kube *kc,
			struct mi_err *err)
{
	char *text, *dir, *slash;
	size_t len;
	int ret;

	memset(kc, 0, sizeof(*kc));
	ret = read_file(path, 1u << 20, &text, &len, err);
	if (ret < 0)
		return ret;
	dir = mi_xstrdup(path);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	else
		dir[0] = '\0';
	ret = mi_kube_config_parse(text, len, dir, kc, err);
	if (ret < 0)
		mi_err_prefix(err, "kubeconfig %s", path);
	free(dir);
	free(text);
	return ret;
}

void mi_kube_release(struct mi_kube *kc)
{
	free(kc->server);
	free(kc->ca_data);
	free(kc->ca_file);
	free(kc->token);
	free(kc->token_file);
	free(kc->cert_data);
	free(kc->key_data);
	free(kc->cert_file);
	free(kc->key_file);
	memset(kc, 0, sizeof(*kc));
}

/* ---- GET pod ----------------------------------------------------------- */

struct body {
	char *buf;
	size_t len, cap;
	bool too_big;
};

static size_t on_data(char *p, size_t size, size_t nmemb, void *arg)
{
	struct body *b = arg;
	size_t n = size * nmemb;

	if (b->len + n > MAX_BODY) {
		b->too_big = true;
		return 0;
	}
	mi_grow((void **)&b->buf, &b->cap, b->len + n + 1, 1);
	memcpy(b->buf + b->len, p, n);
	b->len += n;
	b->buf[b->len] = '\0';
	return n;
}

static int token_header(const struct mi_kube *kc, struct curl_slist **hdrs,
			struct mi_err *err)
{
	char *tok = NULL, *line;
	size_t len = 0, n;
	int ret;

	if (kc->token) {
		tok = mi_xstrdup(kc->token);
	} else if (kc->token_file) {
		ret = read_file(kc->token_file, 1u << 20, &tok, &len, err);
		if (ret < 0) {
			err->exit = MI_CNI_ERR_API;
			return ret;
		}
	}
	if (!tok)
		return 0; /* no token configured */
	n = strlen(tok);
	while (n && isspace((unsigned char)tok[n - 1]))
		tok[--n] = '\0';
	n += sizeof("Authorization: Bearer ");
	line = mi_xmalloc(n);
	snprintf(line, n, "Authorization: Bearer %s", tok);
	*hdrs = curl_slist_append(*hdrs, line);
	free(line);
	free(tok);
	return 0;
}

static void set_tls(CURL *c, const struct mi_kube *kc)
{
	struct curl_blob blob;

	if (kc->insecure) {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	} else if (kc->ca_data) {
		blob = (struct curl_blob){ kc->ca_data, kc->ca_len,
					   CURL_BLOB_COPY };
		curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &blob);
	} else if (kc->ca_file) {
		curl_easy_setopt(c, CURLOPT_CAINFO, kc->ca_file);
	}
	if (kc->cert_data) {
		blob = (struct curl_blob){ kc->cert_data, kc->cert_len,
					   CURL_BLOB_COPY };
		curl_easy_setopt(c, CURLOPT_SSLCERT_BLOB, &blob);
		curl_easy_setopt(c, CURLOPT_SSLCERTTYPE, "PEM");
	} else if (kc->cert_file) {
		curl_easy_setopt(c, CURLOPT_SSLCERT, kc->cert_file);
	}
	if (kc->key_data) {
		blob = (struct curl_blob){ kc->key_data, kc->key_len,
					   CURL_BLOB_COPY };
		curl_easy_setopt(c, CURLOPT_SSLKEY_BLOB, &blob);
		curl_easy_setopt(c, CURLOPT_SSLKEYTYPE, "PEM");
	} else if (kc->key_file) {
		curl_easy_setopt(c, CURLOPT_SSLKEY, kc->key_file);
	}
}

/* The "message" of a Kubernetes Status answer, or the start of the body. */
static void status_message(const struct body *b, char *msg, size_t size)
{
	json_object *o = b->buf ? json_tokener_parse(b->buf) : NULL, *m;

	if (o && json_object_object_get_ex(o, "message", &m) &&
	    json_object_is_type(m, json_type_string))
		snprintf(msg, size, "%s", json_object_get_string(m));
	else
		snprintf(msg, size, "%.120s",
			 b->buf ? b->buf : "(empty answer)");
	json_object_put(o);
}

static int check_pod(const struct body *b, const char *ns, const char *name,
		     json_object **pod, struct mi_err *err)
{
	struct json_tokener *tok = json_tokener_new();
	json_object *o, *kind, *meta;

	if (!tok)
		return mi_err_setx(err, MI_EXIT_NOMEM, -ENOMEM,
				   "out of memory");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = b->buf ? json_tokener_parse_ex(tok, b->buf, (int)b->len) : NULL;
	if (!o || json_tokener_get_error(tok) != json_tokener_success) {
		json_tokener_free(tok);
		json_object_put(o);
		return mi_err_setx(
			err, MI_CNI_ERR_API, -EBADMSG,
			"the API server's answer for pod %s/%s is not JSON", ns,
			name);
	}
	json_tokener_free(tok);
	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "kind", &kind) ||
	    !json_object_is_type(kind, json_type_string) ||
	    strcmp(json_object_get_string(kind), "Pod") ||
	    !json_object_object_get_ex(o, "metadata", &meta) ||
	    !json_object_is_type(meta, json_type_object)) {
		json_object_put(o);
		return mi_err_setx(
			err, MI_CNI_ERR_API, -EBADMSG,
			"the API server's answer for pod %s/%s is not a Pod "
			"(kind Pod with metadata)",
			ns, name);
	}
	*pod = o;
	return 0;
}

static int get_once(const struct mi_kube *kc, const char *url, const char *ns,
		    const char *name, json_object **pod, struct mi_err *err)
{
	struct curl_slist *hdrs = NULL;
	struct body b = { 0 };
	char cerr[CURL_ERROR_SIZE] = "", msg[200];
	CURL *c = curl_easy_init();
	CURLcode rc;
	long status = 0;
	int ret;

	if (!c)
		return mi_err_setx(err, MI_CNI_ERR_API, -ENOMEM,
				   "cannot create an HTTP client");
	ret = token_header(kc, &hdrs, err);
	if (ret < 0)
		goto out;
	hdrs = curl_slist_append(hdrs, "Accept: application/json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "meshinit-cni/" MI_VERSION);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https,http");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, REQUEST_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	set_tls(c, kc);
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		ret = mi_err_setx(err, MI_CNI_ERR_API, -EIO, "GET %s: %s", url,
				  b.too_big ? "answer larger than 16 MiB"
				  : cerr[0] ? cerr
					    : curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200) {
		status_message(&b, msg, sizeof(msg));
		ret = mi_err_setx(
			err, MI_CNI_ERR_API, status == 404 ? -ENOENT : -EIO,
			"GET %s: HTTP %ld%s: %s", url, status,
			status == 404	? " (pod not found)"
			: status == 401 ? " (unauthorized: check the token)"
			: status == 403
				? " (forbidden: the service account may not "
				  "get pods)"
				: "",
			msg);
		goto out;
	}
	ret = check_pod(&b, ns, name, pod, err);
out:
	free(b.buf);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	return ret;
}

static char *pod_url(const char *server, const char *ns, const char *name)
{
	CURL *c = curl_easy_init();
	char *ens = c ? curl_easy_escape(c, ns, 0) : NULL;
	char *ename = c ? curl_easy_escape(c, name, 0) : NULL;
	size_t slen = strlen(server), n;
	char *url = NULL;

	while (slen && server[slen - 1] == '/')
		slen--;
	if (ens && ename) {
		n = slen + strlen(ens) + strlen(ename) + 64;
		url = mi_xmalloc(n);
		snprintf(url, n, "%.*s/api/v1/namespaces/%s/pods/%s", (int)slen,
			 server, ens, ename);
	}
	curl_free(ens);
	curl_free(ename);
	if (c)
		curl_easy_cleanup(c);
	return url;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int mi_kube_get_pod(const struct mi_kube *kc, const char *ns, const char *name,
		    unsigned int attempts, unsigned int interval_ms,
		    const struct mi_log *log, json_object **pod,
		    struct mi_err *err)
{
	char *url = pod_url(kc->server, ns, name);
	struct mi_err last = { 0 };
	int ret = -EIO;

	*pod = NULL;
	if (!url)
		return mi_err_setx(err, MI_CNI_ERR_API, -ENOMEM,
				   "cannot build the pod URL");
	for (unsigned int i = 1; i <= attempts; i++) {
		memset(&last, 0, sizeof(last));
		ret = get_once(kc, url, ns, name, pod, &last);
		if (ret == 0)
			break;
		if (i == 1)
			mi_warn(log,
				"failed to get pod %s/%s (attempt 1 of %u, "
				"retrying every %u ms): %s",
				ns, name, attempts, interval_ms, last.msg);
		else
			mi_log(log, MI_LOG_DEBUG,
			       "failed to get pod %s/%s (attempt %u of %u): "
			       "%s",
			       ns, name, i, attempts, last.msg);
		if (i < attempts)
			sleep_ms(interval_ms);
	}
	free(url);
	if (ret < 0)
		return mi_err_setx(
			err, last.exit, ret,
			"failed to get pod %s/%s after %u attempt%s: %s", ns,
			name, attempts, attempts == 1 ? "" : "s", last.msg);
	return 0;
}
