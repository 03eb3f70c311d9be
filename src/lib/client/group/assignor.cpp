#include "client/group/assignor.hpp"

#include <algorithm>
#include <functional>
#include <iterator>
#include <map>
#include <queue>
#include <set>
#include <unordered_set>
#include <utility>

namespace kpipe::client::group {
namespace {

// ---- shared helpers -------------------------------------------------------------------------

// Decodes one UTF-8 character at s[i]: its code point and length, or -1 when the sequence is
// invalid (truncated, overlong, a surrogate, above U+10FFFF).
std::int32_t decode_utf8(std::string_view s, std::size_t i, std::size_t& length) {
  auto byte = [&](std::size_t k) { return static_cast<std::uint8_t>(s[k]); };
  std::uint8_t lead = byte(i);
  std::int32_t cp = 0;
  std::int32_t min = 0;
  if (lead < 0x80) {
    length = 1;
    return lead;
  } else if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2, cp = lead & 0x1f, min = 0x80;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3, cp = lead & 0x0f, min = 0x800;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4, cp = lead & 0x07, min = 0x10000;
  } else {
    return -1;
  }
  if (s.size() - i < length) return -1;
  for (std::size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xc0) != 0x80) return -1;
    cp = (cp << 6) | (byte(i + k) & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return -1;
  return cp;
}

// The first UTF-16 code unit of a code point: what Java's String.compareTo sees first.
std::int32_t first_utf16_unit(std::int32_t cp) {
  return cp < 0x10000 ? cp : 0xd800 + ((cp - 0x10000) >> 10);
}

// Java's member order: static members (with a group instance id) first, by instance id, then
// dynamic members by member id. Java leaves two static members with the same instance id in
// input order; kpipe breaks the tie by member id so that the input order never matters.
bool java_member_less(const member& a, const member& b) {
  if (a.group_instance_id && b.group_instance_id) {
    int c = java_string_compare(*a.group_instance_id, *b.group_instance_id);
    if (c != 0) return c < 0;
  } else if (a.group_instance_id) {
    return true;
  } else if (b.group_instance_id) {
    return false;
  }
  return java_string_compare(a.member_id, b.member_id) < 0;
}

status check_members(const std::vector<member>& members) {
  std::unordered_set<std::string_view> seen;
  for (const auto& m : members) {
    if (m.member_id.empty()) return error{error_kind::usage, "assignor: empty member id"};
    if (!seen.insert(m.member_id).second) {
      return error{error_kind::usage, "assignor: member id " + m.member_id + " appears twice"};
    }
  }
  return success{};
}

// The members in Java's order, each with its subscribed topics as a set.
struct sorted_member {
  const group::member* info;
  std::set<std::string, std::less<>> topics;
};

std::vector<sorted_member> sort_members(const std::vector<member>& members) {
  std::vector<sorted_member> out;
  out.reserve(members.size());
  for (const auto& m : members) {
    out.push_back({&m, {m.subscription.topics.begin(), m.subscription.topics.end()}});
  }
  std::sort(out.begin(), out.end(), [](const sorted_member& a, const sorted_member& b) {
    return java_member_less(*a.info, *b.info);
  });
  return out;
}

group_assignment empty_assignment(const std::vector<member>& members) {
  group_assignment out;
  for (const auto& m : members) out[m.member_id];
  return out;
}

// Topics some member subscribes to that have partitions, in name order. Kafka topic names are
// ASCII ([a-zA-Z0-9._-]), for which byte order is Java's TreeSet order.
std::vector<std::pair<std::string, std::int32_t>> subscribed_topics(
    const std::vector<sorted_member>& members, const partition_counts& partitions) {
  std::vector<std::pair<std::string, std::int32_t>> out;
  for (const auto& [topic, count] : partitions) {
    if (count <= 0) continue;
    bool subscribed = std::any_of(members.begin(), members.end(),
                                  [&](const sorted_member& m) { return m.topics.contains(topic); });
    if (subscribed) out.emplace_back(topic, count);
  }
  return out;
}

// ---- range ----------------------------------------------------------------------------------

class range_assignor final : public assignor {
 public:
  std::string_view name() const override { return "range"; }

