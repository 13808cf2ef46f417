// SELECT-like queries, table references and DML (INSERT, UPDATE, DELETE).
#include <algorithm>

#include "sensor/sql/classifier_internal.h"

namespace dbaudit::sensor::sql {

namespace {

// Recursion bound: nested subqueries deeper than this are not descended into.
constexpr int kMaxDepth = 64;

}  // namespace

bool IsClauseWord(std::string_view w) {
  static constexpr std::string_view kWords[] = {
      "where", "group", "order", "having", "limit", "offset", "fetch", "for", "union",
      "intersect", "except", "minus", "join", "inner", "left", "right", "full", "outer",
      "cross", "natural", "straight_join", "on", "using", "set", "window", "returning",
      "values", "value", "select", "into", "lock", "partition", "use", "ignore", "force",
      "tablesample", "as", "lateral", "only", "from", "when", "then", "do", "to", "read",
      "write", "in", "mode", "update", "delete", "insert", "with", "procedure", "low_priority",
      "restart", "continue", "cascade", "restrict", "nowait", "local", "default", "overriding",
      "like", "select", "table", "if", "rename", "add", "modify", "change", "not"};
  for (std::string_view k : kWords) {
    if (EqualsKeyword(w, k)) return true;
  }
  return false;
}

// Words that stand for values, not columns, in a select list.
bool IsValueWord(std::string_view w) {
  static constexpr std::string_view kWords[] = {
      "null", "true", "false", "current_timestamp", "current_date", "current_time",
      "current_user", "session_user", "user", "localtime", "localtimestamp", "default"};
  for (std::string_view k : kWords) {
    if (EqualsKeyword(w, k)) return true;
  }
  return false;
}

std::string Upper(std::string_view w) {
  std::string out(w);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
  }
  return out;
}

// SELECT, WITH or VALUES, possibly behind opening parentheses ("((SELECT ..."). Looks through at
// most kMaxDepth parentheses: a run of '(' must cost neither time nor stack.
bool Scanner::IsQueryStart(size_t i) const {
  for (int n = 0; n <= kMaxDepth && s_.Kind(i) == TokenKind::kLParen; ++n) ++i;
  return s_.Is(i, "select") || s_.Is(i, "with") || s_.Is(i, "values");
}

size_t Scanner::FindWord(size_t b, size_t e, std::string_view word) const {
  for (size_t i = b; i < e;) {
    if (s_.Kind(i) == TokenKind::kLParen) {
      i = s_.SkipParens(i);
      continue;
    }
    if (s_.Is(i, word)) return i;
    ++i;
  }
  return e;
}

// name, schema.name or catalog.schema.name (the catalog is dropped); MySQL GRANT's db.* and *.*.
size_t Scanner::ParseName(size_t i, QualifiedName* n) const {
  std::string parts[3];
  int count = 0;
  while (count < 3) {
    if (s_.IsName(i)) {
      parts[count++] = s_.Name(i);
    } else if (s_.IsOp(i, "*")) {
      parts[count++] = "*";
    } else {
      break;
    }
    ++i;
    if (s_.Kind(i) != TokenKind::kDot) break;
    ++i;
  }
  n->valid = count > 0;
  if (count == 1) n->name = std::move(parts[0]);
  if (count >= 2) {
    n->schema = std::move(parts[count - 2]);
    n->name = std::move(parts[count - 1]);
  }
  return i;
}

size_t Scanner::AddObject(const QualifiedName& n, std::string_view object_type,
                          std::string_view sql_type) {
  OperatedObject o;
  if (object_type == "DATABASE" || object_type == "SCHEMA") {
    o.schema_name = n.name;
  } else {
    o.schema_name = n.schema;
    o.table_name = n.name;
  }
  o.object_type = std::string(object_type);
  o.sql_type = std::string(sql_type);
  for (size_t k = 0; k < out_->objects.size(); ++k) {
    const OperatedObject& x = out_->objects[k].object;
    if (x.schema_name == o.schema_name && x.table_name == o.table_name && x.column_name.empty() &&
        x.object_type == o.object_type && x.sql_type == o.sql_type) {
      return k;
    }
  }
  out_->objects.push_back(ObjectRef{std::move(o), nesting_ > 0, depth_guard_});
  return out_->objects.size() - 1;
}

