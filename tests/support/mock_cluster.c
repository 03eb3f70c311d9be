// kpipe-mock-cluster: runs librdkafka's in-process mock Kafka cluster as a standalone program so
// that kpipe's CLI tests have a reference broker without a JVM. The bootstrap list is the first
// line on stdout; faults are injected through an optional control FIFO (see usage()).
//
// Only functions present in librdkafka 2.0.2's rdkafka_mock.h are used: that is the version
// Debian 12 ships and the one CI builds against.

#define _GNU_SOURCE  // signalfd, mkfifo, strtok_r

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

// rdkafka_mock.h refuses to be included before rdkafka.h.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

enum { exit_ok = 0, exit_runtime = 1, exit_usage = 2 };

// A control line longer than this is certainly garbage; it is reported and skipped.
enum { max_line_len = 4096, max_tokens = 16, max_push_errors = 64 };

typedef struct topic_spec {
  char* name;  // Owned.
  int partitions;
  int replication;  // 0 until resolved: the default depends on --brokers, which may come later.
} topic_spec;

typedef struct options {
  int brokers;
  topic_spec* topics;
  size_t topic_cnt;
  const char* control_path;
  bool exit_on_stdin_close;
  long max_seconds;  // 0 = run until signalled.
  bool verbose;
  bool help_shown;  // --help was answered: nothing else to do.
} options;

static const char* const program_name = "kpipe-mock-cluster";

static void usage(FILE* out) {
  fprintf(out,
          "Usage: %s [options]\n"
          "\n"
          "Runs librdkafka's mock Kafka cluster. Prints the bootstrap server list as the first\n"
          "line of stdout, then serves until SIGTERM/SIGINT/SIGHUP (exit status 0).\n"
          "\n"
          "Options:\n"
          "  --brokers N                 number of brokers, ids 1..N (default 1)\n"
          "  --topic NAME:PARTITIONS[:REPLICATION]\n"
          "                              pre-create a topic (repeatable); replication defaults\n"
          "                              to min(3, brokers)\n"
          "  --control PATH              create a FIFO at PATH and read control commands from\n"
          "                              it, one per line; each is acknowledged on stdout with\n"
          "                              'ok <command>' or 'error <command>: <reason>'\n"
          "  --exit-on-stdin-close       exit when stdin reaches EOF (default: ignore stdin)\n"
          "  --max-seconds N             exit by itself after N seconds (default 0 = never)\n"
          "  --verbose                   show librdkafka's log on stderr\n"
          "  --help                      show this help\n"
          "\n"
          "Control commands (IDs are broker ids, -1 = all brokers where noted; error codes are\n"
          "Kafka protocol error codes as integers, e.g. 6 = NOT_LEADER_OR_FOLLOWER, or\n"
          "librdkafka's negative local codes, e.g. -195 = disconnect):\n"
          "  broker-down ID                  disconnect broker, refuse new connections (-1 ok)\n"
          "  broker-up ID                    accept connections again (-1 ok)\n"
          "  broker-rtt ID MS                delay every response by MS milliseconds (-1 ok)\n"
          "  broker-rack ID RACK             set the rack reported in Metadata (-1 ok)\n"
          "  push-errors APIKEY ERR[,ERR...] fail the next requests of APIKEY cluster-wide\n"
          "  broker-push-errors ID APIKEY ERR[:RTT_MS][,...]\n"
          "                                  same, on one broker, each with a response delay\n"
          "  clear-errors APIKEY             drop pending cluster-wide errors for APIKEY\n"
          "  leader TOPIC PARTITION ID       move partition leadership (-1 = no leader)\n"
          "  follower TOPIC PARTITION ID     set the preferred replica for fetching\n"
          "  create-topic NAME PARTITIONS [REPLICATION]\n"
          "  topic-error TOPIC ERR           error returned for TOPIC in Metadata (0 clears)\n"
          "  coordinator group|transaction KEY ID\n"
          "                                  pin the coordinator of a group/transactional id\n"
          "  api-version APIKEY MIN MAX      restrict the advertised range (-1 -1 disables)\n"
          "  help                            list the commands on stderr\n",
          program_name);
}

