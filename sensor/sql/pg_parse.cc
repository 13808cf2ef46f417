#include "sensor/sql/pg_parse.h"

#ifdef DBAUDIT_HAVE_PG_QUERY
#include <pg_query.h>
#endif

namespace dbaudit::sensor::sql {

#ifdef DBAUDIT_HAVE_PG_QUERY

bool PgParserAvailable() { return true; }

PgParseResult PgParse(std::string_view sql) {
  const std::string text(sql);  // libpg_query wants a NUL-terminated string
  PgQueryParseResult r = pg_query_parse(text.c_str());
  PgParseResult out;
  out.ok = r.error == nullptr;
  if (out.ok && r.parse_tree != nullptr) {
    // {"version":150001,"stmts":[{"stmt":{"SelectStmt":{...
    const std::string_view tree(r.parse_tree);
    const size_t at = tree.find("\"stmt\":{\"");
    if (at != std::string_view::npos) {
      const size_t b = at + 9;
      const size_t e = tree.find('"', b);
      if (e != std::string_view::npos) out.first_node = std::string(tree.substr(b, e - b));
    }
  }
  pg_query_free_parse_result(r);
  return out;
}

#else

bool PgParserAvailable() { return false; }
PgParseResult PgParse(std::string_view) { return {}; }

#endif

}  // namespace dbaudit::sensor::sql
