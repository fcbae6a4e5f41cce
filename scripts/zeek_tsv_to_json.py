#!/usr/bin/env python3
"""Writes a Zeek tab-separated log as Zeek's JSON writer would (one object per line, unset
fields left out, types from the #types line). Made tests/data/zeek/conn.json from the
hand-written tests/data/zeek/conn.log:

    python3 scripts/zeek_tsv_to_json.py tests/data/zeek/conn.log > tests/data/zeek/conn.json
"""

import json
import sys


def convert(lines):
    sep, unset, empty, fields, types = "\t", "-", "(empty)", [], []
    for line in lines:
        line = line.rstrip("\n")
        if line.startswith("#separator"):
            sep = bytes(line.split(" ", 1)[1], "ascii").decode("unicode_escape")
        elif line.startswith("#"):
            key, *rest = line[1:].split(sep)
            if key == "fields":
                fields = rest
            elif key == "types":
                types = rest
            elif key == "unset_field":
                unset = rest[0]
            elif key == "empty_field":
                empty = rest[0]
        elif line:
            obj = {}
            for f, t, v in zip(fields, types, line.split(sep)):
                if v == unset:
                    continue
                if t in ("time", "interval", "double"):
                    obj[f] = float(v)
                elif t in ("port", "count", "int"):
                    obj[f] = int(v)
                elif t == "bool":
                    obj[f] = v == "T"
                elif t.startswith(("set", "vector", "table")):
                    obj[f] = [] if v == empty else v.split(",")
                else:
                    obj[f] = v
            yield json.dumps(obj, separators=(",", ":"))


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as f:
        for out in convert(f):
            print(out)
