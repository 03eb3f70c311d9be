"""The test side of protogen: per API a NAME_samples.cpp that fills every field of every version
of every message with a non-default value (and, in a second sample, leaves every nullable field
null), registers a round-trip case per (message, version), and the list of all of them.
"""
from cpp_model import HEADER_NOTE, Out, all_structs, cpp_literal, is_optional, member_initializer
from defs import BYTES_TYPES, SCALARS


def emit_sample_value(o, f, expr, element):
    if is_optional(f) and not element:
        # the second sample of a version leaves every field that may be null, null
        o(f"if (nulls && ({f.nullable.cond()})) {{")
        o(f"  {expr}.reset();")
        o("} else {")
        o.indent()
        emit_sample_present(o, f, expr, element)
        o.dedent()
        o("}")
        return
    emit_sample_present(o, f, expr, element)


def emit_sample_present(o, f, expr, element):
    if f.is_array and not element:
        arr = f"{expr}.emplace()" if is_optional(f) else expr
        o("{")
        o.indent()
        o(f"auto& array = {arr};")
        o("for (int i = 0; i < 2; ++i) {")
        o.indent()
        o("auto& element = array.emplace_back();")
        emit_sample_value(o, f, "element", True)
        o.dedent()
        o("}")
        o.dedent()
        o("}")
        return
    if is_optional(f) and not f.is_array:
        o(f"{expr}.emplace();")
        expr = f"(*{expr})"
    t = f.type
    if t == "bool":
        lit = cpp_literal(f, f.default) if f.default else "false"
        o(f"{expr} = !{lit};")
    elif t == "float64":
        o(f"{expr} = 0.5 + n++;")
    elif t == "uuid":
        o(f"{expr}.fill(static_cast<std::uint8_t>(n++));")
    elif t in SCALARS:
        init = member_initializer(f) if not element else ""
        base = init[3:] if init.startswith(" = ") else "0"
        ctype = SCALARS[t][0]
        # in unsigned 64 bits, then narrowed: base may be the type's maximum, and unsigned
        # arithmetic wraps to a value that is still not the default
        o(f"{expr} = static_cast<{ctype}>(static_cast<unsigned long long>({base}) + 1u + "
          f"static_cast<unsigned>(n++ % 50));")
    elif t == "string":
        o(f"{expr} = \"s\" + std::to_string(n++);")
    elif t in BYTES_TYPES:
        o(f"{expr} = byte_buffer{{0x00, 0xff, static_cast<std::uint8_t>(n++)}};")
    else:
        o(f"fill_{f.struct.func}({expr}, version, flexible, nulls, n);")


def emit_sample_struct(o, s, signature):
    o(signature)
    o("{")
    o.indent()
    for f in s.fields:
        cond = f.versions.cond()
        if f.tag is not None:
            cond = f"({cond}) || (flexible && ({f.tagged.cond()}))"
        o(f"if ({cond}) {{")
        o.indent()
        emit_sample_value(o, f, f"v.{f.name}", False)
        o.dedent()
        o("}")
    # An unknown tag above every known one, so that it is kept and written back in order.
    o("if (flexible) v.unknown_tagged_fields.push_back({10000, {0xde, 0xad, static_cast<std::uint8_t>(n++)}});")
    o.dedent()
    o("}")
    o()


def gen_samples(api, src):
    o = Out()
    o(HEADER_NOTE.format(src=src).rstrip())
    o("// Test support: a value with every field of a version set to a non-default value,")
    o("// and the round-trip cases of every version of every message.")
    o(f'#include "protocol/generated/{api.name}.hpp"')
    o('#include "protocol_roundtrip.hpp"')
    o()
    o("#include <limits>")
    o("#include <string>")
    o()
    o(f"namespace kpipe::protocol::{api.name} {{")
    o("namespace {")
    o()
    structs = all_structs(api)
    for s, m in structs:
        o(f"[[maybe_unused]] void fill_{s.func}({s.cpp_path}& v, std::int16_t version, bool flexible, bool nulls, int& n);")
    o()
    for s, m in structs:
        emit_sample_struct(o, s, f"void fill_{s.func}({s.cpp_path}& v, [[maybe_unused]] std::int16_t version, "
                           "bool flexible, [[maybe_unused]] bool nulls, [[maybe_unused]] int& n)")
    o("}  // namespace")
    o()
    o(f"void add_roundtrip_cases(std::vector<testing_support::roundtrip_case>& cases) {{")
    o.indent()
    for m in api.messages:
        o(f"for (std::int16_t version = {m.versions.lo}; version <= {m.versions.hi}; ++version) {{")
        o.indent()
        o(f"cases.push_back({{{api.key if api.key is not None else -1}, \"{api.name}\", \"{m.name}\", version,")
        o(f"                 [](std::int16_t v, std::string& error) {{")
        o(f"                   for (bool nulls : {{false, true}}) {{")
        o(f"                     {m.name} value;")
        o(f"                     int n = 1;")
        o(f"                     fill_{m.root.func}(value, v, {m.flexible.cond('v')}, nulls, n);")
        o(f"                     if (!testing_support::check_roundtrip(value, v, error)) {{")
        o(f"                       if (nulls) error = \"with nulls: \" + error;")
        o(f"                       return false;")
        o(f"                     }}")
        o(f"                   }}")
        o(f"                   return true;")
        o("                 },")
        o(f"                 [](std::int16_t v) {{")
        o(f"                   {m.name} value;")
        o(f"                   int n = 1;")
        o(f"                   fill_{m.root.func}(value, v, {m.flexible.cond('v')}, false, n);")
        o(f"                   return testing_support::sample_of(value, v);")
        o("                 }});")
        o.dedent()
        o("}")
    o.dedent()
    o("}")
    o()
    o(f"}}  // namespace kpipe::protocol::{api.name}")
    return o.text()


def gen_case_list(apis):
    o = Out()
    o(HEADER_NOTE.format(src="src/lib/protocol/defs/*.def").rstrip())
    o('#include "protocol_roundtrip.hpp"')
    o()
    for a in apis:
        o(f"namespace kpipe::protocol::{a.name} {{")
        o("void add_roundtrip_cases(std::vector<testing_support::roundtrip_case>& cases);")
        o("}")
    o()
    o("namespace kpipe::protocol::testing_support {")
    o()
    o("std::vector<roundtrip_case> all_roundtrip_cases() {")
    o("  std::vector<roundtrip_case> cases;")
    for a in apis:
        o(f"  {a.name}::add_roundtrip_cases(cases);")
    o("  return cases;")
    o("}")
    o()
    o("}  // namespace kpipe::protocol::testing_support")
    return o.text()
