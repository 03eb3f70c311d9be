#!/usr/bin/env python3
"""tshark compatibility test: Wireshark's Kafka dissector reads frames kpipe wrote.

Usage: tshark_compat.py KPIPE_COMPAT_FRAMES [--work-dir DIR] [--tshark PATH] [--reuse] [-v]
                        [--learn]

1. Runs KPIPE_COMPAT_FRAMES (tests/compat/write_frames.cpp), which writes frames.pcap (one TCP
   connection per API key 0-47 and version kpipe knows, carrying a request frame and its
   response frame) and frames.json (what kpipe put in each frame: header facts, the sample
   bodies as kpipe renders them to JSON, and the record batch put into Produce/Fetch).
2. Runs `tshark -r frames.pcap -d tcp.port==9092,kafka -T pdml` with IPv4 and TCP checksum
   validation on, and takes every Kafka PDU tshark found, with each field's value and its byte
   position.
3. Checks for each frame: tshark recognized it as Kafka; api key, api version, correlation id
   and client id agree; no expert info of warning severity or worse (malformed packet, bad
   lengths, "does not end at the pdu length", missing request, TCP analysis problems,
   checksum errors); and the body's field values: every string, integer, boolean, bytes and
   timestamp field tshark exposes must equal a value kpipe put in that frame, in wire order
   (tshark's fields sorted by byte position must be an in-order subsequence of the leaves of
   kpipe's JSON), and for the fields in NAMED the value must come from a kpipe field of a
   matching name (kafka.topic_name from `name`/`topic`/..., kafka.error from `*error_code`,
   kafka.partition_id from `partition_index`/..., kafka.consumer_group from `group_id`/...).
   The record batch inside `records` is compared with what write_frames put there.

Versions: the dissector keeps a table of the versions it supports per API key; for a version
outside it, it adds the expert info kafka.unsupported_api_version ("Unsupported Fetch version.
Supports v0-11."). Such pairs are excluded with a printed note and do not count as passes; the
supported range per key is taken from those messages. At least one version of every key 0-47
must remain compared, or the test fails.

Known dissector bugs (KNOWN_DISSECTOR_BUGS below, each checked against Kafka's message
definitions): for the frames they affect, the fields are compared up to the first field the bug
touches, and the malformed-packet expert info the bug causes is tolerated; printed as notes. A
listed frame that agrees in full is compared in full. Where the bug makes the dissector throw on
a request, it never pairs the response with it; write_frames then also sends that response
after a default request (a "response-only pair"), and that copy is compared.

Exit status: 0 all compared frames agree, 1 a disagreement (details printed), 77 tshark is not
installed (ctest reports SKIP). Python standard library only.
"""

import argparse
import base64
import collections
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

SKIP = 77
SERVER_PORT = 9092
FIRST_KEY, LAST_KEY = 0, 47
MAX_SHOWN = 3  # field disagreements shown per frame: later ones are mostly consequences

# Expert severities as tshark prints them (epan/proto.h PI_*).
PI_WARN = 0x00600000

# Header fields, compared separately, and tshark's own bookkeeping (generated, not on the wire).
HEADER_FIELDS = {
    "kafka.len", "kafka.request_key", "kafka.response_key", "kafka.request.version",
    "kafka.response.version", "kafka.correlation_id", "kafka.client_id", "kafka.api_key",
    "kafka.api_version",
}
BOOKKEEPING_FIELDS = {"kafka.request_frame", "kafka.response_frame"}
VERSION_FIELDS = {"kafka.api_version", "kafka.request.version", "kafka.response.version"}
# Subtrees holding the record batch of a `records` field, compared by compare_records().
RECORD_LABELS = re.compile(r"Message Set|Record Batch|Record|Headers|Header \(Key: .*\)")

