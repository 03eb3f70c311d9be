#pragma once
// The capture fuzz targets (kpipe decode --pcap), callable from libFuzzer
// (tests/fuzz/pcap_main.cpp, tcp_reassembly_main.cpp) and from the unit tests, which replay
// tests/fuzz/corpus/pcap and tests/fuzz/corpus/tcp_reassembly and random mutations.

#include <cstddef>
#include <cstdint>

namespace kpipe::fuzz {

// A pcap or pcapng file read by libpcap from memory, every packet through the link-layer, IP
// and TCP parsers and the Kafka conversation decoder (with and without --port, with
// --records' hook writing nothing). Returns the number of lines written.
std::size_t decode_pcap(const std::uint8_t* data, std::size_t size);

// TCP segments described by the input (direction, flags, a sequence offset, a length, then
// the payload) fed straight to the conversation decoder: reordering, overlaps, gaps, resets
// and resyncs in any combination. Returns the number of lines written.
std::size_t reassemble_tcp(const std::uint8_t* data, std::size_t size);

}  // namespace kpipe::fuzz