void Scanner::AddColumn(size_t table_index, std::string column, std::string_view sql_type) {
  if (table_index >= out_->objects.size()) return;
  OperatedObject o = out_->objects[table_index].object;
  o.column_name = std::move(column);
  o.object_type = "COLUMN";
  o.sql_type = std::string(sql_type);
  out_->objects.push_back(ObjectRef{std::move(o), nesting_ > 0, depth_guard_});
}

int Scanner::ResolveTable(const QualifiedName& n) const {
  if (n.schema.empty()) {
    for (const auto& [alias, index] : aliases_) {
      if (alias == n.name) return index;
    }
  }
  for (size_t k = 0; k < out_->objects.size(); ++k) {
    const OperatedObject& o = out_->objects[k].object;
    if (o.object_type == "TABLE" && o.column_name.empty() && o.table_name == n.name &&
        (n.schema.empty() || o.schema_name == n.schema)) {
      return static_cast<int>(k);
    }
  }
  return -1;
}

// [AS] alias [(column aliases)]; MySQL index hints and PARTITION (...) are skipped too.
size_t Scanner::SkipAlias(size_t i, size_t e, int object_index) {
  if (s_.Is(i, "partition") && s_.Kind(i + 1) == TokenKind::kLParen) i = s_.SkipParens(i + 1);
  const bool as = s_.Is(i, "as");
  if (as) ++i;
  if (i < e && s_.IsName(i) && (as || s_.Kind(i) == TokenKind::kQuotedIdent ||
                                !IsClauseWord(s_.Text(i)))) {
    if (object_index >= 0) aliases_.emplace_back(s_.Name(i), object_index);
    ++i;
    if (s_.Kind(i) == TokenKind::kLParen) i = s_.SkipParens(i);
  }
  while ((s_.Is(i, "use") || s_.Is(i, "ignore") || s_.Is(i, "force")) &&
         (s_.Is(i + 1, "index") || s_.Is(i + 1, "key"))) {
    i += 2;
    if (s_.Is(i, "for")) i += s_.Is(i + 1, "group") || s_.Is(i + 1, "order") ? 3 : 2;
    if (s_.Kind(i) == TokenKind::kLParen) i = s_.SkipParens(i);
  }
  return std::min(i, e);
}

size_t Scanner::ScanTableFactor(size_t i, size_t e, const Target& target, int* opaque) {
  while (s_.Is(i, "lateral") || s_.Is(i, "only")) ++i;
  if (s_.Kind(i) == TokenKind::kLParen) {
    const size_t close = std::min(s_.SkipParens(i), e);
    ++nesting_;
    if (IsQueryStart(i + 1)) {
      ++*opaque;  // a derived table: its columns are not a table's
      ScanQuery(i + 1, close - 1, Target{"SELECT"}, ScanMode::kNone);
    } else {
      ScanQuery(i + 1, close - 1, target, ScanMode::kExpectTable);  // (a JOIN b)
    }
    --nesting_;
    return SkipAlias(close, e, -1);
  }
  QualifiedName n;
  const size_t next = ParseName(i, &n);
  if (!n.valid) return i;
  if (s_.Kind(next) == TokenKind::kLParen) {  // table function: generate_series(...), unnest(...)
    ++*opaque;
    const size_t close = std::min(s_.SkipParens(next), e);
    ScanExpr(next + 1, close - 1);
    return SkipAlias(close, e, -1);
  }
  const bool not_a_table = n.schema.empty() &&
                      (std::find(cte_names_.begin(), cte_names_.end(), n.name) != cte_names_.end() ||
                       EqualsKeyword(n.name, "dual"));
  int index = -1;
  if (not_a_table) ++*opaque;
  if (!not_a_table) index = static_cast<int>(AddObject(n, target.object_type, target.sql_type));
  size_t j = next;
  if (s_.IsOp(j, "*")) ++j;  // PostgreSQL: table and its children
  return SkipAlias(j, e, index);
}

