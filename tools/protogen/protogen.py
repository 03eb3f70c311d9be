#!/usr/bin/env python3
"""kpipe's protocol generator: definition files (.def) in, C++ out.

    protogen.py --lib-out DIR --test-out DIR DEF...

For each definition file NAME.def it writes DIR/protocol/generated/NAME.{hpp,cpp} (message
structs with encode, decode, size, to_json and equality) and, for the tests,
TEST_DIR/NAME_samples.cpp (a populated value for every version and a round-trip case for each).
It also writes the API table (api_table.{hpp,cpp}) and the test-side case list. The C++ helpers
both sides use are in cpp_model.py; the test side itself in samples_gen.py. Output is
deterministic, and a file is only rewritten when its content changes, so that an edit to one
definition rebuilds one API.

The definition format is described in README.md beside this file.
"""
import argparse
import os
import sys

import errors_gen
import samples_gen
from cpp_model import (HEADER_NOTE, Out, all_structs, compact_expr, cpp_literal,  # noqa: F401
                       cpp_member_type, cpp_value_type, emplace, inline_cond, is_optional,
                       member_initializer)
from defs import BYTES_TYPES, SCALARS, DefError, display_name, parse_def


# ---- encode

def emit_encode_value(o, f, expr, element, tagged=False):
    """Encodes one value (an element when element=True) of field f held in expr; tagged: as the
    value of a tagged field."""
    compact = compact_expr(f)
    if f.is_array and not element:
        if is_optional(f):
            o(f"if (!{expr}) {{")
            o(f"  w.array_length({f.nullable.cond()} ? -1 : 0, {compact});")
            o("} else {")
            o.indent()
            arr = f"(*{expr})"
        else:
            arr = expr
        o(f"w.array_length(static_cast<std::int32_t>({arr}.size()), {compact});")
        o(f"for (const auto& element : {arr}) {{")
        o.indent()
        emit_encode_value(o, f, "element", True)
        o.dedent()
        o("}")
        if is_optional(f):
            o.dedent()
            o("}")
        return
    nullable_here = is_optional(f) and not f.is_array
    if f.type in SCALARS:
        o(f"w.{SCALARS[f.type][1]}({expr});")
    elif f.type == "string":
        if nullable_here:
            o(f"if ({f.nullable.cond()}) w.nullable_string({expr}, {compact});")
            o(f"else w.string({expr} ? std::string_view(*{expr}) : std::string_view(), {compact});")
        else:
            o(f"w.string({expr}, {compact});")
    elif f.type in BYTES_TYPES:
        if nullable_here:
            o(f"if ({f.nullable.cond()}) w.nullable_bytes({expr}, {compact});")
            o(f"else w.bytes({expr} ? std::span<const std::uint8_t>(*{expr}) : "
              f"std::span<const std::uint8_t>(), {compact});")
        else:
            o(f"w.bytes({expr}, {compact});")
    else:
        fn = f"encode_{f.struct.func}"
        if nullable_here and tagged:
            # As a tagged field's value, Kafka's generator marks presence with an unsigned
            # varint instead (0 null, 1 present), e.g. ConsumerGroupMemberMetadataValue's
            # classic member metadata in __consumer_offsets.
            o(f"if ({f.nullable.cond()}) w.uvarint({expr} ? 1 : 0);")
            o(f"if ({expr}) {fn}(w, *{expr}, version, flexible);")
        elif nullable_here:
            # KIP-893: a nullable struct is preceded by a presence byte (-1 null, 1 present)
            o(f"if ({f.nullable.cond()}) w.i8({expr} ? 1 : -1);")
            o(f"if ({expr}) {fn}(w, *{expr}, version, flexible);")
            o(f"else if (!({f.nullable.cond()})) {fn}(w, {f.struct.cpp_path}{{}}, version, flexible);")
        else:
            o(f"{fn}(w, {expr}, version, flexible);")


def default_compare(f, expr):
    """C++ condition: expr differs from f's default (tagged fields are written only then)."""
    if f.is_array:
        return f"!{expr}.empty()" if not is_optional(f) else f"{expr}.has_value()"
    if is_optional(f):
        lit = cpp_literal(f, f.default) if f.default not in (None, "null") else None
        return f"{expr}.has_value()" if lit is None else f"{expr} != std::optional<std::string>({lit})"
    if f.is_struct:
        return f"!({expr} == {f.struct.cpp_path}{{}})"
    if f.type in SCALARS:
        init = member_initializer(f)
        if init.startswith(" = "):
            return f"{expr} != {init[3:]}"
        return f"{expr} != {cpp_value_type(f)}{{}}"
    if f.default:
        return f"{expr} != {cpp_literal(f, f.default)}"
    return f"!{expr}.empty()"


