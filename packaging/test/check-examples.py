#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""check-examples.py MESHINIT EXAMPLES_DIR - every YAML file (and every
YAML embedded in one: injection templates, the Envoy config) parses; every
meshinit init container is first, passes Istio's exact default args that
meshinit accepts (run with --dry-run and the container's env), and adds no
capability but NET_ADMIN; native sidecars are ordered as documented."""
import os
import subprocess
import sys

import yaml

ISTIO_ARGS = ["istio-iptables", "-p", "15001", "-z", "15006", "-u", "1337",
              "-m", "REDIRECT", "-i", "*", "-x", "", "-b", "*",
              "-d", "15090,15021,15020"]
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL " + msg)


def pod_specs(doc):
    kind = doc.get("kind")
    if kind == "Pod":
        yield doc["spec"]
    elif kind in ("Job", "Deployment", "DaemonSet", "StatefulSet"):
        yield doc["spec"]["template"]["spec"]


def check_meshinit(where, c, binary):
    args = c.get("args", [])
    if args[:len(ISTIO_ARGS)] != ISTIO_ARGS:
        fail("%s: args are not Istio's default: %r" % (where, args))
    sc = c.get("securityContext", {})
    caps = sc.get("capabilities", {})
    add = caps.get("add", [])
    # Istio's own template (documented as such) also adds NET_RAW
    if add not in (["NET_ADMIN"], ["NET_ADMIN", "NET_RAW"]):
        fail("%s: capabilities.add is %r" % (where, add))
    if caps.get("drop") != ["ALL"]:
        fail("%s: capabilities.drop is not [ALL]" % where)
    if sc.get("runAsUser", 0) != 0 and not sc.get("allowPrivilegeEscalation"):
        fail("%s: non-root needs allowPrivilegeEscalation: true for the file capability" % where)
    env = {"PATH": "/usr/bin:/bin"}
    for e in c.get("env", []):
        env[e["name"]] = e["value"]
    r = subprocess.run([binary] + args + ["--dry-run"], env=env,
                       capture_output=True, text=True)
    if r.returncode != 0 or "add table inet meshinit" not in r.stdout:
        fail("%s: meshinit --dry-run exit %d: %s" % (where, r.returncode, r.stderr.strip()[-300:]))
    return r.stdout


def check_template(where, tmpl):
    """a custom injection template: patches istio-init to NET_ADMIN only"""
    for c in tmpl["spec"].get("initContainers", []):
        sc = c.get("securityContext", {})
        caps = sc.get("capabilities", {})
        if c.get("name") != "istio-init" or caps.get("add") != ["NET_ADMIN"] or \
                caps.get("drop") != ["ALL"] or not sc.get("readOnlyRootFilesystem"):
            fail("%s: template does not reduce istio-init to NET_ADMIN: %r" % (where, c))
        elif sc.get("runAsUser", 0) != 0 and not sc.get("allowPrivilegeEscalation"):
            fail("%s: non-root template needs allowPrivilegeEscalation: true" % where)
        else:
            print("ok   %s: injection template for istio-init (uid %s)" % (where, sc.get("runAsUser")))


def check_pod(where, spec, binary):
    inits = spec.get("initContainers", [])
    if not inits or "meshinit" not in inits[0].get("image", ""):
        fail("%s: meshinit is not the first init container" % where)
        return
    script = check_meshinit(where + "/" + inits[0]["name"], inits[0], binary)
    excluded = [e["value"] for e in inits[0].get("env", [])
                if e["name"] == "MESHINIT_EXCLUDE_OUTBOUND_UIDS"]
    sidecars = [c for c in inits if c.get("restartPolicy") == "Always"]
    for i, c in enumerate(inits[1:], 1):
        uid = c.get("securityContext", {}).get("runAsUser")
        if c.get("restartPolicy") == "Always":
            if uid != 1337:
                fail("%s: native sidecar %s is not uid 1337" % (where, c["name"]))
        elif sidecars and inits.index(sidecars[0]) > i:
            fail("%s: user init container %s runs before the proxy" % (where, c["name"]))
        elif excluded and uid is not None and str(uid) in excluded[0].split(","):
            if not any(str(uid) in l and "uid" in l for l in script.splitlines()):
                fail("%s: uid %s is excluded but not in the rules" % (where, uid))
            print("ok   %s: init container %s (uid %s) bypasses the proxy" % (where, c["name"], uid))
    print("ok   %s" % where)


def main():
    binary, root = sys.argv[1], sys.argv[2]
    n = 0
    for dirpath, _, files in sorted(os.walk(root)):
        for name in sorted(files):
            if not name.endswith((".yaml", ".yml")):
                continue
            path = os.path.join(dirpath, name)
            with open(path) as f:
                try:
                    docs = [d for d in yaml.safe_load_all(f) if d is not None]
                except yaml.YAMLError as e:
                    fail("%s: %s" % (path, e))
                    continue
            n += 1
            for i, doc in enumerate(docs):
                where = "%s#%d" % (os.path.relpath(path, root), i)
                # embedded YAML: injection templates, ConfigMap data
                stack = [doc]
                while stack:
                    v = stack.pop()
                    if isinstance(v, dict):
                        stack.extend(v.values())
                    elif isinstance(v, list):
                        stack.extend(v)
                    elif isinstance(v, str) and "\n" in v:
                        try:
                            sub = yaml.safe_load(v)
                        except yaml.YAMLError as e:
                            fail("%s: embedded YAML: %s" % (where, e))
                            continue
                        if isinstance(sub, dict) and "spec" in sub:
                            check_template(where, sub)
                if "kind" not in doc and doc.get("name") == "istio-init":
                    check_meshinit(where, doc, binary)
                    print("ok   %s (istio-init)" % where)
                    continue
                for spec in pod_specs(doc):
                    check_pod(where, spec, binary)
    if n == 0:
        fail("no YAML files under " + root)
    if failures:
        print("check-examples: %d failure(s)" % len(failures))
        return 1
    print("check-examples: %d files OK" % n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
