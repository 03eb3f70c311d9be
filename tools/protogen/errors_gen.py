#!/usr/bin/env python3
"""Generates kpipe's Kafka error-code table (C++20) from errors.def.

    errors_gen.py DEF OUT_DIR

writes OUT_DIR/error_table.hpp and OUT_DIR/error_table.cpp (namespace kpipe::protocol). A file is
rewritten only when its content changes, so an unchanged table does not trigger a rebuild. The
output depends on nothing but the content of DEF.

DEF format, one error a line, fields separated by single spaces, the message to the end of line:

    CODE NAME retriable|fatal MESSAGE

Lines starting with '#' are comments, blank lines are ignored. A malformed line, a duplicate code
or a duplicate name is an error that names the line (DefError; exit status 1 from the command).
"""
import os
import re
import sys

HEADER_NAME = "error_table.hpp"
SOURCE_NAME = "error_table.cpp"

INT16_MIN = -(1 << 15)
INT16_MAX = (1 << 15) - 1
# The lookup array covers every code from the lowest to the highest; refuse absurdly sparse input
# rather than emit a huge table.
MAX_SPAN = 4096

NAME_RE = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*")
CODE_RE = re.compile(r"-?(?:0|[1-9][0-9]*)")
FLAGS = {"retriable": True, "fatal": False}


# Categories: codes that call for the same reaction from a client, derived here from Kafka's
# names (a code may be in several). Explicit name lists are checked against the definitions, so
# that a renamed code cannot drop out of its category unnoticed.
CATEGORIES = (
    # (C++ enumerator, bit, explicit names, rule over (name, retriable))
    ("leader_moved", 1,
     # KIP-320's epoch errors; UNKNOWN_TOPIC_ID and INCONSISTENT_TOPIC_ID for ids (KIP-516)
     {"UNKNOWN_TOPIC_OR_PARTITION", "LEADER_NOT_AVAILABLE", "NOT_LEADER_OR_FOLLOWER",
      "FENCED_LEADER_EPOCH", "UNKNOWN_LEADER_EPOCH", "UNKNOWN_TOPIC_ID", "INCONSISTENT_TOPIC_ID"},
     None),
    ("coordinator_moved", 2,
     {"COORDINATOR_LOAD_IN_PROGRESS", "COORDINATOR_NOT_AVAILABLE", "NOT_COORDINATOR"}, None),
    ("authentication", 4, {"SASL_AUTHENTICATION_FAILED", "UNSUPPORTED_SASL_MECHANISM"}, None),
    ("authorization", 8, set(), lambda name, retriable: name.endswith("_AUTHORIZATION_FAILED")),
    # The retriable *_NOT_FOUND codes (fetch and share sessions, listeners) are transient states
    # of the broker, not something the user named that does not exist.
    ("not_found", 16, {"UNKNOWN_TOPIC_OR_PARTITION", "UNKNOWN_TOPIC_ID"},
     lambda name, retriable: name.endswith("_NOT_FOUND") and not retriable),
)


def categories_of(error):
    bits = 0
    for _, bit, names, rule in CATEGORIES:
        if error.name in names or (rule is not None and rule(error.name, error.retriable)):
            bits |= bit
    return bits


def _check_category_names(errors, path):
    known = {e.name for e in errors}
    for enumerator, _, names, _ in CATEGORIES:
        for name in sorted(names - known):
            raise DefError(f"{path}: category {enumerator} names {name}, which is not defined")


class DefError(ValueError):
    """A problem in the definition file; the text starts with 'PATH:LINE:' where a line applies."""


class ErrorDef:
    __slots__ = ("code", "name", "retriable", "message", "line")

    def __init__(self, code, name, retriable, message, line):
        self.code = code
        self.name = name
        self.retriable = retriable
        self.message = message
        self.line = line


def _is_printable_ascii(text):
    return all(0x20 <= ord(c) <= 0x7E for c in text)