def emit_encode_struct(o, s, signature, prologue=()):
    o(signature)
    o("{")
    o.indent()
    for line in prologue:
        o(line)
    for f in s.fields:
        o(f"if ({inline_cond(f)}) {{")
        o.indent()
        emit_encode_value(o, f, f"v.{f.name}", False)
        o.dedent()
        o("}")
    tagged = sorted((f for f in s.fields if f.tag is not None), key=lambda f: f.tag)
    o("if (flexible) {")
    o.indent()
    if tagged:
        o("std::vector<tagged_field> known;")
        for f in tagged:
            o(f"if (({f.tagged.cond()}) && {default_compare(f, 'v.' + f.name)}) {{")
            o.indent()
            o("writer tag_writer;")
            o("{")
            o.indent()
            o("writer& w = tag_writer;")
            emit_encode_value(o, f, f"v.{f.name}", False, tagged=True)
            o.dedent()
            o("}")
            o(f"known.push_back({{{f.tag}, tag_writer.take()}});")
            o.dedent()
            o("}")
        o("write_tagged_fields(w, known, v.unknown_tagged_fields);")
    else:
        o("write_tagged_fields(w, {}, v.unknown_tagged_fields);")
    o.dedent()
    o("}")
    o.dedent()
    o("}")
    o()


# ---- decode

def emit_fail_return(o, f, ret, index=None):
    if index:
        o(f"if (!r.ok()) {{ r.add_path_index({index}); r.add_path(\"{f.name}\"); {ret} }}")
    else:
        o(f"if (!r.ok()) {{ r.add_path(\"{f.name}\"); {ret} }}")


def emit_decode_value(o, f, expr, element, ret, tagged=False):
    compact = compact_expr(f)
    if f.is_array and not element:
        o("{")
        o.indent()
        o(f"std::int32_t count = r.array_length({compact});")
        if is_optional(f):
            o(f"if (count < 0 && !({f.nullable.cond()})) r.fail(\"null where an array is required\");")
        else:
            o("if (count < 0) r.fail(\"null where an array is required\");")
        emit_fail_return(o, f, ret)
        if is_optional(f):
            # A null array leaves the optional empty; only a present one is filled.
            o(f"if (count < 0) {expr}.reset();")
            o("if (count >= 0) {")
            o.indent()
            o(f"auto& array = {expr}.emplace();")
        else:
            o(f"auto& array = {expr};")
            o("array.clear();")
        o("for (std::int32_t i = 0; i < count; ++i) {")
        o.indent()
        o("auto& element = array.emplace_back();")
        emit_decode_value(o, f, "element", True, ret)
        emit_fail_return(o, f, ret, "static_cast<std::size_t>(i)")
        o.dedent()
        o("}")
        if is_optional(f):
            o.dedent()
            o("}")
        o.dedent()
        o("}")
        return
    nullable_here = is_optional(f) and not f.is_array
    if f.type in SCALARS:
        o(f"{expr} = r.{SCALARS[f.type][1]}();")
    elif f.type == "string":
        if nullable_here:
            o(f"if ({f.nullable.cond()}) {expr} = r.nullable_string({compact});")
            o(f"else {expr} = r.string({compact});")
        else:
            o(f"{expr} = r.string({compact});")
    elif f.type in BYTES_TYPES:
        if nullable_here:
            o(f"if ({f.nullable.cond()}) {expr} = r.nullable_bytes({compact});")
            o(f"else {expr} = r.bytes({compact});")
        else:
            o(f"{expr} = r.bytes({compact});")
    else:
        fn = f"decode_{f.struct.func}"
        if nullable_here and tagged:
            # a tagged field's presence is an unsigned varint (see emit_encode_value)
            o(f"if (!({f.nullable.cond()}) || r.uvarint() > 0) {fn}(r, {emplace(expr)}, version, flexible);")
            o(f"else {expr}.reset();")
        elif nullable_here:
            # emplace(T{}), not emplace(): clang 14 refuses the latter for a nested struct with
            # default member initializers (used before its enclosing class is complete).
            o(f"if (!({f.nullable.cond()}) || r.i8() >= 0) {fn}(r, {emplace(expr)}, version, flexible);")
            o(f"else {expr}.reset();")
        else:
            o(f"{fn}(r, {expr}, version, flexible);")
    if not element:
        emit_fail_return(o, f, ret)


