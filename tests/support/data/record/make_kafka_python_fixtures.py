#!/usr/bin/python3
"""Writes the python_*.hex fixtures beside this file with kafka-python, an implementation
independent of kpipe's (Debian: python3-kafka, plus python3-snappy, python3-lz4 and
python3-xxhash for its codecs; run with /usr/bin/python3).

    make_kafka_python_fixtures.py OUTPUT_DIR

Legacy message sets (magic 0 and 1) uncompressed and as gzip, snappy (xerial framing) and lz4
wrappers (magic 0 with the wrong header checksum of Kafka 0.8-0.9, KAFKA-3160), with wrapper
offsets as a broker stores them; record batches v2 uncompressed and with each codec.
"""
import os
import sys

from kafka.record.default_records import DefaultRecordBatchBuilder
from kafka.record.legacy_records import LegacyRecordBatchBuilder

CODECS = {"none": 0, "gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}

# (key, value) of the legacy messages; timestamps 1000, 1001, ... for magic 1.
LEGACY = [(b"k0", b"legacy value 0"), (None, b"legacy value 1, null key"), (b"k2", None)]


def legacy(magic, codec):
    b = LegacyRecordBatchBuilder(magic=magic, compression_type=CODECS[codec], batch_size=1 << 20)
    # Inner offsets: relative for magic 1 (KIP-31), absolute for magic 0, as a broker keeps them.
    for i, (k, v) in enumerate(LEGACY):
        b.append(i if magic == 1 else 100 + i, timestamp=1000 + i, key=k, value=v)
    data = bytearray(b.build())
    if codec != "none":
        # A broker sets the wrapper's offset to that of its last inner message; the offset is
        # outside the CRC. Producers write 0 there.
        data[0:8] = (100 + len(LEGACY) - 1).to_bytes(8, "big")
    else:
        pass  # uncompressed: offsets as appended (0.. for magic 1, 100.. for magic 0)
    return bytes(data)


def v2(codec):
    b = DefaultRecordBatchBuilder(magic=2, compression_type=CODECS[codec], is_transactional=0,
                                  producer_id=4321, producer_epoch=7, base_sequence=11,
                                  batch_size=1 << 20)
    for i in range(20):
        value = b'{"id":%d,"name":"record number %d"}' % (i, i)
        headers = [("h", b"v%d" % i), ("null", None)] if i % 2 == 0 else []
        b.append(i, timestamp=1700000000000 + i, key=b"key-%d" % i if i != 3 else None,
                 value=value, headers=headers)
    return bytes(b.build())


def main():
    out = sys.argv[1]
    fixtures = {}
    for magic in (0, 1):
        for codec in ("none", "gzip", "snappy", "lz4"):
            fixtures[f"python_v{magic}_{codec}.hex"] = legacy(magic, codec)
    for codec in ("none", "gzip", "snappy", "lz4"):
        fixtures[f"python_v2_{codec}.hex"] = v2(codec)
    for name, data in fixtures.items():
        with open(os.path.join(out, name), "w") as f:
            f.write(data.hex() + "\n")


if __name__ == "__main__":
    main()
