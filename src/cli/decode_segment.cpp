#include "decode_segment.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "exit_codes.hpp"
#include "format/batch_json.hpp"
#include "output.hpp"
#include "record/frame.hpp"
#include "record/internal_topic_records.hpp"
#include "record/legacy_message_set.hpp"
#include "record/log_segment.hpp"
#include "record/producer_snapshot.hpp"
#include "record/record_batch.hpp"
#include "record/segment_index.hpp"
#include "util/json_writer.hpp"

namespace kpipe::cli {
namespace {

namespace fs = std::filesystem;
using record::bytes_view;

// How far ahead of the decoder mapped_file::prefault() maps pages, and in what steps: more than
// release_every (the decoder may be that far past its last release), and little enough that the
// resident set stays well under 64 MiB.
constexpr std::size_t prefault_lead = std::size_t{32} << 20;
constexpr std::size_t prefault_step = std::size_t{1} << 20;

// A read-only mapping of a whole file. Segments are up to 1 GiB (segment.bytes) and may be
// larger: mapping lets the batch readers view the bytes in place, and release() drops pages
// already decoded from the process's resident set, so memory stays flat whatever the size.
class mapped_file {
 public:
  mapped_file() = default;
  mapped_file(const mapped_file&) = delete;
  mapped_file& operator=(const mapped_file&) = delete;
  ~mapped_file() {
    if (faulter_.joinable()) {
      progress_.store(stopped, std::memory_order_release);
      progress_.notify_all();
      faulter_.join();
    }
    if (data_ != nullptr) ::munmap(data_, size_);
  }

  // An error message naming the file, or nothing.
  std::optional<std::string> open(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return path + ": " + std::strerror(errno);
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      std::string why = std::strerror(errno);
      ::close(fd);
      return path + ": " + why;
    }
    size_ = static_cast<std::size_t>(st.st_size);
    if (size_ > 0) {
      void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
      if (p == MAP_FAILED) {
        std::string why = std::strerror(errno);
        ::close(fd);
        size_ = 0;
        return path + ": mmap: " + why;
      }
      data_ = static_cast<std::uint8_t*>(p);
      ::madvise(data_, size_, MADV_SEQUENTIAL);
    }
    ::close(fd);
    return std::nullopt;
  }

  bytes_view bytes() const { return {data_, size_}; }

  // Maps the pages in on a second thread, up to prefault_lead ahead of what was released. For a
  // segment in the page cache, mapping its pages costs about as much as checking its CRCs
  // (--summary): on another core the two overlap. Only worth a thread for a large file.
  void prefault() {
    if (size_ <= prefault_lead || faulter_.joinable()) return;
    faulter_ = std::thread([this] {
      std::size_t at = 0;
      while (at < size_) {
        std::size_t done = progress_.load(std::memory_order_acquire);
        if (done == stopped) return;  // the mapping is going away
        at = std::max(at, done);      // behind the decoder: mapping what it released is no use
        if (at >= done + prefault_lead) {
          progress_.wait(done, std::memory_order_acquire);
          continue;
        }
        std::size_t n = std::min(prefault_step, size_ - at);
        populate(at, n);
        at += n;
      }
    });
  }

  // The pages wholly before `upto` are done with: unmapping them from the resident set (the
  // page cache keeps them) bounds RSS to what is being decoded.
  void release(std::size_t upto) {
    const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    std::size_t end = upto / page * page;
    if (data_ == nullptr || end <= released_) return;
    ::madvise(data_ + released_, end - released_, MADV_DONTNEED);
    released_ = end;
    if (faulter_.joinable()) {
      progress_.store(end, std::memory_order_release);
      progress_.notify_one();
    }
  }

 private:
  static constexpr std::size_t stopped = static_cast<std::size_t>(-1);

  void populate(std::size_t at, std::size_t n) {
#ifdef MADV_POPULATE_READ
    if (::madvise(data_ + at, n, MADV_POPULATE_READ) == 0) return;
#endif
    // Older kernels (before 5.14): one read per page faults it in.
    const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    for (std::size_t i = 0; i < n; i += page) {
      (void)*static_cast<volatile const std::uint8_t*>(data_ + at + i);
    }
  }

