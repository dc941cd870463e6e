#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""SIGKILL atomicity: 200 installs, alternating between config A (Istio's
default injection, REDIRECT) and config B (TPROXY, exclusions, --ipv6 on:
policy routing and ::6 on lo), each SIGKILLed after a random delay in
[0, 2 x its normal runtime], all in ONE network namespace.

After every kill:
  nftables   `nft -s list ruleset` is exactly reference A or reference B
             (the old or the new state, never a mix, never empty);
  routing    the proto-109 rules/routes and ::6 (meshinit's TPROXY policy
             routing) are a subset of what A and B need together - meshinit
             adds routes BEFORE the nft commit and prunes stale ones AFTER
             it, so after a kill between the two, routes of the new config
             may exist while the rules are still old: inert, as no rule
             marks packets for them. When the ruleset is B, all of B's
             routing must be there (B's rules are only committed after it).
  verify     `meshinit verify` with the flags of the state found exits 0
             when rules and routing both equal that reference exactly;
then a normal run of the same config must converge to exactly its
reference (rules and routing) and `verify` must say 0.

Prints the distribution: old state, new state, finished before the kill.
Run inside a throw-away namespace: unshare -Urn python3 sigkill.py
"""
import os
import random
import signal
import statistics
import subprocess
import sys
import time

MESHINIT = os.environ.get("MESHINIT", "./meshinit")
RUNS = int(os.environ.get("SIGKILL_RUNS", "200"))
ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
CONF = {
    "A": ["-p", "15001", "-z", "15006", "-u", "1337", "-m", "REDIRECT",
          "-i", "*", "-x", "", "-b", "*", "-d", "15090,15021,15020"],
    "B": ["-m", "TPROXY", "-b", "*", "-d", "15090,15021,15020",
          "-x", "10.0.0.0/8,172.16.0.0/12,fd00::/8", "-q", "443,8443",
          "-o", "9000-9100", "--exclude-outbound-uids", "1000-1005",
          "--exclude-outbound-ports-for-uids", "tcp:5432:999;53:1001",
          "--ipv6", "on", "--drop-invalid"],
}


def out(*cmd, inp=None):
    return subprocess.run(list(cmd), input=inp, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, env=ENV).stdout


def rules():
    return out("nft", "-s", "list", "ruleset")


def routing():
    """meshinit's policy routing: proto-109 rules and routes, and ::6."""
    got = []
    for fam in ("-4", "-6"):
        for line in out("ip", fam, "rule").decode().splitlines():
            if "proto 109" in line:
                got.append("rule%s %s" % (fam, line.split(":", 1)[1].strip()))
        for line in out("ip", fam, "route", "show", "table", "all",
                        "proto", "109").decode().splitlines():
            got.append("route%s %s" % (fam, line.strip()))
    for line in out("ip", "-6", "addr", "show", "dev", "lo").decode().splitlines():
        if "inet6 ::6/128" in line:
            got.append("addr ::6")
    return tuple(sorted(got))


def run(conf, *extra):
    return subprocess.run([MESHINIT] + list(extra) + CONF[conf], env=ENV,
                          stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode


def verify(conf):
    return subprocess.run([MESHINIT, "verify"] + CONF[conf], env=ENV,
                          stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode


def timed_run(conf):
    t0 = time.perf_counter_ns()
    rc = run(conf)
    return rc, time.perf_counter_ns() - t0


def killed_run(conf, delay_ns):
    """Start meshinit, SIGKILL it after delay_ns; True when it was killed."""
    t0 = time.perf_counter_ns()
    pid = os.posix_spawn(MESHINIT, [MESHINIT] + CONF[conf], ENV,
                         file_actions=[(os.POSIX_SPAWN_OPEN, 1, "/dev/null",
                                        os.O_WRONLY, 0),
                                       (os.POSIX_SPAWN_DUP2, 1, 2)])
    while time.perf_counter_ns() - t0 < delay_ns:
        pass    # busy wait: sleep() granularity is too coarse
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        return "killed"
    return "exited %d" % os.WEXITSTATUS(status)


def main():
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    subprocess.run(["ip", "link", "add", "eth0", "type", "veth", "peer",
                    "name", "peer0"], check=True)
    subprocess.run(["ip", "addr", "add", "10.1.0.5/24", "dev", "eth0"],
                   check=True)
    subprocess.run(["ip", "link", "set", "eth0", "up"], check=True)
    # the references: clean installs of A and B; normal runtime of each
    ref, rt = {}, {}
    for conf in ("A", "B", "A", "B"):
        if run(conf, "cleanup") or run(conf):
            sys.exit("sigkill: a clean install of %s failed" % conf)
        state = (rules(), routing())
        if conf in ref and ref[conf] != state:
            sys.exit("sigkill: two clean installs of %s differ" % conf)
        ref[conf] = state
    for conf in ("A", "B"):
        times = []
        for _ in range(9):
            rc, ns = timed_run(conf)
            times.append(ns)
        rt[conf] = statistics.median(times)
    if ref["A"][0] == ref["B"][0] or not ref["B"][1] or ref["A"][1]:
        sys.exit("sigkill: the references do not differ as expected")
    union = set(ref["A"][1]) | set(ref["B"][1])
    print("sigkill: normal runtime A %.1f ms, B %.1f ms; B's routing: %s"
          % (rt["A"] / 1e6, rt["B"] / 1e6, "; ".join(ref["B"][1])))

    npass = nfail = 0
    dist = {"old": 0, "new": 0}
    how = {}
    inert = 0
    rnd = random.Random(int(os.environ.get("SIGKILL_SEED", "6")))
    prev = "B"          # state left by the reference runs
    for i in range(RUNS):
        conf = "A" if i % 2 == 0 else "B"
        delay = rnd.uniform(0, 2 * rt[conf])
        res = killed_run(conf, delay)
        how[res] = how.get(res, 0) + 1
        r, ro = rules(), routing()
        problems = []
        if r == ref[prev][0]:
            found = prev
            dist["old"] += 1
        elif r == ref[conf][0]:
            found = conf
            dist["new"] += 1
        else:
            found = None
            problems.append("ruleset is neither the old (%s) nor the new "
                            "(%s) reference:\n%s" % (prev, conf,
                                                     r.decode()[:1500]))
        if not set(ro) <= union:
            problems.append("routing has objects of neither config: %s"
                            % sorted(set(ro) - union))
        if found == "B" and not set(ref["B"][1]) <= set(ro):
            problems.append("B's rules without all of B's routing: %s" % (ro,))
        if found:
            v = verify(found)
            exact = ro == ref[found][1]
            if exact and v != 0:
                problems.append("verify %s says %d on an exact state" % (found, v))
            if not exact:
                inert += 1
        # a normal run converges to exactly the reference
        rc = run(conf)
        if rc or (rules(), routing()) != ref[conf] or verify(conf):
            problems.append("a normal run of %s after the kill did not "
                            "converge (exit %d)" % (conf, rc))
        if problems:
            nfail += 1
            print("FAIL run %d (%s after %s, kill after %.2f ms, %s):\n  %s"
                  % (i + 1, conf, prev, delay / 1e6, res, "\n  ".join(problems)))
        else:
            npass += 1
        prev = conf
    print("sigkill: %d runs: %s; state found: old %d, new %d; inert extra "
          "routing after %d kills" % (RUNS, ", ".join(
              "%s %d" % kv for kv in sorted(how.items())),
              dist["old"], dist["new"], inert))
    print("sigkill: %d passed, %d failed" % (npass, nfail))
    return 1 if nfail else 0


if __name__ == "__main__":
    sys.exit(main())
