#include <span>
#include <string>

#include "fuzz_targets.hpp"
#include "protocol/frame_json.hpp"
#include "protocol/generated/api_table.hpp"

namespace kpipe::fuzz {

void decode_frames(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> bytes(data, size);
  std::string out;
  protocol::frame_decoder stream;
  stream.decode_stream(bytes, out);
  protocol::frame_decoder single;
  single.decode_request(bytes, out);
  if (size >= 2) {
    auto apis = protocol::all_apis();
    const auto& api = apis[data[0] % apis.size()];
    auto span = api.max_version - api.min_version + 1;
    auto version = static_cast<std::int16_t>(api.min_version + data[1] % span);
    single.decode_response(bytes.subspan(2), {api.key, version}, out);
  }
}

}  // namespace kpipe::fuzz
