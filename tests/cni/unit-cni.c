/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests of meshinit-cni's pure parts: the network configuration,
 * CNI_ARGS, the kubeconfig, Pod -> configuration (Istio's decisions and
 * derivation), and the plugin's JSON answers for VERSION and bad input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#include "cli.h"
#include "cni.h"
#include "cniconf.h"
#include "cnipod.h"
#include "kube.h"

/* the istio-cni entry of a conflist as Istio's node agent writes it */
static const char istio_entry[] =
	"{\"cniVersion\":\"0.3.1\",\"name\":\"k8s-pod-network\","
	"\"ambient_enabled\":false,\"cni_agent_run_dir\":\"/var/run/istio-cni\""
	","
	"\"dns\":{},\"enable_ambient_detection_retry\":false,\"enablement_selec"
	"tors\":[],"
	"\"exclude_namespaces\":[\"kube-system\",\"istio-system\"],\"ipam\":{},"
	"\"native_nftables\":false,\"plugin_log_level\":\"debug\","
	"\"pod_namespace\":\"istio-system\",\"type\":\"istio-cni\","
	"\"prevResult\":{\"cniVersion\":\"0.3.1\",\"ips\":[{\"version\":\"4\","
	"\"address\":\"10.1.0.5/16\"}]}}";

static int conf(const char *text, struct mi_cni_conf *c, struct mi_err *err)
{
	memset(err, 0, sizeof(*err));
	return mi_cni_conf_parse(text, strlen(text), c, err);
}

static void test_conf__istio_entry(void)
{
	struct mi_cni_conf c;
	struct mi_err err;

	CHECK_EQ_INT(conf(istio_entry, &c, &err), 0);
	CHECK_EQ_STR(c.cni_version, "0.3.1");
	CHECK_EQ_STR(c.type, "istio-cni");
	CHECK_EQ_STR(c.plugin_log_level, "debug");
	CHECK_EQ_STR(c.pod_namespace, "istio-system");
	CHECK_EQ_STR(c.kubeconfig, "/var/run/istio-cni/istio-cni-kubeconfig");
	CHECK_EQ_INT(c.n_exclude_ns, 2);
	CHECK(mi_cni_conf_excludes(&c, "kube-system"));
	CHECK(!mi_cni_conf_excludes(&c, "default"));
	CHECK(c.prev_result != NULL);
	CHECK_EQ_INT(c.api_retries, 30);
	CHECK_EQ_INT(c.api_interval_ms, 1000);
	mi_cni_conf_release(&c);
}

static void test_conf__defaults_and_old_kubeconfig(void)
{
	struct mi_cni_conf c;
	struct mi_err err;

	CHECK_EQ_INT(
		conf("{\"cniVersion\":\"1.0.0\",\"type\":\"meshinit-cni\","
		     "\"exclude_namespaces\":null,"
		     "\"kubernetes\":{\"kubeconfig\":\"/etc/cni/net.d/ZZZ-istio"
		     "-cni-kubeconfig\"},"
		     "\"meshinit\":{\"api_retries\":3,\"api_retry_interval\":\""
		     "200ms\"}}",
		     &c, &err),
		0);
	CHECK_EQ_STR(c.agent_run_dir, "/var/run/istio-cni");
	CHECK_EQ_STR(c.kubeconfig, "/etc/cni/net.d/ZZZ-istio-cni-kubeconfig");
	CHECK_EQ_STR(c.plugin_log_level, "");
	CHECK_EQ_INT(c.n_exclude_ns, 0);
	CHECK(c.prev_result == NULL);
	CHECK_EQ_INT(c.api_retries, 3);
	CHECK_EQ_INT(c.api_interval_ms, 200);
	mi_cni_conf_release(&c);
	CHECK_EQ_INT(
		conf("{\"cniVersion\":\"0.4.0\",\"cni_agent_run_dir\":\"/run/x"
		     "\"}",
		     &c, &err),
		0);
	CHECK_EQ_STR(c.kubeconfig, "/run/x/istio-cni-kubeconfig");
	mi_cni_conf_release(&c);
}

