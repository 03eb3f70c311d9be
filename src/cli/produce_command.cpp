#include "produce_command.hpp"

#include <CLI/CLI.hpp>
#include <charconv>
#include <iostream>

#include "exit_codes.hpp"
#include "parse/byte_size.hpp"
#include "parse/duration.hpp"
#include "parse/escapes.hpp"
#include "produce_run.hpp"
#include "record/compression.hpp"

namespace kpipe::cli {
namespace {

error usage(std::string message) { return error{error_kind::usage, std::move(message)}; }

// The first of a flag's value and the properties (-X, config file, ...) that mean the same (Java
// and librdkafka names), with where it came from for error messages.
struct setting {
  std::optional<std::string> value;
  std::string source;
  bool from_property = false;
};

setting pick(const std::optional<std::string>& flag, const std::string& flag_name,
             const global_options& global, std::initializer_list<const char*> properties) {
  if (flag) return {flag, flag_name, false};
  for (const char* name : properties) {
    if (auto it = global.properties.find(name); it != global.properties.end()) {
      return {it->second, global.source_of(name), true};
    }
  }
  return {std::nullopt, flag_name, false};
}

result<long long> integer(const setting& s) {
  long long v = 0;
  const auto& text = *s.value;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size()) {
    return usage(s.source + ": expected an integer, got '" + text + "'");
  }
  return v;
}

result<std::chrono::milliseconds> duration_setting(const setting& s, bool plain_is_ms) {
  // -X linger.ms=5 is a number of milliseconds; --linger takes 5ms, 1s, ...
  if (plain_is_ms) {
    auto v = integer(s);
    if (!v) return v.error();
    if (*v < 0) return usage(s.source + ": must not be negative");
    return std::chrono::milliseconds(*v);
  }
  auto d = parse_duration(*s.value);
  if (!d) return usage(s.source + ": expected a duration like 5ms or 2s, got '" + *s.value + "'");
  return *d;
}

bool is_ms_property(const setting& s) { return s.from_property; }

}  // namespace

CLI::App* register_produce(CLI::App& app, produce_options& o) {
  auto* cmd = app.add_subcommand("produce", "Produce records from stdin or files to a topic");
  cmd->add_option("-t,--topic", o.topic, "Topic to produce to")->required()->type_name("TOPIC");
  cmd->add_option("file", o.files,
                  "Input files (default: stdin); each file is one record unless -l")
      ->type_name("FILE...");
  cmd->add_option("-D,--delimiter", o.delimiter,
                  "Record delimiter (default \\n); escapes \\n \\t \\r \\0 \\xNN; multi-byte ok")
      ->type_name("STR");
  cmd->add_option("-K,--key-delimiter", o.key_delimiter,
                  "Split key from value at the first occurrence of STR")
      ->type_name("STR");
  cmd->add_option("-k,--key", o.key, "Fixed key for every record (without -K's split)")
      ->type_name("KEY");
  cmd->add_option("-H,--header", o.headers,
                  "Header K=V on every record (repeatable; K alone: null)")
      ->type_name("K=V");
  cmd->add_flag("-Z,--null-empty", o.null_empty, "An empty key or value is sent as null");
  cmd->add_flag("-l,--lines", o.delimited_files, "Files are split like stdin, not one record each");
  cmd->add_flag("-J,--json", o.json,
                "Each input line is a JSON envelope (as consume -J writes); its partition and "
                "timestamp are used unless -p overrides");
  cmd->add_option("-p,--partition", o.partition, "Send every record to partition N")
      ->type_name("N");
  cmd->add_option("--partitioner", o.partitioner,
                  "murmur2 (default: keyed like the Java client, unkeyed sticky), random, "
                  "roundrobin")
      ->check(CLI::IsMember({"murmur2", "random", "roundrobin"}))
      ->type_name("NAME");
  cmd->add_option("-z,--compression", o.compression, "Codec of the batches (default none)")
      ->check(CLI::IsMember({"none", "gzip", "snappy", "lz4", "zstd"}))
      ->type_name("none|gzip|snappy|lz4|zstd");
  cmd->add_option("--acks", o.acks, "all (default), 1 or 0")
      ->check(CLI::IsMember({"all", "-1", "1", "0"}))
      ->type_name("all|1|0");
  cmd->add_flag("--no-idempotence", o.no_idempotence,
                "Plain producer: a retry may duplicate records");
  cmd->add_option("--transactional-id", o.transactional_id,
                  "Send the whole input in one transaction: commit at the end, abort on error "
                  "or Ctrl-C")
      ->type_name("ID");
  cmd->add_option("--batch-bytes", o.batch_bytes, "Largest batch, header included (default 1MiB)")
      ->type_name("N");
  cmd->add_option("--batch-records", o.batch_records, "Most records per batch")->type_name("N");
  cmd->add_option("--linger", o.linger, "How long a batch waits to fill (default 5ms)")
      ->type_name("DURATION");
  cmd->add_option("--max-inflight", o.max_inflight,
                  "Produce requests in flight per broker (default 5)")
      ->type_name("N");
  cmd->add_option("--rate", o.rate, "At most N records per second")->type_name("N");
  cmd->add_flag("--dry-run", o.dry_run,
                "Parse and partition the input, print what would be sent (JSON envelopes), "
                "send nothing");
  cmd->add_flag("-T,--tee", o.tee,
                "Print each delivered record with its partition and offset (-f layout, or "
                "JSON with -J)");
  cmd->add_option("-f,--format", o.format,
                  "Layout of --tee (consume's tokens); default %t\\t%p\\t%o\\t%s\\n")
      ->type_name("FMT");
  cmd->add_flag("--stats", o.stats,
                "Records/s, MB/s, delivery latency p50/p99, retries, failures on stderr");
  cmd->add_option("--on-error", o.on_error,
                  "stop (default): end at the first bad input record; skip: report it and go on")
      ->check(CLI::IsMember({"stop", "skip"}))
      ->type_name("stop|skip");
  cmd->footer(
      "Examples:\n"
      "  seq 1000 | kpipe produce -t numbers\n"
      "  kpipe produce -t users -K : <<< 'alice:{\"age\":31}'\n"
      "  kpipe produce -t logs -z zstd --batch-bytes 4MiB --linger 50ms app.log -l\n"
      "  kpipe consume -t orders -e -J | kpipe produce -t orders-copy -J\n"
      "  kpipe produce -t blobs -D '\\0' < records.bin\n"
      "\n"
      "Properties (-X) with the same meaning, for the options not given: linger.ms, batch.size,\n"
      "batch.num.messages, acks, compression.type, enable.idempotence, retries,\n"
      "retry.backoff.ms, delivery.timeout.ms (message.timeout.ms), request.timeout.ms,\n"
      "max.in.flight, buffer.memory, compression.level, transaction.timeout.ms.\n"
      "\n"
      "Exit status: 0 every record was acknowledged; 1 some were not (their count is printed);\n"
      "2 usage; 4 topic not found; 130 interrupted (what was read is still delivered).");
  return cmd;
}

