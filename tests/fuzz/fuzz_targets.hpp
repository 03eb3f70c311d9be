#pragma once
// The fuzz targets' bodies, callable from libFuzzer (tests/fuzz/*_main.cpp, built with clang and
// -DKPIPE_FUZZ=ON) and from the unit tests, which replay the corpus and random mutations.

#include <cstddef>
#include <cstdint>

namespace kpipe::fuzz {

// A stream of protocol frames through protocol::frame_decoder, and the same bytes as one
// request and as one response of an API chosen by the first two bytes.
void decode_frames(const std::uint8_t* data, std::size_t size);

// Record batches and legacy message sets: read_batches and read_message_set with records
// decoded or not and CRC mismatches failing or shown, touching every byte that a record views;
// then decode --record-batch's reader choice and JSON rendering. Returns a checksum of what was
// read (so that nothing is optimised away).
std::size_t decode_record_batches(const std::uint8_t* data, std::size_t size);

// A broker's log segment as `decode --log-segment --keep-going` walks it (probe, decode,
// resynchronise after damage), the same bytes as .index/.timeindex/.txnindex files, and the
// index verifier over it all. Returns a checksum of what was read.
std::size_t decode_log_segment(const std::uint8_t* data, std::size_t size);

// One record of __consumer_offsets or __transaction_state through
// record::write_internal_record_json, both topics' decoders. Input: a flags byte (bit 0
// transaction state first, bit 1 null key, bit 2 null value), the key's length as a big-endian
// uint16, the key, then the value. Traps when the output is not one object or a failure gives no
// reason. Returns a checksum of what was written.
std::size_t decode_internal_records(const std::uint8_t* data, std::size_t size);

}  // namespace kpipe::fuzz