static void test_conf__bad_input(void)
{
	static const struct {
		const char *text;
		int code;
		const char *msg;
	} cases[] = {
		{ "", MI_CNI_ERR_DECODE, "empty input" },
		{ "{\"cniVersion\":\"1.0.0\"", MI_CNI_ERR_DECODE,
		  "failed to parse" },
		{ "{\"cniVersion\":\"1.0.0\"} x", MI_CNI_ERR_DECODE,
		  "failed to parse" },
		{ "{'cniVersion':'1.0.0'}", MI_CNI_ERR_DECODE,
		  "failed to parse" },
		{ "[1,2]", MI_CNI_ERR_DECODE, "expected a JSON object" },
		{ "{\"cniVersion\":\"9.9.9\"}", MI_CNI_ERR_VERSION,
		  "\"9.9.9\"" },
		{ "{\"cniVersion\":\"0.2.0\"}", MI_CNI_ERR_VERSION,
		  "incompatible" },
		{ "{\"type\":\"istio-cni\"}", MI_CNI_ERR_VERSION, "missing" },
		{ "{\"cniVersion\":1}", MI_CNI_ERR_CONFIG,
		  "\"cniVersion\" must be a string" },
		{ "{\"cniVersion\":\"1.0.0\",\"exclude_namespaces\":\"kube-syst"
		  "em\"}",
		  MI_CNI_ERR_CONFIG, "exclude_namespaces" },
		{ "{\"cniVersion\":\"1.0.0\",\"exclude_namespaces\":[1]}",
		  MI_CNI_ERR_CONFIG, "item 1" },
		{ "{\"cniVersion\":\"1.0.0\",\"native_nftables\":\"yes\"}",
		  MI_CNI_ERR_CONFIG, "native_nftables" },
		{ "{\"cniVersion\":\"1.0.0\",\"prevResult\":[]}",
		  MI_CNI_ERR_CONFIG, "prevResult" },
		{ "{\"cniVersion\":\"1.0.0\",\"meshinit\":{\"api_retries\":0}}",
		  MI_CNI_ERR_CONFIG, "api_retries" },
		{ "{\"cniVersion\":\"1.0.0\",\"meshinit\":{\"api_retry_interval"
		  "\":\"soon\"}}",
		  MI_CNI_ERR_CONFIG, "\"soon\"" },
	};
	struct mi_cni_conf c;
	struct mi_err err;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		if (!CHECK(conf(cases[i].text, &c, &err) < 0))
			NOTE("accepted: %s", cases[i].text);
		CHECK_EQ_INT(err.exit, cases[i].code);
		CHECK_CONTAINS(err.msg, cases[i].msg);
		mi_cni_conf_release(&c);
	}
}

static void test_args__parse(void)
{
	struct mi_cni_args a;
	struct mi_err err = { 0 };

	CHECK_EQ_INT(
		mi_cni_args_parse(
			"IgnoreUnknown=1;K8S_POD_NAMESPACE=default;"
			"K8S_POD_NAME=app-1;K8S_POD_INFRA_CONTAINER_ID=abc;"
			"K8S_POD_UID=u-1;FOO=bar",
			&a, &err),
		0);
	CHECK_EQ_STR(a.pod_namespace, "default");
	CHECK_EQ_STR(a.pod_name, "app-1");
	CHECK_EQ_STR(a.pod_uid, "u-1");
	CHECK_EQ_INT(mi_cni_args_parse(NULL, &a, &err), 0);
	CHECK_EQ_STR(a.pod_name, "");
	CHECK(mi_cni_args_parse("K8S_POD_NAME=x;FOO=bar", &a, &err) < 0);
	CHECK_CONTAINS(err.msg, "unknown argument \"FOO\"");
	CHECK_EQ_INT(err.exit, MI_CNI_ERR_ENV);
	memset(&err, 0, sizeof(err));
	CHECK(mi_cni_args_parse("K8S_POD_NAME", &a, &err) < 0);
	CHECK_CONTAINS(err.msg, "invalid pair");
}

/* ---- kubeconfig ---- */

