// What `kpipe groups` prints: aligned tables for people, one JSON document for programs.
#include <cstdio>

#include "format/table.hpp"
#include "groups/groups.hpp"
#include "util/json_writer.hpp"

namespace kpipe::cli::groups {

namespace {

std::string or_dash(const std::optional<std::int64_t>& value) {
  return value ? std::to_string(*value) : "-";
}

void json_optional(util::json_writer& j, const std::optional<std::int64_t>& value) {
  if (value) {
    j.value(*value);
  } else {
    j.null();
  }
}

void json_optional(util::json_writer& j, const std::optional<std::string>& value) {
  if (value) {
    j.value(*value);
  } else {
    j.null();
  }
}

// The member a partition is assigned to, by topic and partition.
using owners = std::map<std::pair<std::string, std::int32_t>, std::string>;

owners owners_of(const client::group_description& description) {
  owners out;
  for (const auto& m : description.members) {
    for (const auto& [topic, partitions] : m.assignment) {
      for (auto p : partitions) out[{topic, p}] = m.member_id;
    }
  }
  return out;
}

struct partition_row {
  const client::partition_position* position;
  client::partition_lag lag;
  std::optional<std::string> owner;
};

struct report_rows {
  std::vector<partition_row> rows;
  std::map<std::string, client::lag_total> by_topic;
  client::lag_total total;
};

report_rows rows_of(const group_report& report, std::int64_t now_ms) {
  report_rows out;
  auto owner = owners_of(report.description);
  for (const auto& position : report.partitions) {
    partition_row row{&position, client::compute_lag(position, now_ms), std::nullopt};
    if (auto it = owner.find({position.topic, position.partition}); it != owner.end()) {
      row.owner = it->second;
    }
    client::add_to_total(out.by_topic[position.topic], row.lag);
    client::add_to_total(out.total, row.lag);
    out.rows.push_back(std::move(row));
  }
  return out;
}

std::string age_or_dash(const std::optional<std::int64_t>& ms) {
  return ms ? format_age(*ms) : "-";
}

void render_group_text(std::string& out, const group_report& report, std::int64_t now_ms) {
  const auto& d = report.description;
  text_table head({"GROUP", d.group_id});
  head.add({"STATE", d.state});
  head.add({"TYPE", d.type});
  // A classic group's protocol type and chosen protocol ("consumer/range"); an empty group
  // that never had members has neither.
  std::string protocol = d.protocol.empty() ? "-" : d.protocol;
  if (d.type == "classic" && !d.protocol_type.empty()) protocol = d.protocol_type + "/" + protocol;
  head.add({d.type == "classic" ? "PROTOCOL" : "ASSIGNOR", protocol});
  if (d.group_epoch) {
    head.add({"EPOCH", std::to_string(*d.group_epoch) + " (assignment " +
                           std::to_string(d.assignment_epoch.value_or(-1)) + ")"});
  }
  head.add(
      {"COORDINATOR",
       std::to_string(d.coordinator) +
           (report.coordinator_address.empty() ? "" : " (" + report.coordinator_address + ")")});
  head.add({"MEMBERS", std::to_string(d.members.size())});
  out += head.render();

  if (!d.members.empty()) {
    bool consumer = d.type == "consumer";
    std::vector<std::string> headings = {"MEMBER-ID", "INSTANCE-ID", "CLIENT-ID", "HOST"};
    if (consumer) headings.emplace_back("EPOCH");
    headings.emplace_back("ASSIGNMENT");
    if (consumer) headings.emplace_back("TARGET-ASSIGNMENT");
    text_table members(headings);
    for (const auto& m : d.members) {
      std::vector<std::string> row = {m.member_id, m.instance_id.value_or("-"),
                                      m.client_id.empty() ? "-" : m.client_id,
                                      m.host.empty() ? "-" : m.host};
      if (consumer) row.push_back(m.member_epoch ? std::to_string(*m.member_epoch) : "-");
      row.push_back(m.assignment_error ? "(undecodable)" : format_assignment(m.assignment));
      if (consumer) {
        row.push_back(m.target_assignment ? format_assignment(*m.target_assignment) : "-");
      }
      members.add(std::move(row));
    }
    out += '\n';
    out += members.render();
  }

  if (!report.partitions.empty()) {
    auto rows = rows_of(report, now_ms);
    text_table table({"TOPIC", "PARTITION", "COMMITTED", "LOG-START", "LOG-END", "LAG", "TIME-LAG",
                      "MEMBER-ID"});
    std::string topic;
    auto add_topic_total = [&](const std::string& name) {
      const auto& t = rows.by_topic.at(name);
      table.add(
          {name, "(total)", "", "", "", std::to_string(t.lag), age_or_dash(t.time_lag_ms), ""});
    };
    for (const auto& row : rows.rows) {
      if (!topic.empty() && row.position->topic != topic) add_topic_total(topic);
      topic = row.position->topic;
      const auto& p = *row.position;
      table.add({p.topic, std::to_string(p.partition), or_dash(p.committed),
                 std::to_string(p.log_start), std::to_string(p.log_end), or_dash(row.lag.lag),
                 age_or_dash(row.lag.time_lag_ms), row.owner.value_or("-")});
    }
    if (!topic.empty()) add_topic_total(topic);
    out += '\n';
    out += table.render();
    out += "\nLAG " + std::to_string(rows.total.lag) + " records, " +
           age_or_dash(rows.total.time_lag_ms) + " behind";
    if (rows.total.without_commit > 0) {
      out += "; " + std::to_string(rows.total.without_commit) + " partition" +
             (rows.total.without_commit == 1 ? "" : "s") + " without a committed offset";
    }
    out += '\n';
  } else {
    out += "\nno committed offsets\n";
  }
}

void render_group_json(util::json_writer& j, const group_report& report, std::int64_t now_ms) {
  const auto& d = report.description;
  j.begin_object();
  j.key("group");
  j.value(d.group_id);
  j.key("state");
  j.value(d.state);
  j.key("type");
  j.value(d.type);
  j.key("protocol_type");
  j.value(d.protocol_type);
  j.key(d.type == "classic" ? util::json_key("protocol") : util::json_key("assignor"));
  j.value(d.protocol);
  if (d.group_epoch) {
    j.key("group_epoch");
    j.value(*d.group_epoch);
    j.key("assignment_epoch");
    j.value(d.assignment_epoch.value_or(-1));
  }
  j.key("coordinator");
  j.begin_object();
  j.key("id");
  j.value(d.coordinator);
  j.key("address");
  j.value(report.coordinator_address);
  j.end_object();
  j.key("members");
  j.begin_array();
  for (const auto& m : d.members) {
    j.begin_object();
    j.key("member_id");
    j.value(m.member_id);
    j.key("instance_id");
    json_optional(j, m.instance_id);
    j.key("client_id");
    j.value(m.client_id);
    j.key("host");
    j.value(m.host);
    if (m.member_epoch) {
      j.key("member_epoch");
      j.value(*m.member_epoch);
    }
    j.key("assignment");
    client::group::write_topic_partitions_json(j, m.assignment);
    if (m.target_assignment) {
      j.key("target_assignment");
      client::group::write_topic_partitions_json(j, *m.target_assignment);
    }
    if (m.assignment_error) {
      j.key("assignment_error");
      j.value(*m.assignment_error);
    }
    j.end_object();
  }
  j.end_array();
  auto rows = rows_of(report, now_ms);
  j.key("partitions");
  j.begin_array();
  for (const auto& row : rows.rows) {
    const auto& p = *row.position;
    j.begin_object();
    j.key("topic");
    j.value(p.topic);
    j.key("partition");
    j.value(p.partition);
    j.key("committed");
    json_optional(j, p.committed);
    j.key("log_start");
    j.value(p.log_start);
    j.key("log_end");
    j.value(p.log_end);
    j.key("lag");
    json_optional(j, row.lag.lag);
    j.key("time_lag_ms");
    json_optional(j, row.lag.time_lag_ms);
    j.key("member_id");
    json_optional(j, row.owner);
    j.end_object();
  }
  j.end_array();
  auto total = [&](const client::lag_total& t) {
    j.key("lag");
    j.value(t.lag);
    j.key("time_lag_ms");
    json_optional(j, t.time_lag_ms);
    j.key("partitions_without_commit");
    j.value(t.without_commit);
  };
  j.key("topics");
  j.begin_array();
  for (const auto& [topic, t] : rows.by_topic) {
    j.begin_object();
    j.key("topic");
    j.value(topic);
    total(t);
    j.end_object();
  }
  j.end_array();
  total(rows.total);
  if (!report.warnings.empty()) {
    j.key("warnings");
    j.begin_array();
    for (const auto& w : report.warnings) j.value(w);
    j.end_array();
  }
  j.end_object();
}

}  // namespace

std::string format_assignment(const client::group::topic_partitions& assignment) {
  std::string out;
  for (const auto& [topic, partitions] : assignment) {
    if (partitions.empty()) continue;
    if (!out.empty()) out += ' ';
    out += topic + ':';
    for (std::size_t i = 0; i < partitions.size(); ++i) {
      if (i > 0) out += ',';
      out += std::to_string(partitions[i]);
    }
  }
  return out.empty() ? "-" : out;
}

std::string format_age(std::int64_t ms) {
  char text[48];
  if (ms <= 0) return "0s";
  if (ms < 1000) {
    std::snprintf(text, sizeof text, "%lldms", static_cast<long long>(ms));
  } else if (ms < 60'000) {
    std::snprintf(text, sizeof text, "%lld.%llds", static_cast<long long>(ms / 1000),
                  static_cast<long long>(ms % 1000 / 100));
  } else if (ms < 3'600'000) {
    std::snprintf(text, sizeof text, "%lldm%02llds", static_cast<long long>(ms / 60'000),
                  static_cast<long long>(ms % 60'000 / 1000));
  } else if (ms < 86'400'000) {
    std::snprintf(text, sizeof text, "%lldh%02lldm", static_cast<long long>(ms / 3'600'000),
                  static_cast<long long>(ms % 3'600'000 / 60'000));
  } else {
    std::snprintf(text, sizeof text, "%lldd%02lldh", static_cast<long long>(ms / 86'400'000),
                  static_cast<long long>(ms % 86'400'000 / 3'600'000));
  }
  return text;
}

std::string render_list(output_format format, const std::vector<client::listed_group>& groups) {
  std::string out;
  if (format == output_format::json) {
    util::json_writer j(out);
    j.begin_array();
    for (const auto& g : groups) {
      j.begin_object();
      j.key("group");
      j.value(g.group_id);
      j.key("type");
      j.value(g.type);
      j.key("state");
      if (g.state.empty()) {
        j.null();
      } else {
        j.value(g.state);
      }
      j.key("protocol_type");
      j.value(g.protocol_type);
      j.key("coordinator");
      j.value(g.coordinator);
      j.end_object();
    }
    j.end_array();
    out += '\n';
    return out;
  }
  text_table table({"GROUP", "TYPE", "STATE", "PROTOCOL-TYPE", "COORDINATOR"});
  for (const auto& g : groups) {
    table.add({g.group_id, g.type, g.state.empty() ? "-" : g.state,
               g.protocol_type.empty() ? "-" : g.protocol_type, std::to_string(g.coordinator)});
  }
  return table.render();
}

std::string render_describe(output_format format, const std::vector<group_report>& reports,
                            std::int64_t now_ms) {
  std::string out;
  if (format == output_format::json) {
    util::json_writer j(out);
    j.begin_object();
    j.key("groups");
    j.begin_array();
    for (const auto& report : reports) render_group_json(j, report, now_ms);
    j.end_array();
    j.end_object();
    out += '\n';
    return out;
  }
  for (std::size_t i = 0; i < reports.size(); ++i) {
    if (i > 0) out += '\n';
    render_group_text(out, reports[i], now_ms);
  }
  return out;
}

std::string render_plan(output_format format, const std::string& group,
                        const std::vector<client::reset_step>& plan, bool executed) {
  std::string out;
  if (format == output_format::json) {
    util::json_writer j(out);
    j.begin_object();
    j.key("group");
    j.value(group);
    j.key("executed");
    j.value(executed);
    j.key("partitions");
    j.begin_array();
    for (const auto& step : plan) {
      j.begin_object();
      j.key("topic");
      j.value(step.topic);
      j.key("partition");
      j.value(step.partition);
      j.key("current");
      json_optional(j, step.current);
      j.key("offset");
      j.value(step.target);
      j.end_object();
    }
    j.end_array();
    j.end_object();
    out += '\n';
    return out;
  }
  text_table table({"TOPIC", "PARTITION", "CURRENT", "NEW"});
  for (const auto& step : plan) {
    table.add({step.topic, std::to_string(step.partition), or_dash(step.current),
               std::to_string(step.target)});
  }
  return table.render();
}

}  // namespace kpipe::cli::groups