  result<group_assignment> assign(const std::vector<member>& members,
                                  const partition_counts& partitions) const override {
    if (auto s = check_members(members); !s) return s.error();
    auto out = empty_assignment(members);
    auto sorted = sort_members(members);
    for (const auto& [topic, count] : subscribed_topics(sorted, partitions)) {
      std::vector<const member*> consumers;
      for (const auto& m : sorted) {
        if (m.topics.contains(topic)) consumers.push_back(m.info);
      }
      auto n = static_cast<std::int32_t>(consumers.size());
      std::int32_t per_member = count / n;
      std::int32_t with_extra = count % n;
      for (std::int32_t i = 0; i < n; ++i) {
        std::int32_t start = per_member * i + std::min(i, with_extra);
        std::int32_t length = per_member + (i < with_extra ? 1 : 0);
        if (length == 0) continue;
        auto& list = out[consumers[static_cast<std::size_t>(i)]->member_id].partitions[topic];
        for (std::int32_t p = start; p < start + length; ++p) list.push_back(p);
      }
    }
    return out;
  }
};

// ---- roundrobin -----------------------------------------------------------------------------

class roundrobin_assignor final : public assignor {
 public:
  std::string_view name() const override { return "roundrobin"; }

  result<group_assignment> assign(const std::vector<member>& members,
                                  const partition_counts& partitions) const override {
    if (auto s = check_members(members); !s) return s.error();
    auto out = empty_assignment(members);
    auto sorted = sort_members(members);
    std::size_t next = 0;
    // Every topic here has a subscriber, so the skipping loop ends.
    for (const auto& [topic, count] : subscribed_topics(sorted, partitions)) {
      for (std::int32_t p = 0; p < count; ++p) {
        while (!sorted[next].topics.contains(topic)) next = (next + 1) % sorted.size();
        out[sorted[next].info->member_id].partitions[topic].push_back(p);
        next = (next + 1) % sorted.size();
      }
    }
    return out;
  }
};

// ---- cooperative-sticky ---------------------------------------------------------------------

// The generation a member's claims belong to: the subscription's generation_id (v2+, KIP-792);
// for older subscription versions, the int32 the cooperative-sticky assignor writes as user data
// (see subscription_user_data); -1 when neither is known.
std::int32_t claim_generation(const subscription& s) {
  if (s.generation_id >= 0) return s.generation_id;
  if (s.user_data && s.user_data->size() >= 4) {
    const auto& d = *s.user_data;
    return static_cast<std::int32_t>((std::uint32_t{d[0]} << 24) | (std::uint32_t{d[1]} << 16) |
                                     (std::uint32_t{d[2]} << 8) | std::uint32_t{d[3]});
  }
  return -1;
}

// One rebalance of the sticky assignor. Members are indexed in Java's order, partitions by a
// dense id (topics in name order, then partition number), so every tie is broken the same way
// whatever the input order.
class sticky_rebalance {
 public:
  sticky_rebalance(const std::vector<sorted_member>& members,
                   const std::vector<std::pair<std::string, std::int32_t>>& topics)
      : members_(members), topics_(topics) {
    subscribers_.resize(topics_.size());
    std::size_t total = 0;
    for (std::size_t t = 0; t < topics_.size(); ++t) {
      first_id_.push_back(total);
      total += static_cast<std::size_t>(topics_[t].second);
      for (std::size_t m = 0; m < members_.size(); ++m) {
        if (members_[m].topics.contains(topics_[t].first)) subscribers_[t].push_back(m);
      }
    }
    topic_of_.resize(total);
    for (std::size_t t = 0; t < topics_.size(); ++t) {
      for (std::size_t id = first_id_[t]; id < first_id_[t] + topic_size(t); ++id) {
        topic_of_[id] = t;
      }
    }
    owner_.assign(total, no_member);
    previous_owner_.assign(total, no_member);
    claimants_.resize(total);
    count_.assign(members_.size(), 0);
    held_.resize(members_.size());
  }

