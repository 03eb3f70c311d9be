// The range, roundrobin and cooperative-sticky assignors: the Java client's documented examples,
// Java's member order, and properties over random groups (every partition assigned once to a
// subscribed member, balance, stickiness, and the cooperative rule that a partition never
// changes owner within one rebalance).

#include "client/group/assignor.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <string>

namespace kpipe::client::group {
namespace {

member make_member(std::string id, std::vector<std::string> topics,
                   std::optional<std::string> instance = std::nullopt) {
  member m;
  m.member_id = std::move(id);
  m.group_instance_id = std::move(instance);
  m.subscription.topics = std::move(topics);
  return m;
}

group_assignment run(const assignor& a, const std::vector<member>& members,
                     const partition_counts& counts) {
  auto r = a.assign(members, counts);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? r.value() : group_assignment{};
}

topic_partitions of(const group_assignment& g, const std::string& member_id) {
  auto it = g.find(member_id);
  return it == g.end() ? topic_partitions{} : it->second.partitions;
}

std::size_t count_of(const group_assignment& g, const std::string& member_id) {
  std::size_t n = 0;
  for (const auto& [topic, ps] : of(g, member_id)) n += ps.size();
  return n;
}

// Every member has an entry; every partition given is of a topic its member subscribes to,
// exists, and is given once. Returns how many were given.
std::size_t check_valid(const std::vector<member>& members, const partition_counts& counts,
                        const group_assignment& g) {
  EXPECT_EQ(g.size(), members.size());
  std::set<std::pair<std::string, std::int32_t>> seen;
  for (const auto& m : members) {
    auto it = g.find(m.member_id);
    if (it == g.end()) {
      ADD_FAILURE() << "no entry for " << m.member_id;
      continue;
    }
    const auto& topics = m.subscription.topics;
    for (const auto& [topic, ps] : it->second.partitions) {
      EXPECT_NE(std::find(topics.begin(), topics.end(), topic), topics.end())
          << m.member_id << " got " << topic << " without subscribing";
      auto c = counts.find(topic);
      for (std::int32_t p : ps) {
        EXPECT_TRUE(c != counts.end() && p >= 0 && p < c->second) << topic << "-" << p;
        EXPECT_TRUE(seen.emplace(topic, p).second) << topic << "-" << p << " given twice";
      }
    }
  }
  return seen.size();
}

// Partitions of topics somebody subscribes to.
std::size_t subscribed_partition_count(const std::vector<member>& members,
                                       const partition_counts& counts) {
  std::size_t n = 0;
  for (const auto& [topic, count] : counts) {
    bool subscribed = std::any_of(members.begin(), members.end(), [&](const member& m) {
      const auto& t = m.subscription.topics;
      return std::find(t.begin(), t.end(), topic) != t.end();
    });
    if (subscribed && count > 0) n += static_cast<std::size_t>(count);
  }
  return n;
}

bool subscribes(const member& m, const std::string& topic) {
  const auto& t = m.subscription.topics;
  return std::find(t.begin(), t.end(), topic) != t.end();
}

// No member holds a partition that a member with two fewer could take: what the sticky
// assignor guarantees, and for identical subscriptions, counts within one.
void check_balanced(const std::vector<member>& members, const group_assignment& g) {
  for (const auto& x : members) {
    for (const auto& y : members) {
      if (count_of(g, x.member_id) < count_of(g, y.member_id) + 2) continue;
      for (const auto& [topic, ps] : of(g, x.member_id)) {
        EXPECT_FALSE(!ps.empty() && subscribes(y, topic))
            << x.member_id << " has " << count_of(g, x.member_id) << ", " << y.member_id << " has "
            << count_of(g, y.member_id) << " and could take " << topic;
      }
    }
  }
}

// ---- range ----------------------------------------------------------------------------------

TEST(RangeAssignor, JavadocExample) {
  // RangeAssignor's javadoc: C0 and C1, topics t0 and t1 of 3 partitions each.
  auto a = make_range_assignor();
  auto g = run(*a, {make_member("C0", {"t0", "t1"}), make_member("C1", {"t0", "t1"})},
               {{"t0", 3}, {"t1", 3}});
  EXPECT_EQ(of(g, "C0"), (topic_partitions{{"t0", {0, 1}}, {"t1", {0, 1}}}));
  EXPECT_EQ(of(g, "C1"), (topic_partitions{{"t0", {2}}, {"t1", {2}}}));
}

TEST(RangeAssignor, PerTopicRangesWithTheExtraPartitionsFirst) {
  auto a = make_range_assignor();
  auto g = run(*a,
               {make_member("c", {"t"}), make_member("a", {"t", "u"}), make_member("b", {"t"}),
                make_member("d", {"other"})},
               {{"t", 8}, {"u", 2}, {"other", 0}});
  EXPECT_EQ(of(g, "a"), (topic_partitions{{"t", {0, 1, 2}}, {"u", {0, 1}}}));
  EXPECT_EQ(of(g, "b"), (topic_partitions{{"t", {3, 4, 5}}}));
  EXPECT_EQ(of(g, "c"), (topic_partitions{{"t", {6, 7}}}));
  EXPECT_EQ(of(g, "d"), topic_partitions{});  // a topic without partitions is skipped
}

TEST(RangeAssignor, StaticMembersGoFirstByInstanceId) {
  // Java's MemberInfo order: instance ids first (sorted), then member ids.
  auto a = make_range_assignor();
  auto g = run(*a,
               {make_member("a-dynamic", {"t"}), make_member("z-member", {"t"}, "instance-1"),
                make_member("b-member", {"t"}, "instance-2")},
               {{"t", 3}});
  EXPECT_EQ(of(g, "z-member"), (topic_partitions{{"t", {0}}}));
  EXPECT_EQ(of(g, "b-member"), (topic_partitions{{"t", {1}}}));
  EXPECT_EQ(of(g, "a-dynamic"), (topic_partitions{{"t", {2}}}));
}

TEST(RangeAssignor, MoreMembersThanPartitions) {
  auto a = make_range_assignor();
  auto g = run(*a, {make_member("m1", {"t"}), make_member("m2", {"t"}), make_member("m3", {"t"})},
               {{"t", 2}});
  EXPECT_EQ(of(g, "m1"), (topic_partitions{{"t", {0}}}));
  EXPECT_EQ(of(g, "m2"), (topic_partitions{{"t", {1}}}));
  EXPECT_EQ(of(g, "m3"), topic_partitions{});
  EXPECT_EQ(g.count("m3"), 1u);
}

// ---- roundrobin -----------------------------------------------------------------------------

TEST(RoundRobinAssignor, JavadocExamples) {
  auto a = make_roundrobin_assignor();
  // Same subscriptions: C0 and C1, t0 and t1 of 3 partitions.
  auto g = run(*a, {make_member("C1", {"t0", "t1"}), make_member("C0", {"t1", "t0"})},
               {{"t0", 3}, {"t1", 3}});
  EXPECT_EQ(of(g, "C0"), (topic_partitions{{"t0", {0, 2}}, {"t1", {1}}}));
  EXPECT_EQ(of(g, "C1"), (topic_partitions{{"t0", {1}}, {"t1", {0, 2}}}));
  // Different subscriptions: t0, t1, t2 with 1, 2, 3 partitions; C0 takes t0, C1 t0 and t1,
  // C2 all three.
  g = run(*a,
          {make_member("C0", {"t0"}), make_member("C1", {"t0", "t1"}),
           make_member("C2", {"t0", "t1", "t2"})},
          {{"t0", 1}, {"t1", 2}, {"t2", 3}});
  EXPECT_EQ(of(g, "C0"), (topic_partitions{{"t0", {0}}}));
  EXPECT_EQ(of(g, "C1"), (topic_partitions{{"t1", {0}}}));
  EXPECT_EQ(of(g, "C2"), (topic_partitions{{"t1", {1}}, {"t2", {0, 1, 2}}}));
}

TEST(RoundRobinAssignor, StaticMembersGoFirst) {
  auto a = make_roundrobin_assignor();
  auto g = run(*a, {make_member("a", {"t"}), make_member("b", {"t"}, "static")}, {{"t", 3}});
  EXPECT_EQ(of(g, "b"), (topic_partitions{{"t", {0, 2}}}));
  EXPECT_EQ(of(g, "a"), (topic_partitions{{"t", {1}}}));
}

// ---- shared -------------------------------------------------------------------------------

TEST(Assignor, NamesAndErrors) {
  for (std::string name : {"range", "roundrobin", "cooperative-sticky"}) {
    auto a = make_assignor(name);
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->name(), name);
    EXPECT_EQ(a->cooperative(), name == "cooperative-sticky");
    auto dup = a->assign({make_member("m", {"t"}), make_member("m", {"t"})}, {{"t", 1}});
    ASSERT_FALSE(dup.ok());
    EXPECT_EQ(dup.error().kind, error_kind::usage);
    EXPECT_FALSE(a->assign({make_member("", {"t"})}, {{"t", 1}}).ok());
    auto none = a->assign({}, {{"t", 4}});
    ASSERT_TRUE(none.ok());
    EXPECT_TRUE(none.value().empty());
  }
  EXPECT_EQ(make_assignor("sticky"), nullptr);
  EXPECT_EQ(make_cooperative_sticky_assignor()->subscription_user_data(0x01020304),
            (protocol::byte_buffer{1, 2, 3, 4}));
  EXPECT_EQ(make_range_assignor()->subscription_user_data(7), std::nullopt);
}

TEST(Assignor, JavaStringOrder) {
  EXPECT_LT(java_string_compare("a", "b"), 0);
  EXPECT_GT(java_string_compare("ab", "a"), 0);
  EXPECT_EQ(java_string_compare("same", "same"), 0);
  // U+FFFD is one UTF-16 unit 0xFFFD; U+10000 is 0xD800 0xDC00, so Java puts it first, while
  // byte (code point) order puts it last.
  EXPECT_GT(java_string_compare("x\xef\xbf\xbd", "x\xf0\x90\x80\x80"), 0);
  EXPECT_LT(java_string_compare("x\xf0\x90\x80\x80", "x\xef\xbf\xbd"), 0);
  // Two characters above U+FFFF compare by code point; so do two in the BMP.
  EXPECT_LT(java_string_compare("\xf0\x90\x80\x80", "\xf0\x90\x80\x81"), 0);
  EXPECT_LT(java_string_compare("\xc3\xa9", "\xe4\xb8\x80"), 0);
  // Invalid UTF-8 falls back to byte order.
  EXPECT_LT(java_string_compare("\x80", "\xff"), 0);
}

TEST(Assignor, InputOrderDoesNotMatter) {
  std::vector<member> members = {make_member("m3", {"a", "b"}), make_member("m1", {"a"}),
                                 make_member("m2", {"b", "c"}, "i"), make_member("m4", {"c", "a"})};
  partition_counts counts = {{"a", 5}, {"b", 4}, {"c", 7}};
  for (std::string name : {"range", "roundrobin", "cooperative-sticky"}) {
    auto a = make_assignor(name);
    auto expected = run(*a, members, counts);
    auto shuffled = members;
    std::mt19937 random(7);
    for (int i = 0; i < 10; ++i) {
      std::shuffle(shuffled.begin(), shuffled.end(), random);
      auto g = run(*a, shuffled, counts);
      for (const auto& m : members)
        EXPECT_EQ(of(g, m.member_id), of(expected, m.member_id)) << name;
    }
  }
}

// Random groups: 1-8 members, 1-4 topics of 0-12 partitions, random or identical subscriptions.
struct random_group {
  std::vector<member> members;
  partition_counts counts;
  bool identical = false;
};

random_group make_random_group(std::mt19937& random) {
  random_group out;
  int topics = 1 + static_cast<int>(random() % 4);
  std::vector<std::string> names;
  for (int t = 0; t < topics; ++t) {
    names.push_back("topic-" + std::to_string(t));
    out.counts[names.back()] = static_cast<std::int32_t>(random() % 13);
  }
  int members = 1 + static_cast<int>(random() % 8);
  out.identical = random() % 2 == 0;
  for (int m = 0; m < members; ++m) {
    std::vector<std::string> subscribed;
    for (const auto& n : names) {
      if (out.identical || random() % 2 == 0) subscribed.push_back(n);
    }
    if (subscribed.empty()) subscribed.push_back(names[random() % names.size()]);
    out.members.push_back(make_member(
        "member-" + std::to_string(random() % 1000) + "-" + std::to_string(m), subscribed));
  }
  return out;
}

TEST(Assignor, RangeAndRoundRobinPropertiesOverRandomGroups) {
  std::mt19937 random(2024);
  for (int round = 0; round < 300; ++round) {
    auto group = make_random_group(random);
    std::size_t expected = subscribed_partition_count(group.members, group.counts);
    for (std::string name : {"range", "roundrobin"}) {
      SCOPED_TRACE(name + " round " + std::to_string(round));
      auto g = run(*make_assignor(name), group.members, group.counts);
      EXPECT_EQ(check_valid(group.members, group.counts, g), expected);
      if (name == "roundrobin" && group.identical) {
        std::size_t lo = expected, hi = 0;
        for (const auto& m : group.members) {
          lo = std::min(lo, count_of(g, m.member_id));
          hi = std::max(hi, count_of(g, m.member_id));
        }
        EXPECT_LE(hi - lo, 1u);
      }
    }
  }
}

// ---- cooperative-sticky ---------------------------------------------------------------------

// Runs one rebalance of the sticky assignor and checks the cooperative rule: nothing is given to
// a member while another member still owns it (here every claim is of the same generation).
// Then the members own what they got, in the next generation.
group_assignment sticky_round(std::vector<member>& members, const partition_counts& counts,
                              std::int32_t& generation) {
  auto g = run(*make_cooperative_sticky_assignor(), members, counts);
  check_valid(members, counts, g);
  for (const auto& [id, a] : g) {
    for (const auto& [topic, ps] : a.partitions) {
      for (std::int32_t p : ps) {
        for (const auto& other : members) {
          if (other.member_id == id) continue;
          auto owned = other.subscription.owned_partitions.find(topic);
          if (owned == other.subscription.owned_partitions.end()) continue;
          bool claimed = std::count(owned->second.begin(), owned->second.end(), p) > 0;
          EXPECT_FALSE(claimed) << topic << "-" << p << " given to " << id << " while "
                                << other.member_id << " still owns it";
        }
      }
    }
  }
  ++generation;
  for (auto& m : members) {
    m.subscription.owned_partitions = of(g, m.member_id);
    m.subscription.generation_id = generation;
  }
  return g;
}

// Rebalances until nothing is held back; returns how many rebalances that took.
int sticky_until_complete(std::vector<member>& members, const partition_counts& counts,
                          std::int32_t& generation, group_assignment& last) {
  std::size_t expected = subscribed_partition_count(members, counts);
  for (int rounds = 1; rounds <= 10; ++rounds) {
    last = sticky_round(members, counts, generation);
    if (check_valid(members, counts, last) == expected) return rounds;
  }
  ADD_FAILURE() << "no complete assignment after 10 rebalances";
  return 10;
}

TEST(CooperativeStickyAssignor, FreshGroupIsBalancedAndComplete) {
  std::vector<member> members = {make_member("c", {"t"}), make_member("a", {"t"}),
                                 make_member("b", {"t"})};
  std::int32_t generation = 0;
  auto g = sticky_round(members, {{"t", 7}}, generation);
  EXPECT_EQ(check_valid(members, {{"t", 7}}, g), 7u);
  EXPECT_EQ(count_of(g, "a"), 3u);
  EXPECT_EQ(count_of(g, "b"), 2u);
  EXPECT_EQ(count_of(g, "c"), 2u);
}

TEST(CooperativeStickyAssignor, NewMemberGetsPartitionsInTheFollowUpRebalance) {
  // KIP-429's example: C0 and C1 own three partitions each and C2 joins. The first rebalance
  // only revokes one partition from each; the second gives them to C2.
  std::vector<member> members = {make_member("C0", {"t"}), make_member("C1", {"t"}),
                                 make_member("C2", {"t"})};
  members[0].subscription.owned_partitions = {{"t", {0, 1, 2}}};
  members[1].subscription.owned_partitions = {{"t", {3, 4, 5}}};
  std::int32_t generation = 1;
  for (auto& m : members) m.subscription.generation_id = generation;
  partition_counts counts = {{"t", 6}};

  auto first = sticky_round(members, counts, generation);
  EXPECT_EQ(of(first, "C0"), (topic_partitions{{"t", {0, 1}}}));
  EXPECT_EQ(of(first, "C1"), (topic_partitions{{"t", {3, 4}}}));
  EXPECT_EQ(of(first, "C2"), topic_partitions{});

  auto second = sticky_round(members, counts, generation);
  EXPECT_EQ(of(second, "C0"), (topic_partitions{{"t", {0, 1}}}));
  EXPECT_EQ(of(second, "C1"), (topic_partitions{{"t", {3, 4}}}));
  EXPECT_EQ(of(second, "C2"), (topic_partitions{{"t", {2, 5}}}));

  auto third = sticky_round(members, counts, generation);
  EXPECT_EQ(third, second);
}

TEST(CooperativeStickyAssignor, HigherGenerationWinsAConflictingClaim) {
  // A (generation 5) claims t-0 and t-1; B claims t-1 as well.
  auto make = [](std::int32_t b_generation, bool b_in_user_data) {
    std::vector<member> members = {make_member("A", {"t"}), make_member("B", {"t"})};
    members[0].subscription.owned_partitions = {{"t", {0, 1}}};
    members[0].subscription.generation_id = 5;
    members[1].subscription.owned_partitions = {{"t", {1}}};
    if (b_in_user_data) {
      // A member on subscription v1 reports its generation in the assignor's user data.
      members[1].subscription.user_data =
          make_cooperative_sticky_assignor()->subscription_user_data(b_generation);
    } else {
      members[1].subscription.generation_id = b_generation;
    }
    return members;
  };
  auto a = make_cooperative_sticky_assignor();
  for (bool user_data : {false, true}) {
    SCOPED_TRACE(user_data);
    // B is newer: its claim on t-1 wins and it keeps t-1 at once.
    auto g = run(*a, make(6, user_data), {{"t", 2}});
    EXPECT_EQ(of(g, "A"), (topic_partitions{{"t", {0}}}));
    EXPECT_EQ(of(g, "B"), (topic_partitions{{"t", {1}}}));
    // B is stale: A's claim wins; balance moves t-1 to B, but only after A revokes it.
    g = run(*a, make(4, user_data), {{"t", 2}});
    EXPECT_EQ(of(g, "A"), (topic_partitions{{"t", {0}}}));
    EXPECT_EQ(of(g, "B"), topic_partitions{});
  }
  // A tie in the same generation: nobody's claim counts, and t-1 waits for both to revoke it.
  auto g = run(*a, make(5, false), {{"t", 2}});
  EXPECT_EQ(of(g, "A"), (topic_partitions{{"t", {0}}}));
  EXPECT_EQ(of(g, "B"), topic_partitions{});
}

TEST(CooperativeStickyAssignor, StaleClaimDoesNotCostTheWinnerItsPartition) {
  std::vector<member> members = {make_member("A", {"t"}), make_member("B", {"t"})};
  members[0].subscription.owned_partitions = {{"t", {0}}};
  members[0].subscription.generation_id = 8;
  members[1].subscription.owned_partitions = {{"t", {0, 1}}};
  members[1].subscription.generation_id = 3;
  auto g = run(*make_cooperative_sticky_assignor(), members, {{"t", 2}});
  EXPECT_EQ(of(g, "A"), (topic_partitions{{"t", {0}}}));
  EXPECT_EQ(of(g, "B"), (topic_partitions{{"t", {1}}}));
}

TEST(CooperativeStickyAssignor, ClaimsOnUnsubscribedOrMissingPartitionsAreDropped) {
  std::vector<member> members = {make_member("A", {"t"}), make_member("B", {"t", "u"})};
  // A still claims u-0 after unsubscribing from u, and t-9, which no longer exists.
  members[0].subscription.owned_partitions = {{"t", {0, 9}}, {"u", {0}}, {"gone", {0}}};
  members[0].subscription.generation_id = 2;
  members[1].subscription.generation_id = 2;
  auto g = run(*make_cooperative_sticky_assignor(), members, {{"t", 2}, {"u", 2}});
  EXPECT_EQ(of(g, "A"), (topic_partitions{{"t", {0, 1}}}));
  // u-0 goes to B, but only once A has revoked it.
  EXPECT_EQ(of(g, "B"), (topic_partitions{{"u", {1}}}));
}

TEST(CooperativeStickyAssignor, PropertiesOverRandomGroups) {
  std::mt19937 random(99);
  for (int round = 0; round < 300; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    auto group = make_random_group(random);
    auto& members = group.members;
    std::int32_t generation = 0;
    std::size_t expected = subscribed_partition_count(members, group.counts);

    // From scratch: complete and balanced in one rebalance.
    auto g = sticky_round(members, group.counts, generation);
    EXPECT_EQ(check_valid(members, group.counts, g), expected);
    check_balanced(members, g);

    // Unchanged membership: unchanged assignment.
    EXPECT_EQ(sticky_round(members, group.counts, generation), g);

    // One member leaves: with identical subscriptions the others keep all they had, and
    // nothing needs revoking, so one rebalance completes it. Otherwise balance may move what
    // others own, which takes a follow-up rebalance.
    if (members.size() > 1) {
      auto leaver = members.begin() + static_cast<long>(random() % members.size());
      members.erase(leaver);
      auto before = g;
      if (group.identical) {
        g = sticky_round(members, group.counts, generation);
        EXPECT_EQ(check_valid(members, group.counts, g),
                  subscribed_partition_count(members, group.counts));
        for (const auto& m : members) {
          for (const auto& [topic, ps] : of(before, m.member_id)) {
            auto now = of(g, m.member_id)[topic];
            for (std::int32_t p : ps) {
              EXPECT_NE(std::find(now.begin(), now.end(), p), now.end())
                  << m.member_id << " lost " << topic << "-" << p;
            }
          }
        }
      } else {
        sticky_until_complete(members, group.counts, generation, g);
      }
      check_balanced(members, g);
    }

    // Two members join: the cooperative rule holds in every rebalance (sticky_round checks
    // it), and the group settles, balanced, within two rebalances when subscriptions are
    // identical; then stays put.
    for (int j = 0; j < 2; ++j) {
      auto topics = group.identical ? members.front().subscription.topics
                                    : std::vector<std::string>{group.counts.begin()->first};
      members.push_back(make_member("joiner-" + std::to_string(j), topics));
    }
    group_assignment settled;
    int rounds = sticky_until_complete(members, group.counts, generation, settled);
    if (group.identical) {
      EXPECT_LE(rounds, 2);
    }
    check_balanced(members, settled);
    EXPECT_EQ(sticky_round(members, group.counts, generation), settled);
  }
}

TEST(CooperativeStickyAssignor, LargeGroupStaysFast) {
  // 10,000 partitions owned by 4 members, 96 join: one rebalance revokes, the next settles.
  std::vector<member> members;
  for (int m = 0; m < 100; ++m)
    members.push_back(make_member("m" + std::to_string(1000 + m), {"big"}));
  for (int p = 0; p < 10000; ++p) {
    members[static_cast<std::size_t>(p % 4)].subscription.owned_partitions["big"].push_back(p);
  }
  std::int32_t generation = 1;
  for (auto& m : members) m.subscription.generation_id = generation;
  partition_counts counts = {{"big", 10000}};
  group_assignment settled;
  EXPECT_EQ(sticky_until_complete(members, counts, generation, settled), 2);
  for (const auto& m : members) EXPECT_EQ(count_of(settled, m.member_id), 100u);
}

}  // namespace
}  // namespace kpipe::client::group