# tshark field -> the kpipe field names (regular expression, full match) its value must come
# from. kpipe's names are those of src/lib/protocol/defs/*.def (Kafka's, in snake_case); the
# elements of an array of scalars carry the array's name. tshark fields not listed here are
# compared by value and position only.
NAMED = {
    # topics, partitions, errors
    "kafka.topic_name": r"name|topic|topic_name|topics|topic_names",
    "kafka.forgotten_topic_name": r"topic",
    "kafka.partition_id": r"partition_index|partition|partitions|partition_indexes|index|"
                          r"partition_id",
    "kafka.forgotten_topic_partition": r"partitions",
    "kafka.partition_count": r"count",
    "kafka.num_partitions": r"num_partitions",
    "kafka.replication_factor": r"replication_factor",
    "kafka.error": r"(\w+_)?error_code",
    "kafka.error_message": r"(\w+_)?error_message",
    "kafka.throttle_time": r"throttle_time_ms",
    # offsets and times
    "kafka.offset": r"\w*offsets?|high_watermark|low_watermark",
    "kafka.log_start_offset": r"log_start_offset",
    "kafka.last_stable_offset": r"last_stable_offset",
    "kafka.first_offset": r"first_offset",
    "kafka.offset_time": r"timestamp|log_append_time_ms",
    "kafka.offset_lag": r"offset_lag",
    "kafka.max_offsets": r"max_num_offsets",
    "kafka.metadata": r"(committed_)?metadata",
    "kafka.commit_timestamp": r"commit_timestamp",
    "kafka.retention_time": r"retention_time_ms",
    "kafka.segment_size": r"partition_size",
    # produce and fetch
    "kafka.required_acks": r"acks",
    "kafka.timeout": r"timeout_ms",
    "kafka.max_wait_time": r"max_wait_ms",
    "kafka.min_bytes": r"min_bytes",
    "kafka.max_bytes": r"(partition_)?max_bytes",
    "kafka.isolation_level": r"isolation_level",
    "kafka.fetch_session_id": r"session_id",
    "kafka.fetch_session_epoch": r"session_epoch",
    "kafka.batch_index": r"batch_index",
    "kafka.batch_index_error_message": r"batch_index_error_message",
    # transactions and producers
    "kafka.transactional_id": r"(v3_and_below_)?transactional_id",
    "kafka.producer_id": r"(v3_and_below_)?producer_id",
    "kafka.producer_epoch": r"(v3_and_below_)?producer_epoch",
    "kafka.transaction_timeout": r"transaction_timeout_ms",
    "kafka.transaction_result": r"committed|transaction_result",  # a bool in EndTxn
    "kafka.coordinator_epoch": r"coordinator_epoch",
    # groups
    "kafka.consumer_group": r"group_id|groups|groups_names|key",  # key: FindCoordinator v0
    "kafka.consumer_group_instance": r"group_instance_id",
    "kafka.member_id": r"member_id",
    "kafka.group_leader_id": r"leader",
    "kafka.group_state": r"group_state",
    "kafka.generation_id": r"generation_id(_or_member_epoch)?",
    "kafka.protocol_type": r"protocol_type",
    "kafka.protocol_name": r"name|protocol_name|protocol_data",
    "kafka.protocol_metadata": r"metadata",
    "kafka.member_metadata": r"metadata|member_metadata",
    "kafka.member_assignment": r"assignment|member_assignment",
    "kafka.session_timeout": r"session_timeout_ms",
    "kafka.rebalance_timeout": r"rebalance_timeout_ms",
    "kafka.client_host": r"client_host",
    "kafka.client_id": r"client_id",
    "kafka.coordinator_key": r"key",
    "kafka.coordinator_type": r"key_type",
    "kafka.require_stable_offset": r"require_stable",
    # brokers, replicas, controllers
    "kafka.node_id": r"node_id|broker_id|controller_id|id",
    "kafka.host": r"host|host_name",
    "kafka.port": r"port",
    "kafka.rack": r"rack|rack_id",
    "kafka.listener_name": r"listener",
    "kafka.broker_security_protocol_type": r"security_protocol",
    "kafka.cluster_id": r"cluster_id",
    "kafka.leader_id": r"leader_id|leader",
    "kafka.leader_epoch": r"(current_|committed_)?leader_epoch",
    "kafka.current_leader_epoch": r"current_leader_epoch",
    "kafka.controller_epoch": r"controller_epoch",
    "kafka.broker_epoch": r"broker_epoch",
    "kafka.replica_id": r"\w*replica\w*|replicas|isr|broker_ids",
    "kafka.isr_id": r"isr|isr_nodes",
    "kafka.offline_id": r"offline_replicas",
    "kafka.zk_version": r"zk_version|partition_epoch",
    "kafka.is_new_replica": r"is_new",
    "kafka.delete_partitions": r"delete_partitions",
    "kafka.election_type": r"election_type",
    # the dissector calls AlterReplicaLogDirs response's topic name a log dir
    "kafka.log_dir": r"log_dir|path|topic_name",
    "kafka.future": r"is_future_key",
    # metadata, configs, ACLs
    "kafka.allow_auto_topic_creation": r"allow_auto_topic_creation",
    "kafka.is_internal": r"is_internal",
    "kafka.include_cluster_authorized_ops": r"include_cluster_authorized_operations",
    "kafka.include_topic_authorized_ops": r"include_topic_authorized_operations",
    "kafka.include_group_authorized_ops": r"include_authorized_operations",
    "kafka.cluster_authorized_ops": r"cluster_authorized_operations",
    "kafka.topic_authorized_ops": r"topic_authorized_operations",
    "kafka.group_authorized_ops": r"authorized_operations",
    "kafka.validate_only": r"validate_only",
    "kafka.config_key": r"name|configuration_keys",
    "kafka.config_value": r"value",
    "kafka.config_resource_type": r"resource_type",
    "kafka.config_resource_name": r"resource_name",
    "kafka.config_include_synonyms": r"include_synonyms",
    "kafka.config_operation": r"config_operation",
    "kafka.config_readonly": r"read_only",
    "kafka.config_default": r"is_default",
    "kafka.config_sensitive": r"is_sensitive",
    "kafka.config_source": r"config_source|source",
    "kafka.acl_principal": r"principal(_filter)?",
    "kafka.acl_host": r"host(_filter)?",
    "kafka.acl_resource_name": r"resource_name(_filter)?",
    "kafka.acl_resource_type": r"resource_type(_filter)?",
    "kafka.acl_resource_pattern_type": r"(resource_)?pattern_type(_filter)?",
    "kafka.acl_operation": r"operation",
    "kafka.acl_permission_type": r"permission_type",
    # SASL, delegation tokens, ApiVersions
    "kafka.sasl_mechanism": r"mechanism|mechanisms",
    "kafka.sasl_authentication": r"auth_bytes",
    "kafka.session_lifetime_ms": r"session_lifetime_ms",
    "kafka.token_id": r"token_id",
    "kafka.token_hmac": r"hmac",
    "kafka.token_max_life_time": r"max_lifetime_ms",
    "kafka.renew_time": r"renew_period_ms",
    "kafka.expiry_time": r"expiry_time_period_ms",
    "kafka.token_issue_timestamp": r"issue_timestamp(_ms)?",
    "kafka.token_expiry_timestamp": r"expiry_timestamp(_ms)?",
    "kafka.token_max_timestamp": r"max_timestamp(_ms)?",
    "kafka.principal_type": r"\w*principal_type",
    "kafka.principal_name": r"\w*principal_name",
    "kafka.api_versions.api_key": r"api_key",
    "kafka.api_versions.min_version": r"min_version",
    "kafka.api_versions.max_version": r"max_version",
    "kafka.client_software_name": r"client_software_name",
    "kafka.client_software_version": r"client_software_version",
    # unknown tagged fields (tag 10000 in every struct of a flexible sample)
    "kafka.tagged_field_tag": r"_unknown_tags\.tag",
    "kafka.tagged_field_data": r"_unknown_tags\.data",
}


