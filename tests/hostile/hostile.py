#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Hostile input driver: run every case of cases.py against $MESHINIT in
ONE network namespace that already holds a meshinit install (TPROXY, IPv6
on, routes, ::6) and foreign state, and require for each case:

  - the documented exit code (255 flag syntax, 1 bad value or env value);
  - stderr is exactly one "error: ..." line, or for 255 "Error: ..." plus
    the "Run '... --help' for usage." hint; it names the flag or env var
    and shows the offending value (a prefix of it when it is huge);
  - no sanitizer report, no signal;
  - nft -a list ruleset (handles included: a re-created table would show
    new ones), ip rule, ip -6 rule, ip route show table all (v4, v6) and
    the addresses of lo are byte-identical to before the case.

Accepted cases run with --dry-run and check the printed plan. Every flag
and environment variable of --help must be covered by some case; a flag
added later without a case gets a generic garbage case (no crash, one
line, nothing changed) and is listed.

Run inside a throw-away namespace: unshare -Urn python3 hostile.py
"""
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cases as C  # noqa: E402

MESHINIT = os.environ.get("MESHINIT", "./meshinit")
VERBOSE = os.environ.get("V") == "1"
BASE_ENV = {
    "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
    "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "detect_leaks=0"),
    "UBSAN_OPTIONS": os.environ.get("UBSAN_OPTIONS",
                                    "print_stacktrace=1:halt_on_error=1"),
}
# (command, batch input): two ip processes instead of five, for speed
SNAP = [(["nft", "-a", "list", "ruleset"], None),
        (["ip", "-b", "-"], b"rule\nroute show table all\naddr show dev lo\n"),
        (["ip", "-6", "-b", "-"], b"rule\nroute show table all\n")]


def sh(*cmd, check=True):
    r = subprocess.run(list(cmd), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    if check and r.returncode:
        sys.exit("setup failed: %s: %s" % (" ".join(cmd), r.stdout.decode()))
    return r.stdout


def snapshot():
    out = b""
    for cmd, inp in SNAP:
        r = subprocess.run(cmd, input=inp, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT)
        out += b"== %s %s\n" % (" ".join(cmd).encode(), inp or b"") + r.stdout
    return out


def setup(tmp):
    sh("ip", "link", "set", "lo", "up")
    sh("ip", "link", "add", "eth0", "type", "veth", "peer", "name", "peer0")
    sh("ip", "addr", "add", "10.1.0.5/24", "dev", "eth0")
    sh("ip", "link", "set", "eth0", "up")
    rules = os.path.join(tmp, "foreign.nft")
    with open(rules, "w") as f:
        f.write("table ip foreign {\n"
                " set s { type ipv4_addr; elements = { 10.9.9.9 } }\n"
                " chain out { type filter hook output priority 0;"
                " ip daddr @s counter return; }\n}\n")
    sh("nft", "-f", rules)
    sh("ip", "rule", "add", "fwmark", "0x99", "lookup", "99", "prio", "1000")
    sh("ip", "route", "add", "local", "default", "dev", "lo", "table", "99")
    r = subprocess.run([MESHINIT, "-m", "TPROXY", "-b", "*", "--ipv6", "on",
                        "-x", "10.0.0.0/8", "-d", "22"],
                       env=BASE_ENV, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    if r.returncode:
        sys.exit("setup: meshinit install failed: %s" % r.stderr.decode())
    snap = snapshot()
    for need in [b"table inet meshinit", b"table ip foreign", b"lookup 133",
                 b"lookup 99", b"::6"]:
        if need not in snap:
            sys.exit("setup: %r missing from the namespace" % need)
    return snap


def help_names():
    out = subprocess.run([MESHINIT, "--help"], env=BASE_ENV,
                         stdout=subprocess.PIPE).stdout.decode()
    flags, shorts, envs = set(), {}, set()
    for line in out.splitlines():
        m = re.match(r"^  (?:-(\w), )?\s*--([a-z][a-z0-9_-]*)", line)
        if m:
            flags.add(m.group(2))
            if m.group(1):
                shorts[m.group(1)] = m.group(2)
        for m in re.finditer(r"\[env ([A-Z0-9_]+)(?:, alias ([A-Z0-9_]+))?",
                             line):
            envs.update(x for x in m.groups() if x)
        m = re.match(r"^  ([A-Z][A-Z0-9_]+)\s", line)
        if m:
            envs.add(m.group(1))
    return flags, shorts, envs


def covered(case, shorts):
    names = set(case.get("covers") or [])
    names.update(case["env"].keys())
    for a in case["args"]:
        if isinstance(a, bytes):
            continue
        if a.startswith("--") and len(a) > 2:
            names.add(a[2:].split("=", 1)[0])
        elif a.startswith("-") and len(a) > 1 and a[1] in shorts:
            names.add(shorts[a[1]])
    return names


def offending(case):
    if case["env"]:
        return list(case["env"].values())[-1]
    return case["args"][-1] if case["args"] else ""


def run_case(case, baseline):
    """Return None when the case passes, else a reason."""
    args = list(case["args"])
    if case["exit"] == 0:
        args.append("--dry-run")
    env = dict(BASE_ENV)
    env.update(case["env"])
    try:
        r = subprocess.run([MESHINIT] + args, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=60)
    except subprocess.TimeoutExpired:
        return "timed out"
    err = r.stderr
    if r.returncode < 0:
        return "killed by signal %d: %s" % (-r.returncode, err[-400:])
    if b"runtime error" in err or b"Sanitizer" in err:
        return "sanitizer report: %s" % err[-800:]
    if r.returncode != case["exit"]:
        return "exit %d, expected %d; stderr %r" % (r.returncode, case["exit"],
                                                   err[:300])
    if case["exit"] == 0:
        text = (r.stdout + err).decode("utf-8", "replace")
        for x in case.get("expect", []):
            if x not in text:
                return "output lacks %r" % x
        for x in case.get("reject", []):
            if x in text:
                return "output has %r" % x
    else:
        lines = err.split(b"\n")
        if lines[-1] == b"":
            lines.pop()
        if case["exit"] == 255:
            if len(lines) != 2 or not lines[0].startswith(b"Error: ") or \
                    not re.match(rb"^Run '[^']+ --help' for usage\.$", lines[1]):
                return "stderr is not 'Error: ...' + usage hint: %r" % err[:400]
        elif len(lines) != 1 or not lines[0].startswith(b"error: "):
            return "stderr is not one 'error: ...' line: %r" % err[:400]
        line = lines[0]
        if case["names"].encode() not in line:
            return "error does not name %r: %r" % (case["names"], line[:300])
        shows = case["shows"]
        if shows is None:
            shows = b'"' + C.esc(offending(case))
        if shows not in line:
            return "error does not show %r: %r" % (shows, line[:300])
    after = snapshot()
    if after != baseline:
        import difflib
        d = difflib.unified_diff(baseline.decode().splitlines(),
                                 after.decode().splitlines(), lineterm="")
        return "namespace changed:\n" + "\n".join(list(d)[:30])
    return None


def describe(case):
    a = [x if len(x) < 60 else x[:40] + ("...(%d)" % len(x)).encode()
         if isinstance(x, bytes) else x[:40] + "...(%d)" % len(x)
         for x in case["args"]]
    env = {k: (v if len(v) < 60 else v[:40] + "...(%d)" % len(v))
           for k, v in case["env"].items()}
    return "%s%s -> %d" % ("%r " % env if env else "", a, case["exit"])


def main():
    table = C.cases()
    flags, shorts, envs = help_names()
    cov = set()
    for c in table:
        cov |= covered(c, shorts)
    extra = sorted(flags - cov)
    for f in extra:      # flags added after this table was written
        table.append({"args": ["--" + f, C.GARBAGE.decode("latin-1") + "x" * 5000],
                      "env": {}, "exit": None, "generic": True})
    missing_env = sorted(envs - cov)

    with tempfile.TemporaryDirectory(prefix="mi-hostile.") as tmp:
        baseline = setup(tmp)
        npass = nfail = 0
        errors = sum(1 for c in table if c["exit"])
        for c in table:
            if c.get("generic"):
                why = None
                env = dict(BASE_ENV)
                r = subprocess.run([MESHINIT] + c["args"] + ["--dry-run"],
                                   env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, timeout=60)
                if r.returncode not in (0, 1, 255):
                    why = "exit %d" % r.returncode
                elif r.returncode and len(r.stderr.rstrip(b"\n").split(b"\n")) > 2:
                    why = "multi-line error %r" % r.stderr[:300]
                elif snapshot() != baseline:
                    why = "namespace changed"
            else:
                why = run_case(c, baseline)
            if why:
                nfail += 1
                print("FAIL %s\n     %s" % (describe(c), why))
            else:
                npass += 1
                if VERBOSE:
                    print("ok   %s" % describe(c))
        if missing_env:
            nfail += 1
            print("FAIL environment variables of --help without a case: %s"
                  % " ".join(missing_env))
        if extra:
            print("note: flags without a table case (generic garbage case "
                  "run): %s" % " ".join("--" + f for f in extra))
        if errors < 150:
            nfail += 1
            print("FAIL only %d malformed inputs (want at least 150)" % errors)
        print("hostile: %d cases (%d malformed, %d accepted), %d flags and %d "
              "env vars of --help covered" % (len(table), errors,
                                             len(table) - errors,
                                             len(flags & cov), len(envs & cov)))
        print("hostile: %d passed, %d failed" % (npass, nfail))
        return 1 if nfail else 0


if __name__ == "__main__":
    sys.exit(main())
