// The classifier's scanner, shared by classifier.cc (statement kinds, DDL/DCL) and
// query_scanner.cc (SELECT-like queries, table references, DML).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sensor/sql/classifier.h"

namespace dbaudit::sensor::sql {

struct QualifiedName {
  std::string schema;
  std::string name;
  bool valid = false;
};

// What a table found in a FROM-like position is recorded as.
struct Target {
  std::string_view sql_type;
  std::string_view object_type = "TABLE";
};

enum class ScanMode { kNone, kExpectTable, kAfterTable, kJoinCond };

// A select list [begin, end) and the first object index of its query level.
struct SelectList {
  size_t begin;
  size_t end;
  size_t first_object;
};

struct QueryLevel {
  Target target;
  ScanMode mode;
  std::vector<SelectList> lists;
  int opaque = 0;  // FROM items that are not tables (CTEs, derived tables, table functions)
};

class Scanner {
 public:
  Scanner(const TokenSpan& s, Classification* out) : s_(s), out_(out) {}

  // Classifies tokens [b, e) as one statement; returns its query_type.
  std::string ClassifyRange(size_t b, size_t e);

  // query_scanner.cc
  void ScanQuery(size_t b, size_t e, const Target& target, ScanMode mode);
  void ScanExpr(size_t b, size_t e);
  size_t ParseName(size_t i, QualifiedName* name) const;
  size_t AddObject(const QualifiedName& n, std::string_view object_type, std::string_view sql_type);
  void AddColumn(size_t table_index, std::string column, std::string_view sql_type);
  std::string ClassifyInsert(size_t i, size_t e, std::string_view kind);
  std::string ClassifyUpdate(size_t i, size_t e);
  std::string ClassifyDelete(size_t i, size_t e);
  std::string ClassifySelect(size_t b, size_t e);
  size_t ParseCtes(size_t i, size_t e);
  bool IsQueryStart(size_t i) const;
  size_t FindWord(size_t b, size_t e, std::string_view word) const;
  int ResolveTable(const QualifiedName& n) const;

  // classifier.cc
  std::string ClassifyCreate(size_t i, size_t e);
  void ClassifyCreateIndex(size_t i, size_t e, const std::string& type);
  void ClassifyCreateSource(size_t i, size_t e);
  std::string ClassifyDrop(size_t i, size_t e);
  std::string ClassifyAlter(size_t i, size_t e);
  std::string ClassifyGrant(size_t i, size_t e, std::string_view kind);
  size_t ParseUser(size_t i, std::string* user) const;
  void AddUserList(size_t i, size_t e, std::string_view object_type, std::string_view sql_type);

 private:
  size_t ScanTableFactor(size_t i, size_t e, const Target& target, int* opaque);
  void OnQueryWord(size_t i, size_t e, QueryLevel* level);
  void AddSelectColumns(const SelectList& list, size_t e, size_t limit, bool only_tables);
  size_t SkipAlias(size_t i, size_t e, int object_index);
  std::string ClassifyExplain(size_t i, size_t e);
  std::string ClassifyMisc(size_t i, size_t e);
  std::string ClassifyCall(size_t i, size_t e);
  std::string ClassifyUse(size_t i, size_t e);
  std::string ClassifySet(size_t i, size_t e);
  std::string ClassifyTableList(size_t i, size_t e);
  std::string ClassifyCopy(size_t i, size_t e);
  std::string ClassifyLoad(size_t i, size_t e);
  std::string ClassifyMerge(size_t i, size_t e);
  std::string ClassifyRename(size_t i, size_t e);
  std::string ClassifyPrepare(size_t i, size_t e);
  std::string ClassifyDeclare(size_t i, size_t e);
  std::string ClassifyTransaction(size_t i, size_t e);
  void MarkDeleteTargets(const std::vector<QualifiedName>& targets);
  void ParseAssignments(size_t b, size_t e, size_t first_target, std::string_view sql_type);

  const TokenSpan& s_;
  Classification* out_;
  std::vector<std::string> cte_names_;
  std::vector<std::pair<std::string, int>> aliases_;  // alias -> index in out_->objects
  int nesting_ = 0;
  int depth_guard_ = 0;  // recursion bound for hostile inputs
};

// Words that end a FROM list or can never be a table alias.
bool IsClauseWord(std::string_view w);
bool IsValueWord(std::string_view w);
std::string Upper(std::string_view w);

}  // namespace dbaudit::sensor::sql
