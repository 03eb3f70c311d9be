#!/usr/bin/env python3
"""Compares `kpipe decode --pcap` with tshark's Kafka dissector on one capture.

Usage: compare_pcap_tshark.py KPIPE_JSONL TSHARK_JSON

Every Kafka PDU tshark shows must be one line of kpipe's (matched by source port, destination
port, direction and correlation id) and the counts of requests and responses must be equal.
For each pair, the fields tshark dissects must agree: API key, version, correlation id, client
id, and every topic name, partition id and error code tshark shows must be among kpipe's
values for that frame, for the versions tshark supports (it flags the others and reads
them with an older layout, so their bodies are not compared).
Prints one line per disagreement and exits 1 if there is any; prints the counts otherwise.
"""
import collections
import json
import sys


def leaves(node, out, key=""):
    if isinstance(node, dict):
        for k, v in node.items():
            leaves(v, out, k)
    elif isinstance(node, list):
        for v in node:
            leaves(v, out, key)
    else:
        out.append((key, node))


def kpipe_values(body):
    found = collections.defaultdict(set)
    pairs = []
    leaves(body, pairs)
    for key, value in pairs:
        if key in ("topic", "name") and isinstance(value, str):
            found["topic"].add(value)
        if "partition" in key and isinstance(value, int):
            found["partition"].add(value)
        if key == "error_code":
            found["error"].add(value)
    return found


def main():
    kpipe_lines = [json.loads(line) for line in open(sys.argv[1])]
    problems = [f"kpipe: {l}" for l in kpipe_lines if l["type"] not in ("request", "response")]
    mine = {}
    for line in kpipe_lines:
        if line["type"] not in ("request", "response"):
            continue
        sport = int(line["src"].rsplit(":", 1)[1])
        dport = int(line["dst"].rsplit(":", 1)[1])
        mine[(sport, dport, line["type"], line["correlation_id"])] = line
    theirs = {}
    for packet in json.load(open(sys.argv[2])):
        layers = packet["_source"]["layers"]
        pdus = layers["kafka"] if isinstance(layers["kafka"], list) else [layers["kafka"]]
        sport, dport = int(layers["tcp"]["tcp.srcport"]), int(layers["tcp"]["tcp.dstport"])
        for pdu in pdus:
            kind = "request" if "kafka.request_key" in pdu else "response"
            theirs[(sport, dport, kind, int(pdu["kafka.correlation_id"]))] = pdu
    for key in sorted(set(theirs) - set(mine)):
        problems.append(f"tshark shows {key}, kpipe does not")
    for key in sorted(set(mine) - set(theirs)):
        problems.append(f"kpipe shows {key}, tshark does not")
    for key in sorted(set(mine) & set(theirs)):
        line, pdu = mine[key], theirs[key]
        api = pdu.get("kafka.request_key", pdu.get("kafka.response_key"))
        version = pdu.get("kafka.request.version", pdu.get("kafka.response.version"))
        if api is not None and int(api) != line["api_key"]:
            problems.append(f"{key}: api key {api} vs {line['api_key']}")
        if version is not None and int(version) != line["api_version"]:
            problems.append(f"{key}: version {version} vs {line['api_version']}")
        if "kafka.client_id" in pdu and pdu["kafka.client_id"] != line["client_id"]:
            problems.append(f"{key}: client id {pdu['kafka.client_id']} vs {line['client_id']}")
        values = []
        leaves(pdu, values)
        # tshark 4.0 dissects versions it does not support with an older layout, flagged
        # "Unsupported ... version": their body fields are noise, only the header counts.
        if any(k == "kafka.unsupported_api_version" for k, _ in values):
            continue
        found = kpipe_values(line["body"])
        for field, name in (("kafka.topic_name", "topic"), ("kafka.partition_id", "partition"),
                            ("kafka.error", "error")):
            for k, v in values:
                if k == field:
                    value = v if name == "topic" else int(v)
                    if value not in found[name]:
                        problems.append(f"{key}: tshark {name} {value!r} not in kpipe's")
    for p in problems:
        print(p)
    requests = sum(1 for k in theirs if k[2] == "request")
    print(f"tshark: {requests} requests, {len(theirs) - requests} responses; "
          f"kpipe: {sum(1 for k in mine if k[2] == 'request')} requests, "
          f"{sum(1 for k in mine if k[2] == 'response')} responses")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
