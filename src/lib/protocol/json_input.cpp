#include "protocol/json_input.hpp"

#include <cmath>
#include <limits>

#include "util/base64.hpp"
#include "util/json_value.hpp"

namespace kpipe::protocol {
namespace {

template <class T>
bool integer_from_json(const util::json_value& j, T& out, std::string& error) {
  if (!j.is_number()) {
    error = ": expected an integer";
    return false;
  }
  if constexpr (std::is_signed_v<T>) {
    auto v = j.as_int64();
    if (!v || *v < std::numeric_limits<T>::min() || *v > std::numeric_limits<T>::max()) {
      error = ": " + std::string(j.number_text()) + " is not an integer in range";
      return false;
    }
    out = static_cast<T>(*v);
  } else {
    auto v = j.as_uint64();
    if (!v || *v > std::numeric_limits<T>::max()) {
      error = ": " + std::string(j.number_text()) + " is not an integer in range";
      return false;
    }
    out = static_cast<T>(*v);
  }
  return true;
}

}  // namespace

bool json_to(const util::json_value& j, std::int8_t& out, std::string& error) {
  return integer_from_json(j, out, error);
}
bool json_to(const util::json_value& j, std::int16_t& out, std::string& error) {
  return integer_from_json(j, out, error);
}
bool json_to(const util::json_value& j, std::int32_t& out, std::string& error) {
  return integer_from_json(j, out, error);
}
bool json_to(const util::json_value& j, std::int64_t& out, std::string& error) {
  return integer_from_json(j, out, error);
}
bool json_to(const util::json_value& j, std::uint16_t& out, std::string& error) {
  return integer_from_json(j, out, error);
}
bool json_to(const util::json_value& j, std::uint32_t& out, std::string& error) {
  return integer_from_json(j, out, error);
}

bool json_to(const util::json_value& j, double& out, std::string& error) {
  if (j.is_string()) {
    // to_json writes the values JSON cannot hold as strings
    const auto& s = j.as_string();
    if (s == "NaN") return out = std::numeric_limits<double>::quiet_NaN(), true;
    if (s == "Infinity") return out = std::numeric_limits<double>::infinity(), true;
    if (s == "-Infinity") return out = -std::numeric_limits<double>::infinity(), true;
  }
  auto v = j.is_number() ? j.as_double() : std::nullopt;
  if (!v) {
    error = ": expected a number";
    return false;
  }
  out = *v;
  return true;
}

bool json_to(const util::json_value& j, bool& out, std::string& error) {
  if (!j.is_bool()) {
    error = ": expected true or false";
    return false;
  }
  out = j.as_bool();
  return true;
}

bool json_to(const util::json_value& j, std::string& out, std::string& error) {
  if (!j.is_string()) {
    error = ": expected a string";
    return false;
  }
  out = j.as_string();
  return true;
}

bool json_to(const util::json_value& j, uuid& out, std::string& error) {
  auto bytes = j.is_string() ? util::decode_base64(j.as_string()) : std::nullopt;
  if (!bytes || bytes->size() != out.size()) {
    error = ": expected a uuid as 22 characters of base64";
    return false;
  }
  std::copy(bytes->begin(), bytes->end(), out.begin());
  return true;
}

bool json_to(const util::json_value& j, byte_buffer& out, std::string& error) {
  auto bytes = j.is_string() ? util::decode_base64(j.as_string()) : std::nullopt;
  if (!bytes) {
    error = ": expected bytes as a base64 string";
    return false;
  }
  out = std::move(*bytes);
  return true;
}

bool json_to_unknown_tags(const util::json_value& j, unknown_tags& out, std::string& error) {
  if (!j.is_array()) {
    error = ": expected an array of {\"tag\", \"data\"}";
    return false;
  }
  out.clear();
  std::size_t index = 0;
  for (const auto& item : j.items()) {
    const util::json_value* tag = item.is_object() ? item.find("tag") : nullptr;
    const util::json_value* data = item.is_object() ? item.find("data") : nullptr;
    auto& field = out.emplace_back();
    if (!tag || !data || !json_to(*tag, field.tag, error) || !data->is_string()) {
      error = ": expected {\"tag\": N, \"data\": \"<hex>\"}";
      add_json_index(error, index);
      return false;
    }
    const std::string& hex = data->as_string();
    auto nibble = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    for (std::size_t i = 0; i < hex.size(); i += 2) {
      int hi = i < hex.size() ? nibble(hex[i]) : -1;
      int lo = i + 1 < hex.size() ? nibble(hex[i + 1]) : -1;
      if (hi < 0 || lo < 0) {
        error = ": data must be an even number of hex digits";
        add_json_index(error, index);
        return false;
      }
      field.data.push_back(static_cast<std::uint8_t>(hi << 4 | lo));
    }
    ++index;
  }
  return true;
}

void add_json_field(std::string& error, std::string_view field) {
  if (error.starts_with(':') || error.starts_with('[')) {
    error.insert(0, field);
  } else {
    error.insert(0, ".");
    error.insert(0, field);
  }
}

void add_json_index(std::string& error, std::size_t index) {
  std::string prefix = "[" + std::to_string(index) + "]";
  if (!error.starts_with(':') && !error.starts_with('[')) prefix += '.';
  error.insert(0, prefix);
}

std::string json_error_text(const std::string& error) {
  return error.starts_with(": ") ? error.substr(2) : error;
}

}  // namespace kpipe::protocol
