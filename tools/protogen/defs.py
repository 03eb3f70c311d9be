"""kpipe's protocol definition files (.def): the model and the parser.

parse_def(path) reads one definition file into an Api: its messages (request, response),
their structs and fields with version ranges, nullability, tags and defaults, struct
references resolved and nested structs ordered for declaration. The format is described in
README.md beside this file; protogen.py turns the model into C++.
"""
import re

SCALARS = {
    # def type: (C++ type, writer/reader method)
    "int8": ("std::int8_t", "i8"),
    "int16": ("std::int16_t", "i16"),
    "int32": ("std::int32_t", "i32"),
    "int64": ("std::int64_t", "i64"),
    "uint16": ("std::uint16_t", "u16"),
    "uint32": ("std::uint32_t", "u32"),
    "float64": ("double", "f64"),
    "bool": ("bool", "boolean"),
    "uuid": ("uuid", "uuid_value"),
}
BYTES_TYPES = ("bytes", "records")
PRIMITIVES = set(SCALARS) | {"string"} | set(BYTES_TYPES)


class DefError(Exception):
    pass


class Range:
    """An inclusive version range; hi None means open-ended, empty means 'none'."""

    def __init__(self, text):
        self.empty = text == "none"
        self.lo, self.hi = 0, None
        if self.empty:
            return
        m = re.fullmatch(r"(\d+)(\+|-(\d+))?", text)
        if not m:
            raise DefError(f"bad version range '{text}'")
        self.lo = int(m.group(1))
        if m.group(2) is None:
            self.hi = self.lo
        elif m.group(3) is not None:
            self.hi = int(m.group(3))

    def contains(self, v):
        return not self.empty and v >= self.lo and (self.hi is None or v <= self.hi)

    def cond(self, var="version"):
        """A C++ condition for 'var is in this range'."""
        if self.empty:
            return "false"
        parts = []
        if self.lo > 0:
            parts.append(f"{var} >= {self.lo}")
        if self.hi is not None:
            parts.append(f"{var} <= {self.hi}")
        return " && ".join(parts) if parts else "true"


class Field:
    def __init__(self, name, type_text, versions, attrs, line):
        self.name = name
        self.is_array = type_text.startswith("[]")
        self.type = type_text[2:] if self.is_array else type_text
        self.versions = Range(versions)
        self.nullable = Range(attrs.pop("nullable", "none"))
        self.tag = int(attrs.pop("tag")) if "tag" in attrs else None
        self.tagged = Range(attrs.pop("tagged", "none"))
        self.flexible_none = attrs.pop("flexible", None) == "none"
        self.default = attrs.pop("default", None)
        self.struct = None
        self.line = line
        if attrs:
            raise DefError(f"unknown attributes {sorted(attrs)}")
        if self.tag is not None and self.tagged.empty:
            self.tagged = self.versions

    @property
    def is_struct(self):
        return self.type not in PRIMITIVES

    @property
    def can_be_null(self):
        return not self.nullable.empty


class Struct:
    def __init__(self, name, versions=None):
        self.name = name
        self.fields = []
        self.versions = versions
        self.cpp_name = name  # the C++ type name (differs from name only to avoid a clash)
        self.cpp_path = name  # qualified C++ name, set once the owner is known
        self.func = name  # suffix of its helper functions in the .cpp


class Message:
    """A request, a response, or a data struct (kind "data": a versioned struct that is neither,
    such as the records of Kafka's internal topics). name is its C++ type: the kind for a
    request or response, the given name for data."""

    def __init__(self, kind, versions, flexible, name=None):
        self.kind = kind
        self.name = name or kind
        self.versions = Range(versions)
        self.flexible = Range(flexible)
        self.root = Struct(self.name)
        self.structs = []  # nested structs, children before parents


class Api:
    def __init__(self, name, key):
        self.name = name
        self.key = key
        self.commons = []
        self.messages = []


def display_name(snake):
    return "".join(p[:1].upper() + p[1:] for p in snake.split("_"))