static const char kubeconfig_tls[] =
	"apiVersion: v1\n"
	"clusters:\n"
	"- cluster:\n"
	"    certificate-authority-data: "
	"LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==\n"
	"    server: https://10.96.0.1:443\n"
	"  name: local\n"
	"contexts:\n"
	"- context:\n"
	"    cluster: local\n"
	"    user: istio-cni\n"
	"  name: istio-cni-context\n"
	"current-context: istio-cni-context\n"
	"kind: Config\n"
	"users:\n"
	"- name: istio-cni\n"
	"  user:\n"
	"    token: service_account_token_string\n";

static void test_kube__istio_kubeconfig(void)
{
	struct mi_kube kc;
	struct mi_err err = { 0 };

	CHECK_EQ_INT(mi_kube_config_parse(kubeconfig_tls,
					  strlen(kubeconfig_tls), "/x", &kc,
					  &err),
		     0);
	CHECK_EQ_STR(kc.server, "https://10.96.0.1:443");
	CHECK_EQ_STR(kc.ca_data, "-----BEGIN CERTIFICATE-----\n");
	CHECK_EQ_INT(kc.ca_len, 28);
	CHECK_EQ_STR(kc.token, "service_account_token_string");
	CHECK(!kc.insecure && !kc.cert_data && !kc.token_file);
	mi_kube_release(&kc);
}

static void test_kube__files_and_certs(void)
{
	static const char text[] =
		"{\"current-context\":\"c\",\"contexts\":[{\"name\":\"c\",\"con"
		"text\":{\"cluster\":\"k\",\"user\":\"u\"}}],"
		"\"clusters\":[{\"name\":\"k\",\"cluster\":{\"server\":\"https:"
		"//api:6443\",\"certificate-authority\":\"ca.crt\"}}],"
		"\"users\":[{\"name\":\"u\",\"user\":{\"client-certificate-data"
		"\":\"Y2VydA==\",\"client-key\":\"/k/key.pem\",\"tokenFile\":\""
		"tok\"}}]}";
	struct mi_kube kc;
	struct mi_err err = { 0 };

	CHECK_EQ_INT(
		mi_kube_config_parse(text, strlen(text), "/etc/kc", &kc, &err),
		0);
	CHECK_EQ_STR(kc.ca_file, "/etc/kc/ca.crt");
	CHECK_EQ_STR(kc.cert_data, "cert");
	CHECK_EQ_STR(kc.key_file, "/k/key.pem");
	CHECK_EQ_STR(kc.token_file, "/etc/kc/tok");
	mi_kube_release(&kc);
}

static void test_kube__bad(void)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{ "clusters: [\n  - a: b\n", "YAML error" },
		{ "- a\n- b\n", "not a kubeconfig" },
		{ "clusters: []\n", "current-context is not set" },
		{ "current-context: x\ncontexts: []\n",
		  "\"x\" is not among the contexts" },
		{ "current-context: x\ncontexts:\n- name: x\n  context: "
		  "{cluster: k}\n",
		  "no known cluster" },
		{ "current-context: x\ncontexts:\n- name: x\n  context: "
		  "{cluster: k}\n"
		  "clusters:\n- name: k\n  cluster: {server: 'ftp://x'}\n",
		  "no https://" },
		{ "current-context: x\ncontexts:\n- name: x\n  context: "
		  "{cluster: k}\n"
		  "clusters:\n- name: k\n  cluster: {server: 'https://x', "
		  "certificate-authority-data: '@@'}\n",
		  "not valid base64" },
		{ "current-context: x\ncontexts:\n- name: x\n  context: "
		  "{cluster: k, user: u}\n"
		  "clusters:\n- name: k\n  cluster: {server: 'https://x'}\n"
		  "users:\n- name: u\n  user: {client-certificate: /c}\n",
		  "without a key" },
	};
	struct mi_kube kc;
	struct mi_err err;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		memset(&err, 0, sizeof(err));
		CHECK(mi_kube_config_parse(cases[i].text, strlen(cases[i].text),
					   "", &kc, &err) < 0);
		CHECK_EQ_INT(err.exit, MI_CNI_ERR_KUBECONFIG);
		CHECK_CONTAINS(err.msg, cases[i].msg);
		mi_kube_release(&kc);
	}
}

