// A read-only view of one statement's tokens (comments already removed) with the small helpers
// the classifier and the injection heuristics share.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "sensor/sql/lexer.h"

namespace dbaudit::sensor::sql {

class TokenSpan {
 public:
  TokenSpan(std::string_view src, const Token* tokens, size_t size, Dialect dialect)
      : src_(src), tokens_(tokens), size_(size), dialect_(dialect) {}

  size_t size() const { return size_; }
  Dialect dialect() const { return dialect_; }
  std::string_view src() const { return src_; }
  const Token& operator[](size_t i) const { return tokens_[i]; }
  TokenKind Kind(size_t i) const { return i < size_ ? tokens_[i].kind : TokenKind::kEnd; }
  std::string_view Text(size_t i) const { return i < size_ ? tokens_[i].Text(src_) : ""; }

  // True when token i is the bare word `lower_keyword` (case-insensitive).
  bool Is(size_t i, std::string_view lower_keyword) const {
    return i < size_ && tokens_[i].kind == TokenKind::kWord &&
           EqualsKeyword(tokens_[i].Text(src_), lower_keyword);
  }
  bool IsOp(size_t i, std::string_view op) const {
    return i < size_ && tokens_[i].kind == TokenKind::kOperator && tokens_[i].Text(src_) == op;
  }
  bool IsLiteral(size_t i) const {
    const TokenKind k = Kind(i);
    return k == TokenKind::kString || k == TokenKind::kNumber;
  }
  bool IsName(size_t i) const {
    const TokenKind k = Kind(i);
    return k == TokenKind::kWord || k == TokenKind::kQuotedIdent;
  }

  // Index just past the ')' matching the '(' at `open`, or size() when unbalanced. O(1) once
  // MatchParens() ran, else a scan.
  size_t SkipParens(size_t open) const {
    if (match_ != nullptr && open < size_) return match_[open];
    int depth = 0;
    for (size_t i = open; i < size_; ++i) {
      if (tokens_[i].kind == TokenKind::kLParen) ++depth;
      if (tokens_[i].kind == TokenKind::kRParen && --depth == 0) return i + 1;
    }
    return size_;
  }

  // Precomputes every '(' -> index after its ')' so hostile nesting costs linear time.
  // PRE: `storage` outlives this span and its copies.
  void MatchParens(std::vector<uint32_t>* storage) {
    storage->assign(size_, static_cast<uint32_t>(size_));
    std::vector<uint32_t> open;
    for (size_t i = 0; i < size_; ++i) {
      if (tokens_[i].kind == TokenKind::kLParen) open.push_back(static_cast<uint32_t>(i));
      if (tokens_[i].kind == TokenKind::kRParen && !open.empty()) {
        (*storage)[open.back()] = static_cast<uint32_t>(i + 1);
        open.pop_back();
      }
    }
    match_ = storage->data();
  }

  // Identifier value: quotes removed (doubled quotes undone); PostgreSQL folds unquoted names to
  // lower case the way the server resolves them.
  std::string Name(size_t i) const {
    std::string_view t = Text(i);
    if (Kind(i) == TokenKind::kQuotedIdent) {
      if (t.size() > 2 && (t[0] == 'U' || t[0] == 'u') && t[1] == '&') t.remove_prefix(2);
      const char q = t.empty() ? '"' : t[0];
      t = t.size() >= 2 ? t.substr(1, t.size() - 2) : std::string_view();
      std::string out;
      for (size_t k = 0; k < t.size(); ++k) {
        out.push_back(t[k]);
        if (t[k] == q && k + 1 < t.size() && t[k + 1] == q) ++k;
      }
      return out;
    }
    std::string out(t);
    if (dialect_ == Dialect::kPostgresql) {
      for (char& c : out) c = AsciiLower(c);
    }
    return out;
  }

 private:
  std::string_view src_;
  const Token* tokens_;
  size_t size_;
  Dialect dialect_;
  const uint32_t* match_ = nullptr;
};

// Content of a string literal token without prefix and quotes (escapes left as written).
std::string_view StringBody(std::string_view token_text);

}  // namespace dbaudit::sensor::sql