// Parses a whole string as a base-10 integer in [min, max]; rejects empty strings and trailing
// junk so that typos in tests fail loudly instead of meaning 0.
static bool parse_long(const char* text, long min, long max, long* out) {
  if (text == NULL || *text == '\0') return false;
  errno = 0;
  char* end = NULL;
  long value = strtol(text, &end, 10);
  if (errno != 0 || *end != '\0' || value < min || value > max) return false;
  *out = value;
  return true;
}

static int default_replication(int brokers) { return brokers < 3 ? brokers : 3; }

// NAME:PARTITIONS[:REPLICATION]. Kafka topic names cannot contain ':', so the first ':' ends the
// name. Works on a copy: argv is what ps shows and what error messages quote.
static bool parse_topic_spec(const char* spec, topic_spec* out) {
  char* copy = strdup(spec);
  if (copy == NULL) return false;
  char* colon = strchr(copy, ':');
  long partitions = 0;
  long replication = 0;
  bool ok = colon != NULL && colon != copy;
  if (ok) {
    *colon = '\0';
    char* partitions_text = colon + 1;
    char* replication_text = strchr(partitions_text, ':');
    if (replication_text != NULL) *replication_text++ = '\0';
    ok = parse_long(partitions_text, 1, 100000, &partitions) &&
         (replication_text == NULL || parse_long(replication_text, 1, 1000, &replication));
  }
  if (!ok) {
    free(copy);
    return false;
  }
  out->name = copy;
  out->partitions = (int)partitions;
  out->replication = (int)replication;
  return true;
}

// Returns exit_ok, or exit_usage after printing why; --help exits directly.
static int parse_args(int argc, char** argv, options* opts) {
  opts->brokers = 1;
  opts->topics = calloc((size_t)argc, sizeof *opts->topics);  // Never more topics than args.
  if (opts->topics == NULL) {
    fprintf(stderr, "%s: out of memory\n", program_name);
    return exit_runtime;
  }

  for (int i = 1; i < argc; i++) {
    const char* arg = argv[i];
    // Options taking a value all share this check, so the error names the option.
    bool takes_value = strcmp(arg, "--brokers") == 0 || strcmp(arg, "--topic") == 0 ||
                       strcmp(arg, "--control") == 0 || strcmp(arg, "--max-seconds") == 0;
    if (takes_value && i + 1 >= argc) {
      fprintf(stderr, "%s: %s needs a value\n", program_name, arg);
      return exit_usage;
    }

    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
      usage(stdout);
      opts->help_shown = true;
      return exit_ok;
    } else if (strcmp(arg, "--brokers") == 0) {
      long brokers = 0;
      if (!parse_long(argv[++i], 1, 100, &brokers)) {
        fprintf(stderr, "%s: --brokers wants an integer in 1..100, got '%s'\n", program_name,
                argv[i]);
        return exit_usage;
      }
      opts->brokers = (int)brokers;
    } else if (strcmp(arg, "--topic") == 0) {
      const char* spec = argv[++i];
      if (!parse_topic_spec(spec, &opts->topics[opts->topic_cnt])) {
        fprintf(stderr, "%s: --topic wants NAME:PARTITIONS[:REPLICATION], got '%s'\n", program_name,
                spec);
        return exit_usage;
      }
      opts->topic_cnt++;
    } else if (strcmp(arg, "--control") == 0) {
      opts->control_path = argv[++i];
      if (*opts->control_path == '\0') {
        fprintf(stderr, "%s: --control wants a path\n", program_name);
        return exit_usage;
      }
    } else if (strcmp(arg, "--max-seconds") == 0) {
      if (!parse_long(argv[++i], 0, 7 * 24 * 3600, &opts->max_seconds)) {
        fprintf(stderr, "%s: --max-seconds wants a non-negative integer, got '%s'\n", program_name,
                argv[i]);
        return exit_usage;
      }
    } else if (strcmp(arg, "--exit-on-stdin-close") == 0) {
      opts->exit_on_stdin_close = true;
    } else if (strcmp(arg, "--verbose") == 0) {
      opts->verbose = true;
    } else {
      fprintf(stderr, "%s: unknown argument '%s' (try --help)\n", program_name, arg);
      return exit_usage;
    }
  }

  for (size_t t = 0; t < opts->topic_cnt; t++) {
    topic_spec* topic = &opts->topics[t];
    if (topic->replication == 0) topic->replication = default_replication(opts->brokers);
    // The mock would silently cap the replica count; a real broker refuses, and so do we.
    if (topic->replication > opts->brokers) {
      fprintf(stderr, "%s: topic '%s': replication %d exceeds the %d broker(s)\n", program_name,
              topic->name, topic->replication, opts->brokers);
      return exit_usage;
    }
  }
  return exit_ok;
}