  void run() {
    keep_valid_claims();
    if (same_subscriptions()) {
      fill_to_quotas();
    } else {
      assign_unowned();
      balance();
    }
  }

  // The partitions each member gets now: the balanced assignment minus the partitions that
  // change hands (KIP-429: the old owner revokes them in this round, and they are handed over in
  // the follow-up rebalance that the revocation triggers). A partition changes hands when its
  // new owner is not the member whose claim won and some other member claims it, even a claim
  // that did not count (stale generation, tie, topic no longer subscribed): that member may
  // still be consuming it.
  group_assignment result() const {
    group_assignment out;
    for (const auto& m : members_) out[m.info->member_id];
    for (std::size_t id = 0; id < owner_.size(); ++id) {
      std::size_t m = owner_[id];
      const auto& claimed_by = claimants_[id];
      bool claimed_by_other =
          std::any_of(claimed_by.begin(), claimed_by.end(), [&](std::size_t c) { return c != m; });
      if (claimed_by_other && previous_owner_[id] != m) continue;
      std::size_t t = topic_of_[id];
      out[members_[m].info->member_id].partitions[topics_[t].first].push_back(
          static_cast<std::int32_t>(id - first_id_[t]));
    }
    return out;
  }

 private:
  static constexpr std::size_t no_member = static_cast<std::size_t>(-1);

  // What a member holds of one topic: partitions it owned before this rebalance, and others.
  // Balancing gives away the others first, so that a partition moves at most once.
  struct held_partitions {
    std::set<std::size_t> kept;
    std::set<std::size_t> fresh;
    bool empty() const { return kept.empty() && fresh.empty(); }
  };

  std::size_t topic_size(std::size_t t) const {
    return static_cast<std::size_t>(topics_[t].second);
  }

  std::optional<std::size_t> topic_index(std::string_view name) const {
    auto it =
        std::lower_bound(topics_.begin(), topics_.end(), name,
                         [](const auto& entry, std::string_view n) { return entry.first < n; });
    if (it == topics_.end() || it->first != name) return std::nullopt;
    return static_cast<std::size_t>(it - topics_.begin());
  }

  void give(std::size_t id, std::size_t m) {
    owner_[id] = m;
    ++count_[m];
    auto& h = held_[m][topic_of_[id]];
    (previous_owner_[id] == m ? h.kept : h.fresh).insert(id);
  }

  // Moves one partition of topic t from member `from` to member `to`: one it did not own
  // before this rebalance if it has one, else its highest-numbered one.
  void move_one(std::size_t from, std::size_t to, std::size_t t) {
    auto it = held_[from].find(t);
    auto& h = it->second;
    auto& source = h.fresh.empty() ? h.kept : h.fresh;
    std::size_t id = *source.rbegin();
    source.erase(id);
    if (h.empty()) held_[from].erase(it);
    --count_[from];
    give(id, to);
  }

