#include "consume_command.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <charconv>
#include <iostream>
#include <memory>

#include "client/cluster.hpp"
#include "client/fetcher.hpp"
#include "client/list_offsets.hpp"
#include "event_loop.hpp"
#include "exit_codes.hpp"
#include "format/envelope.hpp"
#include "format/record_format.hpp"
#include "output.hpp"
#include "parse/escapes.hpp"

namespace kpipe::cli {

namespace asio = boost::asio;

namespace {

constexpr std::size_t flush_bytes = 1 << 20;

// The start of consumption for one partition, from -o (the forms that need no time lookup:
// beginning, end, N, -N, +N).
struct start_rule {
  enum class kind { beginning, end, absolute, from_end, from_start } what = kind::beginning;
  std::int64_t value = 0;
};

result<start_rule> parse_start(const std::string& text) {
  start_rule rule;
  if (text == "beginning" || text == "earliest") return rule;
  if (text == "end" || text == "latest") {
    rule.what = start_rule::kind::end;
    return rule;
  }
  std::string_view digits = text;
  if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) {
    rule.what = digits[0] == '-' ? start_rule::kind::from_end : start_rule::kind::from_start;
    digits.remove_prefix(1);
  } else {
    rule.what = start_rule::kind::absolute;
  }
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), rule.value);
  if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() ||
      rule.value < 0) {
    return error{error_kind::usage, "-o '" + text + "': expected beginning, end, N, -N or +N"};
  }
  return rule;
}

std::int64_t start_offset(const start_rule& rule, std::int64_t earliest, std::int64_t latest) {
  switch (rule.what) {
    case start_rule::kind::beginning:
      return earliest;
    case start_rule::kind::end:
      return latest;
    case start_rule::kind::absolute:
      return std::clamp(rule.value, earliest, latest);
    case start_rule::kind::from_end:
      return std::max(earliest, latest - rule.value);
    case start_rule::kind::from_start:
      return std::min(latest, earliest + rule.value);
  }
  return earliest;
}

class consume_run {
 public:
  consume_run(asio::io_context& io, const global_options& global, const consume_options& options)
      : io_(io),
        global_(global),
        options_(options),
        cluster_(io.get_executor(), global.broker_list, global.connection_options()) {}

  asio::awaitable<int> run();

 private:
  status prepare_output();
  bool emit(const record::record_batch& batch, const record::record& r, std::int32_t partition);
  bool flush();

  asio::io_context& io_;
  const global_options& global_;
  const consume_options& options_;
  client::cluster cluster_;
  std::optional<record_format> format_;
  envelope_options envelope_;
  std::string delimiter_ = "\n";
  std::optional<std::string> key_delimiter_;
  bool line_buffered_ = false;
  std::string out_;
  std::uint64_t written_ = 0;
};

status consume_run::prepare_output() {
  if (options_.format) {
    auto compiled = record_format::compile(*options_.format);
    if (!compiled) return error{error_kind::usage, "-f: " + compiled.error().message};
    format_ = std::move(compiled).value();
  }
  if (options_.delimiter) {
    auto d = parse_escapes(*options_.delimiter);
    if (!d) return error{error_kind::usage, "-D: " + d.error().message};
    delimiter_ = *d;
  }
  if (options_.key_delimiter) {
    auto d = parse_escapes(*options_.key_delimiter);
    if (!d) return error{error_kind::usage, "-K: " + d.error().message};
    key_delimiter_ = *d;
  }
  auto key = parse_byte_encoding(options_.key_encoding);
  if (!key) return error{error_kind::usage, "--key-encoding: " + key.error().message};
  auto value = parse_byte_encoding(options_.value_encoding);
  if (!value) return error{error_kind::usage, "--value-encoding: " + value.error().message};
  envelope_.key_encoding = *key;
  envelope_.value_encoding = *value;
  line_buffered_ = options_.unbuffered || ::isatty(STDOUT_FILENO);
  return success{};
}