class Bug:
    """A known deviation of the dissector from Kafka's message definitions."""

    def __init__(self, key, directions, versions, stop, why):
        self.key = key
        self.directions = directions  # ("request",), ("response",) or both
        self.versions = versions      # inclusive (first, last)
        self.stop = stop              # regular expression: a field name or a subtree label
        self.why = why

    def applies(self, key, direction, version):
        return (key == self.key and direction in self.directions and
                self.versions[0] <= version <= self.versions[1])


_INT16_BYTES = ("reads a non-flexible BYTES field with an int16 length (dissect_kafka_regular_"
                "bytes); Kafka's BYTES has an int32 length")
# Found by reading Wireshark 4.0.17's epan/dissectors/packet-kafka.c (Debian 12's tshark) against
# Kafka's clients/src/main/resources/common/message/*.json (copies in shared/kafka-protocol beside
# the repository). The comparison of such a frame stops at the first field (in wire order) whose
# name, or the label of a subtree it is in, matches `stop`.
KNOWN_DISSECTOR_BUGS = [
    Bug(6, ("request",), (0, 3), r"Offline Replicas",
        "UpdateMetadata request: the dissector reads offline_replicas in every version; "
        "Kafka has OfflineReplicas from v4 on"),
    Bug(11, ("request",), (0, 5), r"kafka\.protocol_metadata",
        "JoinGroup request: protocol metadata " + _INT16_BYTES),
    Bug(11, ("response",), (0, 5), r"kafka\.member_metadata",
        "JoinGroup response: member metadata " + _INT16_BYTES),
    Bug(14, ("request", "response"), (0, 3), r"kafka\.member_assignment",
        "SyncGroup: assignment " + _INT16_BYTES),
    Bug(15, ("response",), (0, 4), r"kafka\.member_metadata",
        "DescribeGroups response: member metadata " + _INT16_BYTES),
    Bug(19, ("request",), (0, 5), r"Replica Assignments",
        "CreateTopics request: in a replica assignment the dissector does not advance past the "
        "partition index (dissect_kafka_partition_id_ret's result is dropped), so it reads the "
        "partition index again as the broker id array's length"),
    Bug(20, ("response",), (1, 2), r"Topic Error Codes",
        "DeleteTopics response: the dissector reads throttle_time_ms from v3 on; Kafka has "
        "ThrottleTimeMs from v1 on"),
    Bug(27, ("response",), (0, 0), r"kafka\.throttle_time",
        "WriteTxnMarkers response: the dissector reads a throttle_time_ms that Kafka's "
        "WriteTxnMarkersResponse does not have"),
    Bug(31, ("response",), (0, 1), r"Filters",
        "DeleteAcls response: the dissector reads the filter results array with a compact "
        "(varint) length in every version (`api_version >= 0`); Kafka is flexible from v2 on"),
    Bug(36, ("request", "response"), (0, 1), r"kafka\.sasl_authentication",
        "SaslAuthenticate: auth bytes " + _INT16_BYTES),
    Bug(37, ("request",), (0, 2), r"Brokers",
        "CreatePartitions request: the dissector reads assignments as one []int32 of brokers; "
        "Kafka has Assignments: []CreatePartitionsAssignment, each with BrokerIds: []int32"),
    Bug(38, ("response",), (0, 1), r"kafka\.token_hmac",
        "CreateDelegationToken response: hmac " + _INT16_BYTES),
    Bug(39, ("request",), (0, 1), r"kafka\.token_hmac",
        "RenewDelegationToken request: hmac " + _INT16_BYTES),
    Bug(40, ("request",), (0, 1), r"kafka\.token_hmac",
        "ExpireDelegationToken request: hmac " + _INT16_BYTES),
    Bug(41, ("response",), (0, 1), r"kafka\.token_hmac",
        "DescribeDelegationToken response: hmac " + _INT16_BYTES),
    Bug(43, ("request",), (0, 2), r"Topics",
        "ElectLeaders request: the dissector skips each topic's name (TopicPartitions[].Topic) "
        "and reads the partitions array at its place"),
    Bug(45, ("request",), (0, 0), r"Topics",
        "AlterPartitionReassignments request: v0 is flexible, the dissector reads its body "
        "with non-compact strings and arrays and no tagged fields"),
    Bug(46, ("request",), (0, 0), r"Topics",
        "ListPartitionReassignments request: v0 is flexible, the dissector reads its body "
        "with non-compact strings and arrays and no tagged fields"),
]