  // A member's claim on a partition counts when the member still subscribes to the topic and
  // the partition still exists. Of several members claiming one partition, the one with the
  // highest generation keeps it (the others hold a stale view, KIP-792); a tie at the highest
  // generation means the group's state is inconsistent, and nobody keeps it.
  void keep_valid_claims() {
    std::vector<std::int32_t> best_generation(owner_.size(), 0);
    std::vector<bool> tied(owner_.size(), false);
    for (std::size_t m = 0; m < members_.size(); ++m) {
      const auto& sub = members_[m].info->subscription;
      std::int32_t generation = claim_generation(sub);
      for (const auto& [topic, partitions] : sub.owned_partitions) {
        auto t = topic_index(topic);
        if (!t) continue;
        bool subscribed = members_[m].topics.contains(topic);
        for (std::int32_t p : partitions) {
          if (p < 0 || p >= topics_[*t].second) continue;
          std::size_t id = first_id_[*t] + static_cast<std::size_t>(p);
          auto& claimed_by = claimants_[id];
          if (std::find(claimed_by.begin(), claimed_by.end(), m) != claimed_by.end()) continue;
          claimed_by.push_back(m);
          if (!subscribed) continue;
          if (previous_owner_[id] == no_member && !tied[id]) {
            previous_owner_[id] = m;
            best_generation[id] = generation;
          } else if (generation > best_generation[id]) {
            previous_owner_[id] = m;
            best_generation[id] = generation;
            tied[id] = false;
          } else if (generation == best_generation[id]) {
            previous_owner_[id] = no_member;
            tied[id] = true;
          }
        }
      }
    }
    for (std::size_t id = 0; id < owner_.size(); ++id) {
      if (previous_owner_[id] != no_member) give(id, previous_owner_[id]);
    }
  }

  // Whether every member that subscribes to any of the topics subscribes to all of them (the
  // common case, and the one Java's constrainedAssign handles separately).
  bool same_subscriptions() const {
    std::size_t participants = 0;
    for (const auto& m : members_) {
      bool any = std::any_of(topics_.begin(), topics_.end(),
                             [&](const auto& t) { return m.topics.contains(t.first); });
      participants += any ? 1 : 0;
    }
    return std::all_of(subscribers_.begin(), subscribers_.end(),
                       [&](const auto& s) { return s.size() == participants; });
  }

  // Same subscriptions: the balanced counts are known up front. Of N partitions and M members,
  // N % M members get N / M + 1 and the others N / M; the larger quotas go to the members that
  // already hold the most, so that the fewest partitions move. A member above its quota lets go
  // of its highest-numbered partitions; then every free partition goes, in order, to the member
  // furthest below its quota. This reaches the state balance() would (counts within one), in
  // O(N log M) rather than one search per moved partition.
  void fill_to_quotas() {
    if (topics_.empty()) return;
    std::vector<std::size_t> participants = subscribers_[0];  // the same for every topic
    std::stable_sort(participants.begin(), participants.end(),
                     [&](std::size_t a, std::size_t b) { return count_[a] > count_[b]; });
    std::size_t total = owner_.size();
    std::size_t base = total / participants.size();
    std::size_t extra = total % participants.size();
    std::vector<std::size_t> quota(members_.size(), 0);
    for (std::size_t i = 0; i < participants.size(); ++i) {
      quota[participants[i]] = base + (i < extra ? 1 : 0);
    }
    for (std::size_t m : participants) {
      while (count_[m] > quota[m]) release_highest(m);
    }
    using entry = std::pair<std::size_t, std::size_t>;  // (count, member)
    std::priority_queue<entry, std::vector<entry>, std::greater<>> least;
    for (std::size_t m : participants) {
      if (count_[m] < quota[m]) least.emplace(count_[m], m);
    }
    for (std::size_t id = 0; id < owner_.size(); ++id) {
      if (owner_[id] != no_member) continue;
      std::size_t m = least.top().second;
      least.pop();
      give(id, m);
      if (count_[m] < quota[m]) least.emplace(count_[m], m);
    }
  }

  // Takes back a member's highest-numbered partition (by topic name, then number).
  void release_highest(std::size_t m) {
    auto it = std::prev(held_[m].end());
    auto& h = it->second;
    auto& source = h.fresh.empty() ? h.kept : h.fresh;
    std::size_t id = *source.rbegin();
    source.erase(id);
    if (h.empty()) held_[m].erase(it);
    --count_[m];
    owner_[id] = no_member;
  }