// The mock cluster logs through the handle; tests want a quiet stderr unless asked.
static void discard_log(const rd_kafka_t* rk, int level, const char* fac, const char* buf) {
  (void)rk;
  (void)level;
  (void)fac;
  (void)buf;
}

// ---------------------------------------------------------------------------------------------
// Control commands.

typedef struct command_context {
  rd_kafka_mock_cluster_t* mcluster;
  int brokers;
  char reason[256];  // Filled in by a failing handler.
} command_context;

typedef bool (*command_fn)(command_context* ctx, int argc, char** argv);

static bool fail(command_context* ctx, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

static bool fail(command_context* ctx, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(ctx->reason, sizeof ctx->reason, fmt, ap);
  va_end(ap);
  return false;
}

static bool check_err(command_context* ctx, rd_kafka_resp_err_t err) {
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return true;
  return fail(ctx, "%s (%s)", rd_kafka_err2str(err), rd_kafka_err2name(err));
}

// Broker ids start at 1; -1 means every broker for the calls that accept it.
static bool parse_broker_id(command_context* ctx, const char* text, bool allow_all, int32_t* out) {
  long id = 0;
  if (!parse_long(text, allow_all ? -1 : 0, INT32_MAX, &id) || id == 0) {
    return fail(ctx, "bad broker id '%s'", text);
  }
  *out = (int32_t)id;
  return true;
}

static bool parse_api_key(command_context* ctx, const char* text, int16_t* out) {
  long key = 0;
  if (!parse_long(text, 0, INT16_MAX, &key)) return fail(ctx, "bad api key '%s'", text);
  *out = (int16_t)key;
  return true;
}

// Accepts Kafka's positive protocol codes and librdkafka's negative local ones (down to -200).
static bool parse_error_code(command_context* ctx, const char* text, rd_kafka_resp_err_t* out) {
  long code = 0;
  if (!parse_long(text, -200, INT16_MAX, &code)) return fail(ctx, "bad error code '%s'", text);
  *out = (rd_kafka_resp_err_t)code;
  return true;
}

static bool parse_non_negative_int(command_context* ctx, const char* what, const char* text,
                                   int* out) {
  long value = 0;
  if (!parse_long(text, 0, INT_MAX, &value)) return fail(ctx, "bad %s '%s'", what, text);
  *out = (int)value;
  return true;
}

static bool cmd_broker_down(command_context* ctx, int argc, char** argv) {
  (void)argc;
  int32_t id = 0;
  return parse_broker_id(ctx, argv[1], true, &id) &&
         check_err(ctx, rd_kafka_mock_broker_set_down(ctx->mcluster, id));
}

static bool cmd_broker_up(command_context* ctx, int argc, char** argv) {
  (void)argc;
  int32_t id = 0;
  return parse_broker_id(ctx, argv[1], true, &id) &&
         check_err(ctx, rd_kafka_mock_broker_set_up(ctx->mcluster, id));
}

static bool cmd_broker_rtt(command_context* ctx, int argc, char** argv) {
  (void)argc;
  int32_t id = 0;
  int rtt_ms = 0;
  return parse_broker_id(ctx, argv[1], true, &id) &&
         parse_non_negative_int(ctx, "rtt", argv[2], &rtt_ms) &&
         check_err(ctx, rd_kafka_mock_broker_set_rtt(ctx->mcluster, id, rtt_ms));
}

static bool cmd_broker_rack(command_context* ctx, int argc, char** argv) {
  (void)argc;
  int32_t id = 0;
  return parse_broker_id(ctx, argv[1], true, &id) &&
         check_err(ctx, rd_kafka_mock_broker_set_rack(ctx->mcluster, id, argv[2]));
}

// Error lists may be given comma-separated, space-separated or both: "6,6" or "6 6".
static bool cmd_push_errors(command_context* ctx, int argc, char** argv) {
  int16_t api_key = 0;
  if (!parse_api_key(ctx, argv[1], &api_key)) return false;

  rd_kafka_resp_err_t errors[max_push_errors];
  size_t cnt = 0;
  for (int a = 2; a < argc; a++) {
    char* save = NULL;
    for (char* item = strtok_r(argv[a], ",", &save); item != NULL;
         item = strtok_r(NULL, ",", &save)) {
      if (cnt == max_push_errors) return fail(ctx, "more than %d errors", max_push_errors);
      if (!parse_error_code(ctx, item, &errors[cnt])) return false;
      cnt++;
    }
  }
  if (cnt == 0) return fail(ctx, "no error codes given");
  // Returns void in 2.0.2: nothing can go wrong that the mock would report.
  rd_kafka_mock_push_request_errors_array(ctx->mcluster, api_key, cnt, errors);
  return true;
}

static bool cmd_broker_push_errors(command_context* ctx, int argc, char** argv) {
  int32_t id = 0;
  int16_t api_key = 0;
  if (!parse_broker_id(ctx, argv[1], false, &id) || !parse_api_key(ctx, argv[2], &api_key)) {
    return false;
  }

  // Parse everything before pushing anything, so a typo leaves the broker's stack untouched.
  rd_kafka_resp_err_t errors[max_push_errors];
  int rtts[max_push_errors];
  size_t cnt = 0;
  for (int a = 3; a < argc; a++) {
    char* save = NULL;
    for (char* item = strtok_r(argv[a], ",", &save); item != NULL;
         item = strtok_r(NULL, ",", &save)) {
      if (cnt == max_push_errors) return fail(ctx, "more than %d errors", max_push_errors);
      char* rtt_text = strchr(item, ':');
      if (rtt_text != NULL) *rtt_text++ = '\0';
      if (!parse_error_code(ctx, item, &errors[cnt])) return false;
      rtts[cnt] = 0;
      if (rtt_text != NULL && !parse_non_negative_int(ctx, "rtt", rtt_text, &rtts[cnt])) {
        return false;
      }
      cnt++;
    }
  }
  if (cnt == 0) return fail(ctx, "no error codes given");

  // 2.0.2 has only the variadic form. The broker's stack is consumed in push order, so pushing
  // one tuple per call yields the same sequence as a single call with all of them.
  for (size_t e = 0; e < cnt; e++) {
    rd_kafka_resp_err_t err = rd_kafka_mock_broker_push_request_error_rtts(
        ctx->mcluster, id, api_key, 1, errors[e], rtts[e]);
    if (!check_err(ctx, err)) return false;
  }
  return true;
}

static bool cmd_clear_errors(command_context* ctx, int argc, char** argv) {
  (void)argc;
  int16_t api_key = 0;
  if (!parse_api_key(ctx, argv[1], &api_key)) return false;
  rd_kafka_mock_clear_request_errors(ctx->mcluster, api_key);
  return true;
}

static bool parse_partition(command_context* ctx, const char* text, int32_t* out) {
  long partition = 0;
  if (!parse_long(text, 0, INT32_MAX, &partition)) {
    return fail(ctx, "bad partition '%s'", text);
  }
  *out = (int32_t)partition;
  return true;
}

static bool cmd_leader(command_context* ctx, int argc, char** argv) {
  (void)argc;
  int32_t partition = 0;
  int32_t id = 0;
  if (!parse_partition(ctx, argv[2], &partition) || !parse_broker_id(ctx, argv[3], true, &id)) {
    return false;
  }
  // The mock does not check the id itself and would happily point clients at a broker that
  // does not exist.
  if (id > ctx->brokers) return fail(ctx, "no broker %d (cluster has %d)", id, ctx->brokers);
  return check_err(ctx, rd_kafka_mock_partition_set_leader(ctx->mcluster, argv[1], partition, id));
}

static bool cmd_follower(command_context* ctx, int argc, char** argv) {
  (void)argc;
  int32_t partition = 0;
  int32_t id = 0;
  return parse_partition(ctx, argv[2], &partition) && parse_broker_id(ctx, argv[3], true, &id) &&
         check_err(ctx,
                   rd_kafka_mock_partition_set_follower(ctx->mcluster, argv[1], partition, id));
}

static bool cmd_create_topic(command_context* ctx, int argc, char** argv) {
  int partitions = 0;
  int replication = default_replication(ctx->brokers);
  if (!parse_non_negative_int(ctx, "partition count", argv[2], &partitions)) return false;
  if (argc > 3 && !parse_non_negative_int(ctx, "replication", argv[3], &replication)) {
    return false;
  }
  if (partitions < 1) return fail(ctx, "partition count must be at least 1");
  if (replication < 1 || replication > ctx->brokers) {
    return fail(ctx, "replication must be in 1..%d", ctx->brokers);
  }
  return check_err(ctx,
                   rd_kafka_mock_topic_create(ctx->mcluster, argv[1], partitions, replication));
}

static bool cmd_topic_error(command_context* ctx, int argc, char** argv) {
  (void)argc;
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
  if (!parse_error_code(ctx, argv[2], &err)) return false;
  rd_kafka_mock_topic_set_error(ctx->mcluster, argv[1], err);
  return true;
}

static bool cmd_coordinator(command_context* ctx, int argc, char** argv) {
  (void)argc;
  int32_t id = 0;
  if (strcmp(argv[1], "group") != 0 && strcmp(argv[1], "transaction") != 0) {
    return fail(ctx, "coordinator type must be 'group' or 'transaction'");
  }
  return parse_broker_id(ctx, argv[3], false, &id) &&
         check_err(ctx, rd_kafka_mock_coordinator_set(ctx->mcluster, argv[1], argv[2], id));
}

static bool cmd_api_version(command_context* ctx, int argc, char** argv) {
  (void)argc;
  int16_t api_key = 0;
  long min = 0;
  long max = 0;
  if (!parse_api_key(ctx, argv[1], &api_key)) return false;
  if (!parse_long(argv[2], -1, INT16_MAX, &min) || !parse_long(argv[3], -1, INT16_MAX, &max)) {
    return fail(ctx, "bad version range '%s %s'", argv[2], argv[3]);
  }
  return check_err(
      ctx, rd_kafka_mock_set_apiversion(ctx->mcluster, api_key, (int16_t)min, (int16_t)max));
}

static bool cmd_help(command_context* ctx, int argc, char** argv) {
  (void)ctx;
  (void)argc;
  (void)argv;
  usage(stderr);
  return true;
}

typedef struct command {
  const char* name;
  int min_args;  // Not counting the command name.
  int max_args;
  command_fn fn;
} command;

static const command commands[] = {
    {"broker-down", 1, 1, cmd_broker_down},
    {"broker-up", 1, 1, cmd_broker_up},
    {"broker-rtt", 2, 2, cmd_broker_rtt},
    {"broker-rack", 2, 2, cmd_broker_rack},
    {"push-errors", 2, max_tokens, cmd_push_errors},
    {"broker-push-errors", 3, max_tokens, cmd_broker_push_errors},
    {"clear-errors", 1, 1, cmd_clear_errors},
    {"leader", 3, 3, cmd_leader},
    {"follower", 3, 3, cmd_follower},
    {"create-topic", 2, 3, cmd_create_topic},
    {"topic-error", 2, 2, cmd_topic_error},
    {"coordinator", 3, 3, cmd_coordinator},
    {"api-version", 3, 3, cmd_api_version},
    {"help", 0, 0, cmd_help},
};

// Runs one control line and acknowledges it on stdout, which is what lets a test wait until
// the fault is actually in place before it goes on. Blank lines and '#' comments are skipped
// without an acknowledgement.
static void run_control_line(command_context* ctx, char* line) {
  size_t len = strlen(line);
  while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t')) {
    line[--len] = '\0';
  }
  char* start = line + strspn(line, " \t");
  if (*start == '\0' || *start == '#') return;

  char echo[max_line_len];  // Tokenising destroys the line; keep it for the acknowledgement.
  snprintf(echo, sizeof echo, "%s", start);

  char* argv[max_tokens + 1];
  int argc = 0;
  bool too_many = false;
  char* save = NULL;
  for (char* tok = strtok_r(start, " \t", &save); tok != NULL; tok = strtok_r(NULL, " \t", &save)) {
    if (argc == max_tokens + 1) {
      too_many = true;
      break;
    }
    argv[argc++] = tok;
  }

  const command* found = NULL;
  for (size_t c = 0; c < sizeof commands / sizeof commands[0]; c++) {
    if (strcmp(commands[c].name, argv[0]) == 0) found = &commands[c];
  }

  bool ok = false;
  ctx->reason[0] = '\0';
  if (found == NULL) {
    fail(ctx, "unknown command (send 'help' for the list)");
  } else if (too_many || argc - 1 < found->min_args || argc - 1 > found->max_args) {
    fail(ctx, "wrong number of arguments (send 'help' for usage)");
  } else {
    ok = found->fn(ctx, argc, argv);
  }

  if (ok) {
    printf("ok %s\n", echo);
    fprintf(stderr, "%s: control: ok %s\n", program_name, echo);
  } else {
    printf("error %s: %s\n", echo, ctx->reason);
    fprintf(stderr, "%s: control: error %s: %s\n", program_name, echo, ctx->reason);
  }
  fflush(stdout);
}