/* ---- Pod -> configuration ---- */

/* A Pod as Istio's injector writes it in CNI mode, with @ann and @env added. */
static json_object *pod(const char *ann, const char *proxy_extra,
			const char *init)
{
	char buf[8192];
	json_object *o;

	snprintf(
		buf, sizeof(buf),
		"{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\""
		":\"app\",\"namespace\":\"default\","
		"\"labels\":{\"app\":\"app\",\"security.istio.io/tlsMode\":\"is"
		"tio\"},"
		"\"annotations\":{\"sidecar.istio.io/status\":\"{\\\"initContai"
		"ners\\\":[\\\"istio-validation\\\"],\\\"containers\\\":[\\\"is"
		"tio-proxy\\\"]}\","
		"\"kubectl.kubernetes.io/default-container\":\"app\"%s}},"
		"\"spec\":{\"initContainers\":[%s{\"name\":\"istio-validation\""
		",\"image\":\"meshinit\","
		"\"args\":[\"istio-iptables\",\"-p\",\"15001\",\"--run-validati"
		"on\",\"--skip-rule-apply\"],"
		"\"securityContext\":{\"runAsUser\":1337,\"runAsGroup\":1337}}]"
		","
		"\"containers\":[{\"name\":\"app\",\"image\":\"app\"},"
		"{\"name\":\"istio-proxy\",\"image\":\"proxyv2\",\"args\":[\"pr"
		"oxy\",\"sidecar\",\"--domain\",\"x\"],"
		"\"env\":[{\"name\":\"PILOT_CERT_PROVIDER\",\"value\":\"istiod"
		"\"},"
		"{\"name\":\"POD_NAME\",\"valueFrom\":{\"fieldRef\":{\"fieldPat"
		"h\":\"metadata.name\"}}}%s],"
		"\"securityContext\":{\"runAsUser\":1337,\"runAsGroup\":1337}}]"
		"}}",
		ann, init, proxy_extra);
	o = json_tokener_parse(buf);
	if (!o)
		printf("# bad test pod JSON: %s\n", buf);
	return o;
}

static int derive(json_object *p, char *const env[],
		  struct mi_cni_pod_plan *plan, struct mi_err *err)
{
	int ret;

	memset(err, 0, sizeof(*err));
	ret = mi_cni_pod_derive(p, env, plan, err);
	json_object_put(p);
	return ret;
}

static char *joined(const struct mi_cni_pod_plan *plan)
{
	static char buf[4096];

	buf[0] = '\0';
	for (int i = 1; i < plan->argc; i++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s",
			 i > 1 ? " " : "", plan->argv[i]);
	return buf;
}

static void test_pod__istio_defaults(void)
{
	struct mi_cni_pod_plan plan;
	struct mi_err err;
	struct mi_cli cli;

	CHECK_EQ_INT(derive(pod("", "", ""), NULL, &plan, &err), 0);
	CHECK_EQ_INT(plan.action, MI_CNI_POD_CAPTURE);
	CHECK_EQ_STR(joined(&plan),
		     "--envoy-port=15001 --inbound-capture-port=15006 "
		     "--proxy-uid=1337 --proxy-gid=1337 "
		     "--istio-inbound-interception-mode=REDIRECT "
		     "--istio-service-cidr=* "
		     "--istio-service-exclude-cidr= --istio-inbound-ports=* "
		     "--istio-local-exclude-ports=15020,15021,15090 "
		     "--istio-local-outbound-ports-exclude=15020 "
		     "--istio-outbound-ports= "
		     "--istio-exclude-interfaces= --kube-virt-interfaces=");
	CHECK(plan.envp[0] == NULL);
	CHECK_EQ_INT(mi_cli_parse(plan.argc, plan.argv, plan.envp, &cli, &err),
		     0);
	CHECK(!cli.cfg.tproxy && !cli.cfg.redirect_dns &&
	      cli.cfg.proxy_port == 15001);
	CHECK_EQ_INT(cli.cfg.outbound, MI_CAPTURE_ALL);
	mi_config_release(&cli.cfg);
	mi_cni_pod_release(&plan);
}

