// Statement kinds, DDL, DCL and the small statements (SET, SHOW, transactions, ...).
#include "sensor/sql/classifier.h"

#include <algorithm>

#include "sensor/sql/classifier_internal.h"

namespace dbaudit::sensor::sql {

namespace {

// Object kinds that CREATE/DROP/ALTER name in query_type (CREATE_<KIND>); others give the bare
// verb. Two-word kinds are folded: MATERIALIZED VIEW -> VIEW, FOREIGN TABLE -> TABLE.
constexpr std::string_view kObjectKinds[] = {
    "table",     "tablespace", "user",      "role",   "index",     "database",
    "schema",    "view",       "function",  "procedure", "trigger", "sequence",
    "event",     "extension",  "type",      "domain", "server",    "policy",
    "rule",      "publication", "subscription"};

// Words that may stand between CREATE/DROP/ALTER and the object kind.
bool IsDdlModifier(const TokenSpan& s, size_t i) {
  static constexpr std::string_view kWords[] = {
      "or", "replace", "temporary", "temp", "unlogged", "global", "local", "unique",
      "fulltext", "spatial", "online", "offline", "aggregate", "recursive", "materialized",
      "trusted", "procedural", "foreign", "constraint", "ignore", "definer", "algorithm",
      "sql", "security", "invoker", "undefined", "merge", "temptable", "external"};
  for (std::string_view w : kWords) {
    if (s.Is(i, w)) return true;
  }
  return false;
}

// Skips DDL modifiers, including "DEFINER = user" and "ALGORITHM = x"; returns the kind index.
size_t SkipDdlModifiers(const TokenSpan& s, size_t i, size_t e) {
  while (i < e) {
    if (IsDdlModifier(s, i)) {
      ++i;
    } else if (s.IsOp(i, "=")) {
      ++i;
      if (i < e) ++i;                                           // the value
      if (s.Kind(i) == TokenKind::kVariable) ++i;               // user@host
      if (s.Kind(i) == TokenKind::kLParen) i = s.SkipParens(i);  // CURRENT_USER()
    } else {
      break;
    }
  }
  return i;
}

size_t SkipIfExists(const TokenSpan& s, size_t i) {
  if (s.Is(i, "if") && s.Is(i + 1, "not") && s.Is(i + 2, "exists")) return i + 3;
  if (s.Is(i, "if") && s.Is(i + 1, "exists")) return i + 2;
  return i;
}

// The object kind CREATE/DROP/ALTER name at i, "" when none; MySQL's SCHEMA is DATABASE.
std::string ObjectKindAt(const TokenSpan& s, size_t i) {
  for (std::string_view k : kObjectKinds) {
    if (s.Is(i, k)) {
      if (k == "schema" && s.dialect() == Dialect::kMysql) return "database";
      return std::string(k);
    }
  }
  return {};
}

}  // namespace

void Classify(const TokenSpan& tokens, Classification* out) {
  int depth = 0;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens.Kind(i) == TokenKind::kLParen) ++depth;
    if (tokens.Kind(i) == TokenKind::kRParen && --depth < 0) out->unbalanced_parens = true;
  }
  if (depth != 0) out->unbalanced_parens = true;
  size_t e = tokens.size();
  while (e > 0 && tokens.Kind(e - 1) == TokenKind::kSemicolon) --e;
  Scanner scanner(tokens, out);
  out->query_type = scanner.ClassifyRange(0, e);
}

std::string Scanner::ClassifyRange(size_t b, size_t e) {
  size_t i = b;
  while (s_.Kind(i) == TokenKind::kLParen && i < e) ++i;
  if (i >= e) return "OTHER";
  if (s_.Is(i, "select") || s_.Is(i, "values")) return ClassifySelect(b, e);
  if (s_.Is(i, "with")) {
    const size_t main = ParseCtes(i + 1, e);
    return main < e ? ClassifyRange(main, e) : "OTHER";
  }
  if (s_.Is(i, "table") && s_.dialect() == Dialect::kPostgresql) {
    ScanQuery(i + 1, e, Target{"SELECT"}, ScanMode::kExpectTable);
    return "SELECT";
  }
  if (s_.Is(i, "insert")) return ClassifyInsert(i + 1, e, "INSERT");
  if (s_.Is(i, "replace")) return ClassifyInsert(i + 1, e, "REPLACE");
  if (s_.Is(i, "update")) return ClassifyUpdate(i + 1, e);
  if (s_.Is(i, "delete")) return ClassifyDelete(i + 1, e);
  if (s_.Is(i, "create")) return ClassifyCreate(i + 1, e);
  if (s_.Is(i, "drop")) return ClassifyDrop(i + 1, e);
  if (s_.Is(i, "alter")) return ClassifyAlter(i + 1, e);
  if (s_.Is(i, "grant")) return ClassifyGrant(i + 1, e, "GRANT");
  if (s_.Is(i, "revoke")) return ClassifyGrant(i + 1, e, "REVOKE");
  if (s_.Is(i, "explain") || s_.Is(i, "describe") || s_.Is(i, "desc")) {
    return ClassifyExplain(i + 1, e);
  }
  return ClassifyMisc(i, e);
}

