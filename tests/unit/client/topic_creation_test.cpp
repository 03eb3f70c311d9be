// When the producer asks again for the metadata of a topic the broker may be creating for it.

#include <gtest/gtest.h>

#include "client/producer_internal.hpp"

namespace kpipe::client::producer_detail {
namespace {

using std::chrono::milliseconds;

TEST(TopicCreationPending, KafkaFourReportsATopicBeingCreatedAsUnknownForAMoment) {
  EXPECT_TRUE(topic_creation_pending(errc::unknown_topic_or_partition, true, milliseconds(30'000),
                                     milliseconds(0)));
  EXPECT_TRUE(topic_creation_pending(errc::unknown_topic_or_partition, true, milliseconds(30'000),
                                     milliseconds(4'999)));
  // A broker that never creates topics: give up after the window, not the whole timeout.
  EXPECT_FALSE(topic_creation_pending(errc::unknown_topic_or_partition, true, milliseconds(30'000),
                                      milliseconds(5'000)));
  // A timeout shorter than the window bounds it.
  EXPECT_FALSE(topic_creation_pending(errc::unknown_topic_or_partition, true, milliseconds(1'000),
                                      milliseconds(1'000)));
}

TEST(TopicCreationPending, LeaderNotAvailableIsWaitedOutForTheRequestTimeout) {
  EXPECT_TRUE(topic_creation_pending(errc::leader_not_available, true, milliseconds(30'000),
                                     milliseconds(29'999)));
  EXPECT_FALSE(topic_creation_pending(errc::leader_not_available, true, milliseconds(30'000),
                                      milliseconds(30'000)));
}

TEST(TopicCreationPending, NeverWithoutAutoCreationOrForOtherAnswers) {
  EXPECT_FALSE(topic_creation_pending(errc::unknown_topic_or_partition, false, milliseconds(30'000),
                                      milliseconds(0)));
  EXPECT_FALSE(topic_creation_pending(errc::leader_not_available, false, milliseconds(30'000),
                                      milliseconds(0)));
  EXPECT_FALSE(topic_creation_pending(0, true, milliseconds(30'000), milliseconds(0)));
  EXPECT_FALSE(topic_creation_pending(29, true, milliseconds(30'000), milliseconds(0)));  // auth
}

}  // namespace
}  // namespace kpipe::client::producer_detail
