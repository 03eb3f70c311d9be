// kpipe: wiring only. Builds the command line, runs the chosen subcommand, maps the outcome to
// an exit code (the only place that decides one).
#include <malloc.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "consume_command.hpp"
#include "decode_command.hpp"
#include "exit_codes.hpp"
#include "global_options.hpp"
#include "groups_command.hpp"
#include "metadata_command.hpp"
#include "offsets_command.hpp"
#include "output.hpp"
#include "produce_command.hpp"

int main(int argc, char** argv) {
  using namespace kpipe::cli;
  // Batches and fetch answers are megabytes each and come and go all the time: kept in the heap
  // instead of mmap'ed and unmapped one by one, their pages are reused instead of faulted in
  // afresh (a fifth of produce's CPU time went to page faults).
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 128 << 20);
  // One arena: the producer's compression threads allocate batch buffers that the event loop
  // frees, and per-thread arenas would each keep their own high-water mark of them (106 MiB of
  // RSS after 2 GiB of lz4 input instead of 89 MiB). They allocate once per batch, so sharing
  // the arena's lock costs nothing measurable.
  mallopt(M_ARENA_MAX, 1);
  prepare_output();

  CLI::App app{
      "kpipe: a command-line Kafka toolkit for shell pipelines.\n"
      "Produce from stdin, tail topics, script offset and lag checks, decode protocol dumps."};
  app.name("kpipe");
  app.set_version_flag("--version", std::string("kpipe ") + KPIPE_VERSION);
  // A subcommand is required, but --show-config alone is a complete request.
  app.require_subcommand(0, 1);
  // Global options are accepted after the subcommand too, as kcat users type them.
  app.fallthrough();
  app.footer(
      "Examples:\n"
      "  seq 100 | kpipe -b localhost:9092 produce -t numbers\n"
      "  kpipe -b localhost:9092 metadata\n"
      "  KPIPE_BROKERS=broker1:9092,broker2:9092 kpipe metadata -t orders --format json\n"
      "  kpipe -F client.properties metadata          # Java or kcat config file\n"
      "  kpipe --profile prod --show-config           # what a profile amounts to\n"
      "  kpipe -b h:9093 --tls-ca ca.pem --sasl-mechanism SCRAM-SHA-512 --sasl-user me metadata\n"
      "\n"
      "Run 'kpipe COMMAND --help' for a command's options.\n"
      "Exit status: 0 ok, 1 runtime or Kafka error, 2 usage, 3 auth, 4 not found, 5 timed out,\n"
      "130 interrupted.");

  global_options global;
  register_global_options(app, global);
  metadata_options metadata;
  auto* metadata_cmd = register_metadata(app, metadata);
  offsets_options offsets;
  auto* offsets_cmd = register_offsets(app, offsets);
  consume_options consume;
  auto* consume_cmd = register_consume(app, consume);
  produce_options produce;
  auto* produce_cmd = register_produce(app, produce);
  decode_options decode;
  auto* decode_cmd = register_decode(app, decode);
  groups_options groups;
  auto* groups_cmd = register_groups(app, groups);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "kpipe: " << e.what() << "\nRun 'kpipe --help' for usage.\n";
    return exit_usage;
  }

  if (auto resolved = global.resolve(); !resolved) {
    std::cerr << "kpipe: " << resolved.error().message << "\nRun 'kpipe --help' for usage.\n";
    return exit_usage;
  }
  if (global.verbosity >= 0) {
    for (const auto& warning : global.warnings) std::cerr << "kpipe: warning: " << warning << "\n";
  }
  if (global.show_config) {
    write_stdout(render_settings(global));
    return exit_ok;
  }
  if (app.get_subcommands().empty()) {
    std::cerr << "kpipe: A subcommand is required\nRun 'kpipe --help' for usage.\n";
    return exit_usage;
  }
  if (!decode_cmd->parsed()) {
    if (auto secured = global.resolve_security(); !secured) {
      std::cerr << "kpipe: " << secured.error().message << "\n";
      return exit_code_for(secured.error());
    }
  }
  if (metadata_cmd->parsed()) return run_metadata(global, metadata);
  if (decode_cmd->parsed()) return run_decode(global, decode);
  if (produce_cmd->parsed()) return run_produce(global, produce);
  if (consume_cmd->parsed()) return run_consume(global, consume);
  if (offsets_cmd->parsed()) return run_offsets(global, offsets);
  if (groups_cmd->parsed()) return run_groups(global, groups);
  return exit_usage;
}
