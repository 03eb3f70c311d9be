// The pure halves of group administration: requests built and answers read without I/O.
#include "client/group_admin.hpp"

#include <algorithm>
#include <cctype>

#include "client/kafka_error.hpp"
#include "protocol/generated/consumer_group_describe.hpp"
#include "protocol/generated/delete_groups.hpp"
#include "protocol/generated/describe_groups.hpp"
#include "protocol/generated/error_table.hpp"
#include "protocol/generated/list_groups.hpp"
#include "protocol/generated/offset_delete.hpp"
#include "protocol/generated/offset_fetch.hpp"
#include "util/base64.hpp"

namespace kpipe::client {

namespace {

namespace errc = protocol::errc;

std::string lower(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

bool contains_ignoring_case(const std::vector<std::string>& list, const std::string& value) {
  auto wanted = lower(value);
  return std::any_of(list.begin(), list.end(),
                     [&](const std::string& item) { return lower(item) == wanted; });
}

std::optional<std::string> canonical_of(const std::vector<std::string>& known,
                                        const std::string& text) {
  auto wanted = lower(text);
  for (const auto& name : known) {
    if (lower(name) == wanted) return name;
  }
  return std::nullopt;
}

// The error of a group-level answer, with the kinds the CLI maps to exit codes.
error group_error(const std::string& group, std::int16_t code,
                  const std::optional<std::string>& message) {
  auto kind = kind_of_code(code);
  std::string text = kind == error_kind::not_found
                         ? "group " + group + " does not exist"
                         : "group " + group + ": " + std::string(protocol::error_name(code));
  if (kind != error_kind::not_found && message && !message->empty()) text += " (" + *message + ")";
  return error{kind, text};
}

group::topic_partitions topic_partitions_of(
    const protocol::consumer_group_describe::assignment_data& assignment,
    const topic_names_by_id& names) {
  group::topic_partitions out;
  for (const auto& tp : assignment.topic_partitions) {
    std::string name = tp.topic_name;
    if (name.empty()) {
      auto it = names.find(tp.topic_id);
      // A topic deleted since: shown by its id, as Kafka prints ids.
      name = it != names.end() ? it->second : util::base64(tp.topic_id, true);
    }
    auto& partitions = out[name];
    partitions.insert(partitions.end(), tp.partitions.begin(), tp.partitions.end());
  }
  for (auto& [topic, partitions] : out) std::sort(partitions.begin(), partitions.end());
  return out;
}

}  // namespace

const std::vector<std::string>& known_group_states() {
  // Classic groups (Kafka's GroupState), KIP-848 consumer groups (Assigning, Reconciling),
  // streams groups (NotReady, KIP-1071).
  static const std::vector<std::string> states = {
      "Empty", "Stable",    "PreparingRebalance", "CompletingRebalance",
      "Dead",  "Assigning", "Reconciling",        "NotReady"};
  return states;
}

const std::vector<std::string>& known_group_types() {
  static const std::vector<std::string> types = {"classic", "consumer", "share", "streams"};
  return types;
}

std::optional<std::string> canonical_group_state(const std::string& text) {
  return canonical_of(known_group_states(), text);
}

std::optional<std::string> canonical_group_type(const std::string& text) {
  return canonical_of(known_group_types(), text);
}

protocol::list_groups::request build_list_groups_request(const list_groups_filter& filter,
                                                         std::int16_t version) {
  protocol::list_groups::request request;
  if (version >= 4) request.states_filter = filter.states;
  if (version >= 5) {
    // The broker compares types in lower case (GroupType's names).
    for (const auto& type : filter.types) request.types_filter.push_back(lower(type));
  }
  return request;
}

bool list_groups_needs_states(const list_groups_filter& filter, std::int16_t version) {
  return !filter.states.empty() && version < 4;
}

result<std::vector<listed_group>> read_list_groups_response(
    const protocol::list_groups::response& response, std::int16_t version,
    const list_groups_filter& filter, std::int32_t node) {
  if (response.error_code != errc::none) {
    auto kind = kind_of_code(response.error_code);
    return error{kind, "ListGroups on broker " + std::to_string(node) + ": " +
                           std::string(protocol::error_name(response.error_code))};
  }
  std::vector<listed_group> out;
  for (const auto& g : response.groups) {
    listed_group listed;
    listed.group_id = g.group_id;
    listed.protocol_type = g.protocol_type;
    listed.coordinator = node;
    if (version >= 4) listed.state = g.group_state;
    // Before v5 (and KIP-848) every group is a classic one.
    listed.type = version >= 5 && !g.group_type.empty() ? lower(g.group_type) : "classic";
    // The broker applied the filters the version carries; the others are applied here (a
    // broker may also ignore one, so both are checked whenever the answer says).
    if (!filter.types.empty() && !contains_ignoring_case(filter.types, listed.type)) continue;
    if (!filter.states.empty() && version >= 4 &&
        !contains_ignoring_case(filter.states, listed.state)) {
      continue;
    }
    out.push_back(std::move(listed));
  }
  return out;
}

result<group_description> read_described_group(const protocol::describe_groups::response& response,
                                               const std::string& group) {
  for (const auto& g : response.groups) {
    if (g.group_id != group) continue;
    if (g.error_code != errc::none) return group_error(group, g.error_code, g.error_message);
    // Before v6 an unknown group is described as Dead without an error.
    if (g.group_state == "Dead" && g.members.empty()) {
      return group_error(group, errc::group_id_not_found, std::nullopt);
    }
    group_description out;
    out.group_id = g.group_id;
    out.state = g.group_state;
    out.type = "classic";
    out.protocol_type = g.protocol_type;
    out.protocol = g.protocol_data;
    for (const auto& m : g.members) {
      group_member_description member;
      member.member_id = m.member_id;
      member.instance_id = m.group_instance_id;
      member.client_id = m.client_id;
      member.host = m.client_host;
      // Only the consumer protocol's assignments have a known shape (Connect's do not); a
      // member between joining and syncing has none yet.
      if (g.protocol_type == "consumer" && !m.member_assignment.empty()) {
        auto decoded = group::decode_assignment(m.member_assignment);
        if (decoded) {
          member.assignment = std::move(decoded->partitions);
          for (auto& [topic, partitions] : member.assignment) {
            std::sort(partitions.begin(), partitions.end());
          }
        } else {
          member.assignment_error = decoded.error().message;
        }
      }
      out.members.push_back(std::move(member));
    }
    std::sort(out.members.begin(), out.members.end(),
              [](const auto& a, const auto& b) { return a.member_id < b.member_id; });
    return out;
  }
  return error{error_kind::protocol, "DescribeGroups: the answer does not mention group " + group};
}

std::set<protocol::uuid> unnamed_topic_ids(
    const protocol::consumer_group_describe::response& response) {
  std::set<protocol::uuid> ids;
  auto collect = [&](const protocol::consumer_group_describe::assignment_data& a) {
    for (const auto& tp : a.topic_partitions) {
      if (tp.topic_name.empty()) ids.insert(tp.topic_id);
    }
  };
  for (const auto& g : response.groups) {
    for (const auto& m : g.members) {
      collect(m.assignment);
      collect(m.target_assignment);
    }
  }
  return ids;
}

result<group_description> read_consumer_group_described(
    const protocol::consumer_group_describe::response& response, const std::string& group,
    const topic_names_by_id& names) {
  for (const auto& g : response.groups) {
    if (g.group_id != group) continue;
    if (g.error_code != errc::none) return group_error(group, g.error_code, g.error_message);
    if (g.group_state == "Dead" && g.members.empty()) {
      return group_error(group, errc::group_id_not_found, std::nullopt);
    }
    group_description out;
    out.group_id = g.group_id;
    out.state = g.group_state;
    out.type = "consumer";
    out.protocol = g.assignor_name;
    out.group_epoch = g.group_epoch;
    out.assignment_epoch = g.assignment_epoch;
    for (const auto& m : g.members) {
      group_member_description member;
      member.member_id = m.member_id;
      member.instance_id = m.instance_id;
      member.client_id = m.client_id;
      member.host = m.client_host;
      member.member_epoch = m.member_epoch;
      member.assignment = topic_partitions_of(m.assignment, names);
      member.target_assignment = topic_partitions_of(m.target_assignment, names);
      out.members.push_back(std::move(member));
    }
    std::sort(out.members.begin(), out.members.end(),
              [](const auto& a, const auto& b) { return a.member_id < b.member_id; });
    return out;
  }
  return error{error_kind::protocol,
               "ConsumerGroupDescribe: the answer does not mention group " + group};
}

protocol::offset_fetch::request build_all_offsets_request(const std::string& group,
                                                          std::int16_t version) {
  protocol::offset_fetch::request request;
  if (version < 8) {
    request.group_id = group;
    request.topics = std::nullopt;  // all topics (v2+, KIP-88)
    return request;
  }
  // KIP-709: groups in an array; member id and epoch (v9) stay null and -1, which KIP-848's
  // coordinator accepts from a client outside the group.
  protocol::offset_fetch::request::group g;
  g.group_id = group;
  g.topics = std::nullopt;
  request.groups.push_back(std::move(g));
  return request;
}

result<committed_by_topic> read_all_offsets_response(
    const protocol::offset_fetch::response& response, std::int16_t version,
    const std::string& group) {
  committed_by_topic out;
  auto take = [&](const std::string& topic, std::int32_t partition, std::int16_t code,
                  std::int64_t offset, const std::optional<std::string>& metadata) -> status {
    if (code != errc::none) {
      return group_error(group + " topic " + topic + " partition " + std::to_string(partition),
                         code, std::nullopt);
    }
    if (offset >= 0) out[topic][partition] = committed_offset{offset, metadata};
    return success{};
  };
  if (version < 8) {
    if (response.error_code != errc::none) {
      return group_error(group, response.error_code, std::nullopt);
    }
    for (const auto& t : response.topics) {
      for (const auto& p : t.partitions) {
        auto taken = take(t.name, p.partition_index, p.error_code, p.committed_offset, p.metadata);
        if (!taken) return taken.error();
      }
    }
    return out;
  }
  for (const auto& g : response.groups) {
    if (g.group_id != group) continue;
    if (g.error_code != errc::none) return group_error(group, g.error_code, std::nullopt);
    for (const auto& t : g.topics) {
      for (const auto& p : t.partitions) {
        auto taken = take(t.name, p.partition_index, p.error_code, p.committed_offset, p.metadata);
        if (!taken) return taken.error();
      }
    }
    return out;
  }
  return error{error_kind::protocol, "OffsetFetch v" + std::to_string(version) +
                                         ": the answer does not mention group " + group};
}

result<success> read_delete_groups_response(const protocol::delete_groups::response& response,
                                            const std::string& group) {
  for (const auto& r : response.results) {
    if (r.group_id != group) continue;
    if (r.error_code == errc::none) return success{};
    if (r.error_code == errc::non_empty_group) {
      return error{error_kind::kafka, "group " + group + " has active members (NON_EMPTY_GROUP)"};
    }
    return group_error(group, r.error_code, std::nullopt);
  }
  return error{error_kind::protocol, "DeleteGroups: the answer does not mention group " + group};
}

protocol::offset_delete::request build_offset_delete_request(const std::string& group,
                                                             const partitions_of_topics& which) {
  protocol::offset_delete::request request;
  request.group_id = group;
  for (const auto& [topic, partitions] : which) {
    protocol::offset_delete::request::topic t;
    t.name = topic;
    for (auto p : partitions) {
      protocol::offset_delete::request::partition part;
      part.partition_index = p;
      t.partitions.push_back(part);
    }
    request.topics.push_back(std::move(t));
  }
  return request;
}

result<std::vector<offset_delete_outcome>> read_offset_delete_response(
    const protocol::offset_delete::response& response, const std::string& group) {
  if (response.error_code != errc::none) {
    return group_error(group, response.error_code, std::nullopt);
  }
  std::vector<offset_delete_outcome> out;
  for (const auto& t : response.topics) {
    for (const auto& p : t.partitions) {
      out.push_back(offset_delete_outcome{t.name, p.partition_index, p.error_code});
    }
  }
  return out;
}

}  // namespace kpipe::client
