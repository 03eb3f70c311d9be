#include "format/json_scanner.hpp"

namespace kpipe::cli::json_text {

// Appends the text of a string the scanner accepted, escapes resolved.
void append_unescaped(std::string& out, std::string_view content) {
  std::size_t run = 0;
  for (std::size_t i = content.find('\\'); i != std::string_view::npos;
       i = content.find('\\', run)) {
    out.append(content.data() + run, i - run);
    const char c = content[i + 1];
    run = i + 2;
    switch (c) {
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u': {
        const char* at = content.data() + i;
        const char* end = content.data() + content.size();
        auto cp = static_cast<std::uint32_t>(read_u_escape(at, end));
        run = i + 6;
        if (cp >= 0xD800 && cp <= 0xDBFF) {  // the scanner checked that a low half follows
          auto low = static_cast<std::uint32_t>(read_u_escape(at + 6, end));
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          run = i + 12;
        }
        util::append_utf8(out, cp);
        break;
      }
      default:  // '"', '\\', '/'
        out += c;
    }
  }
  out.append(content.data() + run, content.size() - run);
}

// Whether a raw member name (escapes unresolved) spells `name`, which is ASCII. Escaped spellings
// ("b\u0061se64") count: the reader resolves escapes before comparing.
bool name_is(std::string_view raw, std::string_view name) {
  if (raw.find('\\') == std::string_view::npos) return raw == name;
  if (raw.size() > 6 * name.size()) return false;
  std::string decoded;  // short: within the small-string buffer
  append_unescaped(decoded, raw);
  return decoded == name;
}

// Appends the bytes as an embedded JSON value (compact) when they are one and reading them back
// would give the same bytes' compact form; else leaves out as it was and returns false.
bool append_embedded_json(std::string& out, bytes_view bytes) {
  const char* text = reinterpret_cast<const char*>(bytes.data());
  json_scanner s{text, text + bytes.size(), &out};
  s.skip_whitespace();
  // A string or null at the top would read back as that string's text or as a null record.
  if (s.p == s.end || *s.p == '"' || *s.p == 'n') return false;
  const char first = *s.p;
  const std::size_t mark = out.size();
  bool ok = s.value(0);
  if (ok) {
    s.skip_whitespace();
    ok = s.p == s.end;
  }
  // {"base64":...} and {"hex":...} alone are how the envelope spells encoded bytes.
  if (ok && first == '{' && s.top_members == 1 &&
      (name_is(s.first_name, "base64") || name_is(s.first_name, "hex")))
    ok = false;
  if (!ok) out.resize(mark);
  return ok;
}
}  // namespace kpipe::cli::json_text
