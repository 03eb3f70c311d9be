#include "record/producer_snapshot.hpp"

#include "protocol/reader.hpp"
#include "record/crc32c.hpp"

namespace kpipe::record {

namespace {
constexpr std::size_t header_size = 2 + 4;  // version, crc
}  // namespace

bool is_producer_snapshot_name(std::string_view path) {
  constexpr std::string_view suffix = ".snapshot";
  return path.size() >= suffix.size() && path.substr(path.size() - suffix.size()) == suffix;
}

producer_snapshot read_producer_snapshot(std::span<const std::uint8_t> data) {
  producer_snapshot snapshot;
  protocol::reader in(data);
  snapshot.version = in.i16();
  snapshot.crc = in.u32();
  if (!in.ok()) {
    snapshot.error = "not a producer snapshot: " + in.error();
    snapshot.error_offset = in.error_offset();
    return snapshot;
  }
  if (snapshot.version != 1) {
    snapshot.error = "unknown producer snapshot version " + std::to_string(snapshot.version) +
                     " (kpipe reads version 1)";
    return snapshot;
  }
  snapshot.computed_crc = crc32c(data.subspan(header_size));
  std::int32_t count = in.i32();
  // The count must fit the file: never allocate for what is not there.
  if (!in.ok() || count < 0 ||
      static_cast<std::size_t>(count) > in.remaining() / producer_snapshot_entry_size) {
    snapshot.error = "producer snapshot entry count " + std::to_string(count) + " does not fit " +
                     std::to_string(in.remaining()) + " bytes";
    snapshot.error_offset = header_size;
    return snapshot;
  }
  snapshot.entries.reserve(static_cast<std::size_t>(count));
  for (std::int32_t i = 0; i < count; ++i) {
    producer_snapshot_entry e;
    e.producer_id = in.i64();
    e.epoch = in.i16();
    e.last_sequence = in.i32();
    e.last_offset = in.i64();
    e.offset_delta = in.i32();
    e.timestamp = in.i64();
    e.coordinator_epoch = in.i32();
    e.current_txn_first_offset = in.i64();
    snapshot.entries.push_back(e);
  }
  if (!in.at_end()) {
    snapshot.error = std::to_string(in.remaining()) + " bytes after the last producer entry";
    snapshot.error_offset = in.offset();
  }
  return snapshot;
}

}  // namespace kpipe::record
