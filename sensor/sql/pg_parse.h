// Optional check against the real PostgreSQL grammar (libpg_query, Debian libpg-query-dev).
// It costs ~10-20 us per statement, so the analyzer only calls it on the slow path for
// PostgreSQL statements that already raised a signal or that the own classifier calls OTHER:
// a statement the server grammar rejects adds the "unparsed" signal. Built without libpg_query,
// PgParserAvailable() is false and PgParse reports nothing.
#pragma once

#include <string>
#include <string_view>

namespace dbaudit::sensor::sql {

struct PgParseResult {
  bool ok = false;         // the grammar accepted the text
  std::string first_node;  // e.g. "SelectStmt", "CreateFunctionStmt"
};

bool PgParserAvailable();
// PRE: PgParserAvailable(). Thread-safe (libpg_query keeps per-thread memory contexts).
PgParseResult PgParse(std::string_view sql);

}  // namespace dbaudit::sensor::sql
