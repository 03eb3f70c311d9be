#pragma once
// Answers for the scripted brokers of fake_broker.hpp, shared by the tests that run client code
// against them: ApiVersions with the APIs a test wants, Metadata naming the one broker as leader
// of every partition, FindCoordinator pointing at it (both shapes, v4's per-key entries and the
// top level), and the encode/decode steps of the rest.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "net/broker_address.hpp"
#include "net/fake_broker.hpp"
#include "protocol/generated/api_versions.hpp"
#include "protocol/generated/find_coordinator.hpp"
#include "protocol/generated/metadata.hpp"
#include "protocol/generated/offset_commit.hpp"
#include "protocol/reader.hpp"
#include "protocol/types.hpp"
#include "protocol/writer.hpp"

namespace kpipe::net::test_support {

template <typename Response>
protocol::writer encoded(const Response& response, std::int16_t version) {
  protocol::writer w;
  response.encode(w, version);
  return w;
}

template <typename Request>
Request decoded(const received_request& req) {
  protocol::reader r(req.body);
  Request out;
  EXPECT_TRUE(out.decode(r, req.header.request_api_version)) << r.error();
  return out;
}

// ApiVersions offering each (api key, max version) from version 0.
inline protocol::writer api_versions_answer(
    std::int16_t version, const std::vector<std::pair<std::int16_t, std::int16_t>>& apis) {
  protocol::api_versions::response response;
  for (auto [key, max] : apis) {
    response.api_keys.push_back(
        {.api_key = key, .min_version = 0, .max_version = max, .unknown_tagged_fields = {}});
  }
  return encoded(response, std::min<std::int16_t>(version, 3));
}

struct scripted_topic {
  std::string name;
  protocol::uuid id;
  std::int32_t partitions = 1;
};

// Metadata: `node` (id 1) is the only broker and leads every partition of every topic.
inline protocol::writer metadata_answer(std::int16_t version, const broker_address& node,
                                        const std::vector<scripted_topic>& topics) {
  protocol::metadata::response m;
  m.brokers.push_back({.node_id = 1,
                       .host = node.host,
                       .port = node.port,
                       .rack = std::nullopt,
                       .unknown_tagged_fields = {}});
  for (const auto& topic : topics) {
    protocol::metadata::response::topic t;
    t.name = topic.name;
    t.topic_id = topic.id;
    for (std::int32_t p = 0; p < topic.partitions; ++p) {
      protocol::metadata::response::partition part;
      part.partition_index = p;
      part.leader_id = 1;
      t.partitions.push_back(part);
    }
    m.topics.push_back(t);
  }
  return encoded(m, version);
}

// FindCoordinator: `node` (id 1) coordinates `key`.
inline protocol::writer find_coordinator_answer(std::int16_t version, const broker_address& node,
                                                const std::string& key) {
  protocol::find_coordinator::response f;
  f.node_id = 1;
  f.host = node.host;
  f.port = node.port;
  protocol::find_coordinator::response::coordinator c;
  c.key = key;
  c.node_id = 1;
  c.host = node.host;
  c.port = node.port;
  f.coordinators.push_back(c);
  return encoded(f, version);
}

// OffsetCommit: every partition of `request` committed.
inline protocol::writer offset_commit_accepted(std::int16_t version,
                                               const protocol::offset_commit::request& request) {
  protocol::offset_commit::response r;
  for (const auto& t : request.topics) {
    protocol::offset_commit::response::topic rt;
    rt.name = t.name;
    for (const auto& p : t.partitions) {
      rt.partitions.push_back(
          {.partition_index = p.partition_index, .error_code = 0, .unknown_tagged_fields = {}});
    }
    r.topics.push_back(rt);
  }
  return encoded(r, version);
}

}  // namespace kpipe::net::test_support