def parse(text, path="errors.def"):
    """Parses the content of a definition file; returns the errors sorted by code."""
    errors = []
    by_code = {}
    by_name = {}
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw[:-1] if raw.endswith("\r") else raw
        if not line.strip() or line.lstrip().startswith("#"):
            continue

        def fail(what):
            raise DefError(f"{path}:{number}: {what}")

        if not _is_printable_ascii(line):
            fail("only printable ASCII is allowed (no tabs or control characters)")
        fields = line.split(" ", 3)
        if len(fields) < 4 or any(not f for f in fields[:3]):
            fail("expected 'CODE NAME retriable|fatal MESSAGE' separated by single spaces")
        code_text, name, flag, message = fields
        if not CODE_RE.fullmatch(code_text):
            fail(f"code '{code_text}' is not a decimal integer")
        code = int(code_text)
        if not INT16_MIN <= code <= INT16_MAX:
            fail(f"code {code} does not fit in int16")
        if not NAME_RE.fullmatch(name):
            fail(f"name '{name}' is not upper snake case")
        if flag not in FLAGS:
            fail(f"third field must be 'retriable' or 'fatal', not '{flag}'")
        if not message.strip():
            fail("the message is empty")
        if message != message.strip() or "  " in message:
            fail("the message has leading, trailing or doubled spaces")
        if code in by_code:
            fail(f"code {code} is already defined on line {by_code[code].line}")
        if name in by_name:
            fail(f"name {name} is already defined on line {by_name[name].line}")
        entry = ErrorDef(code, name, FLAGS[flag], message, number)
        by_code[code] = entry
        by_name[name] = entry
        errors.append(entry)

    if not errors:
        raise DefError(f"{path}: defines no error codes")
    errors.sort(key=lambda e: e.code)
    _check_category_names(errors, path)
    span = errors[-1].code - errors[0].code + 1
    if span > MAX_SPAN:
        raise DefError(f"{path}: codes span {span} values ({errors[0].code}..{errors[-1].code}); "
                       f"at most {MAX_SPAN} are supported")
    return errors


