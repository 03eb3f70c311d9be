// Tests of the generated Kafka error-code table (src/lib/protocol/defs/errors.def).

#include "protocol/generated/error_table.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <string_view>

namespace kpipe::protocol {
namespace {

struct expected_error {
  std::int16_t code;
  std::string_view name;
  bool retriable;
};

// Names and retriable flags as Kafka defines them (Errors.java and the exception hierarchy).
constexpr expected_error k_known[] = {
    {-1, "UNKNOWN_SERVER_ERROR", false},
    {0, "NONE", false},
    {1, "OFFSET_OUT_OF_RANGE", false},
    {2, "CORRUPT_MESSAGE", true},
    {3, "UNKNOWN_TOPIC_OR_PARTITION", true},
    {5, "LEADER_NOT_AVAILABLE", true},
    {6, "NOT_LEADER_OR_FOLLOWER", true},
    {7, "REQUEST_TIMED_OUT", true},
    {8, "BROKER_NOT_AVAILABLE", false},
    {13, "NETWORK_EXCEPTION", true},
    {16, "NOT_COORDINATOR", true},
    {17, "INVALID_TOPIC_EXCEPTION", false},
    {25, "UNKNOWN_MEMBER_ID", false},
    {27, "REBALANCE_IN_PROGRESS", false},
    {29, "TOPIC_AUTHORIZATION_FAILED", false},
    {35, "UNSUPPORTED_VERSION", false},
    {36, "TOPIC_ALREADY_EXISTS", false},
    {41, "NOT_CONTROLLER", true},
    {47, "INVALID_PRODUCER_EPOCH", false},
    {51, "CONCURRENT_TRANSACTIONS", true},
    {56, "KAFKA_STORAGE_ERROR", true},
    {58, "SASL_AUTHENTICATION_FAILED", false},
    {59, "UNKNOWN_PRODUCER_ID", false},
    {72, "LISTENER_NOT_FOUND", true},
    {84, "ELECTION_NOT_NEEDED", true},
    {89, "THROTTLING_QUOTA_EXCEEDED", true},
    {90, "PRODUCER_FENCED", false},
    {100, "UNKNOWN_TOPIC_ID", true},
    {103, "INCONSISTENT_TOPIC_ID", true},
    {113, "STALE_MEMBER_EPOCH", false},
    {120, "TRANSACTION_ABORTABLE", false},
    {121, "INVALID_RECORD_STATE", false},
    {122, "SHARE_SESSION_NOT_FOUND", true},
    {123, "INVALID_SHARE_SESSION_EPOCH", true},
    {124, "FENCED_STATE_EPOCH", false},
    {128, "INVALID_REGULAR_EXPRESSION", false},
    {129, "REBOOTSTRAP_REQUIRED", false},
    {130, "STREAMS_INVALID_TOPOLOGY", false},
    {132, "STREAMS_TOPOLOGY_FENCED", false},
    {133, "SHARE_SESSION_LIMIT_REACHED", true},
    {134, "GROUP_DELETION_FAILED", false},
    {135, "STREAMS_TOPOLOGY_DESCRIPTION_UPDATE_FAILED", false},
};

constexpr std::int16_t k_highest_code = 135;

bool is_upper_snake_case(std::string_view name) {
  if (name.empty() || name.front() < 'A' || name.front() > 'Z' || name.back() == '_') return false;
  char previous = '\0';
  for (char c : name) {
    const bool upper = c >= 'A' && c <= 'Z';
    const bool digit = c >= '0' && c <= '9';
    if (!upper && !digit && c != '_') return false;
    if (c == '_' && previous == '_') return false;
    previous = c;
  }
  return true;
}

TEST(ErrorTable, KnownCodesHaveKafkasNamesAndFlags) {
  for (const auto& want : k_known) {
    SCOPED_TRACE(testing::Message() << "code " << want.code);
    const error_info* info = find_error(want.code);
    ASSERT_NE(info, nullptr);
    EXPECT_EQ(info->code, want.code);
    EXPECT_EQ(info->name, want.name);
    EXPECT_EQ(info->retriable, want.retriable);
    EXPECT_FALSE(info->message.empty());
    EXPECT_EQ(error_name(want.code), want.name);
    EXPECT_EQ(is_retriable(want.code), want.retriable);
  }
}

TEST(ErrorTable, HighestCodeIsTheLastEntry) {
  const auto errors = all_errors();
  ASSERT_FALSE(errors.empty());
  EXPECT_EQ(errors.back().code, k_highest_code);
  EXPECT_EQ(errors.back().name, "STREAMS_TOPOLOGY_DESCRIPTION_UPDATE_FAILED");
  EXPECT_EQ(find_error(k_highest_code), &errors.back());
  EXPECT_EQ(find_error(k_highest_code + 1), nullptr);
}

TEST(ErrorTable, AllErrorsIsSortedUniqueAndWellFormed) {
  const auto errors = all_errors();
  ASSERT_GE(errors.size(), 130u);
  EXPECT_EQ(errors.front().code, -1);
  // Kafka's codes are dense: every value from -1 to the highest is defined.
  EXPECT_EQ(errors.size(), static_cast<std::size_t>(errors.back().code - errors.front().code + 1));

  std::set<std::string_view> names;
  for (std::size_t i = 0; i < errors.size(); ++i) {
    const error_info& e = errors[i];
    SCOPED_TRACE(testing::Message() << "entry " << i << " code " << e.code);
    if (i > 0) {
      EXPECT_LT(errors[i - 1].code, e.code);
    }
    EXPECT_TRUE(is_upper_snake_case(e.name)) << e.name;
    EXPECT_TRUE(names.insert(e.name).second) << "duplicate name " << e.name;
    EXPECT_FALSE(e.message.empty());
    EXPECT_NE(e.message.front(), ' ');
    EXPECT_NE(e.message.back(), ' ');
    // find_error returns the very entry that all_errors exposes.
    EXPECT_EQ(find_error(e.code), &e);
    EXPECT_EQ(error_name(e.code), e.name);
    EXPECT_EQ(is_retriable(e.code), e.retriable);
  }
}

TEST(ErrorTable, UnknownCodes) {
  constexpr std::int16_t unknown[] = {
      9999,
      -2,
      k_highest_code + 1,
      std::numeric_limits<std::int16_t>::min(),
      std::numeric_limits<std::int16_t>::max(),
  };
  for (std::int16_t code : unknown) {
    SCOPED_TRACE(testing::Message() << "code " << code);
    EXPECT_EQ(find_error(code), nullptr);
    EXPECT_EQ(error_name(code), "UNKNOWN");
    EXPECT_FALSE(is_retriable(code));
  }
}

TEST(ErrorTable, EveryInt16AgreesWithTheTable) {
  std::size_t found = 0;
  for (int value = std::numeric_limits<std::int16_t>::min();
       value <= std::numeric_limits<std::int16_t>::max(); ++value) {
    const auto code = static_cast<std::int16_t>(value);
    const error_info* info = find_error(code);
    if (info == nullptr) {
      ASSERT_EQ(error_name(code), "UNKNOWN") << code;
      ASSERT_FALSE(is_retriable(code)) << code;
      continue;
    }
    ++found;
    ASSERT_EQ(info->code, code);
    ASSERT_EQ(error_name(code).data(), info->name.data()) << code;
    ASSERT_EQ(is_retriable(code), info->retriable) << code;
  }
  EXPECT_EQ(found, all_errors().size());
}

TEST(ErrorTable, NamesPointIntoStaticStorage) {
  // error_name never allocates: the views stay valid and equal across calls.
  const std::string_view first = error_name(6);
  const std::string_view second = error_name(6);
  EXPECT_EQ(first.data(), second.data());
  EXPECT_EQ(std::string(first), "NOT_LEADER_OR_FOLLOWER");
  EXPECT_EQ(error_name(-2), error_name(9999));
}

TEST(ErrorTable, Categories) {
  namespace e = errc;
  // Leader moved: refresh metadata (the topic-id errors of KIP-516 included).
  for (auto code : {e::not_leader_or_follower, e::leader_not_available, e::fenced_leader_epoch,
                    e::unknown_leader_epoch, e::unknown_topic_id, e::inconsistent_topic_id,
                    e::unknown_topic_or_partition}) {
    EXPECT_TRUE(leader_may_have_moved(code)) << error_name(code);
  }
  EXPECT_FALSE(leader_may_have_moved(e::not_coordinator));
  for (auto code :
       {e::not_coordinator, e::coordinator_not_available, e::coordinator_load_in_progress}) {
    EXPECT_TRUE(coordinator_moved_or_loading(code)) << error_name(code);
    EXPECT_FALSE(leader_may_have_moved(code)) << error_name(code);
  }
  // Every *_AUTHORIZATION_FAILED, and the SASL refusals.
  for (const auto& info : all_errors()) {
    if (info.name.ends_with("_AUTHORIZATION_FAILED")) {
      EXPECT_TRUE(is_auth_code(info.code)) << info.name;
    }
  }
  EXPECT_TRUE(is_auth_code(e::sasl_authentication_failed));
  EXPECT_TRUE(is_auth_code(e::unsupported_sasl_mechanism));
  EXPECT_FALSE(is_auth_code(e::illegal_sasl_state));
  // Not found: what the user named does not exist; a broker's transient session states
  // (retriable *_NOT_FOUND) are not.
  EXPECT_TRUE(is_not_found_code(e::group_id_not_found));
  EXPECT_TRUE(is_not_found_code(e::unknown_topic_or_partition));
  EXPECT_TRUE(is_not_found_code(e::transactional_id_not_found));
  EXPECT_FALSE(is_not_found_code(e::fetch_session_id_not_found));
  EXPECT_FALSE(is_not_found_code(e::listener_not_found));
  // Codes Kafka does not define are in no category.
  EXPECT_FALSE(in_category(9999, error_category::not_found));
  EXPECT_FALSE(is_auth_code(-2));
  EXPECT_FALSE(is_not_found_code(e::none));
}

}  // namespace
}  // namespace kpipe::protocol
