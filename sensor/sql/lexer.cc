#include "sensor/sql/lexer.h"

#include <algorithm>
#include <cctype>
#include <limits>

namespace dbaudit::sensor::sql {

namespace {

Token MakeToken(TokenKind kind, uint8_t flags, uint32_t begin, uint32_t end) {
  Token t;
  t.kind = kind;
  t.flags = flags;
  t.begin = begin;
  t.end = end;
  return t;
}

bool IsOperatorChar(unsigned char c) {
  switch (c) {
    case '+': case '-': case '*': case '/': case '<': case '>': case '=': case '~':
    case '!': case '@': case '#': case '%': case '^': case '&': case '|': case '`':
    case '?': case ':':
      return true;
    default:
      return false;
  }
}

// Multi-character operators both dialects share (longest first). Anything else is one character,
// which keeps "a=-1" as "=" "-" "1" so a signed literal normalises the same everywhere.
constexpr std::string_view kMultiCharOps[] = {
    "<=>", "->>", "!~*", "<>", "!=", "<=", ">=", "||", "&&", "::", ":=", "->",
    "<<",  ">>",  "~*",  "!~", "@>", "<@", "#>", "?|", "?&", "~~", "@@",
};

}  // namespace

bool EqualsKeyword(std::string_view word, std::string_view lower_keyword) {
  if (word.size() != lower_keyword.size()) return false;
  for (size_t i = 0; i < word.size(); ++i) {
    if (AsciiLower(word[i]) != lower_keyword[i]) return false;
  }
  return true;
}

Lexer::Lexer(std::string_view text, const LexOptions& options)
    : text_(text.substr(0, std::min<size_t>(text.size(), std::numeric_limits<uint32_t>::max()))),
      size_(static_cast<uint32_t>(text_.size())),
      opt_(options) {}

Token Lexer::Next() {
  while (pos_ < size_ && IsSpace(text_[pos_])) ++pos_;
  if (pos_ >= size_) return MakeToken(TokenKind::kEnd, 0, size_, size_);
  const uint32_t start = pos_;
  const unsigned char c = text_[pos_];
  const bool mysql = opt_.dialect == Dialect::kMysql;
  if (c == '\'') {
    const bool bs = mysql ? !opt_.no_backslash_escapes : !opt_.standard_conforming_strings;
    return LexQuoted(start, start + 1, '\'', bs, TokenKind::kString, bs ? kBackslashEsc : 0);
  }
  if (c == '"') {
    if (mysql && !opt_.ansi_quotes) {
      const bool bs = !opt_.no_backslash_escapes;
      return LexQuoted(start, start + 1, '"', bs, TokenKind::kString, bs ? kBackslashEsc : 0);
    }
    return LexQuoted(start, start + 1, '"', false, TokenKind::kQuotedIdent, 0);
  }
  if (c == '`' && mysql) return LexQuoted(start, start + 1, '`', false, TokenKind::kQuotedIdent, 0);
  if (LineCommentStartsAt(start)) return LexLineComment(start);
  if (c == '/' && start + 1 < size_ && text_[start + 1] == '*') return LexBlockComment(start);
  if (c == '*' && in_version_comment_ && start + 1 < size_ && text_[start + 1] == '/') {
    in_version_comment_ = false;
    pos_ = start + 2;
    return MakeToken(TokenKind::kComment, kVersionClose, start, pos_);
  }
  if (IsDigit(c) || (c == '.' && start + 1 < size_ && IsDigit(text_[start + 1]))) {
    return LexNumber(start);
  }
  if (IsIdentStart(c)) return LexWordOrPrefixedString(start);
  if (c == '$') return LexDollarOrParam(start);
  if (c == '@' && mysql) return LexVariable(start);
  return LexPunctOrSpecial(start);
}

bool Lexer::LineCommentStartsAt(uint32_t i) const {
  const char c = text_[i];
  if (opt_.dialect == Dialect::kMysql && c == '#') return true;
  if (c != '-' || i + 1 >= size_ || text_[i + 1] != '-') return false;
  if (opt_.dialect == Dialect::kPostgresql) return true;
  // MySQL: "--" starts a comment only when followed by white space, a control character or the
  // end of the text ("1--1" is 1 minus minus 1).
  if (i + 2 >= size_) return true;
  const unsigned char next = text_[i + 2];
  return next <= ' ';
}

Token Lexer::LexQuoted(uint32_t start, uint32_t body, char quote, bool backslash, TokenKind kind,
                       uint8_t flags) {
  uint32_t i = body;
  while (i < size_) {
    const char c = text_[i];
    if (backslash && c == '\\') {
      i += 2;
      continue;
    }
    if (c == quote) {
      if (i + 1 < size_ && text_[i + 1] == quote) {  // doubled quote stands for itself
        i += 2;
        continue;
      }
      pos_ = i + 1;
      return MakeToken(kind, flags, start, pos_);
    }
    ++i;
  }
  pos_ = size_;
  return MakeToken(kind, static_cast<uint8_t>(flags | kUnterminated), start, size_);
}

Token Lexer::LexLineComment(uint32_t start) {
  uint32_t i = start;
  while (i < size_ && text_[i] != '\n') ++i;
  pos_ = i;
  return MakeToken(TokenKind::kComment, kLineComment, start, i);
}

Token Lexer::LexBlockComment(uint32_t start) {
  uint32_t i = start + 2;
  if (opt_.dialect == Dialect::kMysql && !in_version_comment_) {
    // /*!50110 code */ and MariaDB's /*M!100100 code */ hold code that the server runs.
    uint32_t j = i;
    if (j < size_ && text_[j] == 'M' && j + 1 < size_ && text_[j + 1] == '!') ++j;
    if (j < size_ && text_[j] == '!') {
      ++j;
      while (j < size_ && IsDigit(text_[j])) ++j;
      in_version_comment_ = true;
      pos_ = j;
      return MakeToken(TokenKind::kComment, kVersionOpen, start, j);
    }
  }
  const bool nested = opt_.dialect == Dialect::kPostgresql;
  int depth = 1;
  while (i < size_) {
    if (text_[i] == '*' && i + 1 < size_ && text_[i + 1] == '/') {
      i += 2;
      if (--depth == 0) {
        pos_ = i;
        return MakeToken(TokenKind::kComment, 0, start, i);
      }
      continue;
    }
    if (nested && text_[i] == '/' && i + 1 < size_ && text_[i + 1] == '*') {
      ++depth;
      i += 2;
      continue;
    }
    ++i;
  }
  pos_ = size_;
  return MakeToken(TokenKind::kComment, kUnterminated, start, size_);
}

Token Lexer::LexNumber(uint32_t start) {
  uint32_t i = start;
  if (text_[i] == '0' && i + 1 < size_ && (text_[i + 1] == 'x' || text_[i + 1] == 'X' ||
                                           text_[i + 1] == 'b' || text_[i + 1] == 'B')) {
    const bool hex = text_[i + 1] == 'x' || text_[i + 1] == 'X';
    uint32_t j = i + 2;
    while (j < size_ && (hex ? std::isxdigit(static_cast<unsigned char>(text_[j])) != 0
                             : (text_[j] == '0' || text_[j] == '1'))) {
      ++j;
    }
    if (j > i + 2 && (j >= size_ || !IsIdentChar(text_[j]))) {
      pos_ = j;
      return MakeToken(TokenKind::kNumber, hex ? kHexLiteral : kBitLiteral, start, j);
    }
  }
  while (i < size_ && IsDigit(text_[i])) ++i;
  if (i < size_ && text_[i] == '.') {
    ++i;
    while (i < size_ && IsDigit(text_[i])) ++i;
  }
  if (i < size_ && (text_[i] == 'e' || text_[i] == 'E')) {
    uint32_t j = i + 1;
    if (j < size_ && (text_[j] == '+' || text_[j] == '-')) ++j;
    if (j < size_ && IsDigit(text_[j])) {
      while (j < size_ && IsDigit(text_[j])) ++j;
      i = j;
    }
  }
  pos_ = i;
  return MakeToken(TokenKind::kNumber, 0, start, i);
}

Token Lexer::LexWordOrPrefixedString(uint32_t start) {
  uint32_t i = start;
  const bool pg = opt_.dialect == Dialect::kPostgresql;
  while (i < size_ && IsIdentChar(text_[i]) && !(pg && text_[i] == '$' && i == start)) ++i;
  const uint32_t len = i - start;
  if (i < size_ && text_[i] == '\'') {
    const char p = AsciiLower(text_[start]);
    if (len == 1 && (p == 'x' || p == 'b' || p == 'n' || (pg && p == 'e'))) {
      const bool bs = (pg && p == 'e') || (!pg && !opt_.no_backslash_escapes && p == 'n') ||
                      (pg && p == 'n' && !opt_.standard_conforming_strings);
      uint8_t flags = kPrefixed | (bs ? kBackslashEsc : 0);
      if (p == 'x') flags |= kHexLiteral;
      if (p == 'b') flags |= kBitLiteral;
      return LexQuoted(start, i + 1, '\'', bs, TokenKind::kString, flags);
    }
    if (!pg && text_[start] == '_' && len > 1) {  // MySQL character set introducer: _utf8mb4'x'
      const bool bs = !opt_.no_backslash_escapes;
      return LexQuoted(start, i + 1, '\'', bs, TokenKind::kString,
                       kPrefixed | (bs ? kBackslashEsc : 0));
    }
  }
  if (pg && len == 1 && AsciiLower(text_[start]) == 'u' && i + 1 < size_ && text_[i] == '&' &&
      (text_[i + 1] == '\'' || text_[i + 1] == '"')) {  // U&'d\0061t' and U&"d\0061t"
    const bool ident = text_[i + 1] == '"';
    return LexQuoted(start, i + 2, text_[i + 1], false,
                     ident ? TokenKind::kQuotedIdent : TokenKind::kString, kPrefixed);
  }
  pos_ = i;
  return MakeToken(TokenKind::kWord, 0, start, i);
}

// $tag$ ... $tag$ where tag is empty or an identifier without '$'.
bool Lexer::TryDollarQuote(uint32_t start, Token* out) {
  uint32_t i = start + 1;
  if (i < size_ && IsIdentStart(text_[i])) {
    while (i < size_ && IsIdentChar(text_[i]) && text_[i] != '$') ++i;
  }
  if (i >= size_ || text_[i] != '$') return false;
  const std::string_view tag = text_.substr(start, i - start + 1);
  const size_t close = text_.find(tag, i + 1);
  if (close == std::string_view::npos) {
    pos_ = size_;
    *out = MakeToken(TokenKind::kString, kPrefixed | kUnterminated, start, size_);
  } else {
    pos_ = static_cast<uint32_t>(close + tag.size());
    *out = MakeToken(TokenKind::kString, kPrefixed, start, pos_);
  }
  return true;
}

Token Lexer::LexDollarOrParam(uint32_t start) {
  if (opt_.dialect == Dialect::kPostgresql) {
    uint32_t i = start + 1;
    if (i < size_ && IsDigit(text_[i])) {
      while (i < size_ && IsDigit(text_[i])) ++i;
      pos_ = i;
      return MakeToken(TokenKind::kParam, 0, start, i);
    }
    Token t;
    if (TryDollarQuote(start, &t)) return t;
  } else if (start + 1 < size_ && IsIdentChar(text_[start + 1])) {
    return LexWordOrPrefixedString(start);  // MySQL allows '$' in identifiers
  }
  pos_ = start + 1;
  return MakeToken(TokenKind::kOperator, 0, start, pos_);
}

Token Lexer::LexVariable(uint32_t start) {
  uint32_t i = start + 1;
  if (i < size_ && text_[i] == '@') ++i;
  if (i < size_ && (text_[i] == '\'' || text_[i] == '"' || text_[i] == '`')) {
    Token t = LexQuoted(start, i + 1, text_[i], false, TokenKind::kVariable, 0);
    return t;
  }
  const uint32_t name = i;
  while (i < size_ && (IsIdentChar(text_[i]) || text_[i] == '.')) ++i;
  if (i == name) return LexOperator(start);
  pos_ = i;
  return MakeToken(TokenKind::kVariable, 0, start, i);
}

Token Lexer::LexOperator(uint32_t start) {
  const std::string_view rest = text_.substr(start, 3);
  for (std::string_view op : kMultiCharOps) {
    if (rest.substr(0, op.size()) == op) {
      pos_ = start + static_cast<uint32_t>(op.size());
      return MakeToken(TokenKind::kOperator, 0, start, pos_);
    }
  }
  pos_ = start + 1;
  return MakeToken(TokenKind::kOperator, 0, start, pos_);
}

Token Lexer::LexPunctOrSpecial(uint32_t start) {
  const char c = text_[start];
  TokenKind kind;
  switch (c) {
    case '(': kind = TokenKind::kLParen; break;
    case ')': kind = TokenKind::kRParen; break;
    case ',': kind = TokenKind::kComma; break;
    case '.': kind = TokenKind::kDot; break;
    case ';': kind = TokenKind::kSemicolon; break;
    case '?':
      if (opt_.dialect == Dialect::kMysql) {
        kind = TokenKind::kParam;
        break;
      }
      return LexOperator(start);
    default:
      if (IsOperatorChar(c)) return LexOperator(start);
      kind = TokenKind::kOperator;  // any other byte: one-character token, never stuck
      break;
  }
  pos_ = start + 1;
  return MakeToken(kind, 0, start, pos_);
}

void Tokenize(std::string_view text, const LexOptions& options, std::vector<Token>* out) {
  Lexer lexer(text, options);
  for (Token t = lexer.Next(); t.kind != TokenKind::kEnd; t = lexer.Next()) out->push_back(t);
}

}  // namespace dbaudit::sensor::sql
