#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A minimal CNI runtime: runs a network configuration list the way the CNI
specification (1.0.0, "Execution of Network Configuration Lists") says a
runtime does, so meshinit-cni is tested as kubelet/containerd would run it.

  runtime.py ADD|CHECK|DEL CONFLIST NETNS CONTAINERID --cni-path DIRS
             [--args 'K=V;...'] [--ifname eth0] [--state DIR]

* Every plugin gets its own entry of "plugins" plus the list's "name" and
  "cniVersion" on stdin, and CNI_COMMAND, CNI_CONTAINERID, CNI_NETNS,
  CNI_IFNAME, CNI_ARGS, CNI_PATH in its environment; the binary is "type"
  looked up in CNI_PATH.
* ADD runs the plugins in order, each after the first with "prevResult" =
  the previous plugin's result; the last result is cached in --state.
* CHECK runs them in order with "prevResult" = the cached result; DEL in
  reverse order with the cached result (none when there is no cache).
* Writes STATE/<n>-<type>.<cmd>.in / .out / .err for each plugin; prints the
  final result (ADD) and exits 0, or prints the failing plugin's error
  JSON and exits 1.
"""
import argparse
import json
import os
import subprocess
import sys


def find(t, dirs):
    for d in dirs.split(":"):
        p = os.path.join(d, t)
        if os.access(p, os.X_OK):
            return p
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=["ADD", "CHECK", "DEL"])
    ap.add_argument("conflist")
    ap.add_argument("netns")
    ap.add_argument("containerid")
    ap.add_argument("--cni-path", required=True)
    ap.add_argument("--args", default="")
    ap.add_argument("--ifname", default="eth0")
    ap.add_argument("--state", required=True)
    a = ap.parse_args()
    with open(a.conflist) as f:
        conf = json.load(f)
    os.makedirs(a.state, exist_ok=True)
    cache = os.path.join(a.state, "result.json")
    plugins = list(enumerate(conf["plugins"]))
    cached = None
    if a.cmd != "ADD" and os.path.exists(cache):
        with open(cache) as f:
            cached = json.load(f)
    if a.cmd == "DEL":
        plugins.reverse()
    env = dict(os.environ, CNI_COMMAND=a.cmd, CNI_CONTAINERID=a.containerid,
               CNI_NETNS=a.netns, CNI_IFNAME=a.ifname, CNI_ARGS=a.args,
               CNI_PATH=a.cni_path)
    prev = cached
    for i, p in plugins:
        net = dict(p, name=conf["name"], cniVersion=conf["cniVersion"])
        if prev is not None:
            net["prevResult"] = prev
        binary = find(p["type"], a.cni_path)
        base = os.path.join(a.state, "%d-%s.%s" % (i, p["type"], a.cmd))
        stdin = json.dumps(net).encode()
        with open(base + ".in", "wb") as f:
            f.write(stdin)
        if not binary:
            print(json.dumps({"cniVersion": conf["cniVersion"], "code": 1,
                              "msg": "plugin %s not found in %s" % (p["type"], a.cni_path)}))
            return 1
        r = subprocess.run([binary], input=stdin, env=env, capture_output=True)
        with open(base + ".out", "wb") as f:
            f.write(r.stdout)
        with open(base + ".err", "wb") as f:
            f.write(r.stderr)
        if r.returncode != 0:
            sys.stdout.write(r.stdout.decode(errors="replace"))
            sys.stderr.write("runtime: %s %s failed (exit %d); stderr in %s.err\n"
                             % (p["type"], a.cmd, r.returncode, base))
            return 1
        if a.cmd == "ADD":
            prev = json.loads(r.stdout)
    if a.cmd == "ADD":
        with open(cache, "w") as f:
            json.dump(prev, f)
        print(json.dumps(prev))
    elif a.cmd == "DEL" and os.path.exists(cache):
        os.unlink(cache)
    return 0


if __name__ == "__main__":
    sys.exit(main())
