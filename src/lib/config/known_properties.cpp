#include "config/known_properties.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

#include "config/jaas.hpp"

namespace kpipe::config {

namespace {

constexpr std::string_view mask = "********";

constexpr property_info acted(std::string_view name, std::string_view meaning) {
  return property_info{name, meaning, true, false, {}};
}
constexpr property_info acted_secret(std::string_view name, std::string_view meaning) {
  return property_info{name, meaning, true, true, {}};
}
constexpr property_info alias(std::string_view name, std::string_view of, bool secret = false) {
  return property_info{name, "same as the property it aliases", true, secret, of};
}
constexpr property_info ignored(std::string_view name, std::string_view instead = {}) {
  return property_info{name, instead, false, false, {}};
}
constexpr property_info ignored_secret(std::string_view name) {
  return property_info{name, {}, false, true, {}};
}

// Properties kpipe reads. "kpipe:" marks names of kpipe's own (neither librdkafka nor Java has
// them).
constexpr auto acted_on_table = std::to_array<property_info>({
    // Where and who.
    acted("bootstrap.servers", "brokers to start from, HOST:PORT[,HOST:PORT...]"),
    alias("metadata.broker.list", "bootstrap.servers"),
    acted("client.id", "the client name sent to the brokers with every request"),
    acted("security.protocol", "PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL"),

    // SASL.
    acted("sasl.mechanism", "PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER"),
    alias("sasl.mechanisms", "sasl.mechanism"),
    acted("sasl.username", "user name for PLAIN and SCRAM"),
    acted_secret("sasl.password", "password for PLAIN and SCRAM"),
    acted("sasl.password.file", "kpipe: a file whose first line is the SASL password"),
    acted_secret("sasl.jaas.config",
                 "Java: a JAAS login module line (Plain, Scram or OAuthBearer) with the "
                 "credentials"),
    acted("sasl.oauthbearer.method", "default or oidc (client credentials from a token endpoint)"),
    acted_secret("sasl.oauthbearer.token", "kpipe: a bearer token to send as it is"),
    acted("sasl.oauthbearer.token.file",
          "kpipe: a file holding the bearer token, read again when the token expires"),
    acted("sasl.oauthbearer.client.id", "OIDC client id"),
    alias("sasl.oauthbearer.client.credentials.client.id", "sasl.oauthbearer.client.id"),
    acted_secret("sasl.oauthbearer.client.secret", "OIDC client secret"),
    alias("sasl.oauthbearer.client.credentials.client.secret", "sasl.oauthbearer.client.secret",
          true),
    acted("sasl.oauthbearer.client.secret.file",
          "kpipe: a file whose first line is the OIDC client secret"),
    acted("sasl.oauthbearer.scope", "scope asked of the OIDC token endpoint"),
    acted("sasl.oauthbearer.token.endpoint.url", "OIDC token endpoint (https)"),
    acted("sasl.oauthbearer.config",
          "unsecured JWT: principal=NAME [scope=A,B] [lifeSeconds=N] [extension_KEY=VALUE]"),
    acted("sasl.oauthbearer.extensions", "SASL extensions sent with the token: KEY=VALUE,..."),
    acted("enable.sasl.oauthbearer.unsecure.jwt",
          "allow the unsecured JWT of sasl.oauthbearer.config (true or false)"),

    // TLS.
    acted("ssl.ca.location", "CA certificates to trust: a PEM file or a hashed directory"),
    acted("ssl.ca.pem", "CA certificates to trust, as PEM text"),
    acted("ssl.certificate.location", "client certificate (PEM file) for mutual TLS"),
    acted("ssl.certificate.pem", "client certificate as PEM text"),
    acted("ssl.key.location", "client private key (PEM file)"),
    acted_secret("ssl.key.pem", "client private key as PEM text"),
    acted_secret("ssl.key.password", "password of an encrypted client key"),
    acted("ssl.keystore.location", "client certificate and key: a PKCS#12 file (or PEM, Java)"),
    acted_secret("ssl.keystore.password", "password of the keystore"),
    acted("ssl.keystore.type", "Java: PKCS12 or PEM (JKS must be converted)"),
    acted("ssl.keystore.certificate.chain", "Java: client certificate chain as PEM text"),
    acted_secret("ssl.keystore.key", "Java: client private key as PEM text"),
    acted("ssl.truststore.location", "Java: CA certificates to trust, a PKCS#12 or PEM file"),
    acted_secret("ssl.truststore.password", "Java: password of the truststore"),
    acted("ssl.truststore.type", "Java: PKCS12 or PEM (JKS must be converted)"),
    acted("ssl.truststore.certificates", "Java: CA certificates to trust, as PEM text"),
    acted("ssl.endpoint.identification.algorithm",
          "https (check the broker's name in its certificate) or none"),
    acted("enable.ssl.certificate.verification",
          "false turns off all checks of the brokers' certificates"),

    // Producing.
    acted("linger.ms", "how long a batch waits for more records"),
    alias("queue.buffering.max.ms", "linger.ms"),
    acted("batch.size", "the most bytes in one batch"),
    acted("batch.num.messages", "the most records in one batch"),
    acted("buffer.memory", "the most bytes waiting to be sent"),
    acted("compression.type", "none, gzip, snappy, lz4 or zstd"),
    alias("compression.codec", "compression.type"),
    acted("compression.level", "the codec's level"),
    acted("acks", "all, 1 or 0 (-1 means all)"),
    alias("request.required.acks", "acks"),
    acted("enable.idempotence", "true or false"),
    acted("transactional.id", "produce in one transaction under this id"),
    acted("transaction.timeout.ms", "how long the broker lets a transaction stay open"),
    acted("retries", "how often a failed batch is sent again"),
    alias("message.send.max.retries", "retries"),
    acted("retry.backoff.ms", "the pause before a retry"),
    acted("delivery.timeout.ms", "how long a record may take to be delivered"),
    alias("message.timeout.ms", "delivery.timeout.ms"),
    acted("request.timeout.ms", "how long the broker may take to acknowledge a batch"),
    acted("max.in.flight.requests.per.connection", "unanswered produce requests per broker"),
    alias("max.in.flight", "max.in.flight.requests.per.connection"),
    acted("partitioner", "murmur2, random or roundrobin"),

    // Consuming.
    acted("session.timeout.ms", "how long the group waits for a silent member"),
    acted("isolation.level", "read_committed or read_uncommitted"),
    acted("check.crcs", "check each batch's CRC32C (true or false)"),
    acted("group.protocol", "classic or consumer (KIP-848), as consume --group-protocol"),
    acted("group.remote.assignor",
          "uniform or range: the broker's assignor for group.protocol=consumer (--assignor)"),
});

// Names of librdkafka's and the Java clients' configuration that kpipe accepts so that their
// files load, but does not use. Where kpipe has its own way to say the same, the hint says it.
constexpr auto ignored_table = std::to_array<property_info>({
    // librdkafka, global.
    ignored("builtin.features"),
    ignored("message.max.bytes"),
    ignored("message.copy.max.bytes"),
    ignored("receive.message.max.bytes"),
    ignored("metadata.recovery.strategy"),
    ignored("metadata.recovery.rebootstrap.trigger.ms"),
    ignored("topic.metadata.refresh.interval.ms"),
    ignored("metadata.max.age.ms"),
    ignored("topic.metadata.refresh.fast.interval.ms"),
    ignored("topic.metadata.refresh.fast.cnt"),
    ignored("topic.metadata.refresh.sparse"),
    ignored("topic.metadata.propagation.max.ms"),
    ignored("topic.blacklist"),
    ignored("debug", "-v"),
    ignored("socket.timeout.ms", "--timeout"),
    ignored("socket.blocking.max.ms"),
    ignored("socket.send.buffer.bytes"),
    ignored("socket.receive.buffer.bytes"),
    ignored("socket.keepalive.enable"),
    ignored("socket.nagle.disable"),
    ignored("socket.max.fails"),
    ignored("broker.address.ttl"),
    ignored("broker.address.family"),
    ignored("socket.connection.setup.timeout.ms", "--timeout"),
    ignored("connections.max.idle.ms"),
    ignored("reconnect.backoff.jitter.ms"),
    ignored("reconnect.backoff.ms"),
    ignored("reconnect.backoff.max.ms"),
    ignored("statistics.interval.ms"),
    ignored("enabled_events"),
    ignored("log_level"),
    ignored("log.queue"),
    ignored("log.thread.name"),
    ignored("enable.random.seed"),
    ignored("log.connection.close"),
    ignored("internal.termination.signal"),
    ignored("api.version.request"),
    ignored("api.version.request.timeout.ms"),
    ignored("api.version.fallback.ms"),
    ignored("broker.version.fallback"),
    ignored("allow.auto.create.topics"),
    ignored("ssl.cipher.suites"),
    ignored("ssl.curves.list"),
    ignored("ssl.sigalgs.list"),
    ignored("https.ca.location"),
    ignored("https.ca.pem"),
    ignored("ssl.ca.certificate.stores"),
    ignored("ssl.crl.location"),
    ignored("ssl.providers"),
    ignored("ssl.engine.location"),
    ignored("ssl.engine.id"),
    ignored("sasl.kerberos.service.name"),
    ignored("sasl.kerberos.principal"),
    ignored("sasl.kerberos.kinit.cmd"),
    ignored("sasl.kerberos.keytab"),
    ignored("sasl.kerberos.min.time.before.relogin"),
    ignored("sasl.oauthbearer.sub.claim.name"),
    ignored("sasl.oauthbearer.grant.type"),
    ignored("sasl.oauthbearer.assertion.algorithm"),
    ignored("sasl.oauthbearer.assertion.private.key.file"),
    ignored_secret("sasl.oauthbearer.assertion.private.key.passphrase"),
    ignored_secret("sasl.oauthbearer.assertion.private.key.pem"),
    ignored("sasl.oauthbearer.assertion.file"),
    ignored("sasl.oauthbearer.assertion.claim.aud"),
    ignored("sasl.oauthbearer.assertion.claim.exp.seconds"),
    ignored("sasl.oauthbearer.assertion.claim.iss"),
    ignored("sasl.oauthbearer.assertion.claim.jti.include"),
    ignored("sasl.oauthbearer.assertion.claim.nbf.seconds"),
    ignored("sasl.oauthbearer.assertion.claim.sub"),
    ignored("sasl.oauthbearer.assertion.jwt.template.file"),
    ignored("sasl.oauthbearer.metadata.authentication.type"),
    ignored("plugin.library.paths"),
    ignored("client.dns.lookup"),
    ignored("client.rack"),
    ignored("enable.metrics.push"),
    ignored("retry.backoff.max.ms"),
    // librdkafka, consumer.
    ignored("group.id", "consume -G GROUP"),
    ignored("group.instance.id", "consume --instance-id"),
    ignored("partition.assignment.strategy", "consume --assignor"),
    ignored("heartbeat.interval.ms"),
    ignored("group.protocol.type"),
    ignored("coordinator.query.interval.ms"),
    ignored("max.poll.interval.ms"),
    ignored("enable.auto.commit", "consume --commit"),
    ignored("auto.commit.enable", "consume --commit"),
    ignored("auto.commit.interval.ms"),
    ignored("enable.auto.offset.store"),
    ignored("queued.min.messages"),
    ignored("queued.max.messages.kbytes"),
    ignored("fetch.wait.max.ms"),
    ignored("fetch.queue.backoff.ms"),
    ignored("fetch.message.max.bytes"),
    ignored("max.partition.fetch.bytes"),
    ignored("fetch.max.bytes"),
    ignored("fetch.min.bytes"),
    ignored("fetch.error.backoff.ms"),
    ignored("offset.store.method"),
    ignored("offset.store.path"),
    ignored("offset.store.sync.interval.ms"),
    ignored("consume.callback.max.messages"),
    ignored("enable.partition.eof", "consume -e"),
    ignored("auto.offset.reset", "consume -o"),
    ignored("max.poll.records"),
    ignored("share.acknowledgement.mode"),
    // librdkafka, producer.
    ignored("enable.gapless.guarantee"),
    ignored("queue.buffering.max.messages"),
    ignored("queue.buffering.max.kbytes"),
    ignored("queue.buffering.backpressure.threshold"),
    ignored("delivery.report.only.error"),
    ignored("sticky.partitioning.linger.ms"),
    ignored("queuing.strategy"),
    ignored("produce.offset.report"),
    // Java clients (those librdkafka shares are above).
    ignored("bootstrap.controllers"),
    ignored("connections.max.reauth.ms"),
    ignored("default.api.timeout.ms", "--timeout"),
    ignored("send.buffer.bytes"),
    ignored("receive.buffer.bytes"),
    ignored("metadata.max.idle.ms"),
    ignored("metric.reporters"),
    ignored("metrics.num.samples"),
    ignored("metrics.recording.level"),
    ignored("metrics.sample.window.ms"),
    ignored("auto.include.jmx.reporter"),
    ignored("socket.connection.setup.timeout.max.ms"),
    ignored("interceptor.classes"),
    ignored("security.providers"),
    ignored("key.serializer"),
    ignored("value.serializer"),
    ignored("key.deserializer"),
    ignored("value.deserializer"),
    ignored("max.block.ms"),
    ignored("max.request.size"),
    ignored("partitioner.class", "--partitioner or partitioner"),
    ignored("partitioner.adaptive.partitioning.enable"),
    ignored("partitioner.availability.timeout.ms"),
    ignored("partitioner.ignore.keys"),
    ignored("compression.gzip.level", "compression.level"),
    ignored("compression.lz4.level", "compression.level"),
    ignored("compression.zstd.level", "compression.level"),
    ignored("fetch.max.wait.ms"),
    ignored("exclude.internal.topics"),
    ignored("rebalance.timeout.ms"),
    ignored("internal.leave.group.on.close"),
    ignored("internal.throw.on.fetch.stable.offset.unsupported"),
    ignored("sasl.client.callback.handler.class"),
    ignored("sasl.login.callback.handler.class"),
    ignored("sasl.login.class"),
    ignored("sasl.login.connect.timeout.ms"),
    ignored("sasl.login.read.timeout.ms"),
    ignored("sasl.login.refresh.buffer.seconds"),
    ignored("sasl.login.refresh.min.period.seconds"),
    ignored("sasl.login.refresh.window.factor"),
    ignored("sasl.login.refresh.window.jitter"),
    ignored("sasl.login.retry.backoff.max.ms"),
    ignored("sasl.login.retry.backoff.ms"),
    ignored("sasl.kerberos.ticket.renew.jitter"),
    ignored("sasl.kerberos.ticket.renew.window.factor"),
    ignored("sasl.oauthbearer.clock.skew.seconds"),
    ignored("sasl.oauthbearer.expected.audience"),
    ignored("sasl.oauthbearer.expected.issuer"),
    ignored("sasl.oauthbearer.header.urlencode"),
    ignored("sasl.oauthbearer.jwks.endpoint.refresh.ms"),
    ignored("sasl.oauthbearer.jwks.endpoint.retry.backoff.max.ms"),
    ignored("sasl.oauthbearer.jwks.endpoint.retry.backoff.ms"),
    ignored("sasl.oauthbearer.jwks.endpoint.url"),
    ignored("sasl.oauthbearer.scope.claim.name"),
    ignored("sasl.oauthbearer.jwt.retriever.class"),
    ignored("sasl.oauthbearer.jwt.validator.class"),
    ignored("ssl.protocol"),
    ignored("ssl.enabled.protocols"),
    ignored("ssl.provider"),
    ignored("ssl.keymanager.algorithm"),
    ignored("ssl.trustmanager.algorithm"),
    ignored("ssl.secure.random.implementation"),
    ignored("ssl.engine.factory.class"),
});

// Prefixes of Java's families of free-form names.
constexpr std::array<std::string_view, 1> ignored_prefixes = {"metrics.context."};

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// For names kpipe does not know (or knows only to ignore): does the name say it holds a secret?
// Names of files, URLs and durations do not, even when they mention one.
bool name_suggests_secret(std::string_view name) {
  std::string lower = lowercase(name);
  auto ends_with = [&](std::string_view suffix) {
    return lower.size() >= suffix.size() &&
           std::string_view(lower).substr(lower.size() - suffix.size()) == suffix;
  };
  for (auto suffix : {".file", ".location", ".url", ".ms", ".type", ".seconds", ".class"}) {
    if (ends_with(suffix)) return false;
  }
  for (auto word : {"password", "secret", "passphrase", "token", "private.key", "credential"}) {
    if (lower.find(word) != std::string::npos) return true;
  }
  return false;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> previous(b.size() + 1), current(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) previous[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, substitution});
    }
    std::swap(previous, current);
  }
  return previous[b.size()];
}

