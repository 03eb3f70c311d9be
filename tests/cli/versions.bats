#!/usr/bin/env bats
# Real Apache Kafka only: kpipe speaks the highest version of each API that both it and the
# broker support, as seen on the wire.
#
# kpipe runs through tests/support/relay.py, which records every frame of every connection (it
# rewrites the broker and coordinator addresses in Metadata and FindCoordinator answers of every
# version to its own, so that kpipe's connections after the bootstrap one pass through it too). The
# workload, run once in setup_file: an idempotent produce (InitProducerId, Produce), a group
# consume that commits on exit (FindCoordinator, JoinGroup, SyncGroup, Heartbeat, OffsetFetch,
# ListOffsets, Fetch, OffsetCommit, LeaveGroup), offsets list and offsets get. The recorded
# frames are decoded with kpipe decode --frames; the broker's version ranges are its own
# ApiVersions answer in the recording, kpipe's are kpipe decode --list-apis.
#
# The table of versions is written to $BATS_FILE_TMPDIR/versions.txt and printed as TAP
# comments.
# bats file_tags=kafka-only

bats_require_minimum_version 1.5.0

# Kafka's names, as kpipe decode writes them.
APIS=(Produce Fetch ListOffsets Metadata OffsetCommit OffsetFetch FindCoordinator JoinGroup
  SyncGroup Heartbeat InitProducerId)

setup_file() {
  source "$BATS_TEST_DIRNAME/helpers/cluster.bash"
  source "$BATS_TEST_DIRNAME/helpers/kpipe.bash"
  start_cluster --topic vers:2
  # The relay forwards every connection to the bootstrap broker: right only with one broker.
  if [ "${KPIPE_KAFKA_NODES:-1}" -ne 1 ]; then
    echo "# versions.bats needs a one-node cluster, not $KPIPE_KAFKA_NODES nodes" >&2
    return 1
  fi
  export CAPTURE="$BATS_FILE_TMPDIR/capture" W="$BATS_FILE_TMPDIR/work"
  mkdir -p "$W"
  _kpipe_start_background "$BATS_FILE_TMPDIR/relay.out" "$BATS_FILE_TMPDIR/relay.err" \
    python3 "$BATS_TEST_DIRNAME/../support/relay.py" "$KPIPE_TEST_BROKERS" "$CAPTURE" \
    --max-seconds "${KPIPE_TEST_MAX_SECONDS:-900}" || return 1
  export RELAY=$_KPIPE_BG_LINE RELAY_PID=$_KPIPE_BG_PID
  run_workload
}

teardown_file() {
  _kpipe_stop_pid "${RELAY_PID:-}"
  stop_cluster
}

setup() {
  source "$BATS_TEST_DIRNAME/helpers/kpipe.bash"
}

# Each step's exit status goes to $W/NAME.rc, its output to $W/NAME.out and $W/NAME.err; the
# first test checks them.
run_workload() {
  local rc start i
  # 1,000 keyed records; idempotent is the default.
  seq 1 1000 | sed 's/.*/k&:v&/' >"$W/in.txt"
  rc=0
  "$KPIPE_BIN" -b "$RELAY" produce -t vers -K : <"$W/in.txt" >"$W/produce.out" \
    2>"$W/produce.err" 3>&- || rc=$?
  echo "$rc" >"$W/produce.rc"

  # A group member reads everything, stays long enough for a few heartbeats (one a second by
  # default), and on SIGINT commits (--commit on-exit) and leaves the group.
  start=$SECONDS
  "$KPIPE_BIN" -b "$RELAY" consume -G vers-group vers -o beginning --commit on-exit \
    >"$W/consume.out" 2>"$W/consume.err" </dev/null 3>&- &
  local pid=$!
  for ((i = 0; i < 300; i++)); do
    [ "$(wc -l <"$W/consume.out")" -ge 1000 ] && ((SECONDS - start >= 3)) && break
    sleep 0.1
  done
  kill -INT "$pid"
  rc=0
  wait "$pid" || rc=$?
  echo "$rc" >"$W/consume.rc"

  rc=0
  "$KPIPE_BIN" -b "$RELAY" offsets list -t vers --format json >"$W/list.out" 2>"$W/list.err" \
    3>&- || rc=$?
  echo "$rc" >"$W/list.rc"
  rc=0
  "$KPIPE_BIN" -b "$RELAY" offsets get -G vers-group -t vers --format json >"$W/get.out" \
    2>"$W/get.err" 3>&- || rc=$?
  echo "$rc" >"$W/get.rc"

  local f
  for f in "$CAPTURE"/conn-*.bin; do
    "$KPIPE_BIN" decode --frames "$f" || echo "decode failed: $f" >&2
  done >"$W/frames.jsonl" 2>"$W/decode.err"
  "$KPIPE_BIN" --format json decode --list-apis >"$W/kpipe-apis.json"
}