std::string Scanner::ClassifyCreate(size_t i, size_t e) {
  i = SkipDdlModifiers(s_, i, e);
  const std::string kind = ObjectKindAt(s_, i);
  if (kind.empty()) {
    ScanExpr(i, e);
    return "CREATE";
  }
  const std::string type = "CREATE_" + Upper(kind);
  i = SkipIfExists(s_, i + 1);
  if (kind == "user" || kind == "role") {
    AddUserList(i, e, Upper(kind), type);
    return type;
  }
  if (kind == "index") {
    ClassifyCreateIndex(i, e, type);
    return type;
  }
  QualifiedName n;
  i = ParseName(i, &n);
  const std::string object_type = Upper(kind);
  if (n.valid) AddObject(n, object_type, type);
  if (kind == "trigger") {
    const size_t on = FindWord(i, e, "on");
    QualifiedName table;
    if (on < e && ParseName(on + 1, &table) > on + 1) AddObject(table, "TABLE", type);
    return type;
  }
  if (kind == "table" || kind == "view") ClassifyCreateSource(i, e);
  return type;
}

// CREATE [UNIQUE] INDEX [CONCURRENTLY] [IF NOT EXISTS] [name] ON [ONLY] table ...
void Scanner::ClassifyCreateIndex(size_t i, size_t e, const std::string& type) {
  if (s_.Is(i, "concurrently")) i = SkipIfExists(s_, i + 1);
  QualifiedName index_name;
  if (!s_.Is(i, "on")) i = ParseName(i, &index_name);
  const size_t on = FindWord(i, e, "on");
  QualifiedName table;
  size_t t = on + 1;
  if (s_.Is(t, "only")) ++t;
  if (on < e) ParseName(t, &table);
  if (index_name.valid) {
    if (index_name.schema.empty()) index_name.schema = table.schema;
    AddObject(index_name, "INDEX", type);
  }
  if (table.valid) AddObject(table, "TABLE", type);
}

// What CREATE TABLE/VIEW reads: AS SELECT ..., LIKE t, (LIKE t), subqueries.
void Scanner::ClassifyCreateSource(size_t i, size_t e) {
  const size_t like = FindWord(i, e, "like");
  QualifiedName src;
  if (like < e && ParseName(like + 1, &src) > like + 1) AddObject(src, "TABLE", "SELECT");
  if (s_.Kind(i) == TokenKind::kLParen && s_.Is(i + 1, "like") &&
      ParseName(i + 2, &src) > i + 2) {
    AddObject(src, "TABLE", "SELECT");
  }
  const size_t as = FindWord(i, e, "as");
  size_t q = as < e ? as + 1 : i;
  while (q < e && !IsQueryStart(q)) ++q;
  if (q < e) ClassifyRange(q, e);
}

std::string Scanner::ClassifyDrop(size_t i, size_t e) {
  i = SkipDdlModifiers(s_, i, e);
  const std::string kind = ObjectKindAt(s_, i);
  if (kind.empty()) return "DROP";
  const std::string type = "DROP_" + Upper(kind);
  i = SkipIfExists(s_, i + 1);
  if (s_.Is(i, "concurrently")) i = SkipIfExists(s_, i + 1);
  if (kind == "user" || kind == "role") {
    AddUserList(i, e, Upper(kind), type);
    return type;
  }
  const std::string object_type = Upper(kind);
  while (i < e) {  // name [(args)] [ON table] [, ...]
    QualifiedName n;
    const size_t next = ParseName(i, &n);
    if (!n.valid) break;
    AddObject(n, object_type, type);
    i = next;
    if (s_.Kind(i) == TokenKind::kLParen) i = s_.SkipParens(i);
    if (s_.Is(i, "on")) {
      QualifiedName table;
      i = ParseName(i + 1, &table);
      if (table.valid) AddObject(table, "TABLE", type);
    }
    if (s_.Kind(i) != TokenKind::kComma) break;
    ++i;
  }
  return type;
}

std::string Scanner::ClassifyAlter(size_t i, size_t e) {
  i = SkipDdlModifiers(s_, i, e);
  const std::string kind = ObjectKindAt(s_, i);
  if (kind.empty()) return "ALTER";
  const std::string type = "ALTER_" + Upper(kind);
  i = SkipIfExists(s_, i + 1);
  if (s_.Is(i, "only")) ++i;
  if (kind == "user" || kind == "role") {
    AddUserList(i, e, Upper(kind), type);
    return type;
  }
  const std::string object_type = Upper(kind);
  QualifiedName n;
  i = ParseName(i, &n);
  if (n.valid) AddObject(n, object_type, type);
  const size_t refs = FindWord(i, e, "references");
  QualifiedName ref;
  if (refs < e && ParseName(refs + 1, &ref) > refs + 1) AddObject(ref, "TABLE", "REFERENCES");
  return type;
}

}  // namespace dbaudit::sensor::sql
