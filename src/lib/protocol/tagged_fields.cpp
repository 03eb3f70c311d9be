#include "protocol/tagged_fields.hpp"

#include <algorithm>

#include "protocol/writer.hpp"
#include "util/base64.hpp"
#include "util/json_writer.hpp"

namespace kpipe::protocol {

void write_tagged_fields(writer& w, std::vector<tagged_field> known, const unknown_tags& unknown) {
  known.insert(known.end(), unknown.begin(), unknown.end());
  std::stable_sort(known.begin(), known.end(),
                   [](const tagged_field& a, const tagged_field& b) { return a.tag < b.tag; });
  w.uvarint(static_cast<std::uint32_t>(known.size()));
  for (const auto& field : known) {
    w.uvarint(field.tag);
    w.uvarint(static_cast<std::uint32_t>(field.data.size()));
    w.raw(field.data);
  }
}

void write_unknown_tags_json(util::json_writer& j, const unknown_tags& unknown) {
  j.key("_unknown_tags");
  j.begin_array();
  for (const auto& field : unknown) {
    j.begin_object();
    j.key("tag");
    j.value(field.tag);
    j.key("data");
    std::string hex;
    util::append_hex(hex, field.data);
    j.value(hex);
    j.end_object();
  }
  j.end_array();
}

}  // namespace kpipe::protocol