  std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t released_ = 0;
  std::atomic<std::size_t> progress_{0};  // released_ for the faulter, or `stopped`
  std::thread faulter_;
};

// Release decoded pages and hand output to stdout every this many bytes.
constexpr std::size_t release_every = std::size_t{16} << 20;
constexpr std::size_t flush_every = std::size_t{1} << 20;

struct printer {
  bool pretty = false;
  std::string out;
  bool closed = false;   // stdout went away (`| head`): stop quietly
  bool discard = false;  // a check's own decoding: nothing is printed

  void line_done() {
    out += '\n';
    if (out.size() >= flush_every) flush();
  }
  void flush() {
    if (!closed && !discard && !out.empty() && !write_stdout(out)) closed = true;
    out.clear();
  }
};

void report(const std::string& message) { std::cerr << "kpipe: decode: " << message << '\n'; }

std::string at(const std::string& file, std::size_t position) {
  return file + ": byte offset " + std::to_string(position) + ": ";
}

std::string hex32(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

std::string_view timestamp_type_name(record::timestamp_type t) {
  return t == record::timestamp_type::log_append_time ? "log_append" : "create";
}

// Everything one segment adds up to, for --summary.
struct segment_totals {
  std::size_t batches = 0;
  std::size_t records = 0;
  std::size_t bytes = 0;  // of complete entries
  std::size_t control_batches = 0;
  std::size_t transactional_batches = 0;
  std::optional<std::int64_t> first_offset;
  std::optional<std::int64_t> last_offset;
  std::array<std::size_t, 8> codecs{};  // by codec id
  std::size_t crc_mismatches = 0;
  std::optional<std::size_t> truncated_at;
  std::size_t skipped_bytes = 0;
};

void add_to_totals(segment_totals& t, std::int64_t first, std::int64_t last, std::size_t records,
                   std::size_t bytes, std::uint8_t codec_id) {
  ++t.batches;
  t.records += records;
  t.bytes += bytes;
  if (!t.first_offset) t.first_offset = first;
  t.last_offset = last;
  ++t.codecs[codec_id & 7];
}

// The decoded key and value of an internal topic's record, as its "internal" member; a record
// that does not decode adds its problem to `problems`.
void write_internal_member(util::json_writer& j, record::internal_topic topic,
                           const record::record& r, std::vector<std::string>& problems) {
  j.key("internal");
  std::string why;
  auto status = record::write_internal_record_json(j, topic, r.key, r.value, &why);
  if (status == record::internal_record_status::malformed) {
    problems.push_back("record at offset " + std::to_string(r.offset) + ": " +
                       std::string(record::internal_topic_name(topic)) + " " + why);
  }
}

void write_batch_line(printer& p, const std::string& file, const record::record_batch& b,
                      bool with_records, std::optional<record::internal_topic> internal,
                      std::vector<std::string>& problems) {
  util::json_writer j(p.out, p.pretty ? 2 : 0);
  j.begin_object();
  j.key("file");
  j.value(file);
  j.key("type");
  j.value("batch");
  j.key("position");
  j.value(b.position);
  j.key("base_offset");
  j.value(b.base_offset);
  j.key("last_offset");
  j.value(b.last_offset());
  j.key("size");
  j.value(b.size());
  j.key("magic");
  j.value(b.magic);
  j.key("partition_leader_epoch");
  j.value(b.partition_leader_epoch);
  j.key("producer_id");
  j.value(b.producer_id);
  j.key("producer_epoch");
  j.value(b.producer_epoch);
  j.key("base_sequence");
  j.value(b.base_sequence);
  write_batch_attributes_json(j, b);
  j.key("crc");
  j.value(b.crc);
  j.key("crc_ok");
  j.value(b.crc_ok());
  j.key("record_count");
  j.value(b.record_count);
  j.key("first_timestamp");
  j.value(b.base_timestamp);
  j.key("max_timestamp");
  j.value(b.max_timestamp);
  if (with_records) {
    j.key("records");
    j.begin_array();
    if (internal && !b.control()) {
      for (const auto& r : b.records) {
        write_record_json(
            j, r, [&](util::json_writer& w) { write_internal_member(w, *internal, r, problems); });
      }
    } else {
      for (const auto& r : b.records) write_record_json(j, r);
    }
    j.end_array();
  }
  j.end_object();
  p.line_done();
}

// A top-level legacy message (magic 0/1); a compressed wrapper with its inner messages.
void write_legacy_line(printer& p, const std::string& file, const record::legacy_message& m,
                       std::size_t size, std::span<const record::legacy_message> inner,
                       bool with_records) {
  util::json_writer j(p.out, p.pretty ? 2 : 0);
  j.begin_object();
  j.key("file");
  j.value(file);
  j.key("type");
  j.value("message");
  j.key("position");
  j.value(m.position);
  j.key("offset");
  j.value(m.offset);
  j.key("size");
  j.value(size);
  j.key("magic");
  j.value(m.magic);
  j.key("attributes");
  j.begin_object();
  j.key("raw");
  j.value(m.attributes);
  j.key("compression");
  j.value(record::codec_name(m.compression()));
  j.key("timestamp_type");
  if (m.magic >= 1) {
    j.value(timestamp_type_name(m.timestamps()));
  } else {
    j.null();
  }
  j.end_object();
  j.key("crc");
  j.value(m.crc);
  j.key("crc_ok");
  j.value(m.crc_ok());
  j.key("timestamp");
  if (m.timestamp) {
    j.value(*m.timestamp);
  } else {
    j.null();
  }
  if (with_records) {
    j.key("records");
    j.begin_array();
    auto one = [&](const record::legacy_message& r) {
      j.begin_object();
      j.key("offset");
      j.value(r.offset);
      j.key("timestamp");
      if (r.timestamp) {
        j.value(*r.timestamp);
      } else {
        j.null();
      }
      j.key("key");
      write_json_bytes(j, r.key);
      j.key("value");
      write_json_bytes(j, r.value);
      j.key("headers");  // magic 0/1 have none (KIP-82 came with magic 2)
      j.begin_array();
      j.end_array();
      j.end_object();
    };
    if (m.compression() == record::codec::none) {
      one(m);
    } else {
      for (const auto& i : inner) one(i);
    }
    j.end_array();
  }
  j.end_object();
  p.line_done();
}

class segment_decoder {
 public:
  segment_decoder(const segment_options& options, printer& out) : options_(options), out_(out) {}

  // Decodes one `.log` file; false when something did not check out.
  bool decode_log(const std::string& path) {
    mapped_file file;
    if (auto e = file.open(path)) {
      report(*e);
      return false;
    }
    file.prefault();
    auto base = record::segment_base_offset_from_name(path).value_or(0);
    std::optional<record::index_verifier> verifier;
    if (options_.verify_index && !load_indexes(path, base, verifier)) ok_ = false;
    internal_ = internal_topic_for(options_.internal, path);

    bytes_view data = file.bytes();
    segment_totals totals;
    record::transaction_tracker transactions;
    record::read_options read;
    read.fail_on_crc_mismatch = false;  // shown with crc_ok false, then reported
    read.decode_records = options_.records;
    bool file_ok = true;

    std::size_t pos = 0;
    std::size_t next_release = release_every;
    while (pos < data.size() && !out_.closed) {
      if (pos >= next_release) {
        file.release(pos);
        next_release = pos + release_every;
      }
      auto entry = record::probe_segment_entry(data, pos);
      if (entry.status == record::segment_entry_status::truncated) {
        totals.truncated_at = pos;
        if (!options_.summary) write_truncated(path, entry);
        break;
      }
      std::optional<std::string> problem;
      if (entry.status == record::segment_entry_status::corrupt) {
        problem = entry.message;
      } else if (entry.magic == 2) {
        problem = decode_v2(path, data.subspan(pos, entry.size), pos, read, totals, transactions,
                            verifier);
      } else {
        problem = decode_legacy(path, data.subspan(pos, entry.size), pos, read, totals, verifier);
      }
      if (!problem) {
        pos += entry.size;
        continue;
      }
      file_ok = false;
      report(at(path, pos) + *problem);
      if (!options_.keep_going) break;
      auto next = record::find_next_valid_batch(data, pos);
      std::size_t resume = next.value_or(data.size());
      totals.skipped_bytes += resume - pos;
      if (!options_.summary) write_skipped(path, pos, resume);
      pos = resume;
    }
    if (verifier) {
      verifier->finish(transactions.aborted());
      for (const auto& p : verifier->problems()) {
        report(path + ": --verify-index: " + p);
        file_ok = false;
      }
    }
    if (options_.summary) write_summary(path, base, totals, verifier);
    out_.flush();
    if (!file_ok) ok_ = false;
    return file_ok;
  }

  // A producer state snapshot (.snapshot): one line per producer, fields named as in the batches
  // (DumpLogSegments prints the same facts). A CRC that does not match is an error, but the
  // entries are still printed: they are what the broker would have read.
  bool decode_snapshot(const std::string& path) {
    mapped_file file;
    if (auto e = file.open(path)) {
      report(*e);
      return false;
    }
    auto snapshot = record::read_producer_snapshot(file.bytes());
    if (snapshot.error) {
      report(at(path, snapshot.error_offset) + *snapshot.error);
      ok_ = false;
      return false;
    }
    for (const auto& e : snapshot.entries) {
      if (options_.summary) break;
      util::json_writer j(out_.out, out_.pretty ? 2 : 0);
      j.begin_object();
      j.key("file");
      j.value(path);
      j.key("type");
      j.value("producer");
      j.key("producer_id");
      j.value(e.producer_id);
      j.key("producer_epoch");
      j.value(e.epoch);
      j.key("first_sequence");
      j.value(e.first_sequence());
      j.key("last_sequence");
      j.value(e.last_sequence);
      j.key("last_offset");
      j.value(e.last_offset);
      j.key("offset_delta");
      j.value(e.offset_delta);
      j.key("timestamp");
      j.value(e.timestamp);
      j.key("coordinator_epoch");
      j.value(e.coordinator_epoch);
      j.key("current_txn_first_offset");
      if (e.current_txn_first_offset < 0) {
        j.null();
      } else {
        j.value(e.current_txn_first_offset);
      }
      j.end_object();
      out_.line_done();
    }
    if (options_.summary) {
      util::json_writer j(out_.out, out_.pretty ? 2 : 0);
      j.begin_object();
      j.key("file");
      j.value(path);
      j.key("producers");
      j.value(snapshot.entries.size());
      j.key("crc_ok");
      j.value(snapshot.crc_ok());
      j.end_object();
      out_.line_done();
    }
    out_.flush();
    if (!snapshot.crc_ok()) {
      report(at(path, 2) + "CRC mismatch: stored " + hex32(snapshot.crc) + ", computed " +
             hex32(snapshot.computed_crc));
      ok_ = false;
      return false;
    }
    return true;
  }

  // Decodes one index file (by suffix); with --verify-index, also its segment.
  bool decode_index(const std::string& path, record::index_kind kind) {
    mapped_file file;
    if (auto e = file.open(path)) {
      report(*e);
      return false;
    }
    auto base = record::segment_base_offset_from_name(path).value_or(0);
    bytes_view data = file.bytes();
    bool file_ok = true;
    std::size_t entries = 0, unused = 0, trailing = 0;
    auto line = [&](std::size_t i, auto&& fields) {
      if (options_.summary) return;
      util::json_writer j(out_.out, out_.pretty ? 2 : 0);
      j.begin_object();
      j.key("file");
      j.value(path);
      j.key("entry");
      j.value(i);
      fields(j);
      j.end_object();
      out_.line_done();
    };
    switch (kind) {
      case record::index_kind::offset: {
        auto r = record::read_offset_index(data, base);
        entries = r.entries.size(), unused = r.unused_entries, trailing = r.trailing_bytes;
        for (std::size_t i = 0; i < r.entries.size(); ++i) {
          const auto& e = r.entries[i];
          line(i, [&](util::json_writer& j) {
            j.key("offset");
            j.value(e.offset);
            j.key("relative_offset");
            j.value(e.relative_offset);
            j.key("position");
            j.value(e.position);
          });
        }
        break;
      }
      case record::index_kind::time: {
        auto r = record::read_time_index(data, base);
        entries = r.entries.size(), unused = r.unused_entries, trailing = r.trailing_bytes;
        for (std::size_t i = 0; i < r.entries.size(); ++i) {
          const auto& e = r.entries[i];
          line(i, [&](util::json_writer& j) {
            j.key("timestamp");
            j.value(e.timestamp);
            j.key("offset");
            j.value(e.offset);
            j.key("relative_offset");
            j.value(e.relative_offset);
          });
        }
        break;
      }
      case record::index_kind::transaction: {
        auto r = record::read_transaction_index(data);
        entries = r.entries.size(), unused = r.unused_entries, trailing = r.trailing_bytes;
        for (std::size_t i = 0; i < r.entries.size(); ++i) {
          const auto& e = r.entries[i];
          line(i, [&](util::json_writer& j) {
            j.key("version");
            j.value(e.version);
            j.key("producer_id");
            j.value(e.producer_id);
            j.key("first_offset");
            j.value(e.first_offset);
            j.key("last_offset");
            j.value(e.last_offset);
            j.key("last_stable_offset");
            j.value(e.last_stable_offset);
          });
        }
        break;
      }
    }
    if (trailing != 0) {
      report(at(path, data.size() - trailing) + std::to_string(trailing) +
             " bytes left over: not a whole entry of " +
             std::to_string(record::index_entry_size(kind)) + " bytes");
      file_ok = false;
    }
    if (options_.summary) {
      util::json_writer j(out_.out, out_.pretty ? 2 : 0);
      j.begin_object();
      j.key("file");
      j.value(path);
      j.key("entries");
      j.value(entries);
      j.key("unused_entries");
      j.value(unused);
      j.end_object();
      out_.line_done();
    }
    out_.flush();
    if (options_.verify_index) {
      // The segment the index belongs to: same name, .log. Its batches are decoded for the check
      // only, not printed.
      fs::path log = fs::path(path).replace_extension(".log");
      segment_options quiet = options_;
      quiet.records = false;
      quiet.summary = true;
      printer discard;
      discard.discard = true;
      segment_decoder check(quiet, discard);
      if (!check.decode_log(log.string())) file_ok = false;
    }
    if (!file_ok) ok_ = false;
    return file_ok;
  }

  bool ok() const { return ok_; }

 private:
  // The sibling index files of a segment, those that exist.
  bool load_indexes(const std::string& path, std::int64_t base,
                    std::optional<record::index_verifier>& verifier) {
    verifier.emplace();
    bool loaded_ok = true;
    auto load = [&](const char* suffix, auto&& apply) {
      fs::path p = fs::path(path).replace_extension(suffix);
      std::error_code ec;
      if (!fs::exists(p, ec)) return;
      mapped_file f;
      if (auto e = f.open(p.string())) {
        report(*e);
        loaded_ok = false;
        return;
      }
      apply(f.bytes());
    };
    load(".index", [&](bytes_view b) {
      verifier->set_offset_index(record::read_offset_index(b, base).entries);
    });
    load(".timeindex",
         [&](bytes_view b) { verifier->set_time_index(record::read_time_index(b, base).entries); });
    load(".txnindex", [&](bytes_view b) {
      verifier->set_transaction_index(record::read_transaction_index(b).entries);
    });
    return loaded_ok;
  }

  std::optional<std::string> decode_v2(const std::string& path, bytes_view entry, std::size_t pos,
                                       const record::read_options& read, segment_totals& totals,
                                       record::transaction_tracker& transactions,
                                       std::optional<record::index_verifier>& verifier) {
    auto batch = record::read_batch(entry, read, pos);
    if (!batch) {
      // The header alone, to say whether the bytes were damaged (a CRC mismatch explains a
      // record that does not decode better than the field where it surfaced).
      record::read_options header_only = read;
      header_only.decode_records = false;
      auto header = record::read_batch(entry, header_only, pos);
      if (header && !header->crc_ok()) {
        return "CRC mismatch: stored " + hex32(header->crc) + ", computed " +
               hex32(header->computed_crc) + " (" + batch.error().message + ")";
      }
      return batch.error().message;
    }
    const auto& b = *batch;
    if (!options_.summary) {
      std::vector<std::string> problems;
      write_batch_line(out_, path, b, options_.records, internal_, problems);
      for (const auto& p : problems) {
        report(at(path, pos) + p);
        ok_ = false;
      }
    }
    if (!b.crc_ok()) {
      ++totals.crc_mismatches;
      return "CRC mismatch in the batch at base offset " + std::to_string(b.base_offset) +
             ": stored " + hex32(b.crc) + ", computed " + hex32(b.computed_crc);
    }
    add_to_totals(totals, b.base_offset, b.last_offset(),
                  static_cast<std::size_t>(std::max(b.record_count, 0)), b.size(),
                  static_cast<std::uint8_t>(b.compression()));
    if (b.control()) ++totals.control_batches;
    if (b.transactional()) ++totals.transactional_batches;
    transactions.observe(b);
    if (verifier) verifier->observe({pos, b.base_offset, b.last_offset(), b.max_timestamp});
    return std::nullopt;
  }

  std::optional<std::string> decode_legacy(const std::string& path, bytes_view entry,
                                           std::size_t pos, const record::read_options& read,
                                           segment_totals& totals,
                                           std::optional<record::index_verifier>& verifier) {
    record::read_options header_only = read;
    header_only.decode_records = false;  // keeps a compressed wrapper whole
    auto top = record::read_message_set(entry, header_only, pos);
    if (top.error) return top.error->message;
    if (top.messages.size() != 1) return "not one whole message";
    const auto& m = top.messages.front();
    record::read_message_set_result inner;
    bool wrapper = m.compression() != record::codec::none;
    if (wrapper) {
      // Inner messages are decoded even without --records: their count and first offset are
      // the wrapper's records and offsets range (legacy topics are rare; the cost is small).
      record::read_options with_inner = read;
      with_inner.decode_records = true;
      inner = record::read_message_set(entry, with_inner, pos);
      if (inner.error) return inner.error->message;
    }
    if (!options_.summary)
      write_legacy_line(out_, path, m, entry.size(), inner.messages, options_.records);
    if (!m.crc_ok()) {
      ++totals.crc_mismatches;
      return "CRC mismatch in the message at offset " + std::to_string(m.offset) + ": stored " +
             hex32(m.crc) + ", computed " + hex32(m.computed_crc);
    }
    std::int64_t first = inner.messages.empty() ? m.offset : inner.messages.front().offset;
    std::size_t count = wrapper ? inner.messages.size() : 1;
    add_to_totals(totals, first, m.offset, count, entry.size(),
                  static_cast<std::uint8_t>(m.compression()));
    if (verifier) verifier->observe({pos, first, m.offset, m.timestamp.value_or(-1)});
    return std::nullopt;
  }

  void write_truncated(const std::string& path, const record::segment_entry& entry) {
    util::json_writer j(out_.out, out_.pretty ? 2 : 0);
    j.begin_object();
    j.key("file");
    j.value(path);
    j.key("type");
    j.value("truncated");
    j.key("position");
    j.value(entry.position);
    j.key("bytes");
    j.value(entry.size);
    j.key("reason");
    j.value(entry.message);
    j.end_object();
    out_.line_done();
  }

  void write_skipped(const std::string& path, std::size_t from, std::size_t to) {
    util::json_writer j(out_.out, out_.pretty ? 2 : 0);
    j.begin_object();
    j.key("file");
    j.value(path);
    j.key("type");
    j.value("skipped");
    j.key("position");
    j.value(from);
    j.key("bytes");
    j.value(to - from);
    j.key("resumed_at");
    j.value(to);
    j.end_object();
    out_.line_done();
  }

  void write_summary(const std::string& path, std::int64_t base, const segment_totals& t,
                     const std::optional<record::index_verifier>& verifier) {
    util::json_writer j(out_.out, out_.pretty ? 2 : 0);
    j.begin_object();
    j.key("file");
    j.value(path);
    j.key("base_offset");
    j.value(base);
    j.key("batches");
    j.value(t.batches);
    j.key("records");
    j.value(t.records);
    j.key("bytes");
    j.value(t.bytes);
    j.key("first_offset");
    if (t.first_offset) {
      j.value(*t.first_offset);
    } else {
      j.null();
    }
    j.key("last_offset");
    if (t.last_offset) {
      j.value(*t.last_offset);
    } else {
      j.null();
    }
    j.key("codecs");
    j.begin_object();
    for (std::size_t c = 0; c < t.codecs.size(); ++c) {
      if (t.codecs[c] == 0) continue;
      auto name = record::codec_name(static_cast<record::codec>(c));
      j.key(name.empty() ? "codec-" + std::to_string(c) : std::string(name));
      j.value(t.codecs[c]);
    }
    j.end_object();
    j.key("transactional_batches");
    j.value(t.transactional_batches);
    j.key("control_batches");
    j.value(t.control_batches);
    j.key("crc_mismatches");
    j.value(t.crc_mismatches);
    j.key("skipped_bytes");
    j.value(t.skipped_bytes);
    j.key("truncated_at");
    if (t.truncated_at) {
      j.value(*t.truncated_at);
    } else {
      j.null();
    }
    if (verifier) {
      j.key("index_entries_checked");
      j.value(verifier->checked_entries());
      j.key("index_problems");
      j.value(verifier->problems().size());
    }
    j.end_object();
    out_.line_done();
  }

  const segment_options& options_;
  printer& out_;
  bool ok_ = true;
  std::optional<record::internal_topic> internal_;  // the segment's, when it is one
};

}  // namespace

std::optional<record::internal_topic> internal_topic_for(const std::string& internal,
                                                         const std::string& path) {
  if (internal == "none") return std::nullopt;
  if (internal == "consumer-offsets") return record::internal_topic::consumer_offsets;
  if (internal == "transaction-state") return record::internal_topic::transaction_state;
  return record::internal_topic_of_path(path);  // "auto", or not given
}

namespace {

// A partition directory's segments, by base offset (their names sort that way too, but a name
// that is not 20 digits is put last rather than trusted).
std::vector<std::string> segments_in(const std::string& dir, std::string& error) {
  std::vector<std::pair<std::int64_t, std::string>> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().extension() != ".log") continue;
    auto base = record::segment_base_offset_from_name(entry.path().string());
    found.emplace_back(base.value_or(INT64_MAX), entry.path().string());
  }
  if (ec) error = dir + ": " + ec.message();
  std::sort(found.begin(), found.end());
  std::vector<std::string> paths;
  for (auto& f : found) paths.push_back(std::move(f.second));
  return paths;
}

}  // namespace

