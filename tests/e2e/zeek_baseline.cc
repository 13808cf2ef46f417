#include "tests/e2e/zeek_baseline.h"

#include <fstream>
#include <sstream>

namespace dbaudit::e2e {
namespace {

std::vector<std::string> SplitTabs(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream ss(line);
  std::string cell;
  while (std::getline(ss, cell, '\t')) out.push_back(cell);
  return out;
}

}  // namespace

std::vector<ZeekRow> ReadZeekLog(const std::string& path) {
  std::ifstream in(path);
  std::vector<ZeekRow> rows;
  std::vector<std::string> columns;
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("#fields\t", 0) == 0) {
      columns = SplitTabs(line.substr(8));
      continue;
    }
    if (line.empty() || line[0] == '#') continue;
    if (columns.empty()) {  // zeek-cut: the first non-comment line is the header
      columns = SplitTabs(line);
      continue;
    }
    const std::vector<std::string> cells = SplitTabs(line);
    ZeekRow row;
    for (size_t i = 0; i < columns.size() && i < cells.size(); ++i) row[columns[i]] = cells[i];
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace dbaudit::e2e