def parse_def(path):
    """Parses a .def file into an Api."""
    api = None
    # stack of (indent, Struct) that new fields at a deeper indent attach to
    stack = []
    current_message = None
    with open(path) as f:
        lines = f.read().splitlines()
    for number, raw in enumerate(lines, 1):
        text = raw.split("#", 1)[0].rstrip()
        if not text:
            continue
        try:
            indent = len(text) - len(text.lstrip(" "))
            if indent % 2:
                raise DefError("indentation must be a multiple of 2 spaces")
            depth = indent // 2
            words = text.split()
            if depth == 0:
                if words[0] == "api":
                    if api is not None:
                        raise DefError("a second 'api' line")
                    if len(words) == 3:
                        api = Api(words[2], int(words[1]))
                    elif len(words) == 2:
                        api = Api(words[1], None)
                    else:
                        raise DefError("expected 'api [KEY] NAME'")
                    continue
                if api is None:
                    raise DefError("the file must start with an 'api' line")
                if words[0] == "struct":
                    s = Struct(words[1], Range(words[2]) if len(words) > 2 else None)
                    api.commons.append(s)
                    stack = [(0, s)]
                    current_message = None
                    continue
                if words[0] in ("request", "response", "data"):
                    name = None
                    if words[0] == "data":
                        # data NAME VERSIONS [flexible:V]
                        if len(words) < 3 or not re.fullmatch(r"[a-z][a-z0-9_]*", words[1]):
                            raise DefError("expected 'data NAME VERSIONS [flexible:V]'")
                        name = words.pop(1)
                        if name in ("request", "response"):
                            raise DefError(f"a data struct cannot be named '{name}'")
                    attrs = dict(w.split(":", 1) for w in words[2:])
                    m = Message(words[0], words[1], attrs.get("flexible", "none"), name)
                    if any(x.name == m.name for x in api.messages):
                        raise DefError(f"'{m.name}' defined twice")
                    api.messages.append(m)
                    stack = [(0, m.root)]
                    current_message = m
                    continue
                raise DefError(f"unexpected '{words[0]}'")
            while stack and stack[-1][0] >= depth:
                stack.pop()
            if not stack or stack[-1][0] != depth - 1:
                raise DefError("field indented too deep")
            if len(words) < 3:
                raise DefError("expected 'NAME TYPE VERSIONS [attr:value...]'")
            attrs = {}
            for w in words[3:]:
                if ":" not in w:
                    raise DefError(f"bad attribute '{w}'")
                k, v = w.split(":", 1)
                attrs[k] = v
            field = Field(words[0], words[1], words[2], attrs, number)
            parent = stack[-1][1]
            if any(f.name == field.name for f in parent.fields):
                raise DefError(f"duplicate field '{field.name}'")
            parent.fields.append(field)
            if field.is_struct:
                # A struct type with fields below it is defined here; without, it refers to a
                # common struct or one defined earlier in this message.
                field.struct = Struct(field.type)
                stack.append((depth, field.struct))
                field.defines = True
            else:
                field.defines = False
                stack.append((depth, None))
            if current_message is None and parent is not None and not isinstance(parent, Struct):
                raise DefError("field outside a struct")
        except (DefError, ValueError, IndexError) as e:
            raise DefError(f"{path}:{number}: {e}") from None
    if api is None:
        raise DefError(f"{path}: no 'api' line")
    resolve(api, path)
    return api


def resolve(api, path):
    """Links struct references, orders nested structs, checks names."""
    # C++ cannot have a member named like the type it uses in the same scope ("assignment
    # assignment"): a struct whose name is also a field name gets the suffix _data.
    field_names = set()

    def collect(fields):
        for f in fields:
            field_names.add(f.name)
            if f.struct is not None:
                collect(f.struct.fields)

    for s in api.commons:
        collect(s.fields)
    for m in api.messages:
        collect(m.root.fields)

    def cpp_name(name):
        return name + "_data" if name in field_names else name

    commons = {s.name: s for s in api.commons}
    for s in api.commons:
        s.cpp_name = cpp_name(s.name)
        s.cpp_path = s.cpp_name
        s.func = "common_" + s.name
    for s in api.commons:
        link(s, commons, {}, None, path)
    # Common structs may contain one another: declare each after the ones it holds.
    ordered, visiting = [], set()

    def visit(s):
        if s in ordered:
            return
        if s.name in visiting:
            raise DefError(f"{path}: common struct '{s.name}' contains itself")
        visiting.add(s.name)
        for f in s.fields:
            if f.is_struct and f.struct in api.commons:
                visit(f.struct)
        ordered.append(s)

    for s in api.commons:
        visit(s)
    api.commons = ordered
    link.field_names_has = lambda name: name in field_names
    for m in api.messages:
        defined = {}
        link(m.root, commons, defined, m, path)
        m.root.cpp_path = m.name
        m.root.func = m.name


def link(struct, commons, defined, message, path):
    for f in struct.fields:
        if not f.is_struct:
            continue
        if f.struct.fields:
            # A struct defined in a message may shadow a common struct of the same name
            # (Kafka's common structs belong to one message file, not to the API).
            if f.type in defined:
                raise DefError(f"{path}:{f.line}: struct '{f.type}' defined twice")
            defined[f.type] = f.struct
            link(f.struct, commons, defined, message, path)
            if message is None:
                raise DefError(f"{path}:{f.line}: common structs cannot define nested structs")
            f.struct.cpp_name = f.type + "_data" if link.field_names_has(f.type) else f.type
            f.struct.cpp_path = f"{message.name}::{f.struct.cpp_name}"
            f.struct.func = f"{message.name}_{f.type}"
            message.structs.append(f.struct)
        elif f.type in defined:
            f.struct = defined[f.type]
        elif f.type in commons:
            f.struct = commons[f.type]
        else:
            raise DefError(f"{path}:{f.line}: unknown type '{f.type}'")
