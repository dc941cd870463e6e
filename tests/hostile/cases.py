# SPDX-License-Identifier: GPL-2.0-or-later
"""Hostile input table for tests/hostile/hostile.py.

Every case is a dict:
  args    argv after the program name (str or bytes items)
  env     extra environment variables (dict, values str or bytes)
  exit    expected exit code: 255 usage (unknown command, flag or stray
          word, malformed bool/duration/uint16/int value of a flag or a
          MESHINIT_* variable, -O, --log_output_level), 1 bad value (flag or
          variable alike), 0 accepted (also a value of one of Istio's
          typed variables that Istio ignores: a warning, Istio's outcome)
  names   what the error line must name: "-x/--istio-service-exclude-cidr",
          "env REDIRECT_DNS", ... (exit != 0)
  shows   bytes the error line must contain; default: the first 40
          characters of the offending value, control characters as \\xNN
  expect  accepted cases (run with --dry-run): substrings of stdout+stderr
  reject  accepted cases: substrings that must NOT appear
  covers  flag or env names this case exercises (for the coverage check)

Errors run WITHOUT --dry-run, against a namespace that holds an earlier
install: a rejected input must leave it byte-identical.
"""

LONG5000 = "9" * 5000
ARGMAX = 131072 - 1          # MAX_ARG_STRLEN is 32 pages including the NUL
GARBAGE = bytes(range(0x80, 0x100)) + b"\x01\x02\x7f\x1b[31m"


def esc(v, n=40):
    """The first @n bytes of @v as an error message shows it."""
    if isinstance(v, str):
        v = v.encode("utf-8", "surrogateescape")
    out = b""
    for ch in v:
        out += b"\\x%02x" % ch if ch < 0x20 or ch == 0x7f else bytes([ch])
    return out[:n]


def e(args, exit, names, shows=None, env=None, covers=None):
    return {"args": args, "env": env or {}, "exit": exit, "names": names,
            "shows": shows, "covers": covers}


def ok(args, expect=(), reject=(), env=None, covers=None):
    return {"args": args, "env": env or {}, "exit": 0, "expect": list(expect),
            "reject": list(reject), "covers": covers}


# single ports (T_STR, exit 1): -p -z -e
BAD_PORTS = ["", "0", "65536", "4294967296", "99999999999999999999", "-1",
             "+80", " 80", "8 0", "0x50", "80;", "'80'", '"80"', "80\n",
             "abc", LONG5000, GARBAGE]
# port lists: -b -d -q -o
BAD_PORT_ITEMS = ["0", "65536", "90-80", "80-", "-80", "1:2:3", "*,80",
                  "80 90", "+80", "80;90", "4294967296", "80,9" * 10 + ",x",
                  "a" * 5000, "80\n90", GARBAGE]
BAD_CIDRS = ["10.0.0.0/33", "::/129", "1.2.3.4", "fe80::1%eth0/64",
             "10.0.0.0/-1", "10.0.0.0/", "/8", "10.0.0/8", "10.0.0.256/32",
             "1.2.3.4/8/8", "::ffff:1.2.3.4/200", "10.0.0.0/08",
             "0x0a000000/8", "10.0.0.0 /8", "10.0.0.1/32;rm -rf /",
             "2001:db8::/32x", "2001:db8:::/48", "10.0.0.0/4294967304",
             "x" * 5000, GARBAGE]
BAD_IFACES = ["abcdefghijklmnop", "a" * 40, "a:b", "a/b", ".", "..",
              "eth 0", "eth0\n", GARBAGE]
BAD_IDS = ["nosuchuser-mi", "-1", "4294967295", "4294967296", "1;2",
           "root'", "9" * 5000]

BOOL_FLAGS = ["dry-run", "skip-rule-apply", "run-validation", "redirect-dns",
              "drop-invalid", "dual-stack", "capture-all-dns", "cni-mode",
              "reconcile", "cleanup-only", "force-apply", "native-nftables",
              "check", "log_as_json", "help", "version"]
BOOL_ENVS = ["DRY_RUN", "SKIP_RULE_APPLY", "RUN_VALIDATION", "REDIRECT_DNS",
             "ISTIO_META_DNS_CAPTURE", "DROP_INVALID", "INVALID_DROP",
             "DUAL_STACK", "ISTIO_DUAL_STACK", "CAPTURE_ALL_DNS", "CNI_MODE",
             "RECONCILE", "CLEANUP_ONLY", "FORCE_APPLY", "NATIVE_NFTABLES",
             "MESHINIT_CHECK"]


