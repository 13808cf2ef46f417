#include "sensor/sql/fingerprint.h"

#include <algorithm>
#include <cstring>

#include "sensor/sql/token_span.h"

namespace dbaudit::sensor::sql {

namespace {

constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ull;
constexpr uint64_t kFnvPrime = 0x100000001b3ull;

uint64_t Fnv1a(uint64_t h, std::string_view bytes) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= kFnvPrime;
  }
  return h;
}

// Internal cache-key hash of name spellings (not the documented fingerprint_id): 8 bytes per
// step, the length folded in so "ab" "c" and "a" "bc" differ.
uint64_t SpellingAppend(uint64_t h, std::string_view bytes) {
  size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) {
    uint64_t v;
    std::memcpy(&v, bytes.data() + i, 8);
    h = (h ^ v) * 0x9e3779b97f4a7c15ull;
    h ^= h >> 29;
  }
  uint64_t tail = bytes.size();
  for (; i < bytes.size(); ++i) tail = (tail << 8) | static_cast<unsigned char>(bytes[i]);
  h = (h ^ tail) * 0x9e3779b97f4a7c15ull;
  return h ^ (h >> 29);
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = AsciiLower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// 0x61646d696e or X'61646d696e' whose bytes are >= 3 printable ASCII characters: text smuggled
// past quote filters. Binary ids (UUIDs, hashes) are almost never all printable.
bool HexIsPrintableText(std::string_view t) {
  if (t.size() > 2 && (t[1] == '\'')) t = t.substr(2, t.size() - 3);  // X'..'
  else if (t.size() > 2) t.remove_prefix(2);                          // 0x..
  if (t.size() < 6 || t.size() % 2 != 0) return false;
  for (size_t i = 0; i < t.size(); i += 2) {
    const int hi = HexValue(t[i]), lo = HexValue(t[i + 1]);
    if (hi < 0 || lo < 0) return false;
    const int b = hi * 16 + lo;
    if (b < 0x20 || b > 0x7e) return false;
  }
  return true;
}

// Words that may follow a MySQL version-comment opener in a payload (/*!50000UNION*/); dump
// tools only put SET, CREATE, DROP, ALTER, SQL_NO_CACHE ... there.
bool IsPayloadKeyword(std::string_view w) {
  static constexpr std::string_view kWords[] = {
      "union", "select", "or", "and", "xor", "sleep", "benchmark", "from",
      "where", "concat", "char", "order", "having", "like"};
  for (std::string_view k : kWords) {
    if (EqualsKeyword(w, k)) return true;
  }
  return false;
}

// Watches the comments of the text for the facts in kFeat*.
class CommentWatcher {
 public:
  CommentWatcher(std::string_view src, uint32_t* features) : src_(src), features_(features) {}

  void OnComment(const Token& c, uint32_t prev_code_end, bool have_prev) {
    const std::string_view text = c.Text(src_);
    if (c.flags & kVersionOpen) {
      version_open_ = true;
      return;
    }
    if (c.flags & kVersionClose) return;
    if (c.flags & kUnterminated && !(c.flags & kLineComment)) *features_ |= kFeatUnterminatedComment;
    if (c.flags & kLineComment) {
      last_line_comment_ = c;
      // After a complete statement ("SELECT 1; -- note") a comment cuts nothing off.
      have_line_comment_ = !after_semicolon_;
      (void)text;
      return;
    }
    glued_left_ = have_prev && prev_code_end == c.begin;
    glued_end_ = c.end;
  }

  void OnCode(const Token& t) {
    after_semicolon_ = t.kind == TokenKind::kSemicolon;
    if (version_open_ && t.kind == TokenKind::kWord && IsPayloadKeyword(t.Text(src_))) {
      *features_ |= kFeatVersionKeyword;
    }
    version_open_ = false;
    if (glued_left_ && t.begin == glued_end_) *features_ |= kFeatInlineComment;
    glued_left_ = false;
    have_line_comment_ = false;  // a line comment followed by code does not end the text
  }

  // A line comment that is the last thing in a one-line text cuts off what an injected quote left.
  void OnEnd() {
    if (!have_line_comment_) return;
    const Token& c = last_line_comment_;
    if (src_.substr(0, c.begin).find('\n') != std::string_view::npos) return;
    if (c.end < src_.size() && src_.substr(c.end).find_first_not_of(" \t\r\n") != std::string_view::npos) {
      return;
    }
    *features_ |= kFeatTrailingLineComment;
    const std::string_view body = c.Text(src_);
    if (body.find_first_of("'\"`=()") != std::string_view::npos) *features_ |= kFeatCommentHidesCode;
  }

 private:
  std::string_view src_;
  uint32_t* features_;
  bool version_open_ = false;
  bool glued_left_ = false;
  uint32_t glued_end_ = 0;
  bool have_line_comment_ = false;
  bool after_semicolon_ = false;
  Token last_line_comment_;
};

