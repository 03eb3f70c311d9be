// How fast kpipe reads record batches: read_batches over ~1 MiB batches of 100-byte records,
// CRC32C verified and every record decoded, as a consumer does with a Fetch response. One
// thread; the median of several runs; uncompressed, lz4 and zstd. See bench/README.md.
//
//   bench_record_batch_decode [--runs N] [--batches N] [--codec none|lz4|zstd]

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "record/batch_writer.hpp"
#include "record/record_batch.hpp"

namespace {

using kpipe::record::codec;

constexpr std::size_t batch_target_bytes = std::size_t{1} << 20;  // uncompressed records
constexpr std::size_t value_size = 100;

struct workload {
  std::vector<std::uint8_t> data;  // the batches, one after the other
  std::vector<std::size_t> batch_ends;
  std::size_t records = 0;
  std::size_t uncompressed_records_bytes = 0;
};

// Values look like log lines or JSON: words from a small vocabulary and random digits, printable,
// so that lz4 and zstd compress them about as well as they do real text (2-4x), not as well as
// they would a repeated constant. Keys are short ids, as most keyed topics have.
workload make_workload(codec c, std::size_t batches, std::uint32_t seed) {
  static const char* const words[] = {"user",    "order", "click",      "GET",    "/api/v1/items",
                                      "status",  "200",   "latency_ms", "region", "eu-west-1",
                                      "session", "true",  "false",      "null",   "id",
                                      "\"",      ":",     ","};
  std::mt19937 rng(seed);
  workload w;
  std::string value;
  std::string key;
  for (std::size_t b = 0; b < batches; ++b) {
    kpipe::record::batch_writer writer;
    writer.set_base_offset(static_cast<std::int64_t>(w.records));
    writer.set_compression(c);
    std::int64_t timestamp = 1700000000000 + static_cast<std::int64_t>(w.records);
    while (writer.records_size() < batch_target_bytes) {
      value.clear();
      while (value.size() < value_size) {
        value += words[rng() % std::size(words)];
        value += ' ';
        value += std::to_string(rng() % 100000);
        value += ' ';
      }
      value.resize(value_size);
      key = "user-" + std::to_string(rng() % 1000000);
      kpipe::record::record_input r;
      r.key =
          kpipe::record::bytes_view(reinterpret_cast<const std::uint8_t*>(key.data()), key.size());
      r.value = kpipe::record::bytes_view(reinterpret_cast<const std::uint8_t*>(value.data()),
                                          value.size());
      r.timestamp = timestamp++;
      writer.add(r);
    }
    w.records += writer.record_count();
    w.uncompressed_records_bytes += writer.records_size();
    auto built = writer.build();
    if (!built) {
      std::fprintf(stderr, "batch writer: %s\n", built.error().message.c_str());
      std::exit(1);
    }
    w.data.insert(w.data.end(), built->begin(), built->end());
    w.batch_ends.push_back(w.data.size());
  }
  return w;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

// Both ways a caller meets batches, timed with the results freed (a consumer frees them too):
// - fetch: one read_batches per batch, as a consumer decodes each partition's records of a
//   Fetch response (max.partition.fetch.bytes is 1 MiB by default); the allocator reuses the
//   same memory from call to call, which is a consumer's steady state;
// - bulk: one read_batches over everything, all batches kept until the end: every run writes
//   its records (136 bytes each) to memory fresh from the kernel, and the page faults show.
enum class mode { fetch, bulk };

std::size_t decode(const workload& w, mode m) {
  std::size_t records = 0;
  auto check = [&](const kpipe::record::read_batches_result& r) {
    if (r.error || r.truncated) {
      std::fprintf(stderr, "read_batches: %s\n",
                   r.error ? r.error->message.c_str() : r.truncated->c_str());
      std::exit(1);
    }
    for (const auto& b : r.batches) records += b.records.size();
  };
  if (m == mode::bulk) {
    check(kpipe::record::read_batches(w.data));  // CRC checked, records decoded
    return records;
  }
  std::size_t start = 0;
  for (std::size_t end : w.batch_ends) {
    check(kpipe::record::read_batches(std::span(w.data).subspan(start, end - start)));
    start = end;
  }
  return records;
}

void run(codec c, std::size_t batches, int runs) {
  workload w = make_workload(c, batches, 42);
  for (mode m : {mode::fetch, mode::bulk}) {
    std::vector<double> seconds;
    for (int i = 0; i < runs; ++i) {
      auto start = std::chrono::steady_clock::now();
      std::size_t records = decode(w, m);
      auto stop = std::chrono::steady_clock::now();
      if (records != w.records) {
        std::fprintf(stderr, "read_batches: %zu of %zu records\n", records, w.records);
        std::exit(1);
      }
      seconds.push_back(std::chrono::duration<double>(stop - start).count());
    }
    double t = median(seconds);
    double best = *std::min_element(seconds.begin(), seconds.end());
    std::printf(
        "%-6s %-5s %6.1f MiB in, %6.1f MiB records | %5.2f GB/s in, %5.2f GB/s records, "
        "%6.2f M records/s | median of %d: %.1f ms (best %.1f)\n",
        std::string(kpipe::record::codec_name(c)).c_str(), m == mode::fetch ? "fetch" : "bulk",
        static_cast<double>(w.data.size()) / (1 << 20),
        static_cast<double>(w.uncompressed_records_bytes) / (1 << 20),
        static_cast<double>(w.data.size()) / t / 1e9,
        static_cast<double>(w.uncompressed_records_bytes) / t / 1e9,
        static_cast<double>(w.records) / t / 1e6, runs, t * 1e3, best * 1e3);
  }
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 7;
  std::size_t batches = 64;
  std::vector<codec> codecs = {codec::none, codec::lz4, codec::zstd};
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--codec") == 0) {
      auto c = kpipe::record::codec_from_name(argv[i + 1]);
      if (!c) {
        std::fprintf(stderr, "unknown codec %s\n", argv[i + 1]);
        return 2;
      }
      codecs = {*c};  // one codec alone, e.g. to profile it
    } else if (std::strcmp(argv[i], "--runs") == 0) {
      runs = std::max(1, std::atoi(argv[i + 1]));
    } else if (std::strcmp(argv[i], "--batches") == 0) {
      batches = static_cast<std::size_t>(std::max(1, std::atoi(argv[i + 1])));
    } else {
      std::fprintf(stderr, "usage: %s [--runs N] [--batches N] [--codec NAME]\n", argv[0]);
      return 2;
    }
  }
  std::printf(
      "read_batches, one thread, CRC32C verified and records decoded: %zu batches of "
      "~1 MiB, %zu-byte values, short keys\n",
      batches, value_size);
  for (codec c : codecs) run(c, batches, runs);
  return 0;
}