def cases():
    c = []
    P = {"-p": "-p/--envoy-port", "-z": "-z/--inbound-capture-port",
         "-e": "-e/--inbound-tunnel-port"}
    for flag, name in P.items():
        for v in BAD_PORTS:
            c.append(e([flag, v], 1, name))
    c.append(e([], 1, "env INBOUND_CAPTURE_PORT",
               env={"INBOUND_CAPTURE_PORT": "65536"}))
    c.append(e([], 1, "env INBOUND_TUNNEL_PORT",
               env={"INBOUND_TUNNEL_PORT": "+15008"}))

    L = {"-b": "-b/--istio-inbound-ports", "-d": "-d/--istio-local-exclude-ports",
         "-q": "-q/--istio-outbound-ports",
         "-o": "-o/--istio-local-outbound-ports-exclude"}
    for flag, name in L.items():
        for v in BAD_PORT_ITEMS:
            c.append(e([flag, v], 1, name))
    c.append(e(["-b", "*", "-d", "0"], 1, "-d/--istio-local-exclude-ports"))
    for env in ["ISTIO_INBOUND_PORTS", "ISTIO_LOCAL_EXCLUDE_PORTS",
                "ISTIO_OUTBOUND_PORTS", "ISTIO_LOCAL_OUTBOUND_PORTS_EXCLUDE"]:
        c.append(e([], 1, "env " + env, env={env: "80,65536"}))

    for flag, name in {"-i": "-i/--istio-service-cidr",
                       "-x": "-x/--istio-service-exclude-cidr"}.items():
        for v in BAD_CIDRS:
            c.append(e([flag, v], 1, name))
    c.append(e(["-x", "*"], 1, "-x/--istio-service-exclude-cidr"))
    c.append(e(["-i", "*,10.0.0.0/8"], 1, "-i/--istio-service-cidr"))
    c.append(e([], 1, "env ISTIO_SERVICE_CIDR",
               env={"ISTIO_SERVICE_CIDR": "10.0.0.0/33"}))
    c.append(e([], 1, "env ISTIO_SERVICE_EXCLUDE_CIDR",
               env={"ISTIO_SERVICE_EXCLUDE_CIDR": "::/129"}))
    # one argv string near the 128 KiB limit: valid items, one bad at the end
    huge, i = "", 0
    while len(huge) < ARGMAX - 40:
        huge += "10.%d.%d.%d/32," % (i >> 16, (i >> 8) & 255, i & 255)
        i += 2
    huge += "10.0.0.0/33"
    assert len(huge) <= ARGMAX
    c.append(e(["-x", huge], 1, "-x/--istio-service-exclude-cidr",
               shows=b'"10.0.0.0/33"'))
    c.append(e(["-i", "1" * ARGMAX], 1, "-i/--istio-service-cidr",
               shows=b"too long"))

    for flag, name in {"-c": "-c/--istio-exclude-interfaces",
                       "-k": "-k/--kube-virt-interfaces"}.items():
        for v in BAD_IFACES:
            c.append(e([flag, v], 1, name))
    c.append(e([], 1, "env ISTIO_EXCLUDE_INTERFACES",
               env={"ISTIO_EXCLUDE_INTERFACES": "eth0,abcdefghijklmnopq"}))
    c.append(e([], 1, "env KUBE_VIRT_INTERFACES",
               env={"KUBE_VIRT_INTERFACES": "a/b"}))

    for flag, name in {"-u": "-u/--proxy-uid", "-g": "-g/--proxy-gid"}.items():
        for v in BAD_IDS:
            c.append(e([flag, v], 1, name))
    c.append(e(["-u", "1000-2000"], 1, "-u/--proxy-uid"))
    c.append(e(["-g", "nosuchgroup-mi"], 1, "-g/--proxy-gid"))
    c.append(e([], 1, "env PROXY_UID", env={"PROXY_UID": "nosuchuser-mi"}))
    c.append(e([], 1, "env PROXY_GID", env={"PROXY_GID": "1,x;y"}))

    for v in ["0", "1338", "4294967296", "-1", "abc", "0x539", ""]:
        c.append(e(["-t", v], 1, "-t/--istio-inbound-tproxy-mark"))
    c.append(e([], 1, "env ISTIO_INBOUND_TPROXY_MARK",
               env={"ISTIO_INBOUND_TPROXY_MARK": "1338"}))
    for v in ["253", "254", "255", "0", "4294967296", "main", " 133"]:
        c.append(e(["-r", v], 1, "-r/--istio-inbound-tproxy-route-table"))
    c.append(e([], 1, "env ISTIO_INBOUND_TPROXY_ROUTE_TABLE",
               env={"ISTIO_INBOUND_TPROXY_ROUTE_TABLE": "254"}))

    # flag syntax: exit 255
    for v in ["65536", "-1", "abc", "", "4294967296", "99999999999999999999"]:
        c.append(e(["--iptables-probe-port", v], 255, "--iptables-probe-port"))
    # Istio's variables: Istio's parser, its outcome, and a warning
    c.append(ok([], ['env IPTABLES_PROBE_PORT="65536"', "Istio ignores",
                     "reads 65535"], env={"IPTABLES_PROBE_PORT": "65536"}))
    c.append(ok([], ['env IPTABLES_PROBE_PORT="abc"', "reads 0"],
                env={"IPTABLES_PROBE_PORT": "abc"}))
    for v in ["5x", "-1s", "", "5 s", "99999999999999999999h", "1.5.5s"]:
        c.append(e(["--probe-timeout", v], 255, "--probe-timeout"))
    c.append(ok([], ['env PROBE_TIMEOUT="forever"', "reads 0s"],
                env={"PROBE_TIMEOUT": "forever"}))
    for f in BOOL_FLAGS:
        c.append(e(["--%s=yes" % f], 255, "--" + f, shows=b'"yes"'))
    c.append(e(["-n=maybe"], 255, "-n/--dry-run", shows=b'"maybe"'))
    c.append(e(["-h=2"], 255, "-h/--help", shows=b'"2"'))
    for env in BOOL_ENVS:
        if env.startswith("MESHINIT_"):   # meshinit's own: as strict as flags
            c.append(e([], 255, "env " + env, env={env: "yes"}))
        else:                             # Istio's: false, and a warning
            c.append(ok([], ['env %s="yes"' % env, "reads false"],
                        env={env: "yes"}))
    c.append(ok([], ["DNS_CAPTURE=false", 'ISTIO_META_DNS_CAPTURE="yes"'],
                env={"REDIRECT_DNS": "true", "ISTIO_META_DNS_CAPTURE": "yes"}))
    for v in ["abc", "99999999999999999999", "1_0", "0x", ""]:
        c.append(e(["--vklog", v], 255, "--vklog"))
    for v in ["xml", "", "JSON"]:
        c.append(e(["-O", v], 255, "-O/--output"))
    for v in ["foo", "default:foo", "info,x:loud"]:
        c.append(e(["--log_output_level", v], 255, "--log_output_level"))
    for a in [["--nope"], ["-X"], ["--envoy_port", "1"], ["--ENVOY-PORT", "1"],
              ["---p", "1"], ["--redirect-dns-"], ["--" + "a" * 5000],
              ["--foo\nbar"], ["-\x01"], [b"--\xff"]]:
        c.append(e(a, 255, "unknown", shows=esc(a[0])))
    c.append(e(["-p"], 255, "flag needs an argument: -p", shows=b"-p"))
    c.append(e(["--envoy-port"], 255, "flag needs an argument: --envoy-port",
               shows=b"--envoy-port"))
    c.append(e(["-pz"], 1, "-p/--envoy-port", shows=b'"z"'))

    for v in ["yes", "ON", "", "auto "]:
        c.append(e(["--ipv6", v], 1, "--ipv6"))
    c.append(e([], 1, "env MESHINIT_IPV6", env={"MESHINIT_IPV6": "1"}))
    for v in ["iptables", "nft ", "LEGACY"]:
        c.append(e(["--force-iptables-binary", v], 1, "--force-iptables-binary"))
    c.append(e([], 1, "env FORCE_IPTABLES_BINARY",
               env={"FORCE_IPTABLES_BINARY": "x"}))
    c.append(e(["--resolv-conf", ""], 1, "--resolv-conf"))
    c.append(e(["--resolv-conf", "/" + "r" * 300], 1, "--resolv-conf"))
    c.append(e(["--redirect-dns", "--resolv-conf", "/nonexistent/resolv.conf"],
               1, "--resolv-conf", shows=b"/nonexistent/resolv.conf"))
    c.append(e([], 1, "env MESHINIT_RESOLV_CONF",
               env={"MESHINIT_RESOLV_CONF": ""}))
    c.append(e(["--check", "--dry-run"], 1, "--check", shows=b"--dry-run"))
    c.append(e(["--netns", "/nonexistent/ns"], 1, "network namespace",
               shows=b"/nonexistent/ns"))
    c.append(e(["--netns", "n" * 300], 1, "--netns"))
    c.append(e([], 1, "network namespace", shows=b"no-such-ns-mi",
               env={"MESHINIT_NETNS": "no-such-ns-mi"}))

    X = {"--exclude-outbound-uids": ["nosuchuser-mi", "5-3", "4294967296",
                                     "a-b", "1,,x"],
         "--exclude-outbound-gids": ["nosuchgroup-mi", "9-1", "-5"]}
    for flag, vals in X.items():
        for v in vals:
            c.append(e([flag, v], 1, flag))
    c.append(e([], 1, "env MESHINIT_EXCLUDE_OUTBOUND_UIDS",
               env={"MESHINIT_EXCLUDE_OUTBOUND_UIDS": "x;y"}))
    c.append(e([], 1, "env MESHINIT_EXCLUDE_OUTBOUND_GIDS",
               env={"MESHINIT_EXCLUDE_OUTBOUND_GIDS": "4294967296"}))
    F = "--exclude-outbound-ports-for-uids"
    for v in ["80", ":1000", "80:", "tcp:80", "sctp:80:1000", "tcp:udp:80:1000",
              "80:1000;80:1000", "80-90:1000;85:1000-1001",
              "tcp:80:1000;80:999-1001", "0:1000", "80:nosuchuser-mi",
              "65536:1", "80:4294967296", ";;:;"]:
        c.append(e([F, v], 1, F))
    c.append(e([], 1, "env MESHINIT_EXCLUDE_OUTBOUND_PORTS_FOR_UIDS",
               env={"MESHINIT_EXCLUDE_OUTBOUND_PORTS_FOR_UIDS": "80"}))
    # @FILE lists: unreadable file, bad item inside
    c.append(e(["-x", "@/nonexistent/list"], 1, "-x/--istio-service-exclude-cidr"))
    c.append(e(["-b", "@/proc"], 1, "-b/--istio-inbound-ports",
               shows=b"cannot read the list file"))

    owner = ",".join(str(10000 + i) for i in range(65))
    c.append(e([], 1, "env ISTIO_OUTBOUND_OWNER_GROUPS", shows=b"64",
               env={"ISTIO_OUTBOUND_OWNER_GROUPS": owner}))
    c.append(e([], 1, "env ISTIO_OUTBOUND_OWNER_GROUPS",
               env={"ISTIO_OUTBOUND_OWNER_GROUPS": "nosuchgroup-mi"}))
    c.append(e([], 1, "env ISTIO_OUTBOUND_OWNER_GROUPS_EXCLUDE",
               env={"ISTIO_OUTBOUND_OWNER_GROUPS_EXCLUDE": "1,4294967296"}))
    for v in ["10.0.0.0/8", "127.0.0.1/7", "::1/128", "abc", "127.0.0.1"]:
        c.append(e([], 1, "env ISTIO_OUTBOUND_IPV4_LOOPBACK_CIDR",
                   env={"ISTIO_OUTBOUND_IPV4_LOOPBACK_CIDR": v}))
    # commands validate every flag too: a bad cleanup removes nothing
    c.append(e(["cleanup", "-x", "10.0.0.0/33"], 1,
               "-x/--istio-service-exclude-cidr"))
    c.append(e(["cleanup", "--cleanup-only=maybe"], 255, "--cleanup-only",
               shows=b'"maybe"'))
    c.append(e(["verify", "-p", "0"], 1, "-p/--envoy-port"))
    c.append(e(["status", "--bogus"], 255, "unknown flag", shows=b"--bogus"))
    c.append(e(["-m", "TPROXY", "-b", "*", "-t", "1338"], 1,
               "-t/--istio-inbound-tproxy-mark"))

    # ---- accepted (run with --dry-run) ---------------------------------
    c.append(ok(["-x", "10.1.2.3/8"], ["10.0.0.0/8"], ["10.1.2.3"]))
    c.append(ok(["-i", "2001:db8::1/32"], ["2001:db8::/32"]))
    c.append(ok(["-i", "10.0.0.0/0"], ["0.0.0.0/0"]))
    c.append(ok(["-m", "tproxy", "-b", "80"],
                ["INBOUND_INTERCEPTION_MODE=REDIRECT", "redirect to :15006"],
                ["tproxy ip"]))
    c.append(ok(["-m", "TPROXY ", "-b", "80"],
                ["INBOUND_INTERCEPTION_MODE=REDIRECT"]))
    c.append(ok(["-p", "1000", "-p", "2000"], ["redirect to :2000"],
                ["redirect to :1000"]))
    c.append(ok(["--envoy-port=1000", "-p2000", "--envoy-port", "3000"],
                ["redirect to :3000"], ["redirect to :2000"]))
    c.append(ok(["-x", "10.0.0.0/8", "-x", "192.168.0.0/16"],
                ["192.168.0.0/16"], ["10.0.0.0/8"]))
    c.append(ok(["-b", "80,,90, ,"], ["INBOUND_PORTS_INCLUDE=80,90"]))
    c.append(ok(["-b", " 80 , 90 "], ["INBOUND_PORTS_INCLUDE=80,90"]))
    c.append(ok(["--exclude-outbound-ports-for-uids", "80:1000:2000"],
                ["tcp:80-1000:2000-2000"]))
    c.append(ok(["-b", "80", "-d", "1-65535"], ["INBOUND_PORTS_INCLUDE=80"]))
    # a slip changes nothing: stray words, near misses, empty --netns
    c.append(e(["foo", "bar"], 255, "unknown command", shows=b'"foo"'))
    c.append(e(["stauts"], 255, "did you mean status?", shows=b'"stauts"'))
    c.append(e(["--netns", "mypod", "stauts"], 255, "did you mean status?",
               shows=b'"stauts"'))
    c.append(e(["status", "install"], 255, "already status", shows=b'"install"'))
    c.append(e(["--redirect-dns", "false"], 255, "--redirect-dns=false",
               shows=b'"false"'))
    c.append(e(["-p", "1", "--", "x"], 255, "after \"--\"", shows=b'"x"'))
    c.append(e(["--redirect-dsn"], 255, "did you mean --redirect-dns?",
               shows=b"--redirect-dsn"))
    c.append(e(["--netns", ""], 1, "--netns", shows=b'"": is empty'))
    c.append(e([], 1, "env MESHINIT_NETNS", shows=b"is empty",
               env={"MESHINIT_NETNS": ""}))
    c.append(e(["--log_target", "/nonexistent/dir/log"], 1, "--log_target",
               shows=b"/nonexistent/dir/log"))
    c.append(ok(["help"], ["Usage:", "Exit codes"], covers=["help"]))
    c.append(ok(["help", "explain"], [" explain [flags]", "--direction"],
                ["--iptables-probe-port"]))
    c.append(ok([], ["cannot write the dry-run script to DRY_RUN_FILE_PATH"],
                env={"DRY_RUN_FILE_PATH": "/nonexistent/dir/x.nft"}))
    c.append(e([], 1, "env MESHINIT_FAULT_INJECT",    # the test build's hook
               env={"MESHINIT_FAULT_INJECT": "sometimes"}))
    c.append(ok(["--network-namespace", GARBAGE], [], []))
    # --log_target is honoured: the log goes there, not to stdout/stderr
    c.append(ok(["--log_target", "/dev/null"], [], ["meshinit configuration"]))
    c.append(ok(["--log_caller", ";" * 100], []))
    c.append(ok(["--log_stacktrace_level", "whatever"], []))
    c.append(ok(["--log_output_level", ""], []))
    c.append(ok(["--vklog", "0x1f"], []))
    c.append(ok(["--vklog=-9223372036854775808"], []))
    c.append(ok(["--cni-mode", "--reconcile", "--force-apply",
                 "--native-nftables", "--skip-rule-apply=false"], []))
    c.append(ok([], ["PROXY_UID=1337"], env={"ENVOY_USER": "nosuchuser-mi"}))
    c.append(ok([], [], env={"ENVOY_PORT": "garbage"}))
    c.append(ok(["-z", "15006"], ["redirect to :15006"],
                env={"INBOUND_CAPTURE_PORT": "abc"},
                covers=["INBOUND_CAPTURE_PORT"]))
    c.append(ok([], ["DNS_CAPTURE=false"], env={"REDIRECT_DNS": ""}))
    c.append(ok([], ["INBOUND_INTERCEPTION_MODE=REDIRECT"],
                env={"ISTIO_INBOUND_INTERCEPTION_MODE": "tproxy"}))
    c.append(ok([], [], env={"NETWORK_NAMESPACE": "x" * 5000}))
    c.append(ok([], ["OUTBOUND_OWNER_GROUPS_INCLUDE=10000"],
                env={"ISTIO_OUTBOUND_OWNER_GROUPS":
                     ",".join(str(10000 + i) for i in range(64))}))
    c.append(ok([], ["OUTBOUND_OWNER_GROUPS_INCLUDE=*"],
                env={"ISTIO_OUTBOUND_OWNER_GROUPS": "*",
                     "ISTIO_OUTBOUND_OWNER_GROUPS_EXCLUDE": "0"}))
    c.append(ok([], ["HOST_IPV4_LOOPBACK_CIDR=127.0.0.0/8"],
                env={"ISTIO_OUTBOUND_IPV4_LOOPBACK_CIDR": "127.1.2.3/8"}))
    return c