def emit_decode_struct(o, s, signature, prologue=(), ret="return;", done="return;"):
    """ret: the statement that leaves on failure; done: the one that leaves at the end."""
    o(signature)
    o("{")
    o.indent()
    for line in prologue:
        o(line)
    for f in s.fields:
        o(f"if ({inline_cond(f)}) {{")
        o.indent()
        emit_decode_value(o, f, f"v.{f.name}", False, ret)
        o.dedent()
        o("}")
    tagged = sorted((f for f in s.fields if f.tag is not None), key=lambda f: f.tag)
    o(f"if (!flexible) {done}")
    o("std::uint32_t tag_count = r.uvarint();")
    o("for (std::uint32_t t = 0; t < tag_count && r.ok(); ++t) {")
    o.indent()
    o("std::uint32_t tag = r.uvarint();")
    o("std::uint32_t tag_size = r.uvarint();")
    o("reader tag_reader = r.sub_reader(tag_size);")
    o("if (!r.ok()) break;")
    if tagged:
        o("switch (tag) {")
        o.indent()
        for f in tagged:
            o(f"case {f.tag}:")
            o.indent()
            o(f"if ({f.tagged.cond()}) {{")
            o.indent()
            o("reader& outer = r;")
            o("{")
            o.indent()
            o("reader& r = tag_reader;")
            emit_decode_value_tag(o, f)
            o(f"if (r.ok() && !r.at_end()) {{ r.fail(\"tagged field longer than its value\"); r.add_path(\"{f.name}\"); }}")
            o.dedent()
            o("}")
            o("outer.adopt_failure(tag_reader);")
            o(f"if (!outer.ok()) {ret}")
            o("continue;")
            o.dedent()
            o("}")
            o("break;")
            o.dedent()
        o("default:")
        o("  break;")
        o.dedent()
        o("}")
    o("auto data = tag_reader.raw(tag_reader.remaining());")
    o("v.unknown_tagged_fields.push_back({tag, byte_buffer(data.begin(), data.end())});")
    o.dedent()
    o("}")
    if done != "return;":
        o(done)
    o.dedent()
    o("}")
    o()


def emit_decode_value_tag(o, f):
    """Decodes a tagged field's value from the tag reader (named r in that scope)."""
    # emit_decode_value returns on failure, which would skip adopting the failure into the
    # outer reader, so it is emitted into a lambda.
    o("[&] {")
    o.indent()
    emit_decode_value(o, f, f"v.{f.name}", False, "return;", tagged=True)
    o.dedent()
    o("}();")


# ---- JSON

def emit_json_value(o, f, expr, element):
    if f.is_array and not element:
        if is_optional(f):
            o(f"if (!{expr}) {{ j.null(); }} else {{")
            o.indent()
            arr = f"(*{expr})"
        else:
            arr = expr
        o("j.begin_array();")
        o(f"for (const auto& element : {arr}) {{")
        o.indent()
        emit_json_value(o, f, "element", True)
        o.dedent()
        o("}")
        o("j.end_array();")
        if is_optional(f):
            o.dedent()
            o("}")
        return
    nullable_here = is_optional(f) and not f.is_array
    if nullable_here:
        o(f"if (!{expr}) {{ j.null(); }} else {{")
        o.indent()
        expr = f"(*{expr})"
    if f.type == "uuid":
        o(f"j.value(util::base64({expr}, true));")
    elif f.type in BYTES_TYPES:
        o(f"j.value(util::base64({expr}));")
    elif f.type in SCALARS or f.type == "string":
        o(f"j.value({expr});")
    else:
        o(f"to_json_{f.struct.func}(j, {expr}, version, flexible);")
    if nullable_here:
        o.dedent()
        o("}")