// Appends one record in the chosen layout; false when stdout is closed.
bool consume_run::emit(const record::record_batch& batch, const record::record& r,
                       std::int32_t partition) {
  record_view view;
  view.topic = options_.topics[0];
  view.partition = partition;
  view.offset = r.offset;
  view.timestamp = r.timestamp;
  view.timestamp_type = batch.timestamps();
  view.key = r.key;
  view.value = r.value;
  view.headers = r.headers;
  if (batch.partition_leader_epoch >= 0) view.leader_epoch = batch.partition_leader_epoch;
  if (options_.json) {
    append_envelope(out_, view, envelope_);
  } else if (format_) {
    format_->append(out_, view);
  } else {
    if (key_delimiter_) {
      if (r.key) out_.append(reinterpret_cast<const char*>(r.key->data()), r.key->size());
      out_ += *key_delimiter_;
    }
    if (r.value) out_.append(reinterpret_cast<const char*>(r.value->data()), r.value->size());
    out_ += delimiter_;
  }
  ++written_;
  if (line_buffered_ || out_.size() >= flush_bytes) return flush();
  return true;
}

bool consume_run::flush() {
  if (out_.empty()) return true;
  bool ok = write_stdout(out_);
  out_.clear();
  return ok;
}

asio::awaitable<int> consume_run::run() {
  if (auto prepared = prepare_output(); !prepared) {
    std::cerr << "kpipe: consume: " << prepared.error().message << '\n';
    co_return exit_usage;
  }
  if (options_.topics.size() != 1) {
    std::cerr << "kpipe: consume: one topic (-t) at a time for now\n";
    co_return exit_usage;
  }
  auto rule = parse_start(options_.offset);
  if (!rule) {
    std::cerr << "kpipe: consume: " << rule.error().message << '\n';
    co_return exit_usage;
  }
  const std::string& topic = options_.topics[0];
  std::vector<std::string> topics(1, topic);
  auto metadata = co_await cluster_.fetch_metadata(topics);
  if (!metadata) {
    std::cerr << "kpipe: consume: " << metadata.error().message << '\n';
    co_return exit_code_for(metadata.error());
  }
  auto leaders = client::partition_leaders(metadata.value(), topic);
  if (!leaders) {
    std::cerr << "kpipe: consume: " << leaders.error().message << '\n';
    co_return exit_code_for(leaders.error());
  }
  std::vector<std::int32_t> partitions = options_.partitions;
  if (partitions.empty()) {
    for (const auto& [p, leader] : leaders.value()) partitions.push_back(p);
  }
  for (auto p : partitions) {
    if (!leaders->count(p)) {
      std::cerr << "kpipe: consume: partition " << p << " of " << topic
                << " does not exist (it has " << leaders->size() << ")\n";
      co_return exit_not_found;
    }
  }
  bool read_committed = options_.isolation != "read-uncommitted";
  std::map<std::int32_t, std::int64_t> earliest_q;
  std::map<std::int32_t, std::int64_t> latest_q;
  for (auto p : partitions) {
    earliest_q[p] = client::earliest_timestamp;
    latest_q[p] = client::latest_timestamp;
  }
  auto earliest =
      co_await client::list_offsets(cluster_, topic, leaders.value(), earliest_q, read_committed);
  if (!earliest) {
    std::cerr << "kpipe: consume: " << earliest.error().message << '\n';
    co_return exit_code_for(earliest.error());
  }
  auto latest =
      co_await client::list_offsets(cluster_, topic, leaders.value(), latest_q, read_committed);
  if (!latest) {
    std::cerr << "kpipe: consume: " << latest.error().message << '\n';
    co_return exit_code_for(latest.error());
  }

  client::fetcher_options fetch_options;
  fetch_options.read_committed = read_committed;
  fetch_options.control_records = options_.print_control_records;
  client::fetcher fetcher(io_.get_executor(), cluster_, topic, fetch_options);
  fetcher.on_warning = [](const std::string& w) { std::cerr << "kpipe: consume: " << w << '\n'; };
  std::vector<client::fetch_position> positions;
  bool anything = false;
  for (auto p : partitions) {
    std::int64_t low = earliest->at(p).offset;
    std::int64_t high = latest->at(p).offset;
    client::fetch_position position;
    position.partition = p;
    position.offset = start_offset(rule.value(), low, high);
    // -e: the end offsets taken now (the last stable offset under read_committed).
    if (options_.exit_at_end) position.stop = high;
    if (!position.stop || position.offset < *position.stop) anything = true;
    positions.push_back(position);
  }
  if (options_.exit_at_end && !anything) {
    cluster_.close();
    co_return exit_ok;
  }
  fetcher.assign(positions);

  int code = exit_ok;
  bool open = true;
  while (open) {
    auto answer = co_await fetcher.next();
    if (!answer) {
      std::cerr << "kpipe: consume: " << answer.error().message << '\n';
      code = exit_code_for(answer.error());
      break;
    }
    if (answer->partitions.empty() && fetcher.done()) break;
    for (const auto& part : answer->partitions) {
      for (const auto& batch : part.batches) {
        for (const auto& r : batch.records) {
          if (options_.count && written_ >= *options_.count) break;
          if (!emit(batch, r, part.partition)) {
            open = false;  // stdout closed (`| head`): a normal end
            break;
          }
        }
        if (!open || (options_.count && written_ >= *options_.count)) break;
      }
      if (!open) break;
    }
    if (open && !flush()) open = false;
    if (options_.count && written_ >= *options_.count) break;
    if (fetcher.done()) break;
  }
  if (open) flush();
  cluster_.close();
  co_return code;
}

}  // namespace

