// Every version of every generated message survives value -> bytes -> value.
#include <gtest/gtest.h>

#include <iostream>

#include "protocol/generated/api_table.hpp"
#include "protocol_roundtrip.hpp"

namespace kpipe::protocol {
namespace {

TEST(ProtocolRoundTrip, EveryApiEveryVersionEveryDirection) {
  auto cases = testing_support::all_roundtrip_cases();
  std::size_t passed = 0;
  for (const auto& c : cases) {
    std::string error;
    bool ok = c.run(c.version, error);
    EXPECT_TRUE(ok) << c.api << " v" << c.version << " " << c.direction << ": " << error;
    passed += ok ? 1 : 0;
  }
  std::cout << "[ roundtrip ] " << passed << " of " << cases.size()
            << " (api, version, direction) cases passed\n";
}

TEST(ProtocolRoundTrip, CoversEveryVersionInTheApiTable) {
  auto cases = testing_support::all_roundtrip_cases();
  for (const auto& api : all_apis()) {
    for (int v = api.min_version; v <= api.max_version; ++v) {
      for (const char* direction : {"request", "response"}) {
        bool found = false;
        for (const auto& c : cases) {
          found |= c.api_key == api.key && c.version == v && c.direction == direction;
        }
        EXPECT_TRUE(found) << api.name << " v" << v << " " << direction;
      }
    }
  }
}

}  // namespace
}  // namespace kpipe::protocol