static void test_pod__annotations_env_ids(void)
{
	char *env[] = { (char *)"PATH=/bin",
			(char *)"ISTIO_OUTBOUND_OWNER_GROUPS_EXCLUDE=999",
			(char *)"REDIRECT_DNS=true", NULL };
	struct mi_cni_pod_plan plan;
	struct mi_err err;
	struct mi_cli cli;
	json_object *p = pod(
		",\"sidecar.istio.io/interceptionMode\":\"TPROXY\","
		"\"traffic.sidecar.istio.io/excludeInboundPorts\":\" "
		"8080,15021 \","
		"\"traffic.sidecar.istio.io/includeOutboundIPRanges\":\"10.0.0."
		"0/8,fd00::/8\","
		"\"traffic.sidecar.istio.io/excludeOutboundPorts\":\"5432\","
		"\"traffic.sidecar.istio.io/kubevirtInterfaces\":\"old0\","
		"\"istio.io/reroute-virtual-interfaces\":\"net1\","
		"\"meshinit.io/exclude-outbound-uids\":\"1001\","
		"\"meshinit.io/exclude-outbound-ports-for-uids\":\"tcp:443:1002"
		"\"",
		",{\"name\":\"ISTIO_META_DNS_CAPTURE\",\"value\":\"true\"},"
		"{\"name\":\"ISTIO_DUAL_STACK\",\"value\":\"1\"},"
		"{\"name\":\"INVALID_DROP\",\"value\":\"maybe\"}",
		"");

	/* runAsUser/runAsGroup of istio-proxy */
	json_object *spec, *cs, *proxy, *sc;
	json_object_object_get_ex(p, "spec", &spec);
	json_object_object_get_ex(spec, "containers", &cs);
	proxy = json_object_array_get_idx(cs, 1);
	json_object_object_get_ex(proxy, "securityContext", &sc);
	json_object_object_add(sc, "runAsUser", json_object_new_int(2000));
	json_object_object_del(sc, "runAsGroup");

	CHECK_EQ_INT(derive(p, env, &plan, &err), 0);
	CHECK_CONTAINS(joined(&plan), "--proxy-uid=2000 --proxy-gid=1337 ");
	CHECK_CONTAINS(joined(&plan),
		       "--istio-inbound-interception-mode=TPROXY");
	CHECK_CONTAINS(joined(&plan),
		       "--istio-local-exclude-ports=8080,15021,15020,15090 ");
	CHECK_CONTAINS(joined(&plan),
		       "--istio-service-cidr=10.0.0.0/8,fd00::/8 ");
	CHECK_CONTAINS(joined(&plan),
		       "--istio-local-outbound-ports-exclude=5432 ");
	CHECK_CONTAINS(joined(&plan), "--kube-virt-interfaces=net1 ");
	CHECK_CONTAINS(joined(&plan),
		       "--redirect-dns --capture-all-dns --dual-stack ");
	CHECK(!strstr(joined(&plan), "--drop-invalid"));
	CHECK_CONTAINS(joined(&plan),
		       "--exclude-outbound-uids=1001 "
		       "--exclude-outbound-ports-for-uids=tcp:443:1002");
	CHECK_EQ_INT(plan.n_warn, 1);
	CHECK_CONTAINS(plan.warn[0], "INVALID_DROP=\"maybe\"");
	CHECK_EQ_STR(plan.envp[0], "ISTIO_OUTBOUND_OWNER_GROUPS_EXCLUDE=999");
	CHECK(plan.envp[1] == NULL); /* REDIRECT_DNS of the node is not read */
	CHECK_EQ_INT(mi_cli_parse(plan.argc, plan.argv, plan.envp, &cli, &err),
		     0);
	CHECK(cli.cfg.tproxy && cli.cfg.redirect_dns &&
	      cli.cfg.capture_all_dns && cli.cfg.dual_stack);
	CHECK(!cli.cfg.drop_invalid);
	CHECK_EQ_INT(cli.cfg.exclude_uids.n, 1);
	mi_config_release(&cli.cfg);
	mi_cni_pod_release(&plan);
}

