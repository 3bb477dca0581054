#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# usage: compare_findings.py BEFORE.json AFTER.json  (complyd audit --format json, or complyd report --format json)
# Compare two findings documents / reports finding by finding, masking the
# values that differ by construction (the demo's random fingerprint key).
import json, sys
def norm(x):
    if isinstance(x, dict):
        return {k: ('*' if k in ('fingerprint_prefix',) else norm(v)) for k, v in x.items()}
    if isinstance(x, list):
        return [norm(v) for v in x]
    return x
a = norm(json.load(open(sys.argv[1]))); b = norm(json.load(open(sys.argv[2])))
def findings(d):
    for key in ('findings', 'open'):
        if isinstance(d, dict) and key in d and isinstance(d[key], list):
            return d[key]
    return None
fa, fb = findings(a), findings(b)
if fa is not None:
    ida = {f.get('id'): f for f in fa}; idb = {f.get('id'): f for f in fb}
    same = sum(1 for k in ida if k in idb and ida[k] == idb[k])
    print(f"findings: {len(fa)} vs {len(fb)}, identical {same}, only-before {len(set(ida)-set(idb))}, only-after {len(set(idb)-set(ida))}")
diffs = []
def walk(x, y, path):
    if type(x) != type(y): diffs.append(path); return
    if isinstance(x, dict):
        for k in set(x) | set(y):
            if k not in x or k not in y: diffs.append(path + '/' + k)
            else: walk(x[k], y[k], path + '/' + k)
    elif isinstance(x, list):
        if len(x) != len(y): diffs.append(path + f' len {len(x)}!={len(y)}'); return
        for i, (p, q) in enumerate(zip(x, y)): walk(p, q, f'{path}[{i}]')
    elif x != y: diffs.append(f'{path}: {x!r} != {y!r}')
walk(a, b, '')
print('whole document:', 'identical' if not diffs else f'{len(diffs)} differences, e.g. {diffs[:5]}')
