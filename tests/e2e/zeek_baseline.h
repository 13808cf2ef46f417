// Reads Zeek's own logs (the conformance oracle in ../shared/corpus/zeek/baselines): mysql.log
// in Zeek's TSV format ("#fields" header) and zeek-cut output ("*.cut": a comment line, then a
// tab-separated header line).
#pragma once

#include <map>
#include <string>
#include <vector>

namespace dbaudit::e2e {

using ZeekRow = std::map<std::string, std::string>;  // column name -> value as logged

// Rows in file order; empty when the file cannot be read or has no header.
std::vector<ZeekRow> ReadZeekLog(const std::string& path);

}  // namespace dbaudit::e2e