  // Each partition nobody keeps goes to the subscribed member with the fewest partitions.
  void assign_unowned() {
    using entry = std::pair<std::size_t, std::size_t>;  // (count, member)
    for (std::size_t t = 0; t < topics_.size(); ++t) {
      std::priority_queue<entry, std::vector<entry>, std::greater<>> least;
      for (std::size_t m : subscribers_[t]) least.emplace(count_[m], m);
      for (std::size_t id = first_id_[t]; id < first_id_[t] + topic_size(t); ++id) {
        if (owner_[id] != no_member) continue;
        std::size_t m = least.top().second;
        least.pop();
        give(id, m);
        least.emplace(count_[m], m);
      }
    }
  }

  // Moves partitions until no member could give one to a member with at least two fewer, even
  // through a chain of members (A gives a partition of t to B, B one of u to C: only A's and
  // C's counts change). Such a state minimizes the sum of squared counts, which is as balanced
  // as the subscriptions allow; in particular members with the same subscription end up within
  // one partition of each other. Every move lowers that sum, so the loop ends, and a state that
  // is already balanced is left as it is (stickiness with unchanged membership).
  void balance() {
    std::set<std::pair<std::size_t, std::size_t>, std::greater<>> by_count;  // (count, -) desc
    for (std::size_t m = 0; m < members_.size(); ++m) by_count.emplace(count_[m], m);
    // greater<> orders equal counts by descending member index; walk levels, not members.
    while (true) {
      // Chains that only pass on partitions nobody owned before cost no revocation: try those
      // first.
      auto path = find_chain(by_count, true);
      if (path.empty()) path = find_chain(by_count, false);
      if (path.empty()) return;
      std::size_t first = path.front().first;
      std::size_t last = path.back().first;
      by_count.erase({count_[first], first});
      by_count.erase({count_[last], last});
      for (std::size_t i = 1; i < path.size(); ++i) {
        move_one(path[i - 1].first, path[i].first, path[i].second);
      }
      by_count.emplace(count_[first], first);
      by_count.emplace(count_[last], last);
    }
  }

  // A chain [(source, -), (member, topic it receives)...] from a member with count c to one
  // with at most c - 2, or empty if there is none. Sources are tried by descending count; a
  // member reached from a source with a higher count reaches nothing below that count - 2, so
  // every member and topic is explored at most once per call.
  // With fresh_only, a member passes on only partitions it did not own before.
  std::vector<std::pair<std::size_t, std::size_t>> find_chain(
      const std::set<std::pair<std::size_t, std::size_t>, std::greater<>>& by_count,
      bool fresh_only) {
    std::vector<bool> visited(members_.size(), false);
    std::vector<bool> expanded(topics_.size(), false);
    std::vector<std::pair<std::size_t, std::size_t>> parent(members_.size(), {no_member, 0});
    // No member can receive from a source less than two above the lowest count.
    std::size_t lowest = by_count.empty() ? 0 : by_count.rbegin()->first;
    auto it = by_count.begin();
    while (it != by_count.end() && it->first >= lowest + 2) {
      std::size_t level = it->first;
      std::vector<std::size_t> frontier;
      for (; it != by_count.end() && it->first == level; ++it) {
        if (!visited[it->second]) {
          visited[it->second] = true;
          frontier.push_back(it->second);
        }
      }
      std::sort(frontier.begin(), frontier.end());
      while (!frontier.empty()) {
        std::vector<std::size_t> next;
        for (std::size_t u : frontier) {
          for (const auto& [t, h] : held_[u]) {
            if (expanded[t] || (fresh_only && h.fresh.empty())) continue;
            expanded[t] = true;
            for (std::size_t w : subscribers_[t]) {
              if (visited[w]) continue;
              visited[w] = true;
              parent[w] = {u, t};
              next.push_back(w);
            }
          }
        }
        // The nearest member that is low enough, the lowest of those, then the first in order.
        std::size_t target = no_member;
        for (std::size_t w : next) {
          if (count_[w] + 2 > level) continue;
          if (target == no_member || count_[w] < count_[target] ||
              (count_[w] == count_[target] && w < target)) {
            target = w;
          }
        }
        if (target != no_member) {
          std::vector<std::pair<std::size_t, std::size_t>> path;
          for (std::size_t w = target; w != no_member; w = parent[w].first) {
            path.emplace_back(w, parent[w].second);
          }
          std::reverse(path.begin(), path.end());
          return path;
        }
        frontier = std::move(next);
      }
    }
    return {};
  }

