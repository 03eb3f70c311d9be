#pragma once
// Aligned text tables for people: columns padded to their widest cell.

#include <string>
#include <vector>

namespace kpipe::cli {

class text_table {
 public:
  explicit text_table(std::vector<std::string> header) { rows_.push_back(std::move(header)); }
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  // Every row on its own line, each line starting with `indent`; no trailing spaces.
  std::string render(const std::string& indent = "") const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace kpipe::cli