// Walks a SELECT-like query at its own parenthesis level; `mode` kExpectTable starts in a FROM
// list (UPDATE targets, TRUNCATE/LOCK/DROP lists, parenthesised joins). Select lists found at
// this level name the columns read.
void Scanner::ScanQuery(size_t b, size_t e, const Target& target, ScanMode mode) {
  if (++depth_guard_ > kMaxDepth) {
    --depth_guard_;
    return;
  }
  QueryLevel level{target, mode, {}};
  for (size_t i = b; i < e;) {
    const TokenKind k = s_.Kind(i);
    if (level.mode == ScanMode::kExpectTable && (k == TokenKind::kLParen || s_.IsName(i)) &&
        !(k == TokenKind::kWord && (s_.Is(i, "select") || s_.Is(i, "values")))) {
      const size_t next = ScanTableFactor(i, e, level.target, &level.opaque);
      level.mode = ScanMode::kAfterTable;
      i = next > i ? next : i + 1;
      continue;
    }
    if (k == TokenKind::kLParen) {
      const size_t close = std::min(s_.SkipParens(i), e);
      ++nesting_;
      if (IsQueryStart(i + 1)) {
        ScanQuery(i + 1, close - 1, Target{"SELECT"}, ScanMode::kNone);
      } else {
        ScanExpr(i + 1, close - 1);
      }
      --nesting_;
      i = close;
      continue;
    }
    if (k == TokenKind::kComma) {
      if (level.mode == ScanMode::kAfterTable || level.mode == ScanMode::kJoinCond) {
        level.mode = ScanMode::kExpectTable;
      }
    } else if (k == TokenKind::kWord) {
      OnQueryWord(i, e, &level);
    }
    ++i;
  }
  const size_t objects_end = out_->objects.size();
  for (size_t k = 0; k < level.lists.size(); ++k) {  // each UNION branch reads its own tables
    const size_t limit = k + 1 < level.lists.size() ? level.lists[k + 1].first_object : objects_end;
    AddSelectColumns(level.lists[k], e, limit, level.opaque == 0);
  }
  --depth_guard_;
}

void Scanner::OnQueryWord(size_t i, size_t e, QueryLevel* level) {
  const std::string_view w = s_.Text(i);
  auto close_list = [&] {
    if (!level->lists.empty() && level->lists.back().end == e) level->lists.back().end = i;
  };
  if (EqualsKeyword(w, "select")) {
    close_list();  // "SELECT a, SELECT b, ...": lists never overlap, so the work stays linear
    level->lists.push_back(SelectList{i + 1, e, out_->objects.size()});
  } else if (EqualsKeyword(w, "from") || EqualsKeyword(w, "join") ||
             EqualsKeyword(w, "straight_join")) {
    close_list();
    level->mode = ScanMode::kExpectTable;
  } else if (EqualsKeyword(w, "on") || EqualsKeyword(w, "using")) {
    level->mode = ScanMode::kJoinCond;
  } else if (EqualsKeyword(w, "union") || EqualsKeyword(w, "intersect") ||
             EqualsKeyword(w, "except") || EqualsKeyword(w, "minus")) {
    close_list();
    out_->union_seen = out_->union_seen || EqualsKeyword(w, "union");
    if (nesting_ == 0) ++nesting_;  // later branches count as nested
    level->target = Target{"SELECT"};
    level->mode = ScanMode::kNone;
  } else if (IsClauseWord(w) && level->mode != ScanMode::kExpectTable &&
             !EqualsKeyword(w, "read") && !EqualsKeyword(w, "write") &&
             !EqualsKeyword(w, "local") && !EqualsKeyword(w, "low_priority")) {
    // (LOCK TABLES a READ LOCAL, b WRITE: lock modes do not end the table list)
    close_list();
    level->mode = ScanMode::kNone;
  }
}

