#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""check-examples.py [--kube DIR --placeholder IMAGE] MESHINIT EXAMPLES_DIR

Every YAML file (and every YAML embedded in one: injection templates, the
Envoy config) parses, and every meshinit container the examples make a
pod run is checked:
  - written out (a Pod's init container, a bare container document) or
    derived the way Istio's injector derives istio-init: its template with
    default values (Istio's default args, root, NET_ADMIN + NET_RAW), env
    from ProxyMetadata (meshConfig.defaultConfig.proxyMetadata, then the
    pod's proxy.istio.io/config annotation, one env var per key in key
    order), then the custom templates (defaultTemplates or the pod's
    inject.istio.io/templates) merged by container name;
  - a document that states the resulting istio-init must equal the
    derivation;
  - meshinit --dry-run accepts its args and env, and the rules are
    Istio's default ruleset plus exactly what its MESHINIT_* env asks for
    (an exclusion env var adds its set and rule, nothing else changes);
  - capabilities: add is [NET_ADMIN] (Istio's own adds NET_RAW too), drop
    [ALL]; allowPrivilegeEscalation is false everywhere (make check-image
    proves the file capability works under no_new_privs);
  - order: meshinit is the first init container; a native sidecar proxy
    runs as 1337; no user init container runs before the proxy.
With --kube DIR, each checked container is also written to DIR as a Pod
for `podman kube play` (make check-image): the container verbatim plus a
placeholder app container running IMAGE `sleep infinity`."""
import copy
import os
import subprocess
import sys

import yaml

ISTIO_ARGS = ["istio-iptables", "-p", "15001", "-z", "15006", "-u", "1337",
              "-m", "REDIRECT", "-i", "*", "-x", "", "-b", "*",
              "-d", "15090,15021,15020", "--log_output_level=default:info"]
# what Istio's injection template makes of istio-init with default values
# and Istio CNI off (manifests/charts/istio-control/istio-discovery/files/
# injection-template.yaml): the image is global.proxy_init.image
ISTIO_SECURITY = {
    "allowPrivilegeEscalation": False,
    "privileged": False,
    "capabilities": {"add": ["NET_ADMIN", "NET_RAW"], "drop": ["ALL"]},
    "readOnlyRootFilesystem": False,
    "runAsGroup": 0,
    "runAsNonRoot": False,
    "runAsUser": 0,
}
# MESHINIT_* env var -> the nft set its value fills
EXCLUSION_SETS = {
    "MESHINIT_EXCLUDE_OUTBOUND_UIDS": "exclude-uids",
    "MESHINIT_EXCLUDE_OUTBOUND_GIDS": "exclude-gids",
    "MESHINIT_EXCLUDE_OUTBOUND_PORTS_FOR_UIDS": "exclude-uid-",
}
failures = []
checked = []   # (where, container) for --kube
oks = 0


def fail(msg):
    failures.append(msg)
    print("FAIL " + msg)


def ok(msg):
    global oks
    oks += 1
    print("ok   " + msg)


def istio_init(image, proxy_metadata):
    c = {"name": "istio-init", "image": image, "args": list(ISTIO_ARGS)}
    if proxy_metadata:
        c["env"] = [{"name": k, "value": str(v)} for k, v in sorted(proxy_metadata.items())]
    c["securityContext"] = copy.deepcopy(ISTIO_SECURITY)
    return c


def merge(base, patch):
    """strategic merge as far as injection templates need it: maps merge,
    lists of named items (containers, env) merge by name, other lists and
    scalars are replaced"""
    if isinstance(base, dict) and isinstance(patch, dict):
        out = dict(base)
        for k, v in patch.items():
            out[k] = merge(base[k], v) if k in base else copy.deepcopy(v)
        return out
    if isinstance(base, list) and isinstance(patch, list) and \
            all(isinstance(x, dict) and "name" in x for x in base + patch):
        out = [copy.deepcopy(x) for x in base]
        for p in patch:
            for i, b in enumerate(out):
                if b["name"] == p["name"]:
                    out[i] = merge(b, p)
                    break
            else:
                out.append(copy.deepcopy(p))
        return out
    return copy.deepcopy(patch)


def dry_run(binary, args, env):
    e = {"PATH": "/usr/bin:/bin"}
    e.update(env)
    return subprocess.run([binary] + args + ["--dry-run", "--ipv6", "off"], env=e,
                          capture_output=True, text=True)


def check_meshinit(where, c, binary):
    """one meshinit container: args, env, privileges, the rules it gives"""
    good = True
    args = c.get("args", [])
    if args[:len(ISTIO_ARGS) - 1] != ISTIO_ARGS[:-1]:
        fail("%s: args are not Istio's default: %r" % (where, args))
        good = False
    sc = c.get("securityContext", {})
    caps = sc.get("capabilities", {})
    if caps.get("add") not in (["NET_ADMIN"], ["NET_ADMIN", "NET_RAW"]):
        fail("%s: capabilities.add is %r, not [NET_ADMIN]" % (where, caps.get("add")))
        good = False
    if caps.get("drop") != ["ALL"]:
        fail("%s: capabilities.drop is not [ALL]" % where)
        good = False
    if sc.get("allowPrivilegeEscalation") is not False:
        fail("%s: allowPrivilegeEscalation must be false (the file capability works with no_new_privs)" % where)
        good = False
    env = {e["name"]: e["value"] for e in c.get("env", [])}
    r = dry_run(binary, args, env)
    if r.returncode != 0 or "add table inet meshinit" not in r.stdout:
        fail("%s: meshinit --dry-run exit %d: %s" % (where, r.returncode, r.stderr.strip()[-300:]))
        return False
    # intended rules: Istio's default ruleset plus what MESHINIT_* asks for
    # (the install record, a set element holding the configuration, changes
    # with it by design: left out here)
    def lines(out):
        return [l for l in out.splitlines() if "install-record" not in l]
    base = lines(dry_run(binary, args, {}).stdout)
    got = lines(r.stdout)
    removed = [l for l in base if l not in got]
    added = [l for l in got if l not in base]
    wanted = {k: v for k, v in env.items() if k in EXCLUSION_SETS}
    for l in removed:
        fail("%s: its env removes a rule: %s" % (where, l))
        good = False
    for l in added:
        if not any(s in l for s in EXCLUSION_SETS.values()):
            fail("%s: its env adds an unexpected line: %s" % (where, l))
            good = False
    for k, v in wanted.items():
        if not any(l.startswith("add element inet meshinit " + EXCLUSION_SETS[k]) for l in added):
            fail("%s: %s=%s did not fill set %s" % (where, k, v, EXCLUSION_SETS[k]))
            good = False
        if not any(l.startswith("add rule ") and EXCLUSION_SETS[k] in l for l in added):
            fail("%s: %s=%s added no rule" % (where, k, v))
            good = False
    if good:
        ok("%s: uid %s, %s, allowPrivilegeEscalation false; --dry-run: Istio's rules%s" % (
            where, sc.get("runAsUser", "image default"), "+".join(caps.get("add", [])),
            "".join(" + %s %s" % (k, v) for k, v in sorted(wanted.items()))))
        checked.append((where, c))
    return good


def check_template(where, name, tmpl):
    """a custom injection template: only istio-init, reduced or extended"""
    spec = tmpl.get("spec", {})
    if spec.get("containers") or any(c.get("name") != "istio-init"
                                     for c in spec.get("initContainers", [])):
        fail("%s: template %s touches more than istio-init" % (where, name))
        return
    for c in spec.get("initContainers", []):
        sc = c.get("securityContext")
        if sc is not None:
            caps = sc.get("capabilities", {})
            if caps.get("add") != ["NET_ADMIN"] or caps.get("drop") != ["ALL"] or \
                    not sc.get("readOnlyRootFilesystem") or \
                    sc.get("allowPrivilegeEscalation") is not False:
                fail("%s: template %s does not reduce istio-init to NET_ADMIN, read-only, "
                     "allowPrivilegeEscalation false: %r" % (where, name, sc))
                continue
        ok("%s: template %s parses and changes only istio-init" % (where, name))


def values_of(doc):
    """(Helm values, mesh config) of a values document or an IstioOperator"""
    if doc.get("kind") == "IstioOperator":
        spec = doc.get("spec", {})
        return spec.get("values", {}), spec.get("meshConfig", {})
    if "kind" not in doc and ("global" in doc or "sidecarInjectorWebhook" in doc
                              or "meshConfig" in doc):
        return doc, doc.get("meshConfig", {})
    return None, None


def derive(where, values, mesh, annotations, binary):
    """the istio-init Istio injects into a pod with these annotations"""
    image = values.get("global", {}).get("proxy_init", {}).get("image", "")
    if "/" not in image:
        fail("%s: global.proxy_init.image %r has no '/': Istio would use the proxy image" % (where, image))
    pm = dict(mesh.get("defaultConfig", {}).get("proxyMetadata", {}) or {})
    pc = annotations.get("proxy.istio.io/config")
    if pc:
        pm.update((yaml.safe_load(pc) or {}).get("proxyMetadata", {}) or {})
    for k, v in pm.items():
        if '"' in str(v) or "\\" in str(v):
            fail("%s: proxyMetadata %s contains a quote or backslash: Istio's template pastes it "
                 "into a double-quoted string" % (where, k))
    c = istio_init(image, pm)
    webhook = values.get("sidecarInjectorWebhook", {})
    tmpls = webhook.get("templates", {})
    if "inject.istio.io/templates" in annotations:
        names = [n.strip() for n in annotations["inject.istio.io/templates"].split(",")]
    else:
        names = webhook.get("defaultTemplates", ["sidecar"])
    for n in names:
        if n == "sidecar":
            continue
        if n not in tmpls:
            fail("%s: template %s is not defined" % (where, n))
            continue
        for p in yaml.safe_load(tmpls[n]).get("spec", {}).get("initContainers", []):
            if p.get("name") == "istio-init":
                c = merge(c, p)
    return c, names


def check_pod(where, spec, binary):
    inits = spec.get("initContainers", [])
    if not inits or "meshinit" not in inits[0].get("image", ""):
        fail("%s: meshinit is not the first init container" % where)
        return
    check_meshinit(where + "/" + inits[0]["name"], inits[0], binary)
    env = {e["name"]: e["value"] for e in inits[0].get("env", [])}
    excluded = env.get("MESHINIT_EXCLUDE_OUTBOUND_UIDS", "").split(",")
    proxy_at = [i for i, c in enumerate(inits) if c.get("restartPolicy") == "Always"]
    for i, c in enumerate(inits[1:], 1):
        uid = c.get("securityContext", {}).get("runAsUser")
        if c.get("restartPolicy") == "Always":
            if uid != 1337:
                fail("%s: native sidecar %s is not uid 1337" % (where, c["name"]))
        elif proxy_at and proxy_at[0] > i:
            fail("%s: user init container %s runs before the proxy" % (where, c["name"]))
        elif str(uid) in excluded:
            ok("%s: init container %s (uid %s) is excluded (deliberate bypass)" % (where, c["name"], uid))
    ok("%s: init container order" % where)


def pod_specs(doc):
    kind = doc.get("kind")
    if kind == "Pod":
        yield doc.get("metadata", {}), doc["spec"]
    elif kind in ("Job", "Deployment", "DaemonSet", "StatefulSet"):
        t = doc["spec"]["template"]
        yield t.get("metadata", {}), t["spec"]


def embedded(where, doc):
    """YAML inside strings: injection templates, ConfigMap data"""
    stack = [doc]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
        elif isinstance(v, str) and "\n" in v:
            try:
                yaml.safe_load(v)
            except yaml.YAMLError as e:
                fail("%s: embedded YAML: %s" % (where, e))


def strip(c):
    return {k: v for k, v in c.items() if k != "image"}


def main():
    argv = sys.argv[1:]
    kube = placeholder = None
    while argv and argv[0].startswith("--"):
        if argv[0] == "--kube":
            kube, argv = argv[1], argv[2:]
        elif argv[0] == "--placeholder":
            placeholder, argv = argv[1], argv[2:]
        else:
            print(__doc__)
            return 2
    binary, root = argv
    files = []
    for dirpath, _, names in sorted(os.walk(root)):
        for name in sorted(names):
            if name.endswith((".yaml", ".yml")):
                path = os.path.join(dirpath, name)
                try:
                    with open(path) as f:
                        docs = [d for d in yaml.safe_load_all(f) if d is not None]
                except yaml.YAMLError as e:
                    fail("%s: %s" % (path, e))
                    continue
                files.append((os.path.relpath(path, root), docs))
    # Helm values of istio/values.yaml: what istio-init.yaml documents
    helm = {}
    for rel, docs in files:
        if rel.endswith("istio/values.yaml"):
            helm, _ = values_of(docs[0])
    for rel, docs in files:
        values = mesh = None
        derived = None
        for i, doc in enumerate(docs):
            where = "%s#%d" % (rel, i)
            embedded(where, doc)
            v, m = values_of(doc)
            if v is not None:
                values, mesh = v, m
                for n, t in sorted(v.get("sidecarInjectorWebhook", {}).get("templates", {}).items()):
                    check_template(where, n, yaml.safe_load(t))
                # a pod without annotations
                c, names = derive(where, values, mesh, {}, binary)
                check_meshinit("%s: istio-init Istio injects with templates %s" % (where, ",".join(names)),
                               c, binary)
                # and a pod that selects one of the other templates
                for n in sorted(v.get("sidecarInjectorWebhook", {}).get("templates", {})):
                    if n in names:
                        continue
                    ann = {"inject.istio.io/templates": "sidecar," + n}
                    c, _ = derive(where, values, mesh, ann, binary)
                    check_meshinit("%s: istio-init Istio injects with templates sidecar,%s" % (where, n),
                                   c, binary)
                continue
            if "kind" not in doc and doc.get("name") == "istio-init":
                # a stated istio-init: Istio's default, the hardened one, or
                # the result for the pod above it in the same file
                if derived is not None:
                    want = derived
                elif not rel.endswith("istio-init.yaml"):
                    want = None
                elif i == 0:
                    want = istio_init(helm.get("global", {}).get("proxy_init", {}).get("image"), {})
                else:
                    want, _ = derive(where, helm, {}, {}, binary)
                if want is not None and strip(want) != strip(doc):
                    fail("%s: is not the istio-init Istio produces:\n  want %r\n  have %r" % (where, want, doc))
                elif want is not None:
                    ok("%s: equals the istio-init Istio's injector produces" % where)
                check_meshinit(where + " (istio-init)", doc, binary)
                continue
            for meta, spec in pod_specs(doc):
                ann = meta.get("annotations", {}) or {}
                if ann.get("sidecar.istio.io/inject") == "false" or values is None:
                    check_pod(where, spec, binary)
                else:
                    derived, names = derive(where, values, mesh, ann, binary)
                    check_meshinit("%s: istio-init Istio injects into this pod (templates %s)" %
                                   (where, ",".join(names)), derived, binary)
    if not files:
        fail("no YAML files under " + root)
    if kube:
        os.makedirs(kube, exist_ok=True)
        seen = []
        for n, (where, c) in enumerate(checked):
            if strip(c) in seen:
                continue
            seen.append(strip(c))
            c = {k: v for k, v in c.items() if k not in ("startupProbe", "readinessProbe",
                                                           "livenessProbe", "restartPolicy")}
            env = {e["name"]: e["value"] for e in c.get("env", [])}
            pod = {"apiVersion": "v1", "kind": "Pod",
                   # podman 4.3 fails removing a "once" init container
                   # (the default) that it still sees running; "always"
                   # keeps it, and its exit code can be read
                   "metadata": {"name": "mi-img-kube-%d" % n, "annotations": {
                       "io.podman.annotations.init.container.type": "always"}},
                   # podman 4.3 applies the pod's restart policy to init
                   # containers (Always would rerun meshinit forever)
                   "spec": {"restartPolicy": "Never", "initContainers": [c],
                            "containers": [{"name": "app", "image": placeholder,
                                            "command": ["sleep", "infinity"]}]}}
            with open(os.path.join(kube, "%02d.yaml" % n), "w") as f:
                f.write("# example: %s\n" % where)
                if "MESHINIT_EXCLUDE_OUTBOUND_UIDS" in env:
                    f.write("# excluded uids: %s\n" % env["MESHINIT_EXCLUDE_OUTBOUND_UIDS"])
                yaml.safe_dump(pod, f, sort_keys=False)
        print("check-examples: %d distinct meshinit containers written to %s as Pods" % (len(seen), kube))
    if failures:
        print("check-examples: %d passed, %d failed, 0 skipped" % (oks, len(failures)))
        return 1
    print("check-examples: %d passed, 0 failed, 0 skipped (%d files, %d meshinit containers)" %
          (oks, len(files), len(checked)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