result<produce_settings> resolve_produce(const produce_options& o, const global_options& g) {
  produce_settings s;
  s.topic = o.topic;
  if (s.topic.empty()) return usage("produce: -t TOPIC must not be empty");
  s.files = o.files;
  if (o.delimiter) {
    auto d = parse_escapes(*o.delimiter);
    if (!d) return usage("-D: " + d.error().message);
    if (d->empty()) return usage("-D: the delimiter must not be empty");
    s.delimiter = *d;
  }
  if (o.key_delimiter) {
    auto d = parse_escapes(*o.key_delimiter);
    if (!d) return usage("-K: " + d.error().message);
    if (d->empty()) return usage("-K: the key delimiter must not be empty");
    s.key_delimiter = *d;
  }
  s.key = o.key;
  for (const auto& h : o.headers) {
    auto eq = h.find('=');
    if (eq == 0) return usage("-H '" + h + "': the header name is empty");
    if (eq == std::string::npos) {
      s.headers.emplace_back(h, std::nullopt);
    } else {
      s.headers.emplace_back(h.substr(0, eq), h.substr(eq + 1));
    }
  }
  s.null_empty = o.null_empty;
  s.delimited_files = o.delimited_files;
  s.json = o.json;
  if (s.json && (o.key_delimiter || o.key)) return usage("-J takes keys from the JSON: drop -K/-k");
  s.partition = o.partition;
  if (s.partition && *s.partition < 0) return usage("-p: a partition is 0 or more");
  s.rate = o.rate;
  if (s.rate && !(*s.rate > 0)) return usage("--rate: must be more than 0");
  s.dry_run = o.dry_run;
  s.tee = o.tee;
  s.format = o.format;
  s.stats = o.stats;
  s.skip_errors = o.on_error == "skip";

  auto& p = s.producer;
  if (auto v = pick(o.partitioner, "--partitioner", g, {"partitioner"}); v.value) {
    auto kind = client::partitioner_from_name(*v.value);
    // librdkafka's names for the same behaviour.
    if (!kind && (*v.value == "murmur2_random" || *v.value == "consistent_random")) {
      kind = client::partitioner_kind::murmur2;
    }
    if (!kind) return usage(v.source + ": unknown partitioner '" + *v.value + "'");
    p.partitioner = *kind;
  }
  if (auto v = pick(o.compression, "-z", g, {"compression.type", "compression.codec"}); v.value) {
    auto c = record::codec_from_name(*v.value);
    if (!c) return usage(v.source + ": unknown codec '" + *v.value + "'");
    p.batch.compression = *c;
  }
  if (auto v = pick(std::nullopt, "", g, {"compression.level"}); v.value) {
    auto level = integer(v);
    if (!level) return level.error();
    p.batch.compression_level = static_cast<int>(*level);
  }
  if (auto v = pick(o.acks, "--acks", g, {"acks", "request.required.acks"}); v.value) {
    if (*v.value == "all" || *v.value == "-1") {
      p.acks = -1;
    } else if (*v.value == "1" || *v.value == "0") {
      p.acks = static_cast<std::int16_t>(*v.value == "1" ? 1 : 0);
    } else {
      return usage(v.source + ": expected all, 1 or 0, got '" + *v.value + "'");
    }
  }
  bool idempotence_asked = false;
  if (auto v = pick(std::nullopt, "", g, {"enable.idempotence"}); v.value) {
    if (*v.value != "true" && *v.value != "false") {
      return usage(v.source + ": expected true or false");
    }
    p.idempotence = *v.value == "true";
    idempotence_asked = p.idempotence;
  }
  if (o.no_idempotence) p.idempotence = false;
  if (idempotence_asked && p.acks != -1) {
    return usage("idempotence needs --acks all (or drop -X enable.idempotence=true)");
  }
  p.transactional_id =
      pick(o.transactional_id, "--transactional-id", g, {"transactional.id"}).value;
  if (p.transactional_id && p.acks != -1) return usage("--transactional-id needs --acks all");
  if (p.transactional_id && o.no_idempotence) {
    return usage("--transactional-id needs idempotence: drop --no-idempotence");
  }
  if (auto v = pick(o.batch_bytes, "--batch-bytes", g, {"batch.size"}); v.value) {
    auto n = parse_byte_size(*v.value);
    if (!n) return usage(v.source + ": expected a size like 1048576, 64k or 1MiB");
    if (*n < 128) return usage(v.source + ": a batch needs at least 128 bytes");
    if (*n > (std::size_t{1} << 30)) return usage(v.source + ": at most 1GiB");
    p.batch.max_batch_bytes = *n;
  }
  if (o.batch_records) {
    if (*o.batch_records == 0) return usage("--batch-records: at least 1");
    p.batch.max_batch_records = *o.batch_records;
  } else if (auto v = pick(std::nullopt, "", g, {"batch.num.messages"}); v.value) {
    auto n = integer(v);
    if (!n || *n < 1) return usage(v.source + ": expected a count of at least 1");
    p.batch.max_batch_records = static_cast<std::size_t>(*n);
  }
  if (auto v = pick(o.linger, "--linger", g, {"linger.ms", "queue.buffering.max.ms"}); v.value) {
    auto d = duration_setting(v, is_ms_property(v));
    if (!d) return d.error();
    p.linger = *d;
  }
  if (o.max_inflight) {
    if (*o.max_inflight < 1) return usage("--max-inflight: at least 1");
    p.max_inflight = *o.max_inflight;
  } else if (auto v = pick(std::nullopt, "", g,
                           {"max.in.flight", "max.in.flight.requests.per.connection"});
             v.value) {
    auto n = integer(v);
    if (!n || *n < 1) return usage(v.source + ": expected a count of at least 1");
    p.max_inflight = static_cast<int>(std::min<long long>(*n, 1000));
  }
  if (auto v = pick(std::nullopt, "", g, {"retries", "message.send.max.retries"}); v.value) {
    auto n = integer(v);
    if (!n || *n < 0) return usage(v.source + ": expected a count of 0 or more");
    p.retries = static_cast<int>(std::min<long long>(*n, 2'147'483'647));
  }
  if (auto v = pick(std::nullopt, "", g, {"retry.backoff.ms"}); v.value) {
    auto d = duration_setting(v, true);
    if (!d) return d.error();
    p.retry_backoff = *d;
    p.retry_backoff_max = std::max(p.retry_backoff_max, *d);
  }
  if (auto v = pick(std::nullopt, "", g, {"delivery.timeout.ms", "message.timeout.ms"}); v.value) {
    auto d = duration_setting(v, true);
    if (!d) return d.error();
    p.delivery_timeout = *d;
  }
  if (auto v = pick(std::nullopt, "", g, {"request.timeout.ms"}); v.value) {
    auto d = duration_setting(v, true);
    if (!d) return d.error();
    p.request_timeout = *d;
  }
  if (auto v = pick(std::nullopt, "", g, {"buffer.memory"}); v.value) {
    auto n = parse_byte_size(*v.value);
    if (!n || *n == 0) return usage(v.source + ": expected a size");
    p.buffer_bytes = *n;
  }
  if (auto v = pick(std::nullopt, "", g, {"transaction.timeout.ms"}); v.value) {
    auto d = duration_setting(v, true);
    if (!d) return d.error();
    p.transaction_timeout = *d;
  }
  // Room for at least a few full batches, whatever the batch size.
  p.buffer_bytes = std::max(p.buffer_bytes, 4 * p.batch.max_batch_bytes);
  p.max_request_bytes = std::max(p.max_request_bytes, p.batch.max_batch_bytes + 1024);
  return s;
}

int run_produce(const global_options& global, const produce_options& options) {
  auto settings = resolve_produce(options, global);
  if (!settings) {
    std::cerr << "kpipe: produce: " << settings.error().message << '\n';
    return exit_usage;
  }
  return produce_run::execute(global, settings.value());
}

}  // namespace kpipe::cli
