#pragma once
// Turns the escapes users type for produce's -D and -K into bytes, so that a delimiter can be a
// tab, a NUL or any binary sequence that a shell cannot pass literally.

#include <string>
#include <string_view>

#include "util/result.hpp"

namespace kpipe::cli {

// Recognised: \n \t \r \0 \\ and \xNN (exactly two hex digits, either case). Any other byte is
// taken as is. Any other backslash sequence, a \x without two hex digits, or a lone trailing
// backslash is a usage error naming the offset of the backslash (0-based), because guessing
// what "\q" meant would silently split the input at the wrong bytes.
result<std::string> parse_escapes(std::string_view text);

}  // namespace kpipe::cli
