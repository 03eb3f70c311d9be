#pragma once
// Packets from a pcap or pcapng file (or stdin, "-") through libpcap, one at a time, so that a
// live `tcpdump -w - | kpipe decode --pcap -` streams in bounded memory.

#include <cstdint>
#include <cstdio>
#include <memory>
#include <span>
#include <string>

#include "util/result.hpp"

namespace kpipe::capture {

struct captured_packet {
  std::int64_t time_us = 0;
  std::span<const std::uint8_t> bytes;  // valid until the next call to next()
  std::uint32_t original_length = 0;    // on the wire; more than bytes.size() when snapped
};

class pcap_file {
 public:
  // path "-": stdin. The error names the file and libpcap's reason.
  static result<pcap_file> open(const std::string& path);
  // Takes ownership of an open stream (tests and the fuzzer read from memory via fmemopen).
  static result<pcap_file> open_stream(std::FILE* stream, const std::string& name);

  pcap_file(pcap_file&&) noexcept;
  pcap_file& operator=(pcap_file&&) noexcept;
  ~pcap_file();

  int link_type() const;
  // libpcap's name for a link type ("EN10MB"), or its number.
  static std::string link_type_name(int link_type);

  // The next packet: true with a packet, false at the end; a read error (a file cut short in a
  // record, an impossible length) ends the reading too and is kept in error(), naming the byte
  // offset: where the bad record starts in a pcap file, where reading stopped in a pcapng one
  // (its blocks' sizes are not known here); none on a pipe.
  bool next(captured_packet& packet);
  const std::string& error() const { return error_text_; }

 private:
  struct handle;
  explicit pcap_file(std::unique_ptr<handle> h);
  std::unique_ptr<handle> handle_;
  std::string error_text_;
};

}  // namespace kpipe::capture