_INT_TYPES = re.compile(r"FT_U?INT(8|16|24|32|40|48|56|64)$")
_MONTHS = {m: i + 1 for i, m in enumerate(
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"])}


# ---- tshark -------------------------------------------------------------------------------------

def tshark_env(work_dir):
    env = dict(os.environ)
    env["TZ"] = "UTC"
    # A private configuration directory: no user preferences or profiles change the dissection.
    home = os.path.join(work_dir, "tshark-home")
    os.makedirs(home, exist_ok=True)
    env["HOME"] = home
    env["XDG_CONFIG_HOME"] = home
    env.pop("WIRESHARK_CONFIG_DIR", None)
    return env


def field_types(tshark, env):
    """kafka.* field abbreviation -> FT_* type, from `tshark -G fields`."""
    out = subprocess.run([tshark, "-G", "fields"], env=env, check=True, capture_output=True,
                         text=True).stdout
    types = {}
    for line in out.splitlines():
        parts = line.split("\t")
        if len(parts) >= 4 and parts[0] == "F" and parts[2].startswith("kafka."):
            types[parts[2]] = parts[3]
    return types


def run_tshark(tshark, env, pcap, pdml):
    cmd = [tshark, "-n", "-r", pcap, "-d", "tcp.port==%d,kafka" % SERVER_PORT,
           "-o", "tcp.desegment_tcp_streams:TRUE", "-o", "tcp.check_checksum:TRUE",
           "-o", "ip.check_checksum:TRUE", "-T", "pdml"]
    with open(pdml, "wb") as out:
        proc = subprocess.run(cmd, env=env, stdout=out, stderr=subprocess.PIPE)
    if proc.returncode != 0:
        print("tshark_compat: FAIL: %s exited %d:\n%s" % (
            " ".join(cmd), proc.returncode, proc.stderr.decode(errors="replace")))
        sys.exit(1)
    return ET.parse(pdml).getroot()


def version_of(tshark, env):
    out = subprocess.run([tshark, "--version"], env=env, capture_output=True, text=True).stdout
    return out.splitlines()[0] if out else "tshark (unknown version)"


# ---- tshark's tree ------------------------------------------------------------------------------

class Leaf:
    def __init__(self, field, show, raw, pos, labels):
        self.field, self.show, self.raw, self.pos, self.labels = field, show, raw, pos, labels


class Pdu:
    """One Kafka PDU as tshark dissected it."""

    def __init__(self, frame, src_port, dst_port):
        self.frame = frame
        self.is_request = dst_port == SERVER_PORT
        self.header = {}   # header field -> shown value (first occurrence)
        self.leaves = []   # body fields, sorted by byte position
        self.records = []  # fields inside record batches
        self.experts = []  # (field, severity, message)

    def has_exception(self):
        return any(e[0] == "_ws.malformed" for e in self.experts)

    def unsupported_version(self):
        """tshark's message if the header's api version is beyond the dissector's table."""
        for field, _, message, parent in self.experts:
            if field == "kafka.unsupported_api_version" and parent in VERSION_FIELDS:
                return message
        return None


def collect_expert(elem, experts, parent=""):
    """Appends (field, severity, message, parent): parent is the field the expert info is on."""
    fields = {}
    for child in elem:
        fields[child.get("name")] = child.get("show", "")
    kind = [n for n in fields if not n.startswith("_ws.expert")]
    severity = int(fields.get("_ws.expert.severity", "0") or "0", 0)
    name = kind[0] if kind else "?"
    if name == "_ws.malformed.expert":
        name = "_ws.malformed"
    experts.append((name, severity, fields.get("_ws.expert.message", ""), parent))


def walk(elem, pdu, labels, in_records, parent=""):
    for child in elem:
        if child.tag != "field":
            if child.tag == "proto":  # a protocol inside Kafka's tree: nothing of ours
                walk(child, pdu, labels + [child.get("name", "")], in_records)
            continue
        name = child.get("name", "")
        if name == "_ws.expert":
            collect_expert(child, pdu.experts, parent)
            continue
        if name.startswith("_ws."):
            continue
        label = child.get("show", "") if name == "" else child.get("showname", name)
        if name.startswith("kafka."):
            leaf = Leaf(name, child.get("show", ""), child.get("value", ""),
                        int(child.get("pos", "0")), labels)
            if name in HEADER_FIELDS and not labels:  # DescribeGroups has a client_id too
                pdu.header.setdefault(name, leaf.show)
            elif name in BOOKKEEPING_FIELDS:
                pass
            elif in_records:
                pdu.records.append(leaf)
            else:
                pdu.leaves.append(leaf)
        if len(child):
            walk(child, pdu, labels + [label], in_records or bool(RECORD_LABELS.fullmatch(label)),
                 name)


def packet_pdus(packet):
    """The Kafka PDUs of one packet and the expert infos of its other layers."""
    frame = src_port = dst_port = None
    pdus, experts = [], []
    for proto in packet.findall("proto"):
        name = proto.get("name")
        if name == "geninfo":
            for f in proto.findall("field"):
                if f.get("name") == "num":
                    frame = int(f.get("show"))
        elif name == "tcp":
            for f in proto.findall("field"):
                if f.get("name") == "tcp.srcport":
                    src_port = int(f.get("show"))
                elif f.get("name") == "tcp.dstport":
                    dst_port = int(f.get("show"))
        if name == "kafka":
            pdu = Pdu(frame, src_port, dst_port)
            walk(proto, pdu, [], False)
            pdu.leaves.sort(key=lambda leaf: leaf.pos)  # stable: tree order at equal positions
            pdus.append(pdu)
        elif name == "_ws.malformed":
            # An exception while dissecting: the Kafka PDU of this packet is malformed.
            target = pdus[-1].experts if pdus else experts
            target.append(("_ws.malformed", 0x00800000, "Malformed Packet (Exception occurred)",
                           ""))
        elif name not in ("geninfo", "frame"):
            for expert in proto.iter("field"):
                if expert.get("name") == "_ws.expert":
                    collect_expert(expert, experts)
    return frame, pdus, experts


# ---- kpipe's side -------------------------------------------------------------------------------

def kpipe_leaves(value, key="", out=None):
    """The scalar leaves of a sample's JSON in order, as (key, value). Elements of an array of
    scalars carry the array's key; unknown tagged fields the keys _unknown_tags.tag/.data."""
    if out is None:
        out = []
    if isinstance(value, dict):
        for k, v in value.items():
            if k == "_unknown_tags":
                for tag in v:
                    out.append(("_unknown_tags.tag", tag["tag"]))
                    out.append(("_unknown_tags.data", bytes.fromhex(tag["data"])))
            else:
                kpipe_leaves(v, k, out)
    elif isinstance(value, list):
        for v in value:
            kpipe_leaves(v, key, out)
    else:
        out.append((key, value))
    return out


def as_bytes(value):
    """A kpipe leaf as bytes, if it is base64 (kpipe renders bytes, records and uuids so)."""
    if isinstance(value, bytes):
        return value
    if not isinstance(value, str):
        return None
    try:
        return base64.b64decode(value, validate=True)
    except ValueError:
        return None


# ---- comparison ---------------------------------------------------------------------------------

def parse_time_ms(text):
    """tshark's rendering of an FT_ABSOLUTE_TIME ("Jan  1, 1970 00:00:00.005000000 UTC") -> ms."""
    m = re.match(r"(\w{3})\s+(\d+), (\d+) (\d+):(\d+):(\d+)(?:\.(\d+))?", text.strip())
    if not m:
        return None
    mon, day, year, hh, mm, ss, frac = m.groups()
    try:
        when = datetime.datetime(int(year), _MONTHS[mon], int(day), int(hh), int(mm), int(ss),
                                 tzinfo=datetime.timezone.utc)
    except (KeyError, ValueError):  # e.g. a year past 9999: no sample value is that
        return None
    return int(when.timestamp()) * 1000 + int((frac or "0").ljust(9, "0")[:9]) // 1000000


def tshark_value(field, text, types):
    """(kind, value) of a field tshark showed, or None for a type not compared."""
    ftype = types.get(field, "")
    m = _INT_TYPES.match(ftype)
    if m:
        kind = ("uint" if ftype.startswith("FT_UINT") else "int") + m.group(1)
        return kind, int(text, 0)
    if ftype in ("FT_STRING", "FT_STRINGZ", "FT_UINT_STRING", "FT_STRINGZPAD"):
        return "str", text
    if ftype == "FT_BYTES":
        return "bytes", bytes.fromhex(text.replace(":", ""))
    if ftype == "FT_BOOLEAN":
        return "bool", text.lower() in ("1", "true")
    if ftype == "FT_ABSOLUTE_TIME":
        return "time", parse_time_ms(text)
    return None


def leaf_matches(kind, value, kvalue):
    if kind == "str":
        return isinstance(kvalue, str) and kvalue == value
    if kind == "bytes":
        b = as_bytes(kvalue)
        return b is not None and b == value
    if kind == "bool":
        return isinstance(kvalue, bool) and kvalue == value
    if isinstance(kvalue, bool):  # an int8 on the wire that Kafka calls a boolean
        kvalue = int(kvalue)
    if not isinstance(kvalue, int):
        return False
    if kind == "time":
        return value is not None and kvalue == value
    if kind.startswith("uint"):  # tshark shows e.g. an int32 as unsigned: compare the bits
        return kvalue % (1 << int(kind[4:])) == value
    return kvalue == value


class Result:
    def __init__(self):
        self.failures = []
        self.compared = 0
        self.named = 0
        self.by_field = collections.Counter()
        self.learned = collections.defaultdict(collections.Counter)  # field -> kpipe keys
        self.skipped_tagged = 0  # tagged fields kpipe knows by name, which tshark shows raw
        self.uncompared = collections.Counter()  # body fields of a type not compared

    def fail(self, where, msg):
        self.failures.append("%s: %s" % (where, msg))

    def count(self, field, named):
        self.compared += 1
        self.by_field[field] += 1
        if named:
            self.named += 1


def compare_body(pdu, sample, types, where, result, learn, stop=None):
    """Aligns tshark's leaves (wire order) with kpipe's leaves; returns the leaves compared."""
    kleaves = kpipe_leaves(sample)
    unknown_tags = {v for k, v in kleaves if k == "_unknown_tags.tag"}
    j = 0
    disagreements = 0
    compared = 0
    skip_tag_data = False
    for leaf in pdu.leaves:
        if stop is not None and (re.fullmatch(stop, leaf.field) or
                                 any(re.match(stop, label) for label in leaf.labels)):
            break
        # tshark shows every tagged field raw; kpipe renders the tags it knows as named fields
        # (compared where tshark decodes them, never here) and the others as _unknown_tags.
        if leaf.field == "kafka.tagged_field_tag" and int(leaf.show, 0) not in unknown_tags:
            result.skipped_tagged += 1
            skip_tag_data = True
            continue
        if leaf.field == "kafka.tagged_field_data" and skip_tag_data:
            skip_tag_data = False
            continue
        skip_tag_data = False
        typed = tshark_value(leaf.field, leaf.show, types)
        if typed is None:
            result.uncompared[leaf.field] += 1
            continue
        kind, value = typed
        pattern = NAMED.get(leaf.field)
        k = j
        while k < len(kleaves):
            kkey, kvalue = kleaves[k]
            if leaf_matches(kind, value, kvalue) and (pattern is None or
                                                      re.fullmatch(pattern, kkey)):
                break
            k += 1
        result.count(leaf.field, pattern is not None)
        compared += 1
        if k < len(kleaves):
            if learn:
                result.learned[leaf.field][kleaves[k][0]] += 1
            j = k + 1
            continue
        anywhere = sorted({kk for kk, kv in kleaves if leaf_matches(kind, value, kv)})
        named_ok = [a for a in anywhere if pattern is None or re.fullmatch(pattern, a)]
        if named_ok:
            why = "kpipe has it (%s), but not at this position" % ", ".join(named_ok)
        elif anywhere:
            why = "kpipe has it only as %s, not as a field named like /%s/" % (
                ", ".join(anywhere), pattern)
        else:
            why = "kpipe put no such value in this frame"
        disagreements += 1
        if disagreements <= MAX_SHOWN:
            result.fail(where, "tshark %s = %r at byte %d [%s]: %s" % (
                leaf.field, leaf.show, leaf.pos, " > ".join(leaf.labels), why))
    if disagreements > MAX_SHOWN:
        result.fail(where, "... and %d more fields that disagree" % (disagreements - MAX_SHOWN))
    return compared


def compare_records(pdu, record, types, where, result):
    """The record batches tshark found in `records` fields against what write_frames put."""
    if record is None:
        if pdu.records:
            result.fail(where, "tshark found record batch fields where kpipe wrote none: %s" %
                        ", ".join(leaf.field for leaf in pdu.records[:5]))
        return 0
    expect = {
        "kafka.message_magic": [2],
        "kafka.message_size": [record["batch_length"]],
        "kafka.batch_crc": [record["crc"]],
        "kafka.batch_codec": [0],
        "kafka.batch_last_offset_delta": [0],
        "kafka.producer_id": [-1],
        "kafka.producer_epoch": [-1],
        "kafka.batch_base_sequence": [-1],
        "kafka.batch_size": [1],  # the record count
        "kafka.offset": [0],      # the base offset, then base + the record's delta
        "kafka.leader_epoch": [0],
        "kafka.record_attributes": [0],
        "kafka.message_timestamp": [record["timestamp_ms"]],
        "kafka.message_key": [record["key"].encode()],
        "kafka.message_value": [record["value"].encode()],
        "kafka.header_key": [record["header_key"]],
        "kafka.header_value": [record["header_value"].encode()],
    }
    # Wireshark 4.0 shows the batch's first/last timestamps as if they were seconds and
    # nanoseconds: compare the bytes it read instead of its rendering.
    raw_expect = {"kafka.batch_first_timestamp": record["timestamp_ms"],
                  "kafka.batch_last_timestamp": record["timestamp_ms"]}
    seen = collections.Counter()
    compared = 0
    for leaf in pdu.records:
        if leaf.field in raw_expect:
            got, want = int(leaf.raw, 16), raw_expect[leaf.field]
        elif leaf.field in expect:
            typed = tshark_value(leaf.field, leaf.show, types)
            got, want = typed[1], expect[leaf.field][0]
            if typed[0].startswith("uint") and isinstance(want, int):
                want %= 1 << int(typed[0][4:])
        else:
            continue  # e.g. the codec bits tshark shows several times
        seen[leaf.field] += 1
        result.count(leaf.field, True)
        compared += 1
        if got != want:
            result.fail(where, "record batch %s: tshark %r, kpipe %r" % (leaf.field, got, want))
    for field in ("kafka.message_key", "kafka.message_value", "kafka.header_key",
                  "kafka.header_value", "kafka.batch_crc"):
        if not seen[field]:
            result.fail(where, "tshark shows no %s in the record batch" % field)
    return compared


def check_header(pdu, entry, where, result):
    h = pdu.header
    if pdu.is_request:
        want = [("kafka.request_key", entry["api_key"]),
                ("kafka.request.version", entry["version"])]
    else:
        want = [("kafka.response_key", entry["api_key"]),
                ("kafka.response.version", entry["version"])]
    want.append(("kafka.correlation_id", entry["correlation_id"]))
    want.append(("kafka.len", entry["request_size" if pdu.is_request else "response_size"]))
    for field, value in want:
        text = h.get(field)
        result.count(field, True)
        if text is None:
            result.fail(where, "tshark shows no %s" % field)
        elif int(text, 0) != value:
            result.fail(where, "%s: tshark %s, kpipe %d" % (field, text, value))
    if pdu.is_request:
        result.count("kafka.client_id", True)
        have = h.get("kafka.client_id")
        if have != entry["client_id"] and not (entry["client_id"] is None and have is None):
            result.fail(where, "kafka.client_id: tshark %r, kpipe %r" % (have, entry["client_id"]))


# ---- main ---------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("frames_binary", help="path of kpipe_compat_frames")
    ap.add_argument("--work-dir", help="where to write frames.pcap, frames.json, frames.pdml")
    ap.add_argument("--tshark", help="tshark to use (default: from PATH)")
    ap.add_argument("--reuse", action="store_true",
                    help="compare the frames.pcap and frames.json already in --work-dir")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--learn", action="store_true",
                    help="print which kpipe field names each tshark field matched")
    args = ap.parse_args()

    tshark = args.tshark or shutil.which("tshark")
    if not tshark:
        print("tshark_compat: SKIP: tshark is not installed (Debian: apt-get install tshark)")
        return SKIP
    work_dir = args.work_dir or tempfile.mkdtemp(prefix="tshark_compat.")
    os.makedirs(work_dir, exist_ok=True)
    pcap = os.path.join(work_dir, "frames.pcap")
    meta = os.path.join(work_dir, "frames.json")

    gen = subprocess.run([args.frames_binary, pcap, meta, str(FIRST_KEY), str(LAST_KEY)],
                         capture_output=True, text=True) if not args.reuse else None
    if gen is not None and gen.returncode != 0:
        print("tshark_compat: FAIL: %s exited %d\n%s%s" % (args.frames_binary, gen.returncode,
                                                           gen.stdout, gen.stderr))
        return 1
    with open(meta, encoding="utf-8") as f:
        entries = json.load(f)
    by_cid = {e["correlation_id"]: e for e in entries}
    by_cid.update({e["response_only_correlation_id"]: e for e in entries
                   if "response_only_correlation_id" in e})

    env = tshark_env(work_dir)
    types = field_types(tshark, env)
    root = run_tshark(tshark, env, pcap, os.path.join(work_dir, "frames.pdml"))
    packets = root.findall("packet")
    print("tshark_compat: %s read %d packets: %d (api key, version) pairs from %s" % (
        version_of(tshark, env), len(packets), len(entries), pcap))

    result = Result()
    seen = collections.defaultdict(list)  # correlation id -> its PDUs
    for packet in packets:
        frame, pdus, experts = packet_pdus(packet)
        for field, severity, message, _ in experts:
            if severity >= PI_WARN:
                result.fail("frame %s" % frame, "expert info %s: %s" % (field, message))
        for pdu in pdus:
            cid = pdu.header.get("kafka.correlation_id")
            if cid is None or int(cid, 0) not in by_cid:
                result.fail("frame %s" % frame, "a Kafka PDU with unknown correlation id %r" % cid)
                continue
            seen[int(cid, 0)].append(pdu)

    unsupported = {}  # (key, version) -> tshark's message
    compared_versions = collections.defaultdict(list)
    bug_notes = collections.OrderedDict()  # bug -> [(version, direction, fields compared)]
    frames_compared = 0
    for entry in entries:
        key, version, cid = entry["api_key"], entry["version"], entry["correlation_id"]
        pdus = seen.get(cid, [])
        messages = [m for m in (p.unsupported_version() for p in pdus) if m is not None]
        if messages:
            unsupported[(key, version)] = messages[0]
            continue
        compared_versions[key].append(version)
        request_bug = None
        for direction in ("request", "response"):
            where = "%s v%d %s (api key %d, correlation id %d)" % (
                entry["api"], version, direction, key, cid)
            mine = [p for p in pdus if p.is_request == (direction == "request")]
            if len(mine) != 1:
                result.fail(where, "tshark found %d Kafka PDUs (expected 1)" % len(mine))
                continue
            pdu = mine[0]
            bug = next((b for b in KNOWN_DISSECTOR_BUGS if b.applies(key, direction, version)),
                       None)
            if direction == "request":
                request_bug = bug if bug is not None and pdu.has_exception() else None
            elif request_bug is not None and pdu.header.get("kafka.response_key") is None:
                # The request's exception kept it out of tshark's request/response map, so the
                # response went undissected ("Request missing"). write_frames sent the same
                # response once more after a default request: compare that one.
                other = seen.get(entry.get("response_only_correlation_id"), [])
                requests = [p for p in other if p.is_request]
                mine = [p for p in other if not p.is_request]
                if "response_only_correlation_id" not in entry:
                    bug_notes.setdefault(request_bug, []).append((version, direction, 0))
                    continue  # the dissector cannot read any request of this version
                if len(requests) != 1 or len(mine) != 1:
                    result.fail(where, "tshark found %d requests and %d responses in the "
                                "response-only pair" % (len(requests), len(mine)))
                    continue
                for field, severity, message, _ in requests[0].experts:
                    if severity >= PI_WARN:
                        result.fail(where, "the default request of the response-only pair: "
                                    "expert info %s: %s" % (field, message))
                pdu = mine[0]
                entry = dict(entry, correlation_id=entry["response_only_correlation_id"])
            where = "frame %s: %s" % (pdu.frame, where)
            frames_compared += 1
            for field, severity, message, parent in pdu.experts:
                if severity < PI_WARN:
                    continue
                if bug is not None and field != "kafka.request_missing":
                    continue  # the bug's consequence: the comparison stopped before it
                if (key == 18 and direction == "response" and
                        field == "kafka.unsupported_api_version" and parent not in VERSION_FIELDS):
                    continue  # an ApiVersions entry listing versions the dissector lacks
                result.fail(where, "expert info %s: %s" % (field, message))
            check_header(pdu, entry, where, result)
            if bug is not None:
                # Does the bug show? A frame that agrees in full and raised nothing is compared
                # in full (a Wireshark with the bug fixed); otherwise up to the bug's field.
                trial = Result()
                compare_body(pdu, entry[direction], types, where, trial, False)
                if not trial.failures and not any(e[1] >= PI_WARN for e in pdu.experts):
                    bug = None
            n = compare_body(pdu, entry[direction], types, where, result, args.learn,
                             stop=bug.stop if bug is not None else None)
            if bug is not None:
                bug_notes.setdefault(bug, []).append((version, direction, n))
            has_records = (key == 0 and direction == "request") or (
                key == 1 and direction == "response")
            compare_records(pdu, entry.get("record") if has_records else None, types, where,
                            result)

    ranges = {}
    for (key, version), message in sorted(unsupported.items()):
        m = re.search(r"Supports v(\d+)(?:-(\d+))?", message)
        ranges[key] = ("v%s-%s" % (m.group(1), m.group(2) or m.group(1))) if m else message
    for key in sorted(ranges):
        skipped = sorted(v for k, v in unsupported if k == key)
        print("tshark_compat: note: api key %d: the dissector supports %s; not compared: "
              "kpipe's %s" % (key, ranges[key], ",".join("v%d" % v for v in skipped)))
    for bug, frames in bug_notes.items():
        print("tshark_compat: note: known dissector bug, compared up to /%s/ only: %s [%s]" % (
            bug.stop, bug.why, ", ".join("v%d %s: %d fields" % f for f in frames)))
    missing_keys = [k for k in range(FIRST_KEY, LAST_KEY + 1) if not compared_versions.get(k)]
    if missing_keys:
        result.fail("coverage", "no version of api keys %s was compared" % missing_keys)
    if args.verbose:
        for key in sorted(compared_versions):
            print("tshark_compat: api key %d: compared v%s" % (
                key, ",v".join(str(v) for v in sorted(compared_versions[key]))))
        for field, n in sorted(result.by_field.items()):
            print("tshark_compat:   %-40s %d" % (field, n))
        for field, n in sorted(result.uncompared.items()):
            print("tshark_compat:   %-40s %d not compared (type %s)" % (
                field, n, types.get(field, "?")))
    if args.learn:
        for field, keys in sorted(result.learned.items()):
            print("learn: %-40s %s" % (field, dict(keys)))

    n_versions = sum(len(v) for v in compared_versions.values())
    summary = "%d frames (keys %d-%d, %d versions)" % (frames_compared, FIRST_KEY, LAST_KEY,
                                                      n_versions)
    if result.failures:
        for failure in result.failures:
            print("tshark_compat: FAIL: " + failure)
        print("tshark_compat: %d disagreements in %s; %d field values compared" % (
            len(result.failures), summary, result.compared))
        return 1
    print("tshark_compat: %s agree; %d field values compared (%d of them by field name); "
          "%d (key, version) pairs beyond the dissector's versions not compared; %d tagged "
          "fields kpipe knows by name shown raw by tshark, not compared" % (
              summary, result.compared, result.named, len(unsupported), result.skipped_tagged))
    return 0


if __name__ == "__main__":
    sys.exit(main())
