// INSERT / REPLACE, UPDATE and DELETE: which table is written, which are only read.
#include <algorithm>

#include "sensor/sql/classifier_internal.h"

namespace dbaudit::sensor::sql {

namespace {

bool IsWordIn(const TokenSpan& s, size_t i, std::initializer_list<std::string_view> words) {
  for (std::string_view w : words) {
    if (s.Is(i, w)) return true;
  }
  return false;
}

}  // namespace

// INSERT [LOW_PRIORITY|DELAYED|HIGH_PRIORITY] [IGNORE] [INTO] t [PARTITION (..)] [AS a] [(cols)]
//   {VALUES (..) | SELECT .. | WITH .. | TABLE t2 | SET c = .. | DEFAULT VALUES} [ON ..]
std::string Scanner::ClassifyInsert(size_t i, size_t e, std::string_view kind) {
  while (IsWordIn(s_, i, {"low_priority", "delayed", "high_priority", "ignore", "into"})) ++i;
  QualifiedName n;
  i = ParseName(i, &n);
  if (!n.valid) return std::string(kind);
  const size_t table = AddObject(n, "TABLE", kind);
  if (s_.Is(i, "partition") && s_.Kind(i + 1) == TokenKind::kLParen) i = s_.SkipParens(i + 1);
  if (s_.Is(i, "as") && s_.IsName(i + 1)) i += 2;
  if (s_.Kind(i) == TokenKind::kLParen && !IsQueryStart(i + 1)) {
    const size_t close = std::min(s_.SkipParens(i), e);
    for (size_t k = i + 1; k + 1 < close; ++k) {
      if (s_.IsName(k) && (s_.Kind(k + 1) == TokenKind::kComma || k + 2 == close)) {
        AddColumn(table, s_.Name(k), kind);
      }
    }
    i = close;
  }
  if (s_.Is(i, "overriding")) i += 3;  // OVERRIDING {SYSTEM|USER} VALUE
  if (s_.Is(i, "set")) {
    const size_t end = FindWord(i + 1, e, "on");
    ParseAssignments(i + 1, end, table, kind);
    ScanExpr(i + 1, e);
    return std::string(kind);
  }
  const bool from_query = (IsQueryStart(i) && !s_.Is(i, "values")) || s_.Is(i, "table");
  if (s_.Is(i, "table")) {
    ScanQuery(i + 1, e, Target{"SELECT"}, ScanMode::kExpectTable);
  } else if (from_query) {
    ClassifyRange(i, e);
  } else {
    ScanExpr(i, e);
  }
  if (from_query && kind == "INSERT") return "INSERT_SELECT";
  return std::string(kind);
}

// col = expr [, ...]; PostgreSQL also (a, b) = (...). Assigned columns become COLUMN objects of
// the table their qualifier names (or of `first_target` when unqualified).
void Scanner::ParseAssignments(size_t b, size_t e, size_t first_target,
                               std::string_view sql_type) {
  size_t i = b;
  while (i < e) {
    QualifiedName n;
    const size_t next = ParseName(i, &n);
    if (n.valid && s_.IsOp(next, "=")) {
      int table = static_cast<int>(first_target);
      if (!n.schema.empty()) {
        QualifiedName q;
        q.name = n.schema;
        table = ResolveTable(q);
      }
      if (table >= 0) {
        out_->objects[table].object.sql_type = std::string(sql_type);
        AddColumn(table, n.name, sql_type);
      }
    }
    // Skip to the next top-level comma.
    size_t k = next > i ? next : i + 1;
    while (k < e && s_.Kind(k) != TokenKind::kComma) {
      k = s_.Kind(k) == TokenKind::kLParen ? s_.SkipParens(k) : k + 1;
    }
    i = k + 1;
  }
}

// UPDATE [LOW_PRIORITY] [IGNORE] refs SET assignments [FROM refs] [WHERE ..]. With several
// tables (MySQL multi-table UPDATE), only the tables whose columns are assigned are UPDATE.
std::string Scanner::ClassifyUpdate(size_t i, size_t e) {
  while (IsWordIn(s_, i, {"low_priority", "ignore"})) ++i;
  const size_t set = FindWord(i, e, "set");
  const size_t first = out_->objects.size();
  ScanQuery(i, set, Target{"SELECT"}, ScanMode::kExpectTable);
  const size_t targets = out_->objects.size() - first;
  if (targets == 1) out_->objects[first].object.sql_type = "UPDATE";
  if (set < e) {
    const size_t end = std::min({FindWord(set + 1, e, "where"), FindWord(set + 1, e, "from"),
                                 FindWord(set + 1, e, "order"), FindWord(set + 1, e, "limit"),
                                 FindWord(set + 1, e, "returning")});
    if (targets >= 1) ParseAssignments(set + 1, end, first, "UPDATE");
    ScanQuery(set + 1, e, Target{"SELECT"}, ScanMode::kNone);
  }
  return "UPDATE";
}

void Scanner::MarkDeleteTargets(const std::vector<QualifiedName>& targets) {
  for (const QualifiedName& t : targets) {
    const int k = ResolveTable(t);
    if (k >= 0) {
      out_->objects[k].object.sql_type = "DELETE";
    } else {
      AddObject(t, "TABLE", "DELETE");
    }
  }
}

// DELETE [LOW_PRIORITY] [QUICK] [IGNORE]
//   FROM t [AS a] [USING refs] [WHERE ..]     single table, PostgreSQL USING
//   t1[.*], t2 FROM refs [WHERE ..]           MySQL multi-table
//   FROM t1, t2 USING refs [WHERE ..]         MySQL multi-table
std::string Scanner::ClassifyDelete(size_t i, size_t e) {
  while (IsWordIn(s_, i, {"low_priority", "quick", "ignore"})) ++i;
  std::vector<QualifiedName> targets;
  auto read_targets = [&](size_t b, size_t end) {
    for (size_t k = b; k < end;) {
      QualifiedName n;
      k = ParseName(k, &n);
      if (n.valid && n.name == "*") {  // t.*
        n.name = n.schema;
        n.schema.clear();
      }
      if (n.valid) targets.push_back(n);
      while (k < end && s_.Kind(k) != TokenKind::kComma) ++k;
      ++k;
    }
  };
  if (s_.Is(i, "from")) {
    const size_t using_at = FindWord(i + 1, e, "using");
    if (using_at == e) {
      ScanQuery(i + 1, e, Target{"DELETE"}, ScanMode::kExpectTable);
      return "DELETE";
    }
    read_targets(i + 1, using_at);
    ScanQuery(using_at + 1, e, Target{"SELECT"}, ScanMode::kExpectTable);
  } else {
    const size_t from = FindWord(i, e, "from");
    read_targets(i, from);
    if (from < e) ScanQuery(from + 1, e, Target{"SELECT"}, ScanMode::kExpectTable);
  }
  MarkDeleteTargets(targets);
  return "DELETE";
}

}  // namespace dbaudit::sensor::sql
