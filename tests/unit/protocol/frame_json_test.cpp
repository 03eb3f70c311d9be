// frame_decoder: streams of requests and responses matched by correlation id, single frames,
// and errors that name the frame, the field path and the offset.
#include "protocol/frame_json.hpp"

#include <gtest/gtest.h>

#include "protocol/generated/api_table.hpp"
#include "protocol/generated/header.hpp"
#include "protocol/generated/metadata.hpp"
#include "protocol/writer.hpp"

namespace kpipe::protocol {
namespace {

byte_buffer request_frame(std::int32_t correlation_id, std::int16_t version,
                          std::vector<std::string> topics) {
  writer w;
  auto at = w.reserve_i32();
  header::request h;
  h.request_api_key = api_key::metadata;
  h.request_api_version = version;
  h.correlation_id = correlation_id;
  h.client_id = "test";
  h.encode(w, request_header_version(api_key::metadata, version));
  metadata::request body;
  body.topics.emplace();
  for (auto& t : topics) body.topics->emplace_back().name = t;
  body.encode(w, version);
  w.patch_i32(at, static_cast<std::int32_t>(w.size() - 4));
  return w.take();
}

byte_buffer response_frame(std::int32_t correlation_id, std::int16_t version,
                           std::string cluster_id) {
  writer w;
  auto at = w.reserve_i32();
  header::response h;
  h.correlation_id = correlation_id;
  h.encode(w, response_header_version(api_key::metadata, version));
  metadata::response body;
  body.cluster_id = cluster_id;
  body.encode(w, version);
  w.patch_i32(at, static_cast<std::int32_t>(w.size() - 4));
  return w.take();
}

byte_buffer concat(std::initializer_list<byte_buffer> parts) {
  byte_buffer out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

TEST(FrameDecoder, MatchesResponsesToRequestsInAnyOrder) {
  // Two requests in flight at different versions (one flexible), answered in order.
  auto stream = concat({request_frame(1, 12, {"a"}), request_frame(2, 4, {"b"}),
                        response_frame(1, 12, "c12"), response_frame(2, 4, "c4")});
  frame_decoder decoder;
  std::string out;
  auto errors = decoder.decode_stream(stream, out);
  ASSERT_TRUE(errors.empty()) << errors.front();
  auto lines = lines_of(out);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_NE(lines[0].find(R"("type":"request","api_key":3,"api":"Metadata","api_version":12)"),
            std::string::npos);
  EXPECT_NE(lines[2].find(R"("type":"response","api_key":3,"api":"Metadata","api_version":12,)"
                          R"("correlation_id":1)"),
            std::string::npos)
      << lines[2];
  EXPECT_NE(lines[2].find(R"("cluster_id":"c12")"), std::string::npos);
  EXPECT_NE(lines[3].find(R"("api_version":4,"correlation_id":2)"), std::string::npos);
  EXPECT_EQ(decoder.frames_decoded(), 4u);
}

TEST(FrameDecoder, ResponsesWithoutTheirRequestNeedAnApi) {
  auto stream = response_frame(9, 7, "x");
  std::string out;
  EXPECT_FALSE(frame_decoder().decode_stream(stream, out).empty());
  out.clear();
  frame_decoder told(false, api_version_ref{api_key::metadata, 7});
  auto errors = told.decode_stream(stream, out);
  EXPECT_TRUE(errors.empty());
  EXPECT_NE(out.find(R"("cluster_id":"x")"), std::string::npos);
}

TEST(FrameDecoder, ErrorsNameFrameFieldAndOffsetAndDecodingGoesOn) {
  auto bad = request_frame(1, 1, {"abc"});
  bad.resize(bad.size() - 2);                      // the last topic name loses two bytes
  bad[3] = static_cast<std::uint8_t>(bad[3] - 2);  // and the size prefix says so
  auto good = request_frame(2, 1, {"z"});
  auto stream = concat({bad, good});
  std::string out;
  auto errors = frame_decoder().decode_stream(stream, out);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(
      errors[0],
      "frame 0 at offset 0: Metadata v1 request: topics[0].name: length 3 exceeds the 1 bytes "
      "left at offset " +
          std::to_string(bad.size() - 1));
  EXPECT_EQ(lines_of(out).size(), 1u);  // the good frame after it
}

TEST(FrameDecoder, TruncatedStreamSaysWhatIsMissing) {
  auto frame = request_frame(1, 1, {"a"});
  frame.resize(frame.size() - 1);
  std::string out;
  auto errors = frame_decoder().decode_stream(frame, out);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "frame 0 at offset 0: frame size " + std::to_string(frame.size() - 3) +
                           " but " + std::to_string(frame.size() - 4) + " bytes left");
}

TEST(FrameDecoder, SingleFramesWithOrWithoutSizePrefix) {
  auto frame = request_frame(5, 9, {"t"});
  frame_decoder decoder;
  std::string with, without;
  EXPECT_FALSE(decoder.decode_request(frame, with).has_value());
  EXPECT_FALSE(
      decoder.decode_request(std::span<const std::uint8_t>(frame).subspan(4), without).has_value());
  // Offsets differ by the prefix; the rest is the same.
  EXPECT_NE(with.find(R"("offset":4)"), std::string::npos);
  EXPECT_NE(without.find(R"("offset":0)"), std::string::npos);
  auto response = response_frame(5, 9, "k");
  std::string out;
  EXPECT_FALSE(decoder.decode_response(response, {api_key::metadata, 9}, out).has_value());
  EXPECT_NE(out.find(R"("cluster_id":"k")"), std::string::npos);
}

TEST(FrameDecoder, UnknownApiIsAnError) {
  byte_buffer frame{0, 0, 0, 8, 0x7f, 0x00, 0, 0, 0, 0, 0, 1};
  std::string out;
  auto errors = frame_decoder().decode_stream(frame, out);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("not a request kpipe knows (API key 32512"), std::string::npos)
      << errors[0];
}

}  // namespace
}  // namespace kpipe::protocol
