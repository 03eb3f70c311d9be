// Tests of the property vocabulary: the tables themselves, look-ups and suggestions, secrets and
// masking, aliases, and check_properties' errors and warnings.

#include "config/known_properties.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace kpipe::config {
namespace {

TEST(KnownProperties, TablesHaveNoDuplicatesAndDoNotOverlap) {
  std::set<std::string_view> seen;
  for (auto table : {acted_on_properties(), ignored_properties()}) {
    for (const auto& info : table) {
      EXPECT_TRUE(seen.insert(info.name).second) << "twice: " << info.name;
    }
  }
}

TEST(KnownProperties, ActedOnEntriesSayWhatTheyDo) {
  for (const auto& info : acted_on_properties()) {
    EXPECT_TRUE(info.acted_on) << info.name;
    EXPECT_FALSE(info.meaning.empty()) << info.name;
  }
  for (const auto& info : ignored_properties()) EXPECT_FALSE(info.acted_on) << info.name;
}

TEST(KnownProperties, AliasesPointAtActedOnProperties) {
  for (const auto& info : acted_on_properties()) {
    if (info.alias_of.empty()) continue;
    const auto* target = find_property(info.alias_of);
    ASSERT_NE(target, nullptr) << info.name;
    EXPECT_TRUE(target->acted_on) << info.name;
    EXPECT_TRUE(target->alias_of.empty()) << info.name << " aliases an alias";
    EXPECT_EQ(target->secret, info.secret) << info.name;
  }
}

TEST(KnownProperties, ActedOn) {
  for (auto name : {"bootstrap.servers",
                    "metadata.broker.list",
                    "client.id",
                    "security.protocol",
                    "sasl.mechanism",
                    "sasl.mechanisms",
                    "sasl.username",
                    "sasl.password",
                    "sasl.password.file",
                    "sasl.jaas.config",
                    "ssl.ca.location",
                    "ssl.ca.pem",
                    "ssl.certificate.location",
                    "ssl.certificate.pem",
                    "ssl.key.location",
                    "ssl.key.pem",
                    "ssl.key.password",
                    "ssl.keystore.location",
                    "ssl.keystore.password",
                    "ssl.keystore.type",
                    "ssl.truststore.location",
                    "ssl.truststore.password",
                    "ssl.truststore.type",
                    "ssl.truststore.certificates",
                    "ssl.keystore.certificate.chain",
                    "ssl.keystore.key",
                    "ssl.endpoint.identification.algorithm",
                    "enable.ssl.certificate.verification",
                    "sasl.oauthbearer.method",
                    "sasl.oauthbearer.token",
                    "sasl.oauthbearer.token.file",
                    "sasl.oauthbearer.client.id",
                    "sasl.oauthbearer.client.secret",
                    "sasl.oauthbearer.client.secret.file",
                    "sasl.oauthbearer.scope",
                    "sasl.oauthbearer.token.endpoint.url",
                    "sasl.oauthbearer.config",
                    "sasl.oauthbearer.extensions",
                    "enable.sasl.oauthbearer.unsecure.jwt",
                    "session.timeout.ms",
                    "linger.ms",
                    "queue.buffering.max.ms",
                    "batch.size",
                    "batch.num.messages",
                    "buffer.memory",
                    "compression.type",
                    "compression.codec",
                    "compression.level",
                    "acks",
                    "request.required.acks",
                    "enable.idempotence",
                    "transactional.id",
                    "transaction.timeout.ms",
                    "retries",
                    "message.send.max.retries",
                    "retry.backoff.ms",
                    "delivery.timeout.ms",
                    "message.timeout.ms",
                    "request.timeout.ms",
                    "max.in.flight",
                    "max.in.flight.requests.per.connection",
                    "partitioner",
                    "isolation.level",
                    "check.crcs"}) {
    const auto* info = find_property(name);
    ASSERT_NE(info, nullptr) << name;
    EXPECT_TRUE(info->acted_on) << name;
    EXPECT_EQ(info->name, name);
  }
}

// Every configuration property of librdkafka that can be set from text, and the common ones of
// the Java producer, consumer and admin clients: a kcat config or a client.properties loads.
TEST(KnownProperties, LibrdkafkaAndJavaNamesAreAccepted) {
  for (auto name :
       {// librdkafka
        "builtin.features", "message.max.bytes", "message.copy.max.bytes",
        "receive.message.max.bytes", "metadata.recovery.strategy",
        "topic.metadata.refresh.interval.ms", "metadata.max.age.ms",
        "topic.metadata.refresh.fast.interval.ms", "topic.metadata.refresh.sparse",
        "topic.metadata.propagation.max.ms", "topic.blacklist", "debug", "socket.timeout.ms",
        "socket.send.buffer.bytes", "socket.receive.buffer.bytes", "socket.keepalive.enable",
        "socket.nagle.disable", "socket.max.fails", "broker.address.ttl", "broker.address.family",
        "socket.connection.setup.timeout.ms", "connections.max.idle.ms",
        "reconnect.backoff.jitter.ms", "reconnect.backoff.ms", "reconnect.backoff.max.ms",
        "statistics.interval.ms", "enabled_events", "log_level", "log.queue", "log.thread.name",
        "enable.random.seed", "log.connection.close", "api.version.request",
        "api.version.request.timeout.ms", "api.version.fallback.ms", "broker.version.fallback",
        "allow.auto.create.topics", "ssl.cipher.suites", "ssl.curves.list", "ssl.sigalgs.list",
        "ssl.crl.location", "ssl.providers", "ssl.engine.location", "ssl.engine.id",
        "https.ca.location", "sasl.kerberos.service.name", "sasl.kerberos.principal",
        "sasl.kerberos.kinit.cmd", "sasl.kerberos.keytab", "sasl.kerberos.min.time.before.relogin",
        "sasl.oauthbearer.client.credentials.client.id", "sasl.oauthbearer.grant.type",
        "plugin.library.paths", "client.dns.lookup", "client.rack", "enable.metrics.push",
        "retry.backoff.max.ms", "group.id", "group.instance.id", "partition.assignment.strategy",
        "heartbeat.interval.ms", "group.protocol", "coordinator.query.interval.ms",
        "max.poll.interval.ms", "enable.auto.commit", "auto.commit.interval.ms",
        "enable.auto.offset.store", "queued.min.messages", "queued.max.messages.kbytes",
        "fetch.wait.max.ms", "fetch.message.max.bytes", "max.partition.fetch.bytes",
        "fetch.max.bytes", "fetch.min.bytes", "fetch.error.backoff.ms", "offset.store.method",
        "enable.partition.eof", "auto.offset.reset", "auto.commit.enable",
        "enable.gapless.guarantee", "queue.buffering.max.messages", "queue.buffering.max.kbytes",
        "delivery.report.only.error", "sticky.partitioning.linger.ms", "queuing.strategy",
        "produce.offset.report",
        // Java
        "key.serializer", "value.serializer", "key.deserializer", "value.deserializer",
        "ssl.protocol", "ssl.enabled.protocols", "ssl.keymanager.algorithm",
        "ssl.trustmanager.algorithm", "sasl.login.callback.handler.class",
        "sasl.client.callback.handler.class", "sasl.login.refresh.buffer.seconds",
        "default.api.timeout.ms", "max.block.ms", "max.request.size", "partitioner.class",
        "send.buffer.bytes", "receive.buffer.bytes", "metric.reporters", "interceptor.classes",
        "fetch.max.wait.ms", "exclude.internal.topics", "max.poll.records",
        "metrics.context.resource.name"}) {
    EXPECT_NE(find_property(name), nullptr) << name;
  }
}

TEST(KnownProperties, UnknownAndCaseSensitive) {
  EXPECT_EQ(find_property("ssl.ca.locaton"), nullptr);
  EXPECT_EQ(find_property("Bootstrap.Servers"), nullptr);
  EXPECT_EQ(find_property(""), nullptr);
  EXPECT_EQ(find_property("metrics.context."), nullptr);
}

TEST(KnownProperties, ClosestProperty) {
  EXPECT_EQ(closest_property("ssl.ca.locaton"), "ssl.ca.location");
  EXPECT_EQ(closest_property("bootstrap.server"), "bootstrap.servers");
  EXPECT_EQ(closest_property("bootstrap_servers"), "bootstrap.servers");
  EXPECT_EQ(closest_property("sasl.mechansim"), "sasl.mechanism");
  EXPECT_EQ(closest_property("SASL.USERNAME"), "sasl.username");
  EXPECT_EQ(closest_property("lingr.ms"), "linger.ms");
  EXPECT_EQ(closest_property("acsk"), std::nullopt);  // too short to guess
  EXPECT_EQ(closest_property("foo"), std::nullopt);
  EXPECT_EQ(closest_property("completely.different.name"), std::nullopt);
}

TEST(KnownProperties, Secrets) {
  for (auto name :
       {"sasl.password", "ssl.key.password", "ssl.keystore.password", "ssl.truststore.password",
        "sasl.oauthbearer.client.secret", "sasl.oauthbearer.client.credentials.client.secret",
        "sasl.oauthbearer.token", "ssl.key.pem", "ssl.keystore.key", "sasl.jaas.config",
        "sasl.oauthbearer.assertion.private.key.passphrase",
        "sasl.oauthbearer.assertion.private.key.pem", "my.custom.password", "some.api.secret"}) {
    EXPECT_TRUE(is_secret(name)) << name;
  }
  for (auto name :
       {"sasl.username", "sasl.password.file", "sasl.oauthbearer.token.file",
        "sasl.oauthbearer.client.secret.file", "sasl.oauthbearer.token.endpoint.url",
        "ssl.key.location", "ssl.keystore.location", "ssl.certificate.pem", "bootstrap.servers",
        "sasl.oauthbearer.client.id", "sasl.oauthbearer.assertion.private.key.file",
        "custom.password.file", "sasl.login.refresh.buffer.seconds"}) {
    EXPECT_FALSE(is_secret(name)) << name;
  }
}

TEST(KnownProperties, MaskedValue) {
  EXPECT_EQ(masked_value("sasl.password", "hunter2"), "********");
  EXPECT_EQ(masked_value("ssl.key.pem", "-----BEGIN PRIVATE KEY-----\nabc\n"), "********");
  EXPECT_EQ(masked_value("my.custom.password", "hunter2"), "********");
  EXPECT_EQ(masked_value("sasl.password", ""), "");
  EXPECT_EQ(masked_value("sasl.username", "alice"), "alice");
  EXPECT_EQ(masked_value("linger.ms", "5"), "5");
  EXPECT_EQ(masked_value("sasl.jaas.config",
                         "org.apache.kafka.common.security.scram.ScramLoginModule required "
                         "username=\"alice\" password=\"hunter2\";"),
            "org.apache.kafka.common.security.scram.ScramLoginModule required "
            "username=\"alice\" password=\"********\";");
  EXPECT_EQ(masked_value("sasl.jaas.config", "not a jaas password=\"hunter2"), "********");
}

layered_properties with(std::initializer_list<std::tuple<std::string, std::string, origin>> list) {
  layered_properties properties;
  for (const auto& [key, value, o] : list) {
    properties.set(key, value, source{o, o == origin::property ? "-X" : "f:1"});
  }
  return properties;
}

TEST(KnownProperties, FindSettingConsidersAliases) {
  auto properties = with({{"sasl.mechanisms", "PLAIN", origin::file},
                          {"sasl.mechanism", "SCRAM-SHA-256", origin::property}});
  EXPECT_EQ(find_setting(properties, "sasl.mechanism")->value, "SCRAM-SHA-256");
  EXPECT_EQ(find_setting(properties, "sasl.mechanisms")->value, "SCRAM-SHA-256");

  properties = with({{"sasl.mechanisms", "PLAIN", origin::property},
                     {"sasl.mechanism", "SCRAM-SHA-256", origin::file}});
  EXPECT_EQ(find_setting(properties, "sasl.mechanism")->value, "PLAIN");

  // At an equal origin, the name asked for.
  properties = with(
      {{"metadata.broker.list", "a:1", origin::file}, {"bootstrap.servers", "b:1", origin::file}});
  EXPECT_EQ(find_setting(properties, "bootstrap.servers")->value, "b:1");
  EXPECT_EQ(find_setting(properties, "metadata.broker.list")->value, "a:1");

  properties = with({{"metadata.broker.list", "a:1", origin::file}});
  EXPECT_EQ(find_setting(properties, "bootstrap.servers")->value, "a:1");
  EXPECT_EQ(find_setting(properties, "client.id"), nullptr);
  EXPECT_EQ(find_setting(properties, "not.known"), nullptr);
}

TEST(KnownProperties, UnknownPropertyIsAUsageErrorWithSuggestion) {
  layered_properties properties;
  properties.set("ssl.ca.locaton", "/ca.pem", source{origin::property, "-X"});
  auto checked = check_properties(properties);
  ASSERT_FALSE(checked.ok());
  EXPECT_EQ(checked.error().kind, error_kind::usage);
  EXPECT_EQ(checked.error().message,
            "unknown property 'ssl.ca.locaton' (-X): did you mean 'ssl.ca.location'?");
}

TEST(KnownProperties, UnknownPropertyWithoutSuggestionNamesItsSource) {
  layered_properties properties;
  properties.set("frobnicate", "1", source{origin::file, "/etc/kpipe.conf:4"});
  auto checked = check_properties(properties);
  ASSERT_FALSE(checked.ok());
  EXPECT_EQ(checked.error().message, "unknown property 'frobnicate' (/etc/kpipe.conf:4)");
}

TEST(KnownProperties, UnknownSecretValueIsNeverShown) {
  layered_properties properties;
  properties.set("sasl.pasword", "hunter2", source{origin::property, "-X"});
  auto checked = check_properties(properties);
  ASSERT_FALSE(checked.ok());
  EXPECT_EQ(checked.error().message,
            "unknown property 'sasl.pasword' (-X): did you mean 'sasl.password'?");
}

TEST(KnownProperties, IgnoredPropertiesWarnOnce) {
  layered_properties properties;
  properties.set("socket.keepalive.enable", "true", source{origin::file, "kcat.conf:9"});
  properties.set("group.id", "g", source{origin::profile, "profile prod (c:3)"});
  properties.set("linger.ms", "5", source{origin::property, "-X"});
  auto checked = check_properties(properties);
  ASSERT_TRUE(checked.ok()) << checked.error().message;
  EXPECT_EQ(checked.value(),
            (std::vector<std::string>{
                "property 'group.id' (profile prod (c:3)) is accepted but has no effect in kpipe "
                "(use consume -G GROUP)",
                "property 'socket.keepalive.enable' (kcat.conf:9) is accepted but has no effect "
                "in kpipe"}));
}

TEST(KnownProperties, BuiltInDefaultsAreNotChecked) {
  layered_properties properties;
  properties.set("internal.default", "1", source{origin::built_in, "default"});
  properties.set("bootstrap.servers", "localhost:9092", source{origin::built_in, "default"});
  auto checked = check_properties(properties);
  ASSERT_TRUE(checked.ok());
  EXPECT_TRUE(checked->empty());
}

}  // namespace
}  // namespace kpipe::config