static void test_pod__left_alone(void)
{
	static const struct {
		const char *ann, *env, *init, *reason;
	} cases[] = {
		{ "", "", "{\"name\":\"istio-init\"},", "istio-init" },
		{ "", ",{\"name\":\"DISABLE_ENVOY\",\"value\":\"true\"}", "",
		  "DISABLE_ENVOY" },
		{ ",\"sidecar.istio.io/inject\":\"false\"", "", "",
		  "inject-disabled" },
	};
	struct mi_cni_pod_plan plan;
	struct mi_err err;
	json_object *p, *meta, *ann, *spec, *cs, *proxy, *args;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		CHECK_EQ_INT(
			derive(pod(cases[i].ann, cases[i].env, cases[i].init),
			       NULL, &plan, &err),
			0);
		CHECK_EQ_INT(plan.action, MI_CNI_POD_SKIP);
		CHECK_CONTAINS(plan.reason, cases[i].reason);
		mi_cni_pod_release(&plan);
	}
	/* no sidecar.istio.io/status */
	p = pod("", "", "");
	json_object_object_get_ex(p, "metadata", &meta);
	json_object_object_get_ex(meta, "annotations", &ann);
	json_object_object_del(ann, "sidecar.istio.io/status");
	CHECK_EQ_INT(derive(p, NULL, &plan, &err), 0);
	CHECK_EQ_INT(plan.action, MI_CNI_POD_SKIP);
	CHECK_CONTAINS(plan.reason, "not containing sidecar annotation");
	mi_cni_pod_release(&plan);
	/* the label wins over the annotation: label true, annotation false */
	p = pod(",\"sidecar.istio.io/inject\":\"false\"", "", "");
	json_object_object_get_ex(p, "metadata", &meta);
	json_object_object_get_ex(meta, "labels", &ann);
	json_object_object_add(ann, "sidecar.istio.io/inject",
			       json_object_new_string("true"));
	CHECK_EQ_INT(derive(p, NULL, &plan, &err), 0);
	CHECK_EQ_INT(plan.action, MI_CNI_POD_CAPTURE);
	mi_cni_pod_release(&plan);
	/* a gateway: proxy router */
	p = pod("", "", "");
	json_object_object_get_ex(p, "spec", &spec);
	json_object_object_get_ex(spec, "containers", &cs);
	proxy = json_object_array_get_idx(cs, 1);
	json_object_object_get_ex(proxy, "args", &args);
	json_object_array_put_idx(args, 1, json_object_new_string("router"));
	CHECK_EQ_INT(derive(p, NULL, &plan, &err), 0);
	CHECK_EQ_INT(plan.action, MI_CNI_POD_SKIP);
	CHECK_CONTAINS(plan.reason, "proxy type router");
	mi_cni_pod_release(&plan);
	/* no istio-proxy at all */
	p = pod("", "", "");
	json_object_object_get_ex(p, "spec", &spec);
	json_object_object_get_ex(spec, "containers", &cs);
	json_object_array_del_idx(cs, 1, 1);
	CHECK_EQ_INT(derive(p, NULL, &plan, &err), 0);
	CHECK_EQ_INT(plan.action, MI_CNI_POD_SKIP);
	CHECK_CONTAINS(
		plan.reason,
		"does not have istio-proxy container (have [istio-validation "
		"app])");
	mi_cni_pod_release(&plan);
}

static json_object *native_sidecar_pod(void)
{
	json_object *p = pod("", "",
			     "{\"name\":\"istio-proxy\",\"restartPolicy\":"
			     "\"Always\",\"args\":[\"proxy\",\"sidecar\"],"
			     "\"securityContext\":{\"runAsUser\":1500,"
			     "\"runAsGroup\":1600}},");
	json_object *spec, *cs;

	json_object_object_get_ex(p, "spec", &spec);
	json_object_object_get_ex(spec, "containers", &cs);
	json_object_array_del_idx(cs, 1, 1);	/* no regular istio-proxy */
	return p;
}

