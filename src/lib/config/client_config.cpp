#include "config/client_config.hpp"

#include <utility>

namespace kpipe::config {

void layered_properties::set(const std::string& key, std::string value, source from) {
  auto it = settings_.find(key);
  if (it == settings_.end()) {
    settings_.emplace(key, setting{std::move(value), std::move(from)});
    return;
  }
  // A lower layer never overrides a higher one, whatever the order the layers are added in.
  if (from.kind < it->second.from.kind) return;
  it->second = setting{std::move(value), std::move(from)};
}

const setting* layered_properties::find(std::string_view key) const {
  auto it = settings_.find(key);
  return it == settings_.end() ? nullptr : &it->second;
}

std::optional<std::string> layered_properties::value(std::string_view key) const {
  if (const auto* found = find(key)) return found->value;
  return std::nullopt;
}

}  // namespace kpipe::config