bool IsValueToken(const TokenSpan& s, size_t i) {
  const TokenKind k = s.Kind(i);
  return k == TokenKind::kString || k == TokenKind::kNumber || k == TokenKind::kParam ||
         s.Is(i, "true") || s.Is(i, "false");
}

// Words after which a '+'/'-' is a sign, not a binary operator.
bool IsSignContextWord(const TokenSpan& s, size_t i) {
  static constexpr std::string_view kWords[] = {
      "select", "where", "and", "or", "not", "when", "then", "else", "by", "between", "like",
      "set", "values", "return", "returning", "limit", "offset", "having", "on", "case", "in",
      "is", "distinct", "all", "any", "some", "as", "interval"};
  for (std::string_view k : kWords) {
    if (s.Is(i, k)) return true;
  }
  return false;
}

bool IsSign(const TokenSpan& s, size_t i) {
  if (!(s.IsOp(i, "-") || s.IsOp(i, "+")) || s.Kind(i + 1) != TokenKind::kNumber) return false;
  if (i == 0) return true;
  const TokenKind p = s.Kind(i - 1);
  return p == TokenKind::kOperator || p == TokenKind::kLParen || p == TokenKind::kComma ||
         IsSignContextWord(s, i - 1);
}

// When the '(' at `open` holds only literals, parameters, signs and commas, returns the index
// after its ')'; else 0. Stops at the first other token, so nesting costs nothing.
size_t LiteralListEnd(const TokenSpan& s, size_t open) {
  size_t i = open + 1;
  for (; i < s.size() && s.Kind(i) != TokenKind::kRParen; ++i) {
    if (!(IsValueToken(s, i) || s.Kind(i) == TokenKind::kComma || IsSign(s, i) || s.Is(i, "null"))) {
      return 0;
    }
  }
  return i < s.size() && i > open + 1 ? i + 1 : 0;
}

// Keywords that keep a blank before a following '(' ("in (", "as (select"); function names and
// types glue to it ("count(*)", "varchar(?)").
bool IsSpacedKeyword(std::string_view w) {
  switch (w.size()) {  // a switch on length: this runs for every word of every statement
    case 2:
      return w == "as" || w == "in" || w == "on" || w == "or" || w == "by" || w == "is";
    case 3:
      return w == "and" || w == "not" || w == "all" || w == "any" || w == "set";
    case 4:
      return w == "join" || w == "from" || w == "when" || w == "then" || w == "else" ||
             w == "some" || w == "into" || w == "with" || w == "over" || w == "like";
    case 5:
      return w == "where" || w == "union" || w == "using" || w == "table";
    case 6:
      return w == "exists" || w == "values" || w == "select" || w == "update" || w == "except";
    case 7:
      return w == "lateral" || w == "between";
    case 9:
      return w == "intersect";
    default:
      return false;
  }
}

class FingerprintWriter {
 public:
  FingerprintWriter(const TokenSpan& s, std::string* out) : s_(s), out_(out) {}
  FingerprintWriter(const FingerprintWriter&) = delete;
  FingerprintWriter& operator=(const FingerprintWriter&) = delete;

  void Run() {
    size_t i = 0;
    while (i < s_.size()) i = Step(i);
  }

 private:
  size_t Step(size_t i) {
    if (IsSign(s_, i)) return i + 1;  // the literal after it renders as ?
    const TokenKind k = s_.Kind(i);
    if (k == TokenKind::kSemicolon) {
      if (i + 1 < s_.size()) Append(";", k);
      return i + 1;
    }
    if (k == TokenKind::kWord && s_.Is(i, "in") && s_.Kind(i + 1) == TokenKind::kLParen) {
      if (const size_t close = LiteralListEnd(s_, i + 1); close > 0) {
        Append("in", k);
        Append("(...)", TokenKind::kString);
        return close;
      }
    }
    if (k == TokenKind::kComma && values_row_end_ == i && s_.Kind(i + 1) == TokenKind::kLParen) {
      const size_t next = s_.SkipParens(i + 1);  // drop the repeated row
      values_row_end_ = next;
      return next;
    }
    // MySQL LIMIT offset, count is PostgreSQL's LIMIT count OFFSET offset: one shape.
    if (k == TokenKind::kWord && s_.Is(i, "limit") && IsValueToken(s_, i + 1) &&
        s_.Kind(i + 2) == TokenKind::kComma && IsValueToken(s_, i + 3)) {
      Append("limit", k);
      Append("?", TokenKind::kString);
      Append("offset", k);
      Append("?", TokenKind::kString);
      return i + 4;
    }
    if (k == TokenKind::kWord && s_.Is(i, "values") && s_.Kind(i + 1) == TokenKind::kLParen) {
      if (parens_.empty()) s_.MatchParens(&parens_);  // once: hostile "VALUES (" runs stay linear
      values_row_end_ = s_.SkipParens(i + 1);
    }
    EmitToken(i);
    return i + 1;
  }