// ---------------------------------------------------------------------------------------------
// Control FIFO.

typedef struct control_fifo {
  const char* path;
  bool created;  // Only a FIFO we made is removed at exit.
  int read_fd;   // -1 when there is no control FIFO.
  int keep_fd;   // Our own write end: without it every writer's close would be an EOF.
  char buf[max_line_len];
  size_t used;
  bool discarding;  // Skipping the rest of an over-long line.
} control_fifo;

static bool control_open(control_fifo* fifo) {
  // Non-blocking so the open does not wait for a writer, and reads never stall the loop.
  fifo->read_fd = open(fifo->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fifo->read_fd < 0) {
    fprintf(stderr, "%s: open %s: %s\n", program_name, fifo->path, strerror(errno));
    return false;
  }
  fifo->keep_fd = open(fifo->path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fifo->keep_fd < 0) {
    fprintf(stderr, "%s: open %s for writing: %s\n", program_name, fifo->path, strerror(errno));
    return false;
  }
  return true;
}

static void control_close(control_fifo* fifo) {
  if (fifo->read_fd >= 0) close(fifo->read_fd);
  if (fifo->keep_fd >= 0) close(fifo->keep_fd);
  fifo->read_fd = fifo->keep_fd = -1;
}

static bool control_create(control_fifo* fifo, const char* path) {
  fifo->path = path;
  if (mkfifo(path, 0600) == 0) {
    fifo->created = true;
  } else {
    // Reusing a FIFO left behind by an earlier run is harmless; anything else at PATH is not ours.
    struct stat st;
    if (errno != EEXIST || stat(path, &st) != 0 || !S_ISFIFO(st.st_mode)) {
      fprintf(stderr, "%s: cannot create FIFO %s: %s\n", program_name, path,
              errno == EEXIST ? "exists and is not a FIFO" : strerror(errno));
      return false;
    }
  }
  return control_open(fifo);
}

