#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""No include cycle between modules.

A module is include/NAME.h plus src/NAME.c. Module A depends on module B
when A's header or source includes "B.h". A cycle (A -> ... -> A) is a
failure; each one is printed. Usage: include-cycles.py [REPO_DIR]
"""
import os
import re
import sys

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
inc = re.compile(r'^\s*#\s*include\s+"([^"]+)\.h"', re.M)
deps = {}
for d, ext in (("include", ".h"), ("src", ".c")):
    path = os.path.join(root, d)
    for f in sorted(os.listdir(path)):
        if not f.endswith(ext):
            continue
        mod = f[:-len(ext)]
        with open(os.path.join(path, f), encoding="utf-8") as fh:
            for m in inc.finditer(fh.read()):
                if m.group(1) != mod:
                    deps.setdefault(mod, set()).add(m.group(1))
        deps.setdefault(mod, set())

cycles = []
state = {}
stack = []


def visit(m):
    state[m] = 1
    stack.append(m)
    for d in sorted(deps.get(m, ())):
        if state.get(d) == 1:
            cycles.append(stack[stack.index(d):] + [d])
        elif d not in state:
            visit(d)
    stack.pop()
    state[m] = 2


for m in sorted(deps):
    if m not in state:
        visit(m)
for c in cycles:
    print("FAIL: include cycle: " + " -> ".join(c))
edges = sum(len(v) for v in deps.values())
if not cycles:
    print("PASS: %d modules, %d include edges, no cycle" % (len(deps), edges))
print("include-cycles: %d passed, %d failed, 0 skipped" %
      (0 if cycles else 1, len(cycles)))
sys.exit(1 if cycles else 0)