CLI::App* register_consume(CLI::App& app, consume_options& o) {
  auto* cmd = app.add_subcommand("consume", "Read records of a topic to stdout");
  cmd->add_option("-t,--topic", o.topics, "Topic to read")->required()->type_name("TOPIC");
  cmd->add_option("-p,--partition", o.partitions, "Only these partitions (N[,N...])")
      ->delimiter(',')
      ->type_name("N");
  cmd->add_option("-o,--offset", o.offset,
                  "Where to start: beginning (default), end, N, -N (N before the end), +N")
      ->type_name("SPEC");
  cmd->add_flag("-e,--exit", o.exit_at_end, "Stop at the end offsets taken at start");
  cmd->add_option("-c,--count", o.count, "Stop after N records in total")->type_name("N");
  cmd->add_option("-f,--format", o.format,
                  "Output layout: kcat's tokens %t %p %o %k %s %S %K %T %h, and %d %{h:NAME} "
                  "%{k:hex} %{s:base64} %{s:json}")
      ->type_name("FMT");
  cmd->add_flag("-J,--json", o.json, "One JSON envelope per record (produce -J reads it back)");
  cmd->add_option("-D,--delimiter", o.delimiter, "After each record (default \\n)")
      ->type_name("STR");
  cmd->add_option("-K,--key-delimiter", o.key_delimiter, "Print the key, STR, then the value")
      ->type_name("STR");
  cmd->add_option("--key-encoding", o.key_encoding, "For -J: text|hex|base64|json|auto")
      ->type_name("ENC");
  cmd->add_option("--value-encoding", o.value_encoding, "For -J: text|hex|base64|json|auto")
      ->type_name("ENC");
  cmd->add_option("--isolation", o.isolation,
                  "read-committed (default: aborted transactions skipped) or read-uncommitted")
      ->check(CLI::IsMember({"read-committed", "read-uncommitted"}));
  cmd->add_flag("--print-control-records", o.print_control_records, "Show transaction markers too");
  cmd->add_flag("-u,--unbuffered", o.unbuffered, "Write each record at once (default on a tty)");
  cmd->footer(
      "Examples:\n"
      "  kpipe consume -t orders -e                 # everything there now, then exit\n"
      "  kpipe consume -t orders -o -10 -e -J       # the last 10 per partition as JSON\n"
      "  kpipe consume -t logs -f '%p:%o %k=%s\\n'\n"
      "  kpipe consume -t orders -e -J | kpipe produce -t orders-copy -J\n"
      "\n"
      "A closed stdout (| head) ends the run quietly with exit 0.");
  return cmd;
}

int run_consume(const global_options& global, const consume_options& options) {
  return run_event_loop([&](asio::io_context& io) -> asio::awaitable<int> {
    auto run = std::make_unique<consume_run>(io, global, options);
    co_return co_await run->run();
  });
}

}  // namespace kpipe::cli
