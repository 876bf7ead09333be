#!/usr/bin/env python3
"""Parses the Prometheus text exposition format 0.0.4 and checks conditions on it.

    expo.py FILE check EXPR...     (exit 1 naming the first failing check)
    expo.py FILE get NAME [k=v...] (prints the value of the first matching sample)

EXPR forms (labels optional, every given label must match):
    NAME{k=v,...}>X  NAME{...}>=X  NAME{...}==X   a matching sample compares so
    type:NAME=TYPE                                  the family's # TYPE
    histogram:NAME                                  _bucket{le=...} cumulative, +Inf == _count,
                                                    _sum present
Malformed input fails (the whole file is parsed, not grepped).
"""
import math
import re
import sys

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"


def parse_value(s):
    if s in ("+Inf", "Inf"):
        return math.inf
    if s == "-Inf":
        return -math.inf
    if s == "NaN":
        return math.nan
    return float(s)


def parse_labels(s, i, lineno):
    labels = {}
    i += 1
    while True:
        while i < len(s) and s[i] == " ":
            i += 1
        if i < len(s) and s[i] == "}":
            return labels, i + 1
        m = re.compile(r"([a-zA-Z_][a-zA-Z0-9_]*)=\"").match(s, i)
        if not m:
            raise ValueError(f"line {lineno}: bad label at {s[i:]!r}")
        i = m.end()
        val = []
        while i < len(s) and s[i] != '"':
            if s[i] == "\\":
                i += 1
                if i >= len(s):
                    raise ValueError(f"line {lineno}: dangling escape")
                val.append("\n" if s[i] == "n" else s[i])
            else:
                val.append(s[i])
            i += 1
        if i >= len(s):
            raise ValueError(f"line {lineno}: unterminated label value")
        labels[m.group(1)] = "".join(val)
        i += 1
        if i < len(s) and s[i] == ",":
            i += 1
        elif i >= len(s) or s[i] != "}":
            raise ValueError(f"line {lineno}: expected , or }}")


def parse(text):
    samples, types = [], {}
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        if line.startswith("#"):
            parts = line.split(" ", 3)
            if len(parts) >= 4 and parts[1] == "TYPE":
                types[parts[2]] = parts[3]
            continue
        m = re.compile(NAME).match(line)
        if not m:
            raise ValueError(f"line {lineno}: no metric name in {line!r}")
        labels, i = {}, m.end()
        if i < len(line) and line[i] == "{":
            labels, i = parse_labels(line, i, lineno)
        fields = line[i:].split()
        if not 1 <= len(fields) <= 2:
            raise ValueError(f"line {lineno}: expected value [timestamp]: {line!r}")
        samples.append((m.group(0), labels, parse_value(fields[0])))
    return samples, types


def find(samples, name, want):
    return [s for s in samples if s[0] == name and all(s[1].get(k) == v for k, v in want.items())]


def parse_selector(sel):
    m = re.fullmatch(r"(" + NAME + r")(?:\{(.*)\})?", sel)
    if not m:
        raise ValueError(f"bad selector {sel!r}")
    want = {}
    if m.group(2):
        for kv in m.group(2).split(","):
            k, v = kv.split("=", 1)
            want[k.strip()] = v.strip().strip('"')
    return m.group(1), want


def check_histogram(samples, types, name):
    if types.get(name) != "histogram":
        return f"{name}: TYPE is {types.get(name)!r}, not histogram"
    buckets = find(samples, name + "_bucket", {})
    counts = find(samples, name + "_count", {})
    if not buckets or not counts or not find(samples, name + "_sum", {}):
        return f"{name}: missing _bucket/_sum/_count"
    prev = -1
    for _, labels, v in buckets:  # One child (no extra labels) is enough here.
        if "le" not in labels:
            return f"{name}: bucket without le"
        if v < prev:
            return f"{name}: buckets not cumulative"
        prev = v
    inf = [b for b in buckets if b[1]["le"] == "+Inf"]
    if not inf or inf[0][2] != counts[0][2]:
        return f"{name}: +Inf bucket != _count"
    return None


def check(samples, types, expr):
    if expr.startswith("type:"):
        name, want = expr[5:].split("=", 1)
        return None if types.get(name) == want else f"{name}: TYPE {types.get(name)!r} != {want}"
    if expr.startswith("histogram:"):
        return check_histogram(samples, types, expr[10:])
    m = re.fullmatch(r"(.+?)(>=|==|>)(-?[0-9.e+]+)", expr)
    if not m:
        return f"bad check {expr!r}"
    name, want = parse_selector(m.group(1))
    found = find(samples, name, want)
    if not found:
        return f"{expr}: no sample {name}{want}"
    v, x = found[0][2], float(m.group(3))
    ok = {">": v > x, ">=": v >= x, "==": v == x}[m.group(2)]
    return None if ok else f"{expr}: value is {v}"


def main():
    path, cmd, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    try:
        samples, types = parse(open(path, encoding="utf-8").read())
    except ValueError as e:
        print(f"parse error in {path}: {e}", file=sys.stderr)
        return 1
    if cmd == "get":
        name, want = args[0], dict(a.split("=", 1) for a in args[1:])
        found = find(samples, name, want)
        if not found:
            return 1
        print(found[0][2])
        return 0
    for expr in args:
        err = check(samples, types, expr)
        if err:
            print(f"metrics check failed ({path}): {err}", file=sys.stderr)
            return 1
    print(f"ok: {len(args)} checks on {len(samples)} samples from {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
