#include "capture/pcap_file.hpp"

#include <pcap/pcap.h>

namespace kpipe::capture {

struct pcap_file::handle {
  pcap_t* pcap = nullptr;
  std::string name;
  bool nanoseconds = false;
  // pcap (not pcapng): each record is a 16-byte header and its captured bytes after the 24-byte
  // file header, so where the next record starts is known without asking the stream.
  bool classic = false;
  std::uint64_t next_record = 24;
  std::uint64_t packets = 0;
  ~handle() {
    if (pcap) pcap_close(pcap);
  }
};

pcap_file::pcap_file(std::unique_ptr<handle> h) : handle_(std::move(h)) {}
pcap_file::pcap_file(pcap_file&&) noexcept = default;
pcap_file& pcap_file::operator=(pcap_file&&) noexcept = default;
pcap_file::~pcap_file() = default;

result<pcap_file> pcap_file::open(const std::string& path) {
  char why[PCAP_ERRBUF_SIZE] = {};
  // Microsecond timestamps whatever the file holds: libpcap converts nanosecond pcapng.
  pcap_t* p =
      pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_MICRO, why);
  std::string name = path == "-" ? "stdin" : path;
  if (!p) return kpipe::error{error_kind::io, name + ": " + why};
  auto h = std::make_unique<handle>();
  h->pcap = p;
  h->name = name;
  h->classic = pcap_major_version(p) == 2;
  return pcap_file(std::move(h));
}

result<pcap_file> pcap_file::open_stream(std::FILE* stream, const std::string& name) {
  char why[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_fopen_offline_with_tstamp_precision(stream, PCAP_TSTAMP_PRECISION_MICRO, why);
  if (!p) {
    std::fclose(stream);
    return kpipe::error{error_kind::io, name + ": " + why};
  }
  auto h = std::make_unique<handle>();
  h->pcap = p;
  h->name = name;
  h->classic = pcap_major_version(p) == 2;
  return pcap_file(std::move(h));
}

int pcap_file::link_type() const { return pcap_datalink(handle_->pcap); }

std::string pcap_file::link_type_name(int link_type) {
  const char* name = pcap_datalink_val_to_name(link_type);
  std::string number = std::to_string(link_type);
  return name ? std::string(name) + " (" + number + ")" : number;
}

bool pcap_file::next(captured_packet& packet) {
  pcap_pkthdr* header = nullptr;
  const u_char* data = nullptr;
  int rc = pcap_next_ex(handle_->pcap, &header, &data);
  if (rc == 1) {
    packet.time_us = static_cast<std::int64_t>(header->ts.tv_sec) * 1'000'000 + header->ts.tv_usec;
    packet.bytes = {data, header->caplen};
    packet.original_length = header->len;
    handle_->next_record += 16 + std::uint64_t{header->caplen};
    ++handle_->packets;
    return true;
  }
  if (rc == PCAP_ERROR) {
    std::string where;
    long stopped = std::ftell(::pcap_file(handle_->pcap));
    if (handle_->classic) {
      where = "byte offset " + std::to_string(handle_->next_record) + ": ";
    } else if (stopped >= 0) {
      where = "byte offset " + std::to_string(stopped) + " (where reading stopped): ";
    }
    error_text_ = handle_->name + ": " + where + "after packet " +
                  std::to_string(handle_->packets) + ": " + pcap_geterr(handle_->pcap);
  }
  return false;
}

}  // namespace kpipe::capture