def _cpp_string(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _banner(def_name):
    return (f"// Generated by tools/protogen/errors_gen.py from {def_name}. Do not edit:\n"
            f"// change {def_name} and regenerate.\n")


def render_header(errors, def_name="errors.def"):
    return _banner(def_name) + """#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace kpipe::protocol {

// Codes that call for the same reaction from a client; a code may be in several. Derived from
// Kafka's names by tools/protogen/errors_gen.py (CATEGORIES).
enum class error_category : std::uint8_t {
  leader_moved = 1,       // refresh metadata and try again at the partition's (new) leader
  coordinator_moved = 2,  // find the coordinator again, or wait while it loads, and try again
  authentication = 4,     // the credentials were refused
  authorization = 8,      // the principal may not do this (*_AUTHORIZATION_FAILED)
  not_found = 16,         // a topic, partition, group or id that does not exist
};

// One Kafka protocol error code.
struct error_info {
  std::int16_t code;
  std::string_view name;     // Kafka's name, e.g. "NOT_LEADER_OR_FOLLOWER"
  bool retriable;            // Kafka's client treats it as retriable
  std::string_view message;  // one sentence for a command-line user
  std::uint8_t categories;   // error_category bits
};

// The entry for `code`, or nullptr for a code Kafka does not define. O(1).
const error_info* find_error(std::int16_t code) noexcept;

// Every defined code, sorted by code.
std::span<const error_info> all_errors() noexcept;

// Kafka's name for `code`, or "UNKNOWN" for a code Kafka does not define. Never allocates.
std::string_view error_name(std::int16_t code) noexcept;

// Whether Kafka's client retries `code`; false for a code Kafka does not define.
bool is_retriable(std::int16_t code) noexcept;

// Whether `code` is in `category`; false for a code Kafka does not define.
bool in_category(std::int16_t code, error_category category) noexcept;

// The partition's leader may have moved, or the topic's id changed: refresh the metadata.
inline bool leader_may_have_moved(std::int16_t code) noexcept {
  return in_category(code, error_category::leader_moved);
}
// The group or transaction coordinator moved, is not there yet, or is loading its log.
inline bool coordinator_moved_or_loading(std::int16_t code) noexcept {
  return in_category(code, error_category::coordinator_moved);
}
// Refused credentials or a refused operation: asking again cannot help.
inline bool is_auth_code(std::int16_t code) noexcept {
  return in_category(code, error_category::authentication) ||
         in_category(code, error_category::authorization);
}
inline bool is_not_found_code(std::int16_t code) noexcept {
  return in_category(code, error_category::not_found);
}

// Every code by name (Kafka's name in lower case), so that code says
// errc::not_leader_or_follower rather than 6; as franz-go's kerr.
namespace errc {
""" + "".join(f"inline constexpr std::int16_t {e.name.lower()} = {e.code};\n" for e in errors) + """}  // namespace errc

}  // namespace kpipe::protocol
"""


def render_source(errors, def_name="errors.def"):
    lo = errors[0].code
    hi = errors[-1].code
    slot_of = {e.code: i for i, e in enumerate(errors)}
    slots = [slot_of.get(code, -1) for code in range(lo, hi + 1)]

    out = [_banner(def_name)]
    out.append('#include "error_table.hpp"\n\n#include <cstddef>\n\n')
    out.append("namespace kpipe::protocol {\nnamespace {\n\n")
    out.append(f"// {len(errors)} codes, sorted by code.\n")
    out.append("constexpr error_info k_errors[] = {\n")
    for e in errors:
        flag = "true" if e.retriable else "false"
        out.append(f"    {{{e.code}, {_cpp_string(e.name)}, {flag},\n"
                   f"     {_cpp_string(e.message)}, {categories_of(e)}}},\n")
    out.append("};\n\n")
    out.append("constexpr std::size_t k_error_count = sizeof(k_errors) / sizeof(k_errors[0]);\n")
    out.append(f"constexpr int k_min_code = {lo};\n")
    out.append(f"constexpr int k_max_code = {hi};\n\n")
    out.append("// k_slots[code - k_min_code]: index into k_errors, -1 for a code that is not defined.\n")
    out.append("constexpr std::int16_t k_slots[] = {\n")
    per_line = 16
    for i in range(0, len(slots), per_line):
        out.append("    " + ", ".join(str(s) for s in slots[i:i + per_line]) + ",\n")
    out.append("};\n\n")
    out.append("""static_assert(sizeof(k_slots) / sizeof(k_slots[0]) ==
              static_cast<std::size_t>(k_max_code - k_min_code + 1));
static_assert([] {
  for (std::size_t i = 1; i < k_error_count; ++i) {
    if (k_errors[i - 1].code >= k_errors[i].code) return false;
  }
  return true;
}());

}  // namespace

const error_info* find_error(std::int16_t code) noexcept {
  if (code < k_min_code || code > k_max_code) return nullptr;
  const int slot = k_slots[code - k_min_code];
  return slot < 0 ? nullptr : &k_errors[slot];
}

std::span<const error_info> all_errors() noexcept { return {k_errors, k_error_count}; }

std::string_view error_name(std::int16_t code) noexcept {
  const error_info* info = find_error(code);
  return info != nullptr ? info->name : std::string_view("UNKNOWN");
}

bool is_retriable(std::int16_t code) noexcept {
  const error_info* info = find_error(code);
  return info != nullptr && info->retriable;
}

bool in_category(std::int16_t code, error_category category) noexcept {
  const error_info* info = find_error(code);
  return info != nullptr && (info->categories & static_cast<std::uint8_t>(category)) != 0;
}

}  // namespace kpipe::protocol
""")
    return "".join(out)


def _write_if_changed(path, content):
    data = content.encode("ascii")
    try:
        with open(path, "rb") as f:
            if f.read() == data:
                return False
    except FileNotFoundError:
        pass
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)
    return True


def generate(def_path: str, out_dir: str) -> None:
    """Writes error_table.hpp and error_table.cpp for `def_path` into `out_dir`.

    Raises DefError (a ValueError) for an invalid definition file; nothing is written then.
    """
    with open(def_path, "rb") as f:
        raw = f.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise DefError(f"{def_path}: not valid UTF-8 ({e})") from None
    errors = parse(text, def_path)
    def_name = os.path.basename(def_path)
    header = render_header(errors, def_name)
    source = render_source(errors, def_name)
    os.makedirs(out_dir, exist_ok=True)
    _write_if_changed(os.path.join(out_dir, HEADER_NAME), header)
    _write_if_changed(os.path.join(out_dir, SOURCE_NAME), source)


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2 or args[0] in ("-h", "--help"):
        print("usage: errors_gen.py DEF OUT_DIR", file=sys.stderr)
        return 2
    try:
        generate(args[0], args[1])
    except DefError as e:
        print(f"errors_gen: error: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"errors_gen: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
