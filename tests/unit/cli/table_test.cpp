// Tests of cli::text_table rendering: column alignment, indentation, no trailing spaces, ragged
// rows.

#include "format/table.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <sstream>
#include <string>
#include <vector>

namespace kpipe::cli {
namespace {

using rows = std::vector<std::vector<std::string>>;

text_table make_table(const rows& all) {
  text_table table(all.front());
  for (std::size_t i = 1; i < all.size(); ++i) table.add(all[i]);
  return table;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(TextTable, RendersExactly) {
  struct row {
    const char* name;
    rows cells;
    std::string indent;
    std::string expected;
  };
  for (const auto& [name, cells, indent, expected] : std::vector<row>{
           {"header only", {{"A", "BB"}}, "", "A  BB\n"},
           {"single column", {{"ID"}, {"1"}, {"1001"}}, "", "ID\n1\n1001\n"},
           {"brokers",
            {{"ID", "HOST", "PORT"}, {"1", "localhost", "9092"}, {"1001", "b", "19092"}},
            "",
            "ID    HOST       PORT\n"
            "1     localhost  9092\n"
            "1001  b          19092\n"},
           {"indented",
            {{"ID", "HOST", "PORT", "RACK"},
             {"1", "kafka-1", "9092", "r1"},
             {"2", "k2", "9093", ""}},
            "  ",
            "  ID  HOST     PORT  RACK\n"
            "  1   kafka-1  9092  r1\n"
            "  2   k2       9093\n"},
           {"deeper indent",
            {{"PARTITION", "LEADER"}, {"0", "1"}, {"10", "-1"}},
            "    ",
            "    PARTITION  LEADER\n"
            "    0          1\n"
            "    10         -1\n"},
           {"empty cells in the middle keep alignment",
            {{"A", "B", "C"}, {"", "", "x"}, {"1", "", ""}},
            "",
            "A  B  C\n"
            "      x\n"
            "1\n"},
           {"ragged rows",
            {{"A", "B", "C"}, {"x"}, {"long-one", "y"}, {"1", "2", "3", "4"}},
            "",
            "A         B  C\n"
            "x\n"
            "long-one  y\n"
            "1         2  3  4\n"},
           {"header shorter than rows",
            {{"K"}, {"a", "bbb", "c"}, {"dd", "e"}},
            "> ",
            "> K\n"
            "> a   bbb  c\n"
            "> dd  e\n"},
           {"empty rows", {{"H", "I"}, {}, {"x", "y"}}, "  ", "  H  I\n\n  x  y\n"},
           {"empty header", {{}}, "", "\n"},
           {"trailing spaces inside the last cell are dropped",
            {{"A", "B"}, {"a", "b  "}},
            "",
            "A  B\n"
            "a  b\n"},
       }) {
    SCOPED_TRACE(name);
    EXPECT_EQ(make_table(cells).render(indent), expected);
  }
}

TEST(TextTable, DefaultIndentIsNone) {
  text_table table({"X", "Y"});
  table.add({"1", "2"});
  EXPECT_EQ(table.render(), "X  Y\n1  2\n");
  EXPECT_EQ(table.render(), table.render(""));
}

TEST(TextTable, ColumnsLineUpAndNoLineEndsInSpace) {
  const rows cells = {
      {"PARTITION", "LEADER", "EPOCH", "REPLICAS", "ISR", "OFFLINE", "ERROR"},
      {"0", "1", "5", "1,2,3", "1,2,3", "", ""},
      {"1", "2", "17", "2,3,1", "2,3", "1", "NOT_LEADER_OR_FOLLOWER"},
      {"12", "-1", "0", "3", "", "3", "LEADER_NOT_AVAILABLE"},
      {"3"},
  };
  const std::string indent = "    ";
  auto lines = split_lines(make_table(cells).render(indent));
  ASSERT_EQ(lines.size(), cells.size());

  // Where each column starts: after the indent, then the widest cell above plus two spaces.
  std::vector<std::size_t> starts = {indent.size()};
  for (std::size_t col = 0; col + 1 < cells.front().size(); ++col) {
    std::size_t widest = 0;
    for (const auto& r : cells) {
      if (col < r.size()) widest = std::max(widest, r[col].size());
    }
    starts.push_back(starts.back() + widest + 2);
  }
  for (std::size_t i = 0; i < lines.size(); ++i) {
    SCOPED_TRACE(lines[i]);
    EXPECT_EQ(lines[i].rfind(indent, 0), 0u);
    ASSERT_FALSE(lines[i].empty());
    EXPECT_NE(lines[i].back(), ' ');
    for (std::size_t col = 0; col < cells[i].size(); ++col) {
      if (cells[i][col].empty()) continue;
      EXPECT_EQ(lines[i].substr(starts[col], cells[i][col].size()), cells[i][col]) << col;
    }
  }
}

}  // namespace
}  // namespace kpipe::cli