def emit_json_struct(o, s, signature, prologue=()):
    o(signature)
    o("{")
    o.indent()
    for line in prologue:
        o(line)
    o("j.begin_object();")
    for f in s.fields:
        cond = f.versions.cond()
        if f.tag is not None:
            cond = f"({cond}) || (flexible && ({f.tagged.cond()}))"
        o(f"if ({cond}) {{")
        o.indent()
        o(f"j.key(\"{f.name}\");")
        emit_json_value(o, f, f"v.{f.name}", False)
        o.dedent()
        o("}")
    o("if (!v.unknown_tagged_fields.empty()) write_unknown_tags_json(j, v.unknown_tagged_fields);")
    o("j.end_object();")
    o.dedent()
    o("}")
    o()


# ---- JSON in

def emit_from_json_value(o, f, src, expr, element):
    """Converts the json_value `src` (a pointer expression) into expr; returns false on error."""
    if f.is_array and not element:
        if is_optional(f):
            o(f"if ({src}->is_null()) {{")
            o(f"  if (!({f.nullable.cond()})) {{ error = \": null is not allowed in this version\"; return false; }}")
            o(f"  {expr}.reset();")
            o("} else {")
            o.indent()
            arr = f"{expr}.emplace()"
        else:
            arr = expr
        o(f"if (!{src}->is_array()) {{ error = \": expected an array\"; return false; }}")
        o(f"auto& array = {arr};")
        o("array.clear();")
        o("std::size_t index = 0;")
        o(f"for (const auto& item : {src}->items()) {{")
        o.indent()
        o("auto& element = array.emplace_back();")
        o("if (![&] {")
        o.indent()
        emit_from_json_value(o, f, "(&item)", "element", True)
        o("return true;")
        o.dedent()
        o("}()) { add_json_index(error, index); return false; }")
        o("++index;")
        o.dedent()
        o("}")
        if is_optional(f):
            o.dedent()
            o("}")
        return
    if is_optional(f) and not f.is_array:
        o(f"if ({src}->is_null()) {{")
        o(f"  if (!({f.nullable.cond()})) {{ error = \": null is not allowed in this version\"; return false; }}")
        o(f"  {expr}.reset();")
        o("} else {")
        o.indent()
        expr = emplace(expr)
        if f.is_struct:
            o(f"if (!{src}->is_object()) {{ error = \": expected an object\"; return false; }}")
            o(f"if (!from_json_{f.struct.func}(*{src}, {expr}, version, flexible, error)) return false;")
        else:
            o(f"if (!json_to(*{src}, {expr}, error)) return false;")
        o.dedent()
        o("}")
        return
    if f.is_struct:
        o(f"if (!{src}->is_object()) {{ error = \": expected an object\"; return false; }}")
        o(f"if (!from_json_{f.struct.func}(*{src}, {expr}, version, flexible, error)) return false;")
    else:
        o(f"if (!json_to(*{src}, {expr}, error)) return false;")


def emit_from_json_struct(o, s, signature, prologue=()):
    o(signature)
    o("{")
    o.indent()
    for line in prologue:
        o(line)
    # Every member must be a field of this version: a misspelt name is an error, not ignored.
    o("for (const auto& member : j.members()) {")
    o.indent()
    o("const std::string& key = member.first;")
    for f in s.fields:
        cond = f.versions.cond()
        if f.tag is not None:
            cond = f"({cond}) || (flexible && ({f.tagged.cond()}))"
        o(f"if (key == \"{f.name}\" && ({cond})) continue;")
    o("if (key == \"_unknown_tags\" && flexible) continue;")
    o("error = \": not a field in this version\";")
    o("add_json_field(error, key);")
    o("return false;")
    o.dedent()
    o("}")
    for f in s.fields:
        cond = f.versions.cond()
        if f.tag is not None:
            cond = f"({cond}) || (flexible && ({f.tagged.cond()}))"
        o(f"if ({cond}) {{")
        o.indent()
        o(f"if (const util::json_value* field = j.find(\"{f.name}\")) {{")
        o.indent()
        o("if (![&] {")
        o.indent()
        emit_from_json_value(o, f, "field", f"v.{f.name}", False)
        o("return true;")
        o.dedent()
        o(f"}}()) {{ add_json_field(error, \"{f.name}\"); return false; }}")
        o.dedent()
        o("}")
        o.dedent()
        o("}")
    o("if (const util::json_value* tags = j.find(\"_unknown_tags\")) {")
    o("  if (!json_to_unknown_tags(*tags, v.unknown_tagged_fields, error)) { add_json_field(error, \"_unknown_tags\"); return false; }")
    o("}")
    o("return true;")
    o.dedent()
    o("}")
    o()


