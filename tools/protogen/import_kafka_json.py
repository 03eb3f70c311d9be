#!/usr/bin/env python3
"""Writes kpipe definition files (.def) from Kafka's JSON message definitions.

A development tool, not part of the build: it reads the facts (names, types, version ranges,
nullable/tagged/flexible, defaults) of a request/response pair from one or more Kafka message
directories, merges them (the union of versions and fields, later directories winning on
conflicts), and prints a definition in kpipe's own format. Upstream prose ("about") is dropped.

    import_kafka_json.py OUT.def ApiVersions DIR [DIR...]
"""
import json
import os
import re
import sys

CPP_KEYWORDS = {"default", "operator", "template", "delete", "new", "class", "struct", "union",
                "namespace", "register", "private", "public", "protected", "this", "throw"}


def snake(name):
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    s = s.lower()
    return s + "_" if s in CPP_KEYWORDS else s


def load(path):
    with open(path) as f:
        text = "\n".join(l for l in f.read().splitlines() if not l.lstrip().startswith("//"))
    return json.loads(text)


def parse_range(text):
    """'3+' -> (3, None), '0-5' -> (0, 5), 'none' -> None."""
    if text is None or text == "none":
        return None
    if text.endswith("+"):
        return (int(text[:-1]), None)
    if "-" in text:
        lo, hi = text.split("-")
        return (int(lo), int(hi))
    return (int(text), int(text))


def union_range(a, b):
    if a is None:
        return b
    if b is None:
        return a
    hi = None if a[1] is None or b[1] is None else max(a[1], b[1])
    return (min(a[0], b[0]), hi)


def fmt_range(r):
    if r is None:
        return "none"
    if r[1] is None:
        return f"{r[0]}+"
    return f"{r[0]}-{r[1]}"


def merge_fields(old, new, new_versions):
    """Union of two field lists, keeping the order of both (new wins on conflicts).

    A field only the old tree has is kept when it belongs to versions the new tree no longer
    defines (KIP-896 removed old versions); one that overlaps the new tree's versions was
    renamed there, and the new name stands alone.
    """
    names_new = [f["name"] for f in new]
    by_name_old = {f["name"]: f for f in old}
    out = []
    i = 0
    for f in old:
        if f["name"] not in names_new:
            r = parse_range(f.get("versions"))
            if r is not None and (new_versions is None or r[0] < new_versions[0]):
                if new_versions is not None and (r[1] is None or r[1] >= new_versions[0]):
                    # also in the new tree's versions: renamed there; keep only the old part
                    f = dict(f, versions=fmt_range((r[0], new_versions[0] - 1)))
                out.append(f)
            continue
        while i < len(new) and new[i]["name"] != f["name"]:
            if new[i]["name"] not in by_name_old:
                out.append(new[i])
            i += 1
        merged = dict(new[i])
        merged["versions"] = fmt_range(union_range(parse_range(f.get("versions")),
                                                   parse_range(new[i].get("versions"))))
        if "fields" in f or "fields" in new[i]:
            merged["fields"] = merge_fields(f.get("fields", []), new[i].get("fields", []),
                                            new_versions)
        out.append(merged)
        i += 1
    out.extend(g for g in new[i:] if g["name"] not in by_name_old)
    return out


def merge_messages(docs):
    base = dict(docs[0])
    for d in docs[1:]:
        base["validVersions"] = fmt_range(union_range(parse_range(base["validVersions"]),
                                                      parse_range(d["validVersions"])))
        new_versions = parse_range(d["validVersions"])
        base["fields"] = merge_fields(base.get("fields", []), d.get("fields", []), new_versions)
        commons = {c["name"]: c for c in base.get("commonStructs", [])}
        for c in d.get("commonStructs", []):
            if c["name"] in commons:
                c = dict(c, fields=merge_fields(commons[c["name"]]["fields"], c["fields"],
                                                new_versions))
            commons[c["name"]] = c
        if commons:
            base["commonStructs"] = list(commons.values())
        if d.get("flexibleVersions"):
            base["flexibleVersions"] = d["flexibleVersions"]
    return base


def type_name(kafka_type, prefixes):
    is_array = kafka_type.startswith("[]")
    t = kafka_type[2:] if is_array else kafka_type
    if t[0].isupper():
        for p in prefixes:
            if t.startswith(p) and len(t) > len(p):
                t = t[len(p):]
                break
        t = snake(t)
    return ("[]" if is_array else "") + t


def emit_fields(fields, depth, prefixes, out):
    for f in fields:
        parts = [snake(f["name"]), type_name(f["type"], prefixes), f["versions"]]
        if f.get("nullableVersions"):
            parts.append("nullable:" + f["nullableVersions"])
        if "tag" in f:
            parts.append(f"tag:{f['tag']}")
            parts.append("tagged:" + f.get("taggedVersions", f["versions"]))
        if f.get("flexibleVersions") == "none":
            parts.append("flexible:none")
        if "default" in f:
            d = f["default"]
            d = ("true" if d else "false") if isinstance(d, bool) else str(d).replace(" ", "")
            parts.append("default:" + d)
        out.append("  " * depth + " ".join(parts))
        if f.get("fields"):
            emit_fields(f["fields"], depth + 1, prefixes, out)


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    out_path, api, dirs = sys.argv[1], sys.argv[2], sys.argv[3:]
    msgs = {}
    for kind in ("Request", "Response"):
        docs = [load(os.path.join(d, api + kind + ".json")) for d in dirs
                if os.path.exists(os.path.join(d, api + kind + ".json"))]
        msgs[kind] = merge_messages(docs)
    key = msgs["Request"].get("apiKey")
    lines = [f"api {key} {snake(api)}" if key is not None else f"api {snake(api)}"]
    commons = {}
    for kind in ("Request", "Response"):
        for c in msgs[kind].get("commonStructs", []):
            commons[c["name"]] = c
    prefixes = [api + "Request", api + "Response", api]
    for c in commons.values():
        lines.append("")
        lines.append(f"struct {type_name(c['name'], prefixes)} {c.get('versions', '0+')}")
        emit_fields(c["fields"], 1, prefixes, lines)
    for kind in ("Request", "Response"):
        m = msgs[kind]
        lines.append("")
        lines.append(f"{kind.lower()} {m['validVersions']} flexible:{m.get('flexibleVersions', 'none')}")
        emit_fields(m.get("fields", []), 1, prefixes, lines)
    with open(out_path, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