  void EmitToken(size_t i) {
    const TokenKind k = s_.Kind(i);
    if (IsValueToken(s_, i)) return Append("?", TokenKind::kString);
    if (k == TokenKind::kQuotedIdent) {
      scratch_ = s_.Name(i);
      for (char& c : scratch_) c = AsciiLower(c);
      return Append(scratch_, TokenKind::kWord);
    }
    const std::string_view t = s_.Text(i);
    if (k == TokenKind::kOperator && t == "!=") return Append("<>", k);
    if (k == TokenKind::kWord || k == TokenKind::kVariable) {
      scratch_.assign(t);
      for (char& c : scratch_) c = AsciiLower(c);
      return Append(scratch_, k);
    }
    Append(t, k);
  }

  void Append(std::string_view piece, TokenKind kind) {
    const bool glue_before = kind == TokenKind::kComma || kind == TokenKind::kRParen ||
                             kind == TokenKind::kDot || kind == TokenKind::kSemicolon ||
                             piece == "::" ||
                             (kind == TokenKind::kLParen && prev_ == TokenKind::kWord &&
                              !prev_keyword_);
    const bool glue_after_prev = prev_ == TokenKind::kLParen || prev_ == TokenKind::kDot ||
                                 prev_double_colon_;
    if (!out_->empty() && !glue_before && !glue_after_prev) out_->push_back(' ');
    out_->append(piece);
    prev_keyword_ = kind == TokenKind::kWord && IsSpacedKeyword(piece);
    prev_ = kind;
    prev_double_colon_ = piece == "::";
  }

  TokenSpan s_;  // a copy: it may get a parenthesis table
  std::string* out_;
  std::string scratch_;
  std::vector<uint32_t> parens_;
  TokenKind prev_ = TokenKind::kEnd;
  bool prev_keyword_ = false;
  bool prev_double_colon_ = false;
  size_t values_row_end_ = static_cast<size_t>(-1);
};

}  // namespace

std::string_view StringBody(std::string_view t) {
  if (t.empty()) return t;
  if (t[0] == '$') {  // $tag$body$tag$
    const size_t open = t.find('$', 1);
    if (open == std::string_view::npos) return {};
    const size_t tag = open + 1;
    return t.size() >= 2 * tag ? t.substr(tag, t.size() - 2 * tag) : t.substr(tag);
  }
  const size_t q = t.find_first_of("'\"");
  if (q == std::string_view::npos) return t;
  t.remove_prefix(q + 1);
  if (!t.empty() && (t.back() == '\'' || t.back() == '"')) t.remove_suffix(1);
  return t;
}

void RunFastPass(std::string_view sql, const LexOptions& options, FastPass* out) {
  out->Clear();
  if (sql.size() > kMaxAnalyzedBytes) {
    sql = sql.substr(0, kMaxAnalyzedBytes);
    out->features |= kFeatTruncated;
  }
  CommentWatcher comments(sql, &out->features);
  Lexer lexer(sql, options);
  uint32_t prev_end = 0;
  bool have_prev = false;
  uint64_t spelling = kFnvOffset;
  for (Token t = lexer.Next(); t.kind != TokenKind::kEnd; t = lexer.Next()) {
    if (t.kind == TokenKind::kComment) {
      comments.OnComment(t, prev_end, have_prev);
      continue;
    }
    comments.OnCode(t);
    if (t.flags & kUnterminated) out->features |= kFeatUnterminatedQuote;
    if ((t.flags & kHexLiteral) && HexIsPrintableText(t.Text(sql))) {
      out->features |= kFeatHexPrintable;
    }
    if (t.kind == TokenKind::kWord || t.kind == TokenKind::kQuotedIdent) {
      spelling = SpellingAppend(spelling, t.Text(sql));
    }
    if (!out->tokens.empty() && out->tokens.back().kind == TokenKind::kSemicolon) {
      out->multi_statement = true;
    }
    out->tokens.push_back(t);
    prev_end = t.end;
    have_prev = true;
  }
  comments.OnEnd();
  out->spelling_hash = spelling;
  if (out->tokens.size() > kMaxAnalyzedTokens) out->features |= kFeatTruncated;
  if (out->features & kFeatTruncated) {
    out->features &= ~(kFeatUnterminatedQuote | kFeatUnterminatedComment);
  }
  const TokenSpan span(sql, out->tokens.data(), out->tokens.size(), options.dialect);
  FingerprintWriter(span, &out->fingerprint).Run();
}

uint64_t FingerprintId(std::string_view fingerprint) { return Fnv1a(kFnvOffset, fingerprint); }

}  // namespace dbaudit::sensor::sql
