#!/usr/bin/env python3
"""Checks kpipe's protocol definitions against Kafka's own message definitions.

    check_definitions.py DEFS_DIR KAFKA_PROTOCOL_DIR

For every API key and every version Kafka defines (the union of the kafka-* folders), and for
each direction, the fields kpipe encodes at that version must be Kafka's: same order, names
(Kafka's in snake_case), types, nullability, tags, and compact/non-compact encoding (flexible
versions), recursively through nested structs. Versions kpipe has beyond Kafka's folders (from
newer sources) are not judged here. Exits 77 (skip) when KAFKA_PROTOCOL_DIR does not exist.
"""
import glob
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "protogen"))

import import_kafka_json as kafka  # noqa: E402
import defs  # noqa: E402

SKIP = 77

# Where kpipe follows a newer source than the Kafka folders on purpose. Each entry is a message
# and version prefix whose field list may differ, with the reason; anything else must match.
KNOWN_DIFFERENCES = {
    "ReadShareGroupStateSummaryResponse v0.results.partitions":
        "Kafka added leader_epoch to this unreleased v0 after these snapshots (KIP-932); "
        "franz-go's 2026-08 definitions have it",
}


def kafka_in(range_text, v):
    r = kafka.parse_range(range_text) if isinstance(range_text, str) or range_text is None else None
    if r is None:
        return False
    return v >= r[0] and (r[1] is None or v <= r[1])


def kafka_fields_at(fields, v, flexible, commons, prefixes):
    """[(name, type, nullable, tag, children)] of Kafka's fields present at version v."""
    out = []
    for f in fields:
        if not kafka_in(f.get("versions", "0+"), v):
            continue
        t = f["type"]
        is_array = t.startswith("[]")
        base = t[2:] if is_array else t
        tagged = flexible and "tag" in f and kafka_in(f.get("taggedVersions", f["versions"]), v)
        children = None
        if base[:1].isupper():
            sub = f.get("fields") or commons.get(base, {}).get("fields", [])
            children = kafka_fields_at(sub, v, flexible, commons, prefixes)
            base = "struct"
        out.append((kafka.snake(f["name"]), ("[]" if is_array else "") + base,
                    kafka_in(f.get("nullableVersions"), v), f["tag"] if tagged else None,
                    f.get("flexibleVersions") == "none", children))
    return [(n, t, nl, int(tag) if tag is not None else None, fn, ch)
            for n, t, nl, tag, fn, ch in out]


def ours_fields_at(fields, v, flexible):
    out = []
    for f in fields:
        if not f.versions.contains(v):
            continue
        tagged = flexible and f.tag is not None and f.tagged.contains(v)
        children = None
        base = f.type
        if f.is_struct:
            children = ours_fields_at(f.struct.fields, v, flexible)
            base = "struct"
        out.append((f.name, ("[]" if f.is_array else "") + base, f.nullable.contains(v),
                    f.tag if tagged else None, f.flexible_none, children))
    return out


def diff(ours, theirs, path, problems):
    if [x[0] for x in ours] != [x[0] for x in theirs]:
        problems.append(f"{path}: fields {[x[0] for x in ours]} != Kafka's {[x[0] for x in theirs]}")
        return
    for a, b in zip(ours, theirs):
        where = f"{path}.{a[0]}"
        for i, what in ((1, "type"), (2, "nullable"), (3, "tag"), (4, "flexible:none")):
            if a[i] != b[i]:
                problems.append(f"{where}: {what} {a[i]!r} != Kafka's {b[i]!r}")
        if a[5] is not None and b[5] is not None:
            diff(a[5], b[5], where, problems)


def main():
    defs_dir, kafka_root = sys.argv[1], sys.argv[2]
    kafka_dirs = sorted(glob.glob(os.path.join(kafka_root, "kafka-*")))
    if not kafka_dirs:
        print(f"conformance: skipped, no Kafka definitions under {kafka_root}")
        return SKIP
    ours = {}
    for path in glob.glob(os.path.join(defs_dir, "*.def")):
        if os.path.basename(path) == "errors.def":
            continue
        api = defs.parse_def(path)
        if api.key is not None:
            ours[api.key] = api
    names = sorted({os.path.basename(p)[: -len("Request.json")]
                    for d in kafka_dirs for p in glob.glob(os.path.join(d, "*Request.json"))})
    problems, checked, keys = [], 0, set()
    for name in names:
        for kind in ("Request", "Response"):
            docs = [kafka.load(os.path.join(d, name + kind + ".json")) for d in kafka_dirs
                    if os.path.exists(os.path.join(d, name + kind + ".json"))]
            key = docs[0]["apiKey"]
            keys.add(key)
            if key not in ours:
                problems.append(f"{name} (key {key}): no definition in kpipe")
                continue
            message = next(m for m in ours[key].messages if m.kind == kind.lower())
            commons = {}
            for d in docs:
                for c in d.get("commonStructs", []):
                    commons[c["name"]] = c
            # Each version is judged by the newest tree that defines it: names may change
            # between trees for the same wire layout (Kafka renames fields).
            judged = set()
            for d in reversed(docs):
                lo, hi = kafka.parse_range(d["validVersions"])
                for v in range(lo, hi + 1):
                    if v in judged:
                        continue
                    judged.add(v)
                    if not message.versions.contains(v):
                        problems.append(f"{name}{kind} v{v}: missing in kpipe")
                        continue
                    flexible = kafka_in(d.get("flexibleVersions", "none"), v)
                    if flexible != message.flexible.contains(v):
                        problems.append(f"{name}{kind} v{v}: flexible {message.flexible.contains(v)}"
                                        f" != Kafka's {flexible}")
                    theirs = kafka_fields_at(d["fields"], v, flexible, commons, [])
                    mine = ours_fields_at(message.root.fields, v, flexible)
                    diff(mine, theirs, f"{name}{kind} v{v}", problems)
                    checked += 1
    known = [p for p in problems if any(p.startswith(k + ":") for k in KNOWN_DIFFERENCES)]
    problems = [p for p in problems if p not in known]
    for k, why in KNOWN_DIFFERENCES.items():
        if any(p.startswith(k + ":") for p in known):
            print(f"known difference: {k}: {why}")
    for p in problems[:50]:
        print(p)
    if len(problems) > 50:
        print(f"... and {len(problems) - 50} more")
    print(f"conformance: {checked} (message, version) pairs of {len(keys)} API keys compared "
          f"with Kafka's definitions; {len(problems)} differences")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
