// The fast pass every statement goes through, cached or not: one lexing pass that keeps the
// non-comment tokens, notes what the comments and literals looked like (the facts the fingerprint
// throws away but the injection heuristics need), and renders the fingerprint.
//
// Fingerprint rules (both dialects, so the same query shape gets the same text):
//   - comments dropped; MySQL /*! */ version-comment markers dropped, their code kept
//   - words and identifiers lower-cased; `x`, "x" and x all become x
//   - every literal (string, number, hex, bit, E'', $$..$$, TRUE/FALSE) and every parameter
//     (?, $1) becomes ?; a sign in front of a number is part of the literal ("= -1" -> "= ?")
//   - IN (?, ?, ...) of literals/parameters becomes "in (...)"
//   - VALUES (...), (...), ... keeps only its first row
//   - MySQL LIMIT ?, ? becomes LIMIT ? OFFSET ? (the PostgreSQL spelling of the same shape)
//   - != becomes <>; white space becomes one blank, none around . , ( ) and ::
//   - a trailing ';' is dropped; statements of a multi-statement text are joined with "; "
//
// fingerprint_id = FNV-1a 64 (offset basis 0xcbf29ce484222325, prime 0x100000001b3) over the
// fingerprint's bytes. Plain arithmetic on bytes: the same on every run, build and platform.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sensor/sql/lexer.h"

namespace dbaudit::sensor::sql {

// Facts about comments and literals (bit set).
inline constexpr uint32_t kFeatTrailingLineComment = 1u << 0;  // --/# comment ends a one-line text
inline constexpr uint32_t kFeatCommentHidesCode = 1u << 1;     // ...and holds quotes or code
inline constexpr uint32_t kFeatUnterminatedComment = 1u << 2;  // /* never closed
inline constexpr uint32_t kFeatUnterminatedQuote = 1u << 3;    // string or quoted name never closed
inline constexpr uint32_t kFeatInlineComment = 1u << 4;        // UN/**/ION, SELECT/*x*/pass
inline constexpr uint32_t kFeatVersionKeyword = 1u << 5;       // /*!50000UNION*/ and friends
inline constexpr uint32_t kFeatHexPrintable = 1u << 6;         // 0x61646d696e = 'admin'
inline constexpr uint32_t kFeatTruncated = 1u << 7;            // text longer than the analysis cap

// Statements longer than this are analysed on their first kMaxAnalyzedBytes bytes, and the
// classifier and injection heuristics look at no more than kMaxAnalyzedTokens tokens (the
// fingerprint covers all of them): bounded work per statement whatever the input.
inline constexpr size_t kMaxAnalyzedBytes = 1 << 20;
inline constexpr size_t kMaxAnalyzedTokens = 1 << 16;

struct FastPass {
  std::vector<Token> tokens;  // comments and version-comment markers removed
  std::string fingerprint;
  uint32_t features = 0;
  // FNV-1a of the exact spelling of every word and quoted name: objects keep the case and
  // quoting the fingerprint folds ("Users" vs users), so the cache key includes it.
  uint64_t spelling_hash = 0;
  bool multi_statement = false;  // a ';' with more tokens after it
  void Clear() {
    tokens.clear();
    fingerprint.clear();
    features = 0;
    spelling_hash = 0;
    multi_statement = false;
  }
};

// PRE: `out` may hold a previous result (it is cleared; its capacity is reused).
void RunFastPass(std::string_view sql, const LexOptions& options, FastPass* out);

uint64_t FingerprintId(std::string_view fingerprint);

}  // namespace dbaudit::sensor::sql
