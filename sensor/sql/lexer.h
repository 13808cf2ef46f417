// One SQL lexer for both dialects. It turns statement text into tokens (offsets into the text,
// no copies) and knows the quoting and comment rules that decide where a statement ends:
//
//   MySQL/MariaDB                          PostgreSQL
//   'str' "str" with \ escapes and ''      'str' with '' (\ only in E'' or when
//   `ident` with ``                        standard_conforming_strings=off); "ident" with ""
//   "ident" only with ANSI_QUOTES          $tag$ ... $tag$ dollar quoting, E'' U&'' B'' X''
//   -- (dash dash + blank) and # comments  -- comments
//   /* */ not nested; /*! */ and /*M! */   /* */ nested
//   version comments hold code
//
// Unterminated quotes and comments run to the end of the text and are flagged kUnterminated:
// the lexer never fails.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "sensor/sql/splitter.h"

namespace dbaudit::sensor::sql {

struct LexOptions {
  Dialect dialect = Dialect::kMysql;
  // PostgreSQL: when false, backslash escapes also apply inside plain '' strings.
  bool standard_conforming_strings = true;
  // MySQL: sql_mode ANSI_QUOTES makes "x" an identifier instead of a string.
  bool ansi_quotes = false;
  // MySQL: sql_mode NO_BACKSLASH_ESCAPES turns \ into an ordinary character.
  bool no_backslash_escapes = false;
};

enum class TokenKind : uint8_t {
  kEnd,
  kWord,         // keyword or bare identifier
  kQuotedIdent,  // `x` or "x"
  kString,       // any string literal, including E'', X'', B'', N'', _charset'', $$..$$
  kNumber,       // 12, 1.5e3, .5, 0x1F, 0b101
  kParam,        // ? (MySQL), $1 (PostgreSQL)
  kVariable,     // @x, @@x, @'x'
  kOperator,     // = <> <=> || :: ...
  kLParen,
  kRParen,
  kComma,
  kDot,
  kSemicolon,
  kComment,
};

// Token flags.
inline constexpr uint8_t kUnterminated = 1;    // quote or comment ran to the end of the text
inline constexpr uint8_t kHexLiteral = 2;      // 0x.. or X'..'
inline constexpr uint8_t kBitLiteral = 4;      // 0b.. or B'..'
inline constexpr uint8_t kBackslashEsc = 8;    // string where backslash escapes apply
inline constexpr uint8_t kLineComment = 16;    // -- or # comment (else a block comment)
inline constexpr uint8_t kVersionOpen = 32;    // "/*!50000" that opens a MySQL version comment
inline constexpr uint8_t kVersionClose = 64;   // "*/" that closes a MySQL version comment
inline constexpr uint8_t kPrefixed = 128;      // string with a prefix letter / introducer / $tag$

// Two 8-byte words, so a Token travels in two registers and is stored whole (a 12-byte layout
// made the compiler assemble it from narrow stores and stall on the reload).
struct Token {
  TokenKind kind = TokenKind::kEnd;
  uint8_t flags = 0;
  uint16_t reserved = 0;
  uint32_t begin = 0;  // byte offsets into the lexed text
  uint32_t end = 0;
  uint32_t reserved2 = 0;

  std::string_view Text(std::string_view src) const { return src.substr(begin, end - begin); }
};

class Lexer {
 public:
  // Texts longer than 4 GiB are lexed up to 4 GiB (offsets are 32-bit).
  Lexer(std::string_view text, const LexOptions& options);

  // Returns the next token, comments included; kEnd (forever) at the end of the text.
  Token Next();

 private:
  Token LexQuoted(uint32_t start, uint32_t body, char quote, bool backslash, TokenKind kind,
                  uint8_t flags);
  Token LexLineComment(uint32_t start);
  Token LexBlockComment(uint32_t start);
  Token LexNumber(uint32_t start);
  Token LexWordOrPrefixedString(uint32_t start);
  bool TryDollarQuote(uint32_t start, Token* out);
  Token LexDollarOrParam(uint32_t start);
  Token LexVariable(uint32_t start);
  Token LexOperator(uint32_t start);
  Token LexPunctOrSpecial(uint32_t start);
  bool LineCommentStartsAt(uint32_t i) const;

  std::string_view text_;
  uint32_t size_;
  uint32_t pos_ = 0;
  LexOptions opt_;
  bool in_version_comment_ = false;
};

// Convenience: all tokens of `text` except kEnd, comments included.
void Tokenize(std::string_view text, const LexOptions& options, std::vector<Token>* out);

// Character classes shared with the analyzer.
inline bool IsIdentStart(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}
inline bool IsIdentChar(unsigned char c) {
  return IsIdentStart(c) || (c >= '0' && c <= '9') || c == '$';
}
inline bool IsDigit(unsigned char c) { return c >= '0' && c <= '9'; }
inline bool IsSpace(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
inline char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

// Case-insensitive ASCII comparison of a word with a lower-case keyword.
bool EqualsKeyword(std::string_view word, std::string_view lower_keyword);

}  // namespace dbaudit::sensor::sql