const property_info prefixed_ignored{"", "", false, false, {}};

}  // namespace

std::span<const property_info> acted_on_properties() { return acted_on_table; }
std::span<const property_info> ignored_properties() { return ignored_table; }

const property_info* find_property(std::string_view name) {
  for (const auto& info : acted_on_table) {
    if (info.name == name) return &info;
  }
  for (const auto& info : ignored_table) {
    if (info.name == name) return &info;
  }
  for (auto prefix : ignored_prefixes) {
    if (name.size() > prefix.size() && name.substr(0, prefix.size()) == prefix) {
      return &prefixed_ignored;
    }
  }
  return nullptr;
}

std::optional<std::string> closest_property(std::string_view name) {
  std::string wanted = lowercase(name);
  // A typo is a letter or two per word: allow more edits in longer names, but never so many that
  // an unrelated short name matches.
  std::size_t allowed = wanted.size() <= 6 ? 1 : wanted.size() <= 12 ? 2 : 3;
  const property_info* best = nullptr;
  std::size_t best_distance = allowed + 1;
  // Acted-on names first, so that they win ties.
  for (auto table : {acted_on_properties(), ignored_properties()}) {
    for (const auto& info : table) {
      std::size_t d = edit_distance(wanted, info.name);
      if (d < best_distance) {
        best = &info;
        best_distance = d;
      }
    }
  }
  if (!best) return std::nullopt;
  return std::string(best->name);
}