# ----------------------------------------------------------------------------------------------
# Files


def gen_header(api, src):
    o = Out()
    o("#pragma once")
    o(HEADER_NOTE.format(src=src).rstrip())
    o()
    o("#include <cstddef>")
    o("#include <cstdint>")
    o("#include <limits>")
    o("#include <optional>")
    o("#include <string>")
    o("#include <vector>")
    o()
    o('#include "protocol/types.hpp"')
    o()
    o("namespace kpipe::util {")
    o("class json_writer;")
    o("class json_value;")
    o("}")
    o("namespace kpipe::protocol {")
    o("class reader;")
    o("class writer;")
    o("}")
    o()
    o(f"namespace kpipe::protocol::{api.name} {{")
    o()

    def members(s):
        for f in s.fields:
            o(f"{cpp_member_type(f)} {f.name}{member_initializer(f)};")
        o("unknown_tags unknown_tagged_fields;")

    for s in api.commons:
        o(f"struct {s.cpp_name} {{")
        o.indent()
        members(s)
        o(f"bool operator==(const {s.cpp_name}&) const = default;")
        o.dedent()
        o("};")
        o()
    if any(m.kind == "response" for m in api.messages):
        o("struct response;")
        o()
    for m in api.messages:
        o(f"struct {m.name} {{")
        o.indent()
        if m.kind == "request" and any(x.kind == "response" for x in api.messages):
            o("using response_type = response;")
        if api.key is not None:
            o(f"static constexpr std::int16_t api_key = {api.key};")
        o(f"static constexpr std::int16_t min_version = {m.versions.lo};")
        o(f"static constexpr std::int16_t max_version = {m.versions.hi};")
        o(f"static constexpr std::int16_t first_flexible_version = "
          f"{-1 if m.flexible.empty else m.flexible.lo};")
        o()
        for s in m.structs:
            o(f"struct {s.cpp_name};")
        for s in m.structs:
            o(f"struct {s.cpp_name} {{")
            o.indent()
            members(s)
            o(f"bool operator==(const {s.cpp_name}&) const = default;")
            o.dedent()
            o("};")
        o()
        members(m.root)
        o()
        o("void encode(writer& w, std::int16_t version) const;")
        o("// Returns r.ok(); on failure r.error() names the field path and the offset.")
        o("bool decode(reader& r, std::int16_t version);")
        o("std::size_t size(std::int16_t version) const;")
        o("void to_json(util::json_writer& j, std::int16_t version) const;")
        o("// Reads the value as to_json writes it; false with error = \"path: what\" otherwise.")
        o("bool from_json(const util::json_value& j, std::int16_t version, std::string& error);")
        o(f"bool operator==(const {m.name}&) const = default;")
        o.dedent()
        o("};")
        o()
    o(f"}}  // namespace kpipe::protocol::{api.name}")
    return o.text()