// Plain column references of a select list (c, t.c, c AS x) become COLUMN objects: qualified ones
// of the table their qualifier names, unqualified ones when the query level reads one table.
void Scanner::AddSelectColumns(const SelectList& list, size_t e, size_t limit, bool only_tables) {
  const size_t end = std::min(list.end, e);
  int only_table = -1, tables = 0;
  for (size_t k = list.first_object; k < limit; ++k) {
    const ObjectRef& o = out_->objects[k];
    if (o.level == depth_guard_ && o.object.object_type == "TABLE" && o.object.column_name.empty()) {
      only_table = static_cast<int>(k);
      ++tables;
    }
  }
  size_t i = list.begin;
  while (s_.Is(i, "distinct") || s_.Is(i, "all") || s_.Is(i, "distinctrow")) ++i;
  while (i < end) {
    QualifiedName n;
    const size_t next = ParseName(i, &n);
    size_t item_end = next;
    if (s_.Is(item_end, "as")) ++item_end;
    if (item_end > next || (s_.IsName(item_end) && !IsClauseWord(s_.Text(item_end)))) ++item_end;
    const bool plain = n.valid && n.name != "*" && (item_end >= end || s_.Kind(item_end) == TokenKind::kComma) &&
                       !(n.schema.empty() && s_.Kind(i) == TokenKind::kWord && IsValueWord(s_.Text(i)));
    if (plain) {
      QualifiedName table;
      table.name = n.schema;
      const bool single = tables == 1 && only_tables;
      const int t = n.schema.empty() ? (single ? only_table : -1) : ResolveTable(table);
      if (t >= 0) AddColumn(static_cast<size_t>(t), n.name, "SELECT");
    }
    size_t k = i;  // next top-level comma
    while (k < end && s_.Kind(k) != TokenKind::kComma) {
      k = s_.Kind(k) == TokenKind::kLParen ? s_.SkipParens(k) : k + 1;
    }
    i = k + 1;
  }
}

// An expression: only parenthesised subqueries inside it touch objects.
void Scanner::ScanExpr(size_t b, size_t e) {
  for (size_t i = b; i < e;) {
    if (s_.Kind(i) != TokenKind::kLParen) {
      ++i;
      continue;
    }
    const size_t close = std::min(s_.SkipParens(i), e);
    if (IsQueryStart(i + 1)) {
      ++nesting_;
      ScanQuery(i + 1, close - 1, Target{"SELECT"}, ScanMode::kNone);
      --nesting_;
    } else if (++depth_guard_ <= kMaxDepth) {
      ScanExpr(i + 1, close - 1);
      --depth_guard_;
    } else {
      --depth_guard_;
    }
    i = close;
  }
}

std::string Scanner::ClassifySelect(size_t b, size_t e) {
  const int saved = nesting_;
  ScanQuery(b, e, Target{"SELECT"}, ScanMode::kNone);
  nesting_ = saved;
  for (size_t i = b; i + 1 < e; ++i) {
    if (s_.Kind(i) == TokenKind::kLParen) {
      i = s_.SkipParens(i) - 1;
      continue;
    }
    if (s_.Is(i, "for") && (s_.Is(i + 1, "update") || (s_.Is(i + 1, "no") && s_.Is(i + 3, "update")))) {
      out_->select_for_update = true;
      return "SELECT_FOR_UPDATE";
    }
  }
  return "SELECT";
}

// WITH [RECURSIVE] name [(cols)] AS [NOT] [MATERIALIZED] (body) [, ...]: returns the index of
// the main statement.
size_t Scanner::ParseCtes(size_t i, size_t e) {
  if (s_.Is(i, "recursive")) ++i;
  std::vector<std::pair<size_t, size_t>> bodies;
  while (i < e && s_.IsName(i)) {
    cte_names_.push_back(s_.Name(i));
    ++i;
    if (s_.Kind(i) == TokenKind::kLParen) i = s_.SkipParens(i);
    if (s_.Is(i, "as")) ++i;
    if (s_.Is(i, "not")) ++i;
    if (s_.Is(i, "materialized")) ++i;
    if (s_.Kind(i) != TokenKind::kLParen) break;
    const size_t close = std::min(s_.SkipParens(i), e);
    bodies.emplace_back(i + 1, close - 1);
    i = close;
    if (s_.Kind(i) != TokenKind::kComma) break;
    ++i;
  }
  for (const auto& [b, end] : bodies) {
    if (++depth_guard_ <= kMaxDepth) ClassifyRange(b, end);
    --depth_guard_;
  }
  return i;
}

}  // namespace dbaudit::sensor::sql
