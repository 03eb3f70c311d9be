#pragma once
// The tagged-field section that ends every struct of a flexible version (KIP-482).

#include <vector>

#include "protocol/types.hpp"

namespace kpipe::util {
class json_writer;
}

namespace kpipe::protocol {

class writer;

// Writes known (already encoded) and unknown tagged fields as one section, sorted by tag as the
// protocol requires.
void write_tagged_fields(writer& w, std::vector<tagged_field> known, const unknown_tags& unknown);

// {"_unknown_tags": [{"tag": 7, "data": "<hex>"}]}: shown, never interpreted.
void write_unknown_tags_json(util::json_writer& j, const unknown_tags& unknown);

}  // namespace kpipe::protocol