def gen_source(api, src):
    o = Out()
    o(HEADER_NOTE.format(src=src).rstrip())
    o(f'#include "protocol/generated/{api.name}.hpp"')
    o()
    o("#include <limits>")
    o("#include <span>")
    o("#include <string_view>")
    o()
    o('#include "protocol/json_input.hpp"')
    o('#include "protocol/reader.hpp"')
    o('#include "protocol/tagged_fields.hpp"')
    o('#include "protocol/writer.hpp"')
    o('#include "util/base64.hpp"')
    o('#include "util/json_value.hpp"')
    o('#include "util/json_writer.hpp"')
    o()
    o(f"namespace kpipe::protocol::{api.name} {{")
    o("namespace {")
    o()
    structs = all_structs(api)
    # declarations first: common structs and nested ones may refer to each other in any order
    for s, m in structs:
        if m is not None and s is m.root:
            continue
        # [[maybe_unused]]: a common struct may be shadowed in every message that could use it
        o(f"[[maybe_unused]] void encode_{s.func}(writer& w, const {s.cpp_path}& v, std::int16_t version, bool flexible);")
        o(f"[[maybe_unused]] void decode_{s.func}(reader& r, {s.cpp_path}& v, std::int16_t version, bool flexible);")
        o(f"[[maybe_unused]] void to_json_{s.func}(util::json_writer& j, const {s.cpp_path}& v, std::int16_t version, bool flexible);")
        o(f"[[maybe_unused]] bool from_json_{s.func}(const util::json_value& j, {s.cpp_path}& v, std::int16_t version, bool flexible, std::string& error);")
    o()
    for s, m in structs:
        if m is not None and s is m.root:
            continue
        emit_encode_struct(o, s, f"void encode_{s.func}(writer& w, const {s.cpp_path}& v, "
                           "[[maybe_unused]] std::int16_t version, [[maybe_unused]] bool flexible)")
        emit_decode_struct(o, s, f"void decode_{s.func}(reader& r, {s.cpp_path}& v, "
                           "[[maybe_unused]] std::int16_t version, [[maybe_unused]] bool flexible)")
        emit_json_struct(o, s, f"void to_json_{s.func}(util::json_writer& j, const {s.cpp_path}& v, "
                         "[[maybe_unused]] std::int16_t version, [[maybe_unused]] bool flexible)")
        emit_from_json_struct(o, s, f"bool from_json_{s.func}(const util::json_value& j, {s.cpp_path}& v, "
                              "[[maybe_unused]] std::int16_t version, [[maybe_unused]] bool flexible, "
                              "std::string& error)")
    o("}  // namespace")
    o()
    for m in api.messages:
        # member functions bind `v` and `flexible`, which the struct emitters' bodies use
        flexible = f"[[maybe_unused]] const bool flexible = {m.flexible.cond()};"
        emit_encode_struct(o, m.root, f"void {m.name}::encode(writer& w, [[maybe_unused]] std::int16_t version) const",
                           ["const auto& v = *this;", flexible])
        emit_decode_struct(o, m.root, f"bool {m.name}::decode(reader& r, [[maybe_unused]] std::int16_t version)",
                           ["auto& v = *this;", flexible], ret="return false;", done="return r.ok();")
        emit_json_struct(o, m.root,
                         f"void {m.name}::to_json(util::json_writer& j, [[maybe_unused]] std::int16_t version) const",
                         ["const auto& v = *this;", flexible])
        emit_from_json_struct(o, m.root,
                              f"bool {m.name}::from_json(const util::json_value& j, "
                              "[[maybe_unused]] std::int16_t version, std::string& error)",
                              ["auto& v = *this;", flexible,
                               "if (!j.is_object()) { error = \": expected an object\"; return false; }"])
        o(f"std::size_t {m.name}::size(std::int16_t version) const {{")
        o("  writer counter(writer::counting);")
        o("  encode(counter, version);")
        o("  return counter.size();")
        o("}")
        o()
    o(f"}}  // namespace kpipe::protocol::{api.name}")
    return o.text()