static void test_pod__native_sidecar_proxy(void)
{
	struct mi_cni_pod_plan plan;
	struct mi_err err;

	/* istio-proxy as an init container (restartPolicy Always) */
	CHECK_EQ_INT(derive(native_sidecar_pod(), NULL, &plan, &err), 0);
	CHECK_EQ_INT(plan.action, MI_CNI_POD_CAPTURE);
	CHECK_CONTAINS(joined(&plan), "--proxy-uid=1500 --proxy-gid=1600 ");
	mi_cni_pod_release(&plan);
}

static void test_pod__invalid_annotations(void)
{
	static const struct {
		const char *ann, *msg;
	} cases[] = {
		{ ",\"sidecar.istio.io/interceptionMode\":\"tproxy\"",
		  "expected REDIRECT or TPROXY" },
		{ ",\"traffic.sidecar.istio.io/includeInboundPorts\":\"80,http"
		  "\"",
		  "includeInboundPorts" },
		{ ",\"traffic.sidecar.istio.io/excludeOutboundPorts\":\"80,\"",
		  "excludeOutboundPorts" },
		{ ",\"traffic.sidecar.istio.io/includeInboundPorts\":\"8000-900"
		  "0\"",
		  "list of ports" },
		{ ",\"traffic.sidecar.istio.io/excludeOutboundIPRanges\":\"10.0"
		  ".0.0/8, 1.1.1.1/32\"",
		  "no blanks" },
		{ ",\"traffic.sidecar.istio.io/includeOutboundIPRanges\":\"10.0"
		  ".0.1\"",
		  "includeOutboundIPRanges" },
	};
	struct mi_cni_pod_plan plan;
	struct mi_err err;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		if (!CHECK(derive(pod(cases[i].ann, "", ""), NULL, &plan,
				  &err) < 0))
			NOTE("accepted %s", cases[i].ann);
		CHECK_EQ_INT(err.exit, MI_CNI_ERR_POD);
		CHECK_CONTAINS(err.msg, cases[i].msg);
		mi_cni_pod_release(&plan);
	}
}

static void test_pod__blame(void)
{
	struct mi_cni_pod_plan plan;
	struct mi_err err;
	struct mi_cli cli;

	/* Istio's check passes (a decimal), meshinit's parser rejects 0 */
	CHECK_EQ_INT(
		derive(pod(",\"traffic.sidecar.istio.io/excludeOutboundIPRanges"
			   "\":\"10.0.0.0/33\"",
			   "", ""),
		       NULL, &plan, &err),
		0);
	CHECK(mi_cli_parse(plan.argc, plan.argv, plan.envp, &cli, &err) < 0);
	mi_cni_pod_blame(&err);
	CHECK_CONTAINS(err.msg,
		       "from annotation "
		       "traffic.sidecar.istio.io/excludeOutboundIPRanges: ");
	mi_config_release(&cli.cfg);
	mi_cni_pod_release(&plan);
	CHECK_EQ_INT(
		derive(pod(",\"meshinit.io/exclude-outbound-uids\":\"nobody-her"
			   "e-x\"",
			   "", ""),
		       NULL, &plan, &err),
		0);
	CHECK(mi_cli_parse(plan.argc, plan.argv, plan.envp, &cli, &err) < 0);
	mi_cni_pod_blame(&err);
	CHECK_CONTAINS(err.msg,
		       "from annotation meshinit.io/exclude-outbound-uids");
	mi_config_release(&cli.cfg);
	mi_cni_pod_release(&plan);
}

/* ---- the plugin's answers ---- */

static int plugin(const char *stdin_text, char **env, char **out)
{
	FILE *in = fmemopen((void *)stdin_text, strlen(stdin_text), "r");
	size_t len = 0;
	FILE *o = open_memstream(out, &len);
	FILE *devnull = fopen("/dev/null", "w");
	char *argv[] = { (char *)"meshinit-cni", NULL };
	int code = mi_cni_main(1, argv, env, in, o, devnull);

	fclose(in);
	fclose(o);
	fclose(devnull);
	return code;
}