void register_decode_segment(CLI::App& decode, segment_options& options) {
  auto* segment = decode.add_option(
      "--log-segment", options.path,
      "A broker's log segment (.log), a partition directory, an index file (.index, "
      ".timeindex, .txnindex) or a producer snapshot (.snapshot): one JSON line per batch, "
      "index entry or producer");
  segment->type_name("PATH");
  if (auto* pcap = decode.get_option_no_throw("--pcap")) segment->excludes(pcap);
  // --records is shared with --pcap (the caller merges the two flags) when that is registered.
  if (decode.get_option_no_throw("--records") == nullptr) {
    decode.add_flag("--records", options.records, "With --log-segment: each batch's records too");
  }
  decode
      .add_flag("--summary", options.summary,
                "With --log-segment: one line per file (batches, records, bytes, offsets, codecs)")
      ->needs(segment);
  decode
      .add_flag("--verify-index", options.verify_index,
                "With --log-segment: check the .index, .timeindex and .txnindex files against "
                "the segment")
      ->needs(segment);
  decode
      .add_flag("--keep-going", options.keep_going,
                "With --log-segment: after a corrupt batch, go on at the next valid batch "
                "(still exit 1)")
      ->needs(segment);
}

int run_decode_segment(const segment_options& options, bool pretty) {
  printer out;
  out.pretty = pretty;
  segment_decoder decoder(options, out);
  std::error_code ec;
  if (fs::is_directory(options.path, ec)) {
    std::string error;
    auto segments = segments_in(options.path, error);
    if (!error.empty()) {
      report(error);
      return exit_failure;
    }
    for (const auto& s : segments) {
      if (out.closed) break;
      if (!decoder.decode_log(s) && !options.keep_going) break;
    }
  } else if (auto kind = record::index_kind_from_name(options.path)) {
    decoder.decode_index(options.path, *kind);
  } else if (record::is_producer_snapshot_name(options.path)) {
    decoder.decode_snapshot(options.path);
  } else if (!fs::exists(options.path, ec)) {
    report(options.path + ": " + std::strerror(ENOENT));
    return exit_not_found;
  } else {
    decoder.decode_log(options.path);
  }
  out.flush();
  if (write_interrupted()) return exit_interrupted;
  return decoder.ok() ? exit_ok : exit_failure;
}

}  // namespace kpipe::cli
