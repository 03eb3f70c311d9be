#!/usr/bin/env python3
"""Compares `kpipe metadata --format json` with `kcat -L -J` for the same cluster.

    compare_metadata.py KPIPE_JSON KCAT_JSON

Exits 0 when both list the same brokers (id, host, port) and the same topics with the same
partitions, leaders, replicas and ISRs; otherwise prints every difference and exits 1.
"""
import json
import sys


def main():
    with open(sys.argv[1]) as f:
        ours = json.load(f)
    with open(sys.argv[2]) as f:
        theirs = json.load(f)
    problems = []
    our_brokers = {b["id"]: f"{b['host']}:{b['port']}" for b in ours["brokers"]}
    their_brokers = {b["id"]: b["name"] for b in theirs["brokers"]}
    if our_brokers != their_brokers:
        problems.append(f"brokers differ: kpipe {our_brokers} kcat {their_brokers}")

    def ours_partitions(t):
        return {p["partition"]: (p["leader"], p["replicas"], p["isr"]) for p in t["partitions"]}

    def theirs_partitions(t):
        return {p["partition"]: (p["leader"], [r["id"] for r in p["replicas"]],
                                 [r["id"] for r in p["isrs"]]) for p in t["partitions"]}

    our_topics = {t["name"]: ours_partitions(t) for t in ours["topics"]}
    their_topics = {t["topic"]: theirs_partitions(t) for t in theirs["topics"]}
    if sorted(our_topics) != sorted(their_topics):
        problems.append(f"topics differ: kpipe {sorted(our_topics)} kcat {sorted(their_topics)}")
    for name in sorted(set(our_topics) & set(their_topics)):
        if our_topics[name] != their_topics[name]:
            problems.append(f"topic {name}: kpipe {our_topics[name]} kcat {their_topics[name]}")
    for p in problems:
        print(p)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