static void test_plugin__version_and_errors(void)
{
	char *ver[] = { (char *)"CNI_COMMAND=VERSION", NULL };
	char *add[] = { (char *)"CNI_COMMAND=ADD",
			(char *)"CNI_CONTAINERID=c1",
			(char *)"CNI_IFNAME=eth0",
			(char *)"CNI_PATH=/usr/lib/cni",
			(char *)"CNI_NETNS=/var/run/netns/none",
			NULL };
	char *add_nons[] = { (char *)"CNI_COMMAND=ADD",
			     (char *)"CNI_CONTAINERID=c1",
			     (char *)"CNI_IFNAME=eth0",
			     (char *)"CNI_PATH=/usr/lib/cni", NULL };
	char *gc[] = { (char *)"CNI_COMMAND=GC", NULL };
	char *out = NULL;
	json_object *o, *v;

	CHECK_EQ_INT(plugin("{\"cniVersion\":\"0.4.0\"}", ver, &out), 0);
	o = json_tokener_parse(out);
	CHECK(o && json_object_object_get_ex(o, "supportedVersions", &v) &&
	      json_object_array_length(v) == 4);
	CHECK_CONTAINS(out, "\"cniVersion\":\"0.4.0\"");
	json_object_put(o);
	free(out);

	CHECK_EQ_INT(plugin("{\"cniVersion\": \"1.0.0\", ", add, &out), 1);
	CHECK_CONTAINS(out, "\"code\":6");
	free(out);
	CHECK_EQ_INT(plugin("{\"cniVersion\":\"2.0.0\"}", add, &out), 1);
	CHECK_CONTAINS(out, "\"code\":1");
	CHECK_CONTAINS(out, "\"cniVersion\":\"1.0.0\"");
	free(out);
	CHECK_EQ_INT(plugin("{\"cniVersion\":\"0.3.1\"}", add_nons, &out), 1);
	CHECK_CONTAINS(out, "\"code\":4");
	CHECK_CONTAINS(out, "CNI_NETNS");
	CHECK_CONTAINS(out, "\"cniVersion\":\"0.3.1\"");
	free(out);
	CHECK_EQ_INT(plugin("{\"cniVersion\":\"1.0.0\"}", gc, &out), 1);
	CHECK_CONTAINS(out, "\"code\":1");
	free(out);
}

static void test_plugin__not_kubernetes_passes_through(void)
{
	char *add[] = { (char *)"CNI_COMMAND=ADD",
			(char *)"CNI_CONTAINERID=c1",
			(char *)"CNI_IFNAME=eth0",
			(char *)"CNI_PATH=/usr/lib/cni",
			(char *)"CNI_NETNS=/nonexistent/ns",
			(char *)"CNI_ARGS=IgnoreUnknown=1",
			NULL };
	char *out = NULL;
	json_object *o, *prev, *want;

	CHECK_EQ_INT(plugin(istio_entry, add, &out), 0);
	o = json_tokener_parse(out);
	want = json_tokener_parse(istio_entry);
	json_object_object_get_ex(want, "prevResult", &prev);
	CHECK(o && json_object_equal(o, prev));
	json_object_put(o);
	json_object_put(want);
	free(out);
}

int main(void)
{
	RUN(test_conf__istio_entry);
	RUN(test_conf__defaults_and_old_kubeconfig);
	RUN(test_conf__bad_input);
	RUN(test_args__parse);
	RUN(test_kube__istio_kubeconfig);
	RUN(test_kube__files_and_certs);
	RUN(test_kube__bad);
	RUN(test_pod__istio_defaults);
	RUN(test_pod__annotations_env_ids);
	RUN(test_pod__left_alone);
	RUN(test_pod__native_sidecar_proxy);
	RUN(test_pod__invalid_annotations);
	RUN(test_pod__blame);
	RUN(test_plugin__version_and_errors);
	RUN(test_plugin__not_kubernetes_passes_through);
	TEST_MAIN_END();
}
