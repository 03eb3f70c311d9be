#pragma once
// Reading protocol values from JSON (the inverse of the generated to_json), used by the
// generated from_json functions.
//
// Errors are built while unwinding, innermost first, into "path: message" form:
// a conversion sets ": expected a string"; add_json_field and add_json_index prefix the path,
// so the caller finally reads "topics[1].name: expected a string".

#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/types.hpp"

namespace kpipe::util {
class json_value;
}

namespace kpipe::protocol {

bool json_to(const util::json_value& j, std::int8_t& out, std::string& error);
bool json_to(const util::json_value& j, std::int16_t& out, std::string& error);
bool json_to(const util::json_value& j, std::int32_t& out, std::string& error);
bool json_to(const util::json_value& j, std::int64_t& out, std::string& error);
bool json_to(const util::json_value& j, std::uint16_t& out, std::string& error);
bool json_to(const util::json_value& j, std::uint32_t& out, std::string& error);
bool json_to(const util::json_value& j, double& out, std::string& error);
bool json_to(const util::json_value& j, bool& out, std::string& error);
bool json_to(const util::json_value& j, std::string& out, std::string& error);
// uuid: the 22-character URL-safe base64 form Kafka prints (standard base64 accepted too).
bool json_to(const util::json_value& j, uuid& out, std::string& error);
// bytes and records: base64.
bool json_to(const util::json_value& j, byte_buffer& out, std::string& error);
// "_unknown_tags": [{"tag": 7, "data": "<hex>"}]
bool json_to_unknown_tags(const util::json_value& j, unknown_tags& out, std::string& error);

void add_json_field(std::string& error, std::string_view field);
void add_json_index(std::string& error, std::size_t index);
// The final message: drops the leading ": " of an error without a path.
std::string json_error_text(const std::string& error);

}  // namespace kpipe::protocol
