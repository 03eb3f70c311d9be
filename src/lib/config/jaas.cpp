#include "config/jaas.hpp"

#include <cctype>
#include <optional>

namespace kpipe::config {

namespace {

constexpr std::string_view mask = "********";

bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

// Characters of a Java class name, and of an option name.
bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == '$' ||
         c == '-';
}

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The character a backslash escape inside quotes stands for, as Java's StreamTokenizer reads it.
char unescaped(char c) {
  switch (c) {
    case 'n':
      return '\n';
    case 't':
      return '\t';
    case 'r':
      return '\r';
    case 'b':
      return '\b';
    case 'f':
      return '\f';
    case 'a':
      return '\a';
    case 'v':
      return '\v';
    default:
      return c;
  }
}

std::optional<jaas_control_flag> parse_flag(std::string_view word) {
  std::string lower = lowercase(word);
  if (lower == "required") return jaas_control_flag::required;
  if (lower == "requisite") return jaas_control_flag::requisite;
  if (lower == "sufficient") return jaas_control_flag::sufficient;
  if (lower == "optional") return jaas_control_flag::optional;
  return std::nullopt;
}

std::string_view flag_name(jaas_control_flag flag) {
  switch (flag) {
    case jaas_control_flag::required:
      return "required";
    case jaas_control_flag::requisite:
      return "requisite";
    case jaas_control_flag::sufficient:
      return "sufficient";
    case jaas_control_flag::optional:
      return "optional";
  }
  return "required";
}

class jaas_parser {
 public:
  explicit jaas_parser(std::string_view text) : text_(text) {}

  result<jaas_config> parse() {
    jaas_config config;
    skip_spaces();
    if (at_end()) return fail("is empty; expected a login module class");
    std::size_t module_at = pos_;
    config.login_module = std::string(read_name());
    if (config.login_module.empty() || (!at_end() && !is_space(peek()))) {
      return fail_at(module_at, "expected a login module class name");
    }
    skip_spaces();
    std::size_t flag_at = pos_;
    auto flag_word = read_name();
    auto flag = parse_flag(flag_word);
    if (!flag) {
      // The word might be an option name or worse; it is not repeated in the message.
      return fail_at(flag_at,
                     "expected a control flag (required, requisite, sufficient or optional) "
                     "after the login module");
    }
    config.flag = *flag;
    for (;;) {
      skip_spaces();
      if (at_end()) break;  // a missing final ';' is forgiven
      if (peek() == ';') {
        ++pos_;
        skip_spaces();
        if (!at_end()) {
          return fail("holds more than one login module; Kafka clients take exactly one");
        }
        break;
      }
      std::size_t name_at = pos_;
      std::string name(read_name());
      if (name.empty()) return fail_at(name_at, "expected an option name or ';'");
      skip_spaces();
      if (at_end() || peek() != '=') {
        return fail("expected '=' after option '" + name + "'");
      }
      ++pos_;
      skip_spaces();
      if (at_end()) return fail("option '" + name + "' has no value");
      std::string value;
      if (peek() == '"' || peek() == '\'') {
        std::size_t quote_at = pos_;
        auto contents = read_quoted();
        if (!contents) {
          return fail_at(quote_at, "the quoted value of option '" + name + "' is not closed");
        }
        value = std::move(*contents);
      } else {
        std::size_t start = pos_;
        while (!at_end() && !is_space(peek()) && peek() != ';' && peek() != '"' && peek() != '\'') {
          ++pos_;
        }
        if (pos_ == start) return fail("option '" + name + "' has no value");
        value = std::string(text_.substr(start, pos_ - start));
      }
      config.options.emplace_back(std::move(name), std::move(value));
    }
    return config;
  }

 private:
  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return text_[pos_]; }
  void skip_spaces() {
    while (!at_end() && is_space(peek())) ++pos_;
  }
  std::string_view read_name() {
    std::size_t start = pos_;
    while (!at_end() && is_name_char(peek())) ++pos_;
    return text_.substr(start, pos_ - start);
  }
  // At the opening quote (Java's tokenizer takes ' as well as "): the unescaped contents, or
  // nullopt when the quote is never closed.
  std::optional<std::string> read_quoted() {
    char quote = text_[pos_++];
    std::string out;
    while (!at_end()) {
      char c = text_[pos_++];
      if (c == quote) return out;
      if (c == '\\' && !at_end()) {
        out += unescaped(text_[pos_++]);
        continue;
      }
      out += c;
    }
    return std::nullopt;
  }
  error fail(std::string what) const { return fail_at(pos_, std::move(what)); }
  error fail_at(std::size_t at, std::string what) const {
    return error{error_kind::usage,
                 "sasl.jaas.config: " + what + " at position " + std::to_string(at + 1)};
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

std::string quoted(std::string_view value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace

std::string_view jaas_config::module_class() const {
  std::string_view name = login_module;
  auto dot = name.rfind('.');
  return dot == std::string_view::npos ? name : name.substr(dot + 1);
}

const std::string* jaas_config::option(std::string_view name) const {
  for (auto it = options.rbegin(); it != options.rend(); ++it) {
    if (it->first == name) return &it->second;
  }
  return nullptr;
}

result<jaas_config> parse_jaas_config(std::string_view text) { return jaas_parser(text).parse(); }

bool is_secret_jaas_option(std::string_view name) {
  std::string lower = lowercase(name);
  for (auto word : {"password", "secret", "token", "credential", "passphrase"}) {
    if (lower.find(word) != std::string::npos) return true;
  }
  return false;
}

std::string masked_jaas_config(std::string_view text) {
  auto parsed = parse_jaas_config(text);
  if (!parsed) {
    std::size_t start = 0;
    while (start < text.size() && is_space(text[start])) ++start;
    std::size_t end = start;
    while (end < text.size() && is_name_char(text[end])) ++end;
    // A class name is followed by a blank; anything else may be the start of a value.
    bool looks_like_class = end > start && end < text.size() && is_space(text[end]) &&
                            text.substr(start, end - start).find('.') != std::string_view::npos;
    if (!looks_like_class) return std::string(mask);
    return std::string(text.substr(start, end - start)) + " " + std::string(mask);
  }
  const auto& config = *parsed;
  std::string out = config.login_module + " " + std::string(flag_name(config.flag));
  for (const auto& [name, value] : config.options) {
    out += " " + name + "=" + (is_secret_jaas_option(name) ? quoted(mask) : quoted(value));
  }
  return out + ";";
}

}  // namespace kpipe::config