def gen_api_table(apis):
    keyed = sorted((a for a in apis if a.key is not None), key=lambda a: a.key)
    h = Out()
    h("#pragma once")
    h(HEADER_NOTE.format(src="src/lib/protocol/defs/*.def").rstrip())
    h()
    h("#include <cstdint>")
    h("#include <span>")
    h("#include <string_view>")
    h()
    h("namespace kpipe::protocol {")
    h()
    h("struct api_info {")
    h("  std::int16_t key;")
    h("  std::string_view name;  // Kafka's name, e.g. \"ApiVersions\"")
    h("  std::int16_t min_version;")
    h("  std::int16_t max_version;")
    h("  std::int16_t first_flexible_version;  // -1: no flexible version")
    h("};")
    h()
    h("// Every API kpipe has definitions for, sorted by key.")
    h("std::span<const api_info> all_apis() noexcept;")
    h("// nullptr for a key kpipe has no definition of.")
    h("const api_info* find_api(std::int16_t key) noexcept;")
    h("bool is_flexible(std::int16_t key, std::int16_t version) noexcept;")
    h("// Request header version: 2 for flexible requests, 1 otherwise, 0 for ControlledShutdown v0.")
    h("std::int16_t request_header_version(std::int16_t key, std::int16_t version) noexcept;")
    h("// Response header version: 1 for flexible responses, 0 otherwise and always for ApiVersions")
    h("// (KIP-511: a client must read the error of a version the broker does not know).")
    h("std::int16_t response_header_version(std::int16_t key, std::int16_t version) noexcept;")
    h()
    h("namespace api_key {")
    for a in keyed:
        h(f"inline constexpr std::int16_t {a.name} = {a.key};")
    h("}  // namespace api_key")
    h()
    h("}  // namespace kpipe::protocol")

    c = Out()
    c(HEADER_NOTE.format(src="src/lib/protocol/defs/*.def").rstrip())
    c('#include "protocol/generated/api_table.hpp"')
    c()
    c("#include <algorithm>")
    c("#include <array>")
    c()
    c("namespace kpipe::protocol {")
    c("namespace {")
    c()
    c(f"constexpr std::array<api_info, {len(keyed)}> table{{{{")
    for a in keyed:
        req = next(m for m in a.messages if m.kind == "request")
        flex = -1 if req.flexible.empty else req.flexible.lo
        c(f"    {{{a.key}, \"{display_name(a.name)}\", {req.versions.lo}, {req.versions.hi}, {flex}}},")
    c("}};")
    c()
    c("}  // namespace")
    c()
    c("std::span<const api_info> all_apis() noexcept { return table; }")
    c()
    c("const api_info* find_api(std::int16_t key) noexcept {")
    c("  auto it = std::lower_bound(table.begin(), table.end(), key,")
    c("                             [](const api_info& a, std::int16_t k) { return a.key < k; });")
    c("  return it != table.end() && it->key == key ? &*it : nullptr;")
    c("}")
    c()
    c("bool is_flexible(std::int16_t key, std::int16_t version) noexcept {")
    c("  const api_info* api = find_api(key);")
    c("  return api && api->first_flexible_version >= 0 && version >= api->first_flexible_version;")
    c("}")
    c()
    c("std::int16_t request_header_version(std::int16_t key, std::int16_t version) noexcept {")
    c("  if (key == 7 && version == 0) return 0;  // ControlledShutdown v0 has no client id")
    c("  return is_flexible(key, version) ? 2 : 1;")
    c("}")
    c()
    c("std::int16_t response_header_version(std::int16_t key, std::int16_t version) noexcept {")
    c("  if (key == 18) return 0;")
    c("  return is_flexible(key, version) ? 1 : 0;")
    c("}")
    c()
    c("}  // namespace kpipe::protocol")
    return h.text(), c.text()


def gen_dispatch(apis):
    """api_dispatch.{hpp,cpp}: from an API key at run time to the generated codec."""
    keyed = sorted((a for a in apis if a.key is not None), key=lambda a: a.key)
    h = Out()
    h("#pragma once")
    h(HEADER_NOTE.format(src="src/lib/protocol/defs/*.def").rstrip())
    h()
    h("#include <cstdint>")
    h("#include <string>")
    h()
    h("namespace kpipe::util {")
    h("class json_writer;")
    h("class json_value;")
    h("}")
    h()
    h("namespace kpipe::protocol {")
    h()
    h("class reader;")
    h("class writer;")
    h()
    h("enum class direction { request, response };")
    h()
    h("// Decodes the body of a request or response of `key` at `version` and writes it as JSON.")
    h("// False when the key or version is unknown (r fails with a reason) or the bytes do not parse.")
    h("bool body_to_json(std::int16_t key, std::int16_t version, direction d, reader& r,")
    h("                  util::json_writer& j);")
    h("// Encodes a body written as JSON (the form body_to_json writes); false with error otherwise.")
    h("bool body_from_json(std::int16_t key, std::int16_t version, direction d,")
    h("                    const util::json_value& j, writer& w, std::string& error);")
    h()
    h("}  // namespace kpipe::protocol")

    c = Out()
    c(HEADER_NOTE.format(src="src/lib/protocol/defs/*.def").rstrip())
    c('#include "protocol/generated/api_dispatch.hpp"')
    c()
    c('#include "protocol/generated/api_table.hpp"')
    for a in keyed:
        c(f'#include "protocol/generated/{a.name}.hpp"')
    c('#include "protocol/reader.hpp"')
    c('#include "protocol/writer.hpp"')
    c()
    c("namespace kpipe::protocol {")
    c("namespace {")
    c()
    c("template <class Message>")
    c("bool decode_to_json(std::int16_t version, reader& r, util::json_writer& j) {")
    c("  Message value;")
    c("  if (!value.decode(r, version)) return false;")
    c("  value.to_json(j, version);")
    c("  return true;")
    c("}")
    c()
    c("template <class Message>")
    c("bool encode_from_json(std::int16_t version, const util::json_value& j, writer& w,")
    c("                      std::string& error) {")
    c("  Message value;")
    c("  if (!value.from_json(j, version, error)) return false;")
    c("  value.encode(w, version);")
    c("  return true;")
    c("}")
    c()
    c("bool known_version(std::int16_t key, std::int16_t version) {")
    c("  const api_info* api = find_api(key);")
    c("  return api && version >= api->min_version && version <= api->max_version;")
    c("}")
    c()
    c("}  // namespace")
    c()
    c("bool body_to_json(std::int16_t key, std::int16_t version, direction d, reader& r,")
    c("                  util::json_writer& j) {")
    c("  if (!known_version(key, version)) {")
    c('    r.fail("API key " + std::to_string(key) + " version " + std::to_string(version) +')
    c('           " is not in kpipe\'s protocol definitions");')
    c("    return false;")
    c("  }")
    c("  bool request = d == direction::request;")
    c("  switch (key) {")
    for a in keyed:
        c(f"    case {a.key}:")
        c(f"      return request ? decode_to_json<{a.name}::request>(version, r, j)")
        c(f"                     : decode_to_json<{a.name}::response>(version, r, j);")
    c("    default:")
    c("      return false;")
    c("  }")
    c("}")
    c()
    c("bool body_from_json(std::int16_t key, std::int16_t version, direction d,")
    c("                    const util::json_value& j, writer& w, std::string& error) {")
    c("  if (!known_version(key, version)) {")
    c('    error = "API key " + std::to_string(key) + " version " + std::to_string(version) +')
    c('            " is not in kpipe\'s protocol definitions";')
    c("    return false;")
    c("  }")
    c("  bool request = d == direction::request;")
    c("  switch (key) {")
    for a in keyed:
        c(f"    case {a.key}:")
        c(f"      return request ? encode_from_json<{a.name}::request>(version, j, w, error)")
        c(f"                     : encode_from_json<{a.name}::response>(version, j, w, error);")
    c("    default:")
    c("      return false;")
    c("  }")
    c("}")
    c()
    c("}  // namespace kpipe::protocol")
    return h.text(), c.text()


