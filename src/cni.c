/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE /* fopencookie */
#include "cni.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "cli.h"
#include "cniconf.h"
#include "cnipod.h"
#include "config.h"
#include "detect.h"
#include "err.h"
#include "kube.h"
#include "log.h"
#include "netns.h"
#include "run.h"
#include "util.h"
#include "verify.h"

#ifndef MI_VERSION
#define MI_VERSION "0.1.0"
#endif

#define MAX_STDIN	     (16u << 20)
#define LOG_ROTATE_BYTES     (10L << 20) /* Istio: RollingLogMaxSizeMB */
#define ISTIO_CNI_POD_PREFIX "istio-cni-node-"

enum cni_cmd {
	CMD_ADD,
	CMD_DEL,
	CMD_CHECK,
	CMD_VERSION,
	CMD_STATUS,
	CMD_GC
};

struct cni_env {
	const char *command, *containerid, *netns, *ifname, *args, *path;
};

/* Where logs go: stderr, Istio's local log file, and lines for the agent. */
struct tee {
	FILE *err, *file;
	char *lines;
	size_t len, cap;
};

struct cni_run {
	enum cni_cmd cmd;
	struct cni_env env;
	char *const *envp;
	struct mi_cni_conf conf;
	struct mi_cni_args args;
	struct tee tee;
	FILE *logf; /* the tee */
	struct mi_log log;
	FILE *out;
};

static const char *env_get(char *const envp[], const char *key)
{
	size_t n = strlen(key);

	for (size_t i = 0; envp && envp[i]; i++)
		if (!strncmp(envp[i], key, n) && envp[i][n] == '=')
			return envp[i] + n + 1;
	return NULL;
}

/* ---- logging ------------------------------------------------------------ */

static ssize_t tee_write(void *cookie, const char *buf, size_t n)
{
	struct tee *t = cookie;

	if (t->err)
		fwrite(buf, 1, n, t->err);
	if (t->file)
		fwrite(buf, 1, n, t->file);
	if (t->len + n < (1u << 20)) {
		mi_grow((void **)&t->lines, &t->cap, t->len + n + 1, 1);
		memcpy(t->lines + t->len, buf, n);
		t->len += n;
		t->lines[t->len] = '\0';
	}
	return (ssize_t)n;
}

static FILE *open_log_file(const char *dir)
{
	char path[600], old[610];
	struct stat st;

	if (!dir || stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return NULL;
	snprintf(path, sizeof(path), "%s/%s", dir, MI_CNI_LOG_NAME);
	if (stat(path, &st) == 0 && st.st_size > LOG_ROTATE_BYTES) {
		snprintf(old, sizeof(old), "%s.1", path);
		rename(path, old); /* one backup, as Istio keeps */
	}
	return fopen(path, "ae");
}

static enum mi_log_level level_of(const char *s, bool *ok)
{
	static const char *const names[] = { "debug", "info", "warn", "error",
					     "none" };

	*ok = true;
	if (!*s)
		return MI_LOG_INFO;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(s, names[i]))
			return (enum mi_log_level)i;
	if (!strcmp(s, "warning"))
		return MI_LOG_WARN;
	if (!strcmp(s, "fatal"))
		return MI_LOG_ERROR;
	*ok = false;
	return MI_LOG_INFO;
}

static void log_open(struct cni_run *r, FILE *logf, bool have_conf)
{
	static const cookie_io_functions_t io = { .write = tee_write };
	struct mi_config lc;
	bool ok = true;

	r->tee.err = logf;
	if (have_conf)
		r->tee.file = open_log_file(r->conf.agent_run_dir);
	r->logf = fopencookie(&r->tee, "w", io);
	if (r->logf)
		setvbuf(r->logf, NULL, _IOLBF, 0);
	mi_config_init(&lc);
	lc.log_json = true; /* Istio's plugin logs JSON lines */
	if (have_conf)
		lc.log_level = level_of(r->conf.plugin_log_level, &ok);
	mi_log_init(&r->log, r->logf ? r->logf : logf, &lc);
	if (!ok)
		mi_warn(&r->log,
			"unknown plugin_log_level \"%s\" (debug, info, warn, "
			"error, none); using info",
			r->conf.plugin_log_level);
}