// Drains whatever is readable and runs each complete line.
static bool control_read(control_fifo* fifo, command_context* ctx) {
  for (;;) {
    char chunk[1024];
    ssize_t n = read(fifo->read_fd, chunk, sizeof chunk);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
      fprintf(stderr, "%s: read %s: %s\n", program_name, fifo->path, strerror(errno));
      return false;
    }
    if (n == 0) {
      // Cannot happen while keep_fd is open, but reopening is the right answer if it does.
      control_close(fifo);
      return control_open(fifo);
    }
    for (ssize_t i = 0; i < n; i++) {
      char c = chunk[i];
      if (c == '\n') {
        if (fifo->discarding) {
          fprintf(stderr, "%s: control: line longer than %d bytes ignored\n", program_name,
                  max_line_len - 1);
          printf("error (line too long)\n");
          fflush(stdout);
        } else {
          fifo->buf[fifo->used] = '\0';
          run_control_line(ctx, fifo->buf);
        }
        fifo->used = 0;
        fifo->discarding = false;
      } else if (!fifo->discarding) {
        if (fifo->used + 1 >= sizeof fifo->buf) {
          fifo->discarding = true;
        } else {
          fifo->buf[fifo->used++] = c;
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------

static int64_t monotonic_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

// Returns true when stdin is exhausted or unusable, which --exit-on-stdin-close treats as the
// parent going away.
static bool stdin_closed(void) {
  char scratch[4096];
  for (;;) {
    ssize_t n = read(STDIN_FILENO, scratch, sizeof scratch);
    if (n > 0) return false;
    if (n == 0) return true;
    if (errno == EINTR) continue;
    return errno != EAGAIN && errno != EWOULDBLOCK;
  }
}

// Serves until a signal, stdin EOF (if asked) or the deadline. Returns the exit status.
static int serve(const options* opts, int signal_fd, control_fifo* fifo, command_context* ctx) {
  int64_t deadline = opts->max_seconds > 0 ? monotonic_ms() + opts->max_seconds * 1000 : -1;

  for (;;) {
    struct pollfd fds[3];
    nfds_t nfds = 0;
    fds[nfds++] = (struct pollfd){.fd = signal_fd, .events = POLLIN};
    nfds_t fifo_slot = nfds;
    if (fifo->read_fd >= 0) fds[nfds++] = (struct pollfd){.fd = fifo->read_fd, .events = POLLIN};
    nfds_t stdin_slot = nfds;
    if (opts->exit_on_stdin_close) {
      fds[nfds++] = (struct pollfd){.fd = STDIN_FILENO, .events = POLLIN};
    }

    int timeout = -1;
    if (deadline >= 0) {
      int64_t left = deadline - monotonic_ms();
      if (left <= 0) {
        fprintf(stderr, "%s: --max-seconds %ld reached, exiting\n", program_name,
                opts->max_seconds);
        return exit_ok;
      }
      timeout = left > INT_MAX ? INT_MAX : (int)left;
    }

    int ready = poll(fds, nfds, timeout);
    if (ready < 0) {
      if (errno == EINTR) continue;
      fprintf(stderr, "%s: poll: %s\n", program_name, strerror(errno));
      return exit_runtime;
    }

    if (fds[0].revents != 0) {
      struct signalfd_siginfo info;
      if (read(signal_fd, &info, sizeof info) == (ssize_t)sizeof info && opts->verbose) {
        fprintf(stderr, "%s: signal %u, exiting\n", program_name, info.ssi_signo);
      }
      return exit_ok;
    }
    if (fifo->read_fd >= 0 && fds[fifo_slot].revents != 0 && !control_read(fifo, ctx)) {
      return exit_runtime;
    }
    if (opts->exit_on_stdin_close && fds[stdin_slot].revents != 0) {
      // POLLNVAL means there is no stdin at all, which counts as closed too.
      if ((fds[stdin_slot].revents & POLLNVAL) != 0 || stdin_closed()) return exit_ok;
    }
  }
}

// Everything after argument parsing; returns the exit status.
static int run(const options* opts) {
  // Block the exit signals before librdkafka starts its threads: they inherit the mask, so the
  // signals can only be collected through the signalfd, never land on a library thread.
  sigset_t exit_signals;
  sigemptyset(&exit_signals);
  sigaddset(&exit_signals, SIGTERM);
  sigaddset(&exit_signals, SIGINT);
  sigaddset(&exit_signals, SIGHUP);
  if (sigprocmask(SIG_BLOCK, &exit_signals, NULL) != 0) {
    fprintf(stderr, "%s: sigprocmask: %s\n", program_name, strerror(errno));
    return exit_runtime;
  }
  int signal_fd = signalfd(-1, &exit_signals, SFD_CLOEXEC);
  if (signal_fd < 0) {
    fprintf(stderr, "%s: signalfd: %s\n", program_name, strerror(errno));
    return exit_runtime;
  }
  // A test that stops reading our stdout must not kill us mid-acknowledgement.
  signal(SIGPIPE, SIG_IGN);

  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  if (!opts->verbose) rd_kafka_conf_set_log_cb(conf, discard_log);
  // The handle only hosts the cluster; it never talks to a broker, so it needs no bootstrap.
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (rk == NULL) {
    fprintf(stderr, "%s: rd_kafka_new: %s\n", program_name, errstr);
    rd_kafka_conf_destroy(conf);
    close(signal_fd);
    return exit_runtime;
  }

  rd_kafka_mock_cluster_t* mcluster = rd_kafka_mock_cluster_new(rk, opts->brokers);
  if (mcluster == NULL) {
    fprintf(stderr, "%s: could not create a mock cluster of %d broker(s)\n", program_name,
            opts->brokers);
    rd_kafka_destroy(rk);
    close(signal_fd);
    return exit_runtime;
  }

  control_fifo fifo = {.read_fd = -1, .keep_fd = -1};
  command_context ctx = {.mcluster = mcluster, .brokers = opts->brokers};
  int status = exit_ok;

  for (size_t t = 0; t < opts->topic_cnt && status == exit_ok; t++) {
    const topic_spec* topic = &opts->topics[t];
    rd_kafka_resp_err_t err =
        rd_kafka_mock_topic_create(mcluster, topic->name, topic->partitions, topic->replication);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      fprintf(stderr, "%s: create topic '%s': %s\n", program_name, topic->name,
              rd_kafka_err2str(err));
      status = exit_runtime;
    }
  }

  // The FIFO exists before the bootstrap line appears, so a test that has seen the line may
  // write commands at once.
  if (status == exit_ok && opts->control_path != NULL &&
      !control_create(&fifo, opts->control_path)) {
    status = exit_runtime;
  }

  if (status == exit_ok) {
    printf("%s\n", rd_kafka_mock_cluster_bootstraps(mcluster));
    fflush(stdout);
    status = serve(opts, signal_fd, &fifo, &ctx);
  }

  control_close(&fifo);
  if (fifo.created) unlink(fifo.path);
  rd_kafka_mock_cluster_destroy(mcluster);
  rd_kafka_destroy(rk);
  close(signal_fd);
  return status;
}

int main(int argc, char** argv) {
  options opts = {0};
  int status = parse_args(argc, argv, &opts);
  if (status == exit_ok && !opts.help_shown) status = run(&opts);

  // Freed on every path, so that sanitizer builds report no leaks even for usage errors.
  for (size_t t = 0; t < opts.topic_cnt; t++) free(opts.topics[t].name);
  free(opts.topics);
  return status;
}
