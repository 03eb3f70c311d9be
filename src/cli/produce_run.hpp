#pragma once
// One run of `kpipe produce`: reads the inputs, turns each input record into a Kafka record
// (lines, -K keys, -J envelopes), hands it to the producer and reports what became of it.
//
// Input is read in large chunks (1 MiB pipes, read(2), memchr splitting); pipes and terminals
// asynchronously, so that batches keep leaving while input trickles in; regular files with
// plain reads, yielding to the event loop after every chunk. Timestamps are taken once per
// chunk: records read together share their create time.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client/cluster.hpp"
#include "client/producer.hpp"
#include "format/envelope.hpp"
#include "format/record_format.hpp"
#include "global_options.hpp"
#include "produce_command.hpp"

namespace kpipe::cli {

class input_source;
class delimited_reader;

class produce_run {
 public:
  static int execute(const global_options& global, const produce_settings& settings);

 private:
  produce_run(boost::asio::io_context& io, const global_options& global,
              const produce_settings& settings);

  enum class step { next, wait, stop };

  boost::asio::awaitable<int> run();
  boost::asio::awaitable<bool> read_inputs();
  boost::asio::awaitable<bool> read_delimited(input_source& source);
  step offer(std::string_view text, std::uint64_t tag);
  void input_error(std::uint64_t tag, const std::string& message);
  void on_delivery(const client::delivery& d);
  void write_tee(const client::delivery& d);
  std::string describe(std::uint64_t first, std::uint64_t last) const;
  void print_stats() const;
  void interrupt();
  boost::asio::awaitable<void> pace();

  boost::asio::io_context& io_;
  const global_options& global_;
  const produce_settings& settings_;
  client::cluster cluster_;
  std::optional<client::producer> producer_;
  std::optional<client::partitioner> dry_run_partitioner_;
  std::int32_t dry_run_partitions_ = 0;
  std::optional<record_format> tee_format_;

  // Input bookkeeping: records are numbered across all inputs; each input starts at a tag.
  struct input_name {
    std::uint64_t first_tag;
    std::string name;
  };
  std::vector<input_name> inputs_;
  std::uint64_t next_tag_ = 1;
  std::uint64_t records_read_ = 0;
  std::uint64_t input_failures_ = 0;
  std::uint64_t delivery_errors_shown_ = 0;
  std::optional<kpipe::error> first_input_error_;
  bool stop_input_ = false;
  // The pipe or terminal being read, while a read may be waiting on it (interrupt() cancels it).
  boost::asio::posix::stream_descriptor* reading_ = nullptr;
  bool interrupted_ = false;
  std::int64_t chunk_timestamp_ = 0;

  // Reused for every record.
  parsed_envelope envelope_;
  std::vector<record::record_header> headers_;
  std::vector<record::record_header> static_headers_;
  std::string out_;  // --tee and --dry-run output, written in large pieces

  // --rate
  std::chrono::steady_clock::time_point rate_start_{};
  std::uint64_t rate_sent_ = 0;
  std::chrono::steady_clock::time_point started_{};
};

}  // namespace kpipe::cli