# versions_table: one line per API seen in a request, as JSON: api, key, broker [min, max] (from
# every ApiVersions answer recorded, which must agree), kpipe [min, max], want (the highest
# common version), used (the sorted versions of every request of that API).
versions_table() {
  "$KPIPE_TEST_PYTHON" - "$W/frames.jsonl" "$W/kpipe-apis.json" <<'EOF'
import json, sys

frames = [json.loads(line) for line in open(sys.argv[1])]
ours = {a["key"]: a for a in json.load(open(sys.argv[2]))}
broker = None
for f in frames:
    if f["api"] == "ApiVersions" and f["type"] == "response" and f["body"]["error_code"] == 0:
        ranges = {k["api_key"]: (k["min_version"], k["max_version"]) for k in f["body"]["api_keys"]}
        assert broker in (None, ranges), "the ApiVersions answers differ between connections"
        broker = ranges
assert broker, "no ApiVersions answer recorded"
used, names = {}, {}
for f in frames:
    if f["type"] == "request":
        used.setdefault(f["api_key"], set()).add(f["api_version"])
        names[f["api_key"]] = f["api"]
for key in sorted(used):
    b, k = broker.get(key), ours[key]
    want = None
    if b:
        lo, hi = max(b[0], k["min_version"]), min(b[1], k["max_version"])
        want = hi if lo <= hi else None
    print(json.dumps({"api": names[key], "key": key, "broker": list(b) if b else None,
                      "kpipe": [k["min_version"], k["max_version"]], "want": want,
                      "used": sorted(used[key])}))
EOF
}

@test "the workload through the relay: produce, group consume with commit, offsets list and get all succeed" {
  cat "$W"/*.err
  [ "$(cat "$W/produce.rc")" -eq 0 ]
  # SIGINT: exit 130 after committing what was written and leaving the group.
  [ "$(cat "$W/consume.rc")" -eq 130 ]
  [ "$(wc -l <"$W/consume.out")" -eq 1000 ]
  diff <(sort "$W/consume.out") <(cut -d: -f2 "$W/in.txt" | sort)
  [ "$(cat "$W/list.rc")" -eq 0 ]
  [ "$(cat "$W/get.rc")" -eq 0 ]
  # The group committed the end of each partition; the ends add up to the 1,000 records.
  "$KPIPE_TEST_PYTHON" - "$W/list.out" "$W/get.out" <<'EOF'
import json, sys
ends = {p["partition"]: p["latest"] for p in json.load(open(sys.argv[1]))}
committed = {p["partition"]: p["offset"] for p in json.load(open(sys.argv[2]))}
assert sum(ends.values()) == 1000, ends
assert committed == ends, (committed, ends)
EOF
  # Every recorded frame decoded.
  [ ! -s "$W/decode.err" ]
}

@test "every API of the workload goes through the relay, and each at the highest version both sides support" {
  versions_table >"$W/table.jsonl"
  "$KPIPE_TEST_PYTHON" - "$W/table.jsonl" "$BATS_FILE_TMPDIR/versions.txt" "${APIS[@]}" <<'EOF'
import json, sys

rows = [json.loads(line) for line in open(sys.argv[1])]
path, required = sys.argv[2], sys.argv[3:]
rng = lambda r: "-" if r is None else (str(r[0]) if r[0] == r[1] else "%d-%d" % tuple(r))
with open(path, "w") as out:
    out.write("%-16s %-7s %-7s %-7s %-5s %s\n" % ("API", "BROKER", "KPIPE", "HIGHEST", "USED",
                                                  "CHECK"))
    for r in sorted(rows, key=lambda r: (r["api"] not in required, r["key"])):
        if r["used"] == [r["want"]]:
            check = "ok"
        elif r["want"] is not None and max(r["used"]) < r["want"]:
            check = "LOWER"
        else:
            check = "DIFFERENT"
        out.write("%-16s %-7s %-7s %-7s %-5s %s\n" % (
            r["api"], rng(r["broker"]), rng(r["kpipe"]), r["want"],
            ",".join(map(str, r["used"])), check))
EOF
  local line
  while IFS= read -r line; do echo "# $line" >&3; done <"$BATS_FILE_TMPDIR/versions.txt"
  cat "$BATS_FILE_TMPDIR/versions.txt"

  # Each of the APIs was recorded (so kpipe's connections went through the relay), every
  # request of it at the highest version both kpipe and the broker support; other APIs seen
  # (ApiVersions, LeaveGroup) follow the same rule.
  "$KPIPE_TEST_PYTHON" - "$W/table.jsonl" "${APIS[@]}" <<'EOF'
import json, sys
rows = {r["api"]: r for r in map(json.loads, open(sys.argv[1]))}
missing = [a for a in sys.argv[2:] if a not in rows]
wrong = ["%s used %s, highest common %s" % (a, r["used"], r["want"])
         for a, r in rows.items() if r["used"] != [r["want"]]]
assert not missing and not wrong, "missing %s; %s" % (missing, "; ".join(wrong))
EOF
}

@test "metadata --api-versions names, in USED, the versions kpipe sends" {
  run -0 --separate-stderr kpipe -b "$KPIPE_TEST_BROKERS" --format json metadata --api-versions
  versions_table >"$W/table.jsonl"
  "$KPIPE_TEST_PYTHON" - "$W/table.jsonl" "$output" <<'EOF'
import json, sys
rows = {r["key"]: r for r in map(json.loads, open(sys.argv[1]))}
(broker,) = json.loads(sys.argv[2])["api_versions"]
stated = {a["key"]: a["used"] for a in broker["apis"]}
wrong = ["%s: USED says %s, the wire %s" % (r["api"], stated.get(k), r["used"])
         for k, r in sorted(rows.items()) if r["used"] != [stated.get(k)]]
assert not wrong, "; ".join(wrong)
EOF
}
