#include "sensor/sql/splitter.h"

#include "sensor/sql/lexer.h"

namespace dbaudit::sensor::sql {

namespace {

// Tracks whether a ';' ends the statement or sits inside a stored-program body.
//
// MySQL/MariaDB: CREATE PROCEDURE/FUNCTION/TRIGGER/EVENT bodies (and MariaDB's top-level
// BEGIN NOT ATOMIC) are compound statements whose inner ';' belong to the body; blocks open with
// BEGIN, CASE, IF, LOOP, REPEAT, WHILE and close with END [IF|LOOP|...].
// PostgreSQL: CREATE FUNCTION/PROCEDURE ... BEGIN ATOMIC ... END (SQL-standard bodies); inside,
// CASE ... END nests. This is the rule psql applies before it sends a statement.
class BlockTracker {
 public:
  BlockTracker(Dialect dialect, std::string_view text) : dialect_(dialect), text_(text) {}

  void Reset() {
    words_ = 0;
    routine_ = false;
    depth_ = 0;
    after_end_ = false;
    prev_ = TokenKind::kEnd;
    pending_ = kNone;
    first_is_create_ = false;
  }
  bool InsideBody() const { return depth_ > 0; }

  void Feed(const Token& t) {
    if (pending_ != kNone) Resolve(t);
    if (t.kind == TokenKind::kWord) {
      OnWord(t.Text(text_));
    } else {
      after_end_ = false;
    }
    prev_ = t.kind;
  }

 private:
  enum Pending { kNone, kIfOpener, kBeginOpener, kFuncOpener };

  // Some openers depend on the next token: IF( and REPEAT( are functions, IF [NOT] EXISTS is DDL,
  // "BEGIN ATOMIC" (PostgreSQL) and "BEGIN NOT ATOMIC" (MariaDB) open bodies.
  void Resolve(const Token& t) {
    const std::string_view w = t.kind == TokenKind::kWord ? t.Text(text_) : std::string_view();
    const Pending p = pending_;
    pending_ = kNone;
    if (p == kFuncOpener && t.kind != TokenKind::kLParen) ++depth_;
    if (p == kIfOpener && t.kind != TokenKind::kLParen && !EqualsKeyword(w, "exists") &&
        !EqualsKeyword(w, "not")) {
      ++depth_;
    }
    if (p == kBeginOpener && (EqualsKeyword(w, "atomic") || EqualsKeyword(w, "not"))) {
      ++depth_;
      routine_ = true;
    }
  }

  void OnWord(std::string_view w) {
    ++words_;
    if (words_ == 1) {
      if (dialect_ == Dialect::kMysql && EqualsKeyword(w, "begin")) pending_ = kBeginOpener;
      return;
    }
    if (words_ <= 12 && !routine_ && prev_ != TokenKind::kDot) routine_ = IsRoutineWord(w);
    if (!routine_) return;
    const bool was_end = after_end_;
    after_end_ = false;
    if (EqualsKeyword(w, "end")) {
      if (depth_ > 0) --depth_;
      after_end_ = true;
      return;
    }
    if (was_end) return;  // END IF / END LOOP / END CASE ... close, they do not open
    if (dialect_ == Dialect::kPostgresql) {
      if (EqualsKeyword(w, "begin")) pending_ = kBeginOpener;
      if (EqualsKeyword(w, "case") && depth_ > 0) ++depth_;
      return;
    }
    if (EqualsKeyword(w, "begin") || EqualsKeyword(w, "case") || EqualsKeyword(w, "loop") ||
        EqualsKeyword(w, "while")) {
      ++depth_;
    } else if (EqualsKeyword(w, "if") && depth_ > 0) {
      pending_ = kIfOpener;
    } else if (EqualsKeyword(w, "repeat") && depth_ > 0) {
      pending_ = kFuncOpener;
    }
  }

  bool IsRoutineWord(std::string_view w) const {
    if (EqualsKeyword(w, "procedure") || EqualsKeyword(w, "function")) return first_is_create_;
    if (dialect_ == Dialect::kMysql &&
        (EqualsKeyword(w, "trigger") || EqualsKeyword(w, "event"))) {
      return first_is_create_;
    }
    return false;
  }

 public:
  void SetFirstWord(std::string_view w) { first_is_create_ = EqualsKeyword(w, "create"); }

 private:
  Dialect dialect_;
  std::string_view text_;
  int words_ = 0;
  bool routine_ = false;
  bool first_is_create_ = false;
  int depth_ = 0;
  bool after_end_ = false;
  TokenKind prev_ = TokenKind::kEnd;
  Pending pending_ = kNone;
};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

std::vector<std::string_view> SplitStatements(Dialect dialect, std::string_view sql) {
  LexOptions options;
  options.dialect = dialect;
  return SplitStatements(options, sql);
}

std::vector<std::string_view> SplitStatements(const LexOptions& options, std::string_view sql) {
  std::vector<std::string_view> out;
  Lexer lexer(sql, options);
  BlockTracker blocks(options.dialect, sql);
  size_t start = 0;
  bool has_code = false;  // a statement made only of comments is dropped like ";;"
  auto finish = [&](size_t end) {
    const std::string_view s = Trim(sql.substr(start, end - start));
    if (has_code && !s.empty()) out.push_back(s);
    has_code = false;
    blocks.Reset();
  };
  for (Token t = lexer.Next(); t.kind != TokenKind::kEnd; t = lexer.Next()) {
    if (t.kind == TokenKind::kComment) continue;
    if (t.kind == TokenKind::kSemicolon && !blocks.InsideBody()) {
      finish(t.begin);
      start = t.end;
      continue;
    }
    if (!has_code && t.kind == TokenKind::kWord) blocks.SetFirstWord(t.Text(sql));
    has_code = true;
    blocks.Feed(t);
  }
  finish(sql.size());
  return out;
}

}  // namespace dbaudit::sensor::sql
