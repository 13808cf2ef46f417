// Statement classifier: query_type and operated objects from a statement's tokens.
//
// A small recursive scanner, not a full grammar: it finds the statement kind from the leading
// keywords, then walks the token stream with a "where a table name may stand" state (after FROM,
// JOIN, a comma in a FROM list, INTO, UPDATE, TABLE ...), descending into parenthesised
// subqueries, CTE bodies and INSERT ... SELECT sources. Unknown constructs never stop it: the
// worst case is a missing object and query_type OTHER.
#pragma once

#include <string>
#include <vector>

#include "sensor/record/record.h"
#include "sensor/sql/token_span.h"

namespace dbaudit::sensor::sql {

struct ObjectRef {
  OperatedObject object;
  bool nested = false;  // found in a subquery or a UNION branch, not the statement's own FROM
  int level = 0;        // query nesting level it was found at (internal)
};

struct Classification {
  std::string query_type;
  std::vector<ObjectRef> objects;
  bool unbalanced_parens = false;
  bool select_for_update = false;
  bool union_seen = false;
};

// PRE: `tokens` holds one statement without comments (a trailing ';' is allowed).
void Classify(const TokenSpan& tokens, Classification* out);

}  // namespace dbaudit::sensor::sql
