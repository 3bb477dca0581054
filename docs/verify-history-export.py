#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Verify a `complyd history export` (JSON lines) without complyd.

Each line is {"hash", "prev_hash", "record", "seq", "table"}. A record's hash
is SHA-256 over its predecessor's hash (64 hex digits) followed by its
canonical form: {"record": ..., "seq": ..., "table": ...} as JSON with sorted
keys, no whitespace, UTF-8 (docs/history-chain.md).

Usage: verify-history-export.py EXPORT.jsonl [--head HASH]
--head: a report's "history chain head"; it must be one of the records.
Exit 0: the export is one unbroken stretch of the chain. Exit 1: the first
broken line is named.
"""
import hashlib
import json
import sys

GENESIS = "0" * 64


def canonical(line):
    body = {"record": line["record"], "seq": line["seq"], "table": line["table"]}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def main(argv):
    if len(argv) not in (2, 4) or (len(argv) == 4 and argv[2] != "--head"):
        print("usage: verify-history-export.py EXPORT.jsonl [--head HASH]", file=sys.stderr)
        return 2
    head = argv[3] if len(argv) == 4 else None
    prev = None
    hashes = set()
    count = 0
    with open(argv[1], encoding="utf-8") as f:
        for n, text in enumerate(f, 1):
            line = json.loads(text)
            where = "line {} ({} id {}, record {})".format(n, line["table"], line["record"].get("id"), line["seq"])
            if prev is None:
                if line["seq"] == 1 and line["prev_hash"] != GENESIS:
                    return fail(where, "the first record does not start from the genesis hash")
            else:
                if line["seq"] != prev["seq"] + 1:
                    return fail(where, "expected record {}".format(prev["seq"] + 1))
                if line["prev_hash"] != prev["hash"]:
                    return fail(where, "prev_hash is not the previous record's hash")
            digest = hashlib.sha256((line["prev_hash"] + canonical(line)).encode("utf-8")).hexdigest()
            if digest != line["hash"]:
                return fail(where, "the record does not match its hash")
            hashes.add(line["hash"])
            prev = line
            count += 1
    if head is not None and head not in hashes:
        return fail("--head", "{} is not among the exported records".format(head))
    print("OK: {} records, last record {} {}".format(count, prev["seq"] if prev else 0, prev["hash"] if prev else GENESIS))
    return 0


def fail(where, why):
    print("BROKEN at {}: {}".format(where, why))
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
