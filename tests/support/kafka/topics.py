#!/usr/bin/env python3
"""Topic administration for the real-Kafka test tier (kafka-python's admin client).

    topics.py BOOTSTRAP reset [NAME[:PARTITIONS] ...]
        delete every topic that is not internal, then create each NAME (default 1 partition)
    topics.py BOOTSTRAP create NAME[:PARTITIONS] ... [--config KEY=VALUE ...]
        create the topics (an existing one is an error), each with the topic configs given

Either waits until every partition of every created topic has a leader, so that a test that
starts right after sees a usable topic. Exit status 0 on success, 1 with the reason on stderr.
"""

import sys
import time

from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import KafkaError, UnknownTopicOrPartitionError


def parse(spec):
    name, _, parts = spec.partition(":")
    return name, int(parts) if parts else 1


def wait_gone(admin, names, deadline):
    while names and time.time() < deadline:
        left = set(admin.list_topics()) & names
        if not left:
            return
        time.sleep(0.1)
    if names and set(admin.list_topics()) & names:
        raise SystemExit(f"topics.py: topics still listed after delete: {sorted(names)}")


def wait_leaders(admin, want, deadline):
    while time.time() < deadline:
        ready = True
        described = admin.describe_topics(list(want))
        for t in described:
            parts = t.get("partitions") or []
            if t.get("error_code") or len(parts) != want.get(t.get("name"), -1):
                ready = False
            elif any(p.get("leader_id", -1) < 0 for p in parts):
                ready = False
        if ready:
            return
        time.sleep(0.1)
    raise SystemExit(f"topics.py: no leader for every partition of {sorted(want)} in time")


def main(argv):
    if len(argv) < 3 or argv[2] not in ("reset", "create"):
        print(__doc__, file=sys.stderr)
        return 2
    bootstrap, command, args = argv[1], argv[2], argv[3:]
    specs, configs = [], {}
    while args:
        arg = args.pop(0)
        if arg == "--config" and args:
            key, _, value = args.pop(0).partition("=")
            configs[key] = value
        else:
            specs.append(arg)
    want = dict(parse(s) for s in specs)
    deadline = time.time() + 60
    admin = KafkaAdminClient(bootstrap_servers=bootstrap.split(","), client_id="kpipe-tests",
                             request_timeout_ms=30000)
    try:
        rf = min(3, len(admin.describe_cluster()["brokers"]))
        if command == "reset":
            old = {t for t in admin.list_topics() if not t.startswith("__")}
            if old:
                try:
                    admin.delete_topics(sorted(old), timeout_ms=30000)
                except UnknownTopicOrPartitionError:
                    pass
                wait_gone(admin, old, deadline)
        if want:
            new = [NewTopic(n, p, rf, topic_configs=configs) for n, p in want.items()]
            # A topic deleted a moment ago can still be on its way out: retry briefly.
            while True:
                try:
                    admin.create_topics(new, timeout_ms=30000)
                    break
                except KafkaError as e:
                    if time.time() > deadline or "TopicExists" not in type(e).__name__:
                        raise
                    time.sleep(0.2)
            wait_leaders(admin, want, deadline)
    except KafkaError as e:
        print(f"topics.py: {command} at {bootstrap}: {e}", file=sys.stderr)
        return 1
    finally:
        admin.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