  const std::vector<sorted_member>& members_;
  const std::vector<std::pair<std::string, std::int32_t>>& topics_;
  std::vector<std::vector<std::size_t>> subscribers_;  // per topic, members in order
  std::vector<std::size_t> first_id_;                  // per topic
  std::vector<std::size_t> topic_of_;                  // per partition id
  std::vector<std::size_t> owner_;                     // per partition id, after this rebalance
  std::vector<std::size_t> previous_owner_;            // per partition id: the valid claim
  std::vector<std::vector<std::size_t>> claimants_;    // per partition id: every claim
  std::vector<std::size_t> count_;                     // per member
  std::vector<std::map<std::size_t, held_partitions>> held_;  // per member, per topic
};

class cooperative_sticky_assignor final : public assignor {
 public:
  std::string_view name() const override { return "cooperative-sticky"; }
  bool cooperative() const override { return true; }

  std::optional<protocol::byte_buffer> subscription_user_data(
      std::int32_t generation) const override {
    auto g = static_cast<std::uint32_t>(generation);
    return protocol::byte_buffer{static_cast<std::uint8_t>(g >> 24),
                                 static_cast<std::uint8_t>(g >> 16),
                                 static_cast<std::uint8_t>(g >> 8), static_cast<std::uint8_t>(g)};
  }

  result<group_assignment> assign(const std::vector<member>& members,
                                  const partition_counts& partitions) const override {
    if (auto s = check_members(members); !s) return s.error();
    auto sorted = sort_members(members);
    auto topics = subscribed_topics(sorted, partitions);
    sticky_rebalance rebalance(sorted, topics);
    rebalance.run();
    return rebalance.result();
  }
};

}  // namespace

int java_string_compare(std::string_view a, std::string_view b) {
  std::size_t n = std::min(a.size(), b.size());
  std::size_t i = 0;
  while (i < n && a[i] == b[i]) ++i;
  if (i == n) return a.size() < b.size() ? -1 : (a.size() > b.size() ? 1 : 0);
  int byte_order = static_cast<std::uint8_t>(a[i]) < static_cast<std::uint8_t>(b[i]) ? -1 : 1;
  // The first difference may be inside a character: compare the characters that contain it.
  std::size_t start = i;
  while (start > 0 && i - start < 3 && (static_cast<std::uint8_t>(a[start]) & 0xc0) == 0x80) {
    --start;
  }
  std::size_t length_a = 0;
  std::size_t length_b = 0;
  std::int32_t cp_a = decode_utf8(a, start, length_a);
  std::int32_t cp_b = decode_utf8(b, start, length_b);
  if (cp_a < 0 || cp_b < 0) return byte_order;
  std::int32_t unit_a = first_utf16_unit(cp_a);
  std::int32_t unit_b = first_utf16_unit(cp_b);
  if (unit_a != unit_b) return unit_a < unit_b ? -1 : 1;
  // Same high surrogate: the low surrogates are in code point order.
  return cp_a < cp_b ? -1 : 1;
}

std::unique_ptr<assignor> make_range_assignor() { return std::make_unique<range_assignor>(); }
std::unique_ptr<assignor> make_roundrobin_assignor() {
  return std::make_unique<roundrobin_assignor>();
}
std::unique_ptr<assignor> make_cooperative_sticky_assignor() {
  return std::make_unique<cooperative_sticky_assignor>();
}

std::unique_ptr<assignor> make_assignor(std::string_view name) {
  if (name == "range") return make_range_assignor();
  if (name == "roundrobin") return make_roundrobin_assignor();
  if (name == "cooperative-sticky") return make_cooperative_sticky_assignor();
  return nullptr;
}

}  // namespace kpipe::client::group