/* Send the lines to the node agent (POST /log on its UDS), as Istio does. */
static void log_forward(struct cni_run *r)
{
	char sock[600];
	json_object *arr;
	struct curl_slist *hdrs = NULL;
	struct stat st;
	CURL *c;
	char *line, *save = NULL;

	if (!r->tee.lines || !r->conf.root)
		return;
	snprintf(sock, sizeof(sock), "%s/%s", r->conf.agent_run_dir,
		 MI_CNI_LOG_SOCKET);
	if (stat(sock, &st) < 0 || !S_ISSOCK(st.st_mode))
		return;
	arr = json_object_new_array();
	for (line = strtok_r(r->tee.lines, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		json_object_array_add(arr, json_object_new_string(line));
	c = curl_easy_init();
	if (c) {
		hdrs = curl_slist_append(hdrs,
					 "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, sock);
		curl_easy_setopt(c, CURLOPT_URL, "http://unix/log");
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(c, CURLOPT_COPYPOSTFIELDS,
				 json_object_to_json_string_ext(
					 arr, JSON_C_TO_STRING_PLAIN));
		curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 1000L);
		curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
		curl_easy_perform(c); /* best effort, as Istio's */
		curl_slist_free_all(hdrs);
		curl_easy_cleanup(c);
	}
	json_object_put(arr);
}

static void log_close(struct cni_run *r)
{
	if (r->logf)
		fclose(r->logf);
	r->logf = NULL;
	log_forward(r);
	if (r->tee.file)
		fclose(r->tee.file);
	free(r->tee.lines);
	memset(&r->tee, 0, sizeof(r->tee));
}

/* ---- results ------------------------------------------------------------ */

static const char *out_version(const struct cni_run *r)
{
	return r->conf.cni_version &&
			       mi_cni_version_supported(r->conf.cni_version)
		       ? r->conf.cni_version
		       : MI_CNI_VERSION_LATEST;
}

static int cni_error(struct cni_run *r, const struct mi_err *err,
		     const char *details)
{
	json_object *o = json_object_new_object();
	int code = err->exit > 0 ? err->exit : MI_CNI_ERR_APPLY;

	if (code == MI_EXIT_NOMEM)
		code = MI_CNI_ERR_AGAIN;
	json_object_object_add(o, "cniVersion",
			       json_object_new_string(out_version(r)));
	json_object_object_add(o, "code", json_object_new_int(code));
	json_object_object_add(o, "msg", json_object_new_string(err->msg));
	if (details && *details)
		json_object_object_add(o, "details",
				       json_object_new_string(details));
	fprintf(r->out, "%s\n",
		json_object_to_json_string_ext(
			o, JSON_C_TO_STRING_PRETTY |
				   JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	mi_error(&r->log, "meshinit-cni %s failed (CNI error %d): %s%s%s",
		 r->env.command ? r->env.command : "", code, err->msg,
		 details && *details ? "\n" : "", details ? details : "");
	return 1;
}

/* ADD's result: the previous plugin's result, unchanged. */
static int pass_through(struct cni_run *r)
{
	json_object *o;

	if (r->conf.prev_result) {
		fprintf(r->out, "%s\n",
			json_object_to_json_string_ext(
				r->conf.prev_result,
				JSON_C_TO_STRING_PRETTY |
					JSON_C_TO_STRING_NOSLASHESCAPE));
		return 0;
	}
	o = json_object_new_object();
	json_object_object_add(o, "cniVersion",
			       json_object_new_string(out_version(r)));
	fprintf(r->out, "%s\n",
		json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
	json_object_put(o);
	return 0;
}

static int version_result(struct cni_run *r)
{
	json_object *o = json_object_new_object(), *a = json_object_new_array();

	for (size_t i = 0; mi_cni_versions[i]; i++)
		json_object_array_add(
			a, json_object_new_string(mi_cni_versions[i]));
	json_object_object_add(o, "cniVersion",
			       json_object_new_string(out_version(r)));
	json_object_object_add(o, "supportedVersions", a);
	fprintf(r->out, "%s\n",
		json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
	json_object_put(o);
	return 0;
}

/* ---- input -------------------------------------------------------------- */

static int read_stdin(FILE *in, char **buf, size_t *len, struct mi_err *err)
{
	size_t cap = 0, n = 0, got;

	*buf = NULL;
	do {
		mi_grow((void **)buf, &cap, n + 65537, 1);
		got = fread(*buf + n, 1, 65536, in);
		n += got;
		if (n > MAX_STDIN)
			return mi_err_setx(
				err, MI_CNI_ERR_DECODE, -E2BIG,
				"network configuration on stdin is larger than "
				"16 MiB");
	} while (got == 65536);
	if (ferror(in))
		return mi_err_setx(
			err, MI_CNI_ERR_IO, -EIO,
			"cannot read the network configuration from stdin");
	(*buf)[n] = '\0';
	*len = n;
	return 0;
}

static int parse_command(const char *s, enum cni_cmd *cmd, struct mi_err *err)
{
	static const struct {
		const char *name;
		enum cni_cmd cmd;
	} cmds[] = {
		{ "ADD", CMD_ADD },	  { "DEL", CMD_DEL },
		{ "CHECK", CMD_CHECK },	  { "VERSION", CMD_VERSION },
		{ "STATUS", CMD_STATUS }, { "GC", CMD_GC },
	};

	if (!s || !*s)
		return mi_err_setx(
			err, MI_CNI_ERR_ENV, -EINVAL,
			"CNI_COMMAND is not set: meshinit-cni is a CNI plugin, "
			"run by a container runtime (ADD, DEL, CHECK, "
			"VERSION)");
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
		if (!strcmp(s, cmds[i].name)) {
			*cmd = cmds[i].cmd;
			if (*cmd == CMD_STATUS || *cmd == CMD_GC)
				return mi_err_setx(
					err, MI_CNI_ERR_VERSION, -EINVAL,
					"CNI_COMMAND %s is CNI 1.1; "
					"meshinit-cni implements 0.3.0 to "
					"1.0.0",
					s);
			return 0;
		}
	return mi_err_setx(
		err, MI_CNI_ERR_ENV, -EINVAL,
		"unknown CNI_COMMAND \"%.64s\" (ADD, DEL, CHECK, VERSION)", s);
}

/* The spec's required variables, as the CNI library checks them. */
static int check_env(struct cni_run *r, struct mi_err *err)
{
	const struct cni_env *e = &r->env;
	char missing[128] = "";

#define NEED(v, name)      \
	if (!(v) || !*(v)) \
	strcat(missing, missing[0] ? ", " name : name)
	NEED(e->containerid, "CNI_CONTAINERID");
	if (r->cmd != CMD_DEL)
		NEED(e->netns, "CNI_NETNS");
	NEED(e->ifname, "CNI_IFNAME");
	NEED(e->path, "CNI_PATH");
#undef NEED
	if (missing[0])
		return mi_err_setx(err, MI_CNI_ERR_ENV, -EINVAL,
				   "required environment variables missing: %s",
				   missing);
	if (e->netns && *e->netns && e->netns[0] != '/')
		return mi_err_setx(
			err, MI_CNI_ERR_ENV, -EINVAL,
			"CNI_NETNS \"%.200s\" is not an absolute path",
			e->netns);
	return mi_cni_args_parse(e->args, &r->args, err);
}

/*
 * The runtime must never hand us the node's own namespace (ours, or that
 * of pid 1); if it does (a slip), nothing may change there.
 */
static int netns_is_own(const char *path, bool *own, struct mi_err *err)
{
	struct stat a, b;
	int ret;

	*own = false;
	if (stat(path, &a) < 0) {
		ret = -errno;
		return mi_err_setx(err, MI_CNI_ERR_CONTAINER, ret,
				   "network namespace %s: %s", path,
				   strerror(-ret));
	}
	/* ours, or init's (the machine's own, also when we run elsewhere) */
	if (stat("/proc/self/ns/net", &b) == 0 && a.st_dev == b.st_dev &&
	    a.st_ino == b.st_ino)
		*own = true;
	if (stat("/proc/1/ns/net", &b) == 0 && a.st_dev == b.st_dev &&
	    a.st_ino == b.st_ino)
		*own = true;
	return 0;
}

/* ---- ADD and CHECK ------------------------------------------------------ */

static bool is_agent_pod(const struct cni_run *r)
{
	return !strncmp(r->args.pod_name, ISTIO_CNI_POD_PREFIX,
			strlen(ISTIO_CNI_POD_PREFIX)) &&
	       !strcmp(r->args.pod_namespace, r->conf.pod_namespace);
}

/*
 * The pod's configuration: 1 when the pod is left alone (logged), 0 with
 * @cli filled, or -errno.
 */
static int pod_config(struct cni_run *r, struct mi_cli *cli, struct mi_err *err)
{
	const char *ns = r->args.pod_namespace, *name = r->args.pod_name;
	struct mi_cni_pod_plan plan;
	struct mi_kube kc;
	json_object *pod = NULL;
	int ret;

	mi_config_init(&cli->cfg);
	if (!*ns || !*name) {
		mi_info(&r->log,
			"not a Kubernetes pod (no "
			"K8S_POD_NAMESPACE/K8S_POD_NAME in CNI_ARGS); leaving "
			"it alone");
		return 1;
	}
	if (is_agent_pod(r)) {
		mi_info(&r->log,
			"pod %s/%s looks like the CNI node agent's own pod; "
			"leaving it alone",
			ns, name);
		return 1;
	}
	if (mi_cni_conf_excludes(&r->conf, ns)) {
		mi_info(&r->log, "pod %s/%s: namespace %s excluded", ns, name,
			ns);
		return 1;
	}
	if (r->conf.ambient_enabled)
		mi_log(&r->log, MI_LOG_DEBUG,
		       "ambient_enabled is set; meshinit-cni handles sidecar "
		       "pods only");
	ret = mi_kube_config_load(r->conf.kubeconfig, &kc, err);
	if (ret < 0)
		return ret;
	ret = mi_kube_get_pod(&kc, ns, name, r->conf.api_retries,
			      r->conf.api_interval_ms, &r->log, &pod, err);
	mi_kube_release(&kc);
	if (ret < 0)
		return ret;
	ret = mi_cni_pod_derive(pod, r->envp, &plan, err);
	json_object_put(pod);
	if (ret < 0) {
		mi_err_prefix(err, "pod %s/%s", ns, name);
		goto out;
	}
	for (unsigned int i = 0; i < plan.n_warn; i++)
		mi_warn(&r->log, "pod %s/%s: %s", ns, name, plan.warn[i]);
	if (plan.action == MI_CNI_POD_SKIP) {
		mi_info(&r->log, "pod %s/%s %s; leaving it alone", ns, name,
			plan.reason);
		ret = 1;
		goto out;
	}
	mi_config_release(&cli->cfg);
	ret = mi_cli_parse(plan.argc, plan.argv, plan.envp, cli, err);
	if (ret < 0) {
		mi_cni_pod_blame(err);
		mi_err_prefix(err, "pod %s/%s", ns, name);
		err->exit = MI_CNI_ERR_POD;
		goto out;
	}
	if (r->log.level <= MI_LOG_DEBUG) {
		char line[2048] = "";

		for (int i = 1; i < plan.argc; i++)
			snprintf(line + strlen(line),
				 sizeof(line) - strlen(line), " %s",
				 plan.argv[i]);
		mi_log(&r->log, MI_LOG_DEBUG,
		       "pod %s/%s: meshinit configuration:%s", ns, name, line);
	}
out:
	mi_cni_pod_release(&plan);
	return ret;
}

/* Enter CNI_NETNS, refusing the node's own namespace. */
static int enter(struct cni_run *r, struct mi_err *err)
{
	bool own;
	int ret = netns_is_own(r->env.netns, &own, err);

	if (ret < 0)
		return ret;
	if (own)
		return mi_err_setx(
			err, MI_CNI_ERR_ENV, -EINVAL,
			"CNI_NETNS %s is the node's own network namespace; "
			"refusing to change it",
			r->env.netns);
	ret = mi_netns_enter(r->env.netns, err);
	if (ret < 0)
		err->exit = MI_CNI_ERR_CONTAINER;
	return ret;
}

static int cmd_add(struct cni_run *r, struct mi_err *err)
{
	struct mi_cli cli;
	int ret = pod_config(r, &cli, err);

	if (ret < 0)
		goto fail;
	if (ret == 1)
		goto done;
	ret = enter(r, err);
	if (ret < 0)
		goto fail;
	mi_info(&r->log, "pod %s/%s: programming the capture in %s",
		r->args.pod_namespace, r->args.pod_name, r->env.netns);
	ret = mi_run_apply(&cli.cfg, &r->log, r->logf ? r->logf : stderr, err);
	if (ret < 0) {
		err->exit = MI_CNI_ERR_APPLY;
		mi_err_prefix(err, "pod %s/%s: nothing was applied",
			      r->args.pod_namespace, r->args.pod_name);
		goto fail;
	}
done:
	mi_config_release(&cli.cfg);
	return pass_through(r);
fail:
	mi_config_release(&cli.cfg);
	return cni_error(r, err, NULL);
}

static int cmd_check(struct cni_run *r, struct mi_err *err)
{
	struct mi_cli cli;
	unsigned int warn = 0;
	char *report = NULL;
	size_t len = 0;
	FILE *f;
	int ret, code;

	if (!mi_cni_version_has_check(r->conf.cni_version)) {
		mi_err_setx(
			err, MI_CNI_ERR_VERSION, -EINVAL,
			"CHECK is not defined for CNI version %s (0.4.0 and "
			"later)",
			r->conf.cni_version);
		return cni_error(r, err, NULL);
	}
	ret = pod_config(r, &cli, err);
	if (ret == 1) {
		mi_config_release(&cli.cfg);
		return 0;
	}
	if (ret == 0)
		ret = enter(r, err);
	if (ret == 0)
		ret = mi_detect(&cli.cfg, &warn, err);
	if (ret == 0) {
		mi_run_log_warnings(&r->log, warn);
		f = open_memstream(&report, &len);
		if (!f) {
			ret = mi_err_setx(err, MI_CNI_ERR_IO, -ENOMEM,
					  "out of memory");
		} else {
			ret = mi_verify_run(&cli.cfg, true, f, err);
			fclose(f);
			if (ret < 0 && err->exit == MI_EXIT_DRIFT) {
				mi_err_prefix(
					err,
					"pod %s/%s: the rules in %s differ "
					"from the pod's configuration",
					r->args.pod_namespace, r->args.pod_name,
					r->env.netns);
				err->exit = MI_CNI_ERR_DRIFT;
			} else if (ret < 0 &&
				   err->exit == MI_EXIT_NOT_INSTALLED) {
				mi_err_prefix(
					err,
					"pod %s/%s: no capture installed in %s",
					r->args.pod_namespace, r->args.pod_name,
					r->env.netns);
				err->exit = MI_CNI_ERR_DRIFT;
			} else if (ret < 0) {
				err->exit = MI_CNI_ERR_IO;
			}
		}
	}
	mi_config_release(&cli.cfg);
	if (ret < 0) {
		code = cni_error(r, err, report);
		free(report);
		return code;
	}
	mi_info(&r->log, "pod %s/%s: %s", r->args.pod_namespace,
		r->args.pod_name,
		report && *report ? strtok(report, "\n") : "in sync");
	free(report);
	return 0;
}

/*
 * DEL: everything meshinit-cni installs lives in the pod's namespace and
 * goes with it. When the namespace is still there (a failed ADD being
 * rolled back, say), meshinit's table and routes are removed; a namespace
 * that is gone, or a removal that fails, is not an error.
 */
static int cmd_del(struct cni_run *r, struct mi_err *err)
{
	struct mi_err e = { 0 };
	struct mi_config cfg;
	bool own;

	(void)err;
	if (!r->env.netns || !*r->env.netns) {
		mi_info(&r->log, "DEL without CNI_NETNS: nothing to remove");
		return 0;
	}
	if (netns_is_own(r->env.netns, &own, &e) < 0) {
		mi_info(&r->log, "DEL: %s; nothing to remove", e.msg);
		return 0;
	}
	if (own) {
		mi_warn(&r->log,
			"DEL: CNI_NETNS %s is the node's own network "
			"namespace; leaving it alone",
			r->env.netns);
		return 0;
	}
	mi_config_init(&cfg);
	if (mi_netns_enter(r->env.netns, &e) < 0 ||
	    mi_run_cleanup(&cfg, &r->log, r->logf ? r->logf : stderr, &e) < 0)
		mi_warn(&r->log,
			"DEL: could not remove meshinit's rules from %s (they "
			"go with the namespace): %s",
			r->env.netns, e.msg);
	mi_config_release(&cfg);
	return 0;
}

/* ---- main --------------------------------------------------------------- */

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"%s %s: a chained CNI plugin that programs a meshed pod's "
		"traffic capture\n"
		"(meshinit's nftables rules) from the node, as Istio's "
		"istio-cni plugin does.\n"
		"It is run by a container runtime with "
		"CNI_COMMAND=ADD|DEL|CHECK|VERSION and\n"
		"the network configuration on stdin (CNI spec 0.3.0, 0.3.1, "
		"0.4.0, 1.0.0).\n"
		"See the meshinit README, section \"CNI plugin\".\n",
		prog, MI_VERSION);
}

static int run(struct cni_run *r, FILE *in, FILE *logf, struct mi_err *err)
{
	char *text = NULL;
	size_t len = 0;
	int ret;

	ret = parse_command(r->env.command, &r->cmd, err);
	if (ret < 0)
		goto early;
	if (r->cmd == CMD_VERSION) {
		/* the input only says which version the runtime speaks */
		if (read_stdin(in, &text, &len, err) == 0 && len)
			mi_cni_conf_parse(text, len, &r->conf, err);
		memset(err, 0, sizeof(*err));
		free(text);
		log_open(r, logf, false);
		return version_result(r);
	}
	ret = read_stdin(in, &text, &len, err);
	if (ret == 0)
		ret = mi_cni_conf_parse(text, len, &r->conf, err);
	free(text);
	if (ret < 0)
		goto early;
	log_open(r, logf, true);
	ret = check_env(r, err);
	if (ret < 0)
		return cni_error(r, err, NULL);
	switch (r->cmd) {
	case CMD_ADD:
		return cmd_add(r, err);
	case CMD_CHECK:
		return cmd_check(r, err);
	default:
		return cmd_del(r, err);
	}
early:
	log_open(r, logf, false);
	return cni_error(r, err, NULL);
}

int mi_cni_main(int argc, char *argv[], char *envp[], FILE *in, FILE *out,
		FILE *logf)
{
	struct mi_err err = { 0 };
	struct cni_run r;
	const char *prog = argc > 0 ? strrchr(argv[0], '/') : NULL;
	int code;

	prog = prog ? prog + 1 : argc > 0 ? argv[0] : "meshinit-cni";
	memset(&r, 0, sizeof(r));
	r.envp = envp;
	r.out = out;
	r.env.command = env_get(envp, "CNI_COMMAND");
	r.env.containerid = env_get(envp, "CNI_CONTAINERID");
	r.env.netns = env_get(envp, "CNI_NETNS");
	r.env.ifname = env_get(envp, "CNI_IFNAME");
	r.env.args = env_get(envp, "CNI_ARGS");
	r.env.path = env_get(envp, "CNI_PATH");
	if (!r.env.command && argc > 1 &&
	    (!strcmp(argv[1], "--version") || !strcmp(argv[1], "--help") ||
	     !strcmp(argv[1], "-h"))) {
		usage(stdout, prog);
		return 0;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		mi_err_setx(&err, MI_CNI_ERR_AGAIN, -ENOMEM,
			    "cannot initialise libcurl");
		log_open(&r, logf, false);
		code = cni_error(&r, &err, NULL);
		fflush(out);
		log_close(&r);
	} else {
		code = run(&r, in, logf, &err);
		fflush(out);
		/* may still use libcurl (the agent's log socket) */
		log_close(&r);
		curl_global_cleanup();
	}
	mi_cni_conf_release(&r.conf);
	return code;
}