def write_if_changed(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if os.path.exists(path):
        with open(path) as f:
            if f.read() == text:
                return
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


def source_name(path):
    """The definition's path as the banner names it: from src/ on, so that output does not depend
    on where the tree is checked out (defs/NAME.def or defs/internal/NAME.def)."""
    norm = os.path.abspath(path).replace(os.sep, "/")
    at = norm.rfind("/src/lib/protocol/defs/")
    return norm[at + 1:] if at >= 0 else "src/lib/protocol/defs/" + os.path.basename(path)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--lib-out", required=True)
    p.add_argument("--test-out", required=True)
    p.add_argument("--errors", help="errors.def: also writes the error table")
    p.add_argument("defs", nargs="+")
    args = p.parse_args()
    apis = []
    try:
        for path in sorted(args.defs):
            api = parse_def(path)
            stem = os.path.splitext(os.path.basename(path))[0]
            if stem != api.name:
                raise DefError(f"{path}: the file name must be the api name '{api.name}'.def")
            apis.append((api, path))
    except DefError as e:
        sys.exit(f"protogen: {e}")
    keys = [a.key for a, _ in apis if a.key is not None]
    if len(keys) != len(set(keys)):
        sys.exit("protogen: two definitions share an API key")
    gen_dir = os.path.join(args.lib_out, "protocol", "generated")
    for api, path in apis:
        src = source_name(path)
        write_if_changed(os.path.join(gen_dir, api.name + ".hpp"), gen_header(api, src))
        write_if_changed(os.path.join(gen_dir, api.name + ".cpp"), gen_source(api, src))
        write_if_changed(os.path.join(args.test_out, api.name + "_samples.cpp"), samples_gen.gen_samples(api, src))
    h, c = gen_api_table([a for a, _ in apis])
    write_if_changed(os.path.join(gen_dir, "api_table.hpp"), h)
    write_if_changed(os.path.join(gen_dir, "api_table.cpp"), c)
    h, c = gen_dispatch([a for a, _ in apis])
    write_if_changed(os.path.join(gen_dir, "api_dispatch.hpp"), h)
    write_if_changed(os.path.join(gen_dir, "api_dispatch.cpp"), c)
    write_if_changed(os.path.join(args.test_out, "roundtrip_cases.cpp"), samples_gen.gen_case_list([a for a, _ in apis]))
    if args.errors:
        errors_gen.generate(args.errors, gen_dir)


if __name__ == "__main__":
    main()