bool is_secret(std::string_view name) {
  const auto* info = find_property(name);
  if (info && info->acted_on) return info->secret;
  return (info && info->secret) || name_suggests_secret(name);
}

std::string masked_value(std::string_view name, std::string_view value) {
  if (!is_secret(name) || value.empty()) return std::string(value);
  if (name == "sasl.jaas.config") return masked_jaas_config(value);
  return std::string(mask);
}

const setting* find_setting(const layered_properties& properties, std::string_view name) {
  const auto* info = find_property(name);
  std::string_view canonical = info && !info->alias_of.empty() ? info->alias_of : name;
  const setting* best = properties.find(name);
  for (const auto& candidate : acted_on_table) {
    if (candidate.name == name) continue;
    if (candidate.name != canonical && candidate.alias_of != canonical) continue;
    const auto* found = properties.find(candidate.name);
    if (found && (!best || found->from.kind > best->from.kind)) best = found;
  }
  return best;
}

result<std::vector<std::string>> check_properties(const layered_properties& properties) {
  std::vector<std::string> warnings;
  for (const auto& [name, value] : properties.all()) {
    if (value.from.kind == origin::built_in) continue;
    const auto* info = find_property(name);
    if (!info) {
      std::string message = "unknown property '" + name + "' (" + value.from.where + ")";
      if (auto suggestion = closest_property(name)) {
        message += ": did you mean '" + *suggestion + "'?";
      }
      return error{error_kind::usage, std::move(message)};
    }
    if (info->acted_on) continue;
    std::string warning =
        "property '" + name + "' (" + value.from.where + ") is accepted but has no effect in kpipe";
    if (!info->meaning.empty()) warning += " (use " + std::string(info->meaning) + ")";
    warnings.push_back(std::move(warning));
  }
  return warnings;
}

}  // namespace kpipe::config
