#include "sensor/sql/injection.h"

#include <algorithm>
#include <array>

#include "sensor/sql/fingerprint.h"

namespace dbaudit::sensor::sql {

namespace {

enum Signal {
  kTautology, kUnionBased, kStackedQuery, kCommentTruncation, kTimeDelay, kCatalogProbe,
  kEncodedPayload, kErrorBased, kCommentObfuscation, kFileAccess, kBlindExtraction, kUnparsed,
  kNumSignals
};
constexpr std::string_view kSignalNames[kNumSignals] = {
    "tautology", "union_based", "stacked_query", "comment_truncation", "time_delay",
    "catalog_probe", "encoded_payload", "error_based", "comment_obfuscation", "file_access",
    "blind_extraction", "unparsed"};

using Weights = std::array<int, kNumSignals>;

// How far into a call's arguments the error/blind checks look for a subquery or server fact:
// payloads put them within a few tokens; nested calls must not multiply the work.
constexpr size_t kArgumentWindow = 24;

void Raise(Weights* w, Signal s, int weight) { (*w)[s] = std::max((*w)[s], weight); }

bool IsAnyWord(const TokenSpan& s, size_t i, std::initializer_list<std::string_view> words) {
  for (std::string_view w : words) {
    if (s.Is(i, w)) return true;
  }
  return false;
}

bool IsCall(const TokenSpan& s, size_t i, std::initializer_list<std::string_view> words) {
  return s.Kind(i + 1) == TokenKind::kLParen && IsAnyWord(s, i, words);
}

// ---- tautology ----------------------------------------------------------------------------

enum class Operand { kNone, kConst, kName, kOther };

// [sign] literal { arith [sign] literal } | NULL/TRUE/FALSE | name[.name]. Returns the end index.
size_t ParseOperand(const TokenSpan& s, size_t i, Operand* kind, std::string_view* name) {
  *kind = Operand::kNone;
  bool any_const = false;
  while (i < s.size()) {
    if ((s.IsOp(i, "-") || s.IsOp(i, "+")) && s.IsLiteral(i + 1)) ++i;
    if (s.IsLiteral(i) || IsAnyWord(s, i, {"null", "true", "false"})) {
      any_const = true;
      ++i;
    } else {
      break;
    }
    if (!(s.IsOp(i, "+") || s.IsOp(i, "-") || s.IsOp(i, "*") || s.IsOp(i, "/") ||
          (s.IsOp(i, "||") && s.dialect() == Dialect::kPostgresql))) {
      break;
    }
    ++i;
  }
  if (any_const) {
    *kind = Operand::kConst;
    return i;
  }
  if (s.IsName(i) && s.Kind(i + 1) != TokenKind::kLParen) {
    const size_t b = i;
    while (s.Kind(i + 1) == TokenKind::kDot && s.IsName(i + 2)) i += 2;
    *name = s.src().substr(s[b].begin, s[i].end - s[b].begin);
    *kind = Operand::kName;
    return i + 1;
  }
  return i;
}

size_t ParseComparison(const TokenSpan& s, size_t i) {
  static constexpr std::string_view kOps[] = {"=", "<>", "!=", "<", ">", "<=", ">=", "<=>"};
  for (std::string_view op : kOps) {
    if (s.IsOp(i, op)) return i + 1;
  }
  if (IsAnyWord(s, i, {"like", "rlike", "regexp"})) return i + 1;
  if (s.Is(i, "is")) return s.Is(i + 1, "not") ? i + 2 : i + 1;
  return i;
}

bool EndsCondition(const TokenSpan& s, size_t i) {
  const TokenKind k = s.Kind(i);
  return k == TokenKind::kEnd || k == TokenKind::kRParen || k == TokenKind::kSemicolon ||
         IsAnyWord(s, i, {"and", "or", "xor", "limit", "order", "group", "union", "into"}) ||
         s.IsOp(i, "||") || s.IsOp(i, "&&");
}

// Inspects the condition after the connector at i; returns true for a constant condition.
bool ConstantCondition(const TokenSpan& s, size_t i, bool allow_bare) {
  while (s.Kind(i) == TokenKind::kLParen || s.Is(i, "not") || s.IsOp(i, "!")) ++i;
  Operand a, b;
  std::string_view an, bn;
  size_t j = ParseOperand(s, i, &a, &an);
  if (a == Operand::kConst && allow_bare && EndsCondition(s, j)) return true;
  const size_t k = ParseComparison(s, j);
  if (k == j || a == Operand::kNone) return false;
  j = ParseOperand(s, k, &b, &bn);
  if (a == Operand::kConst && b == Operand::kConst) return true;
  return allow_bare && a == Operand::kName && b == Operand::kName && an == bn;
}

int TautologyWeight(const TokenSpan& s) {
  int weight = 0;
  int depth = 0;
  bool after_union = false;
  const bool mysql = s.dialect() == Dialect::kMysql;
  for (size_t i = 0; i < s.size(); ++i) {
    const bool or_like = IsAnyWord(s, i, {"or", "xor"}) || (mysql && s.IsOp(i, "||"));
    const bool and_like = s.Is(i, "and") || (mysql && s.IsOp(i, "&&"));
    if (or_like && ConstantCondition(s, i + 1, true)) weight = std::max(weight, 50);
    // "BETWEEN x AND y" is not a connector.
    if (and_like && !(i >= 2 && s.Is(i - 2, "between")) && ConstantCondition(s, i + 1, false)) {
      weight = std::max(weight, 35);
    }
    if (s.Is(i, "having") && ConstantCondition(s, i + 1, false)) weight = std::max(weight, 35);
    // WHERE 1=1 opens many a generated query, but not the UNION branch or the subquery an
    // attacker appended.
    after_union = after_union || s.Is(i, "union");
    if (s.Kind(i) == TokenKind::kLParen) ++depth;
    if (s.Kind(i) == TokenKind::kRParen) --depth;
    if ((after_union || depth > 0) && s.Is(i, "where") && ConstantCondition(s, i + 1, false)) {
      weight = std::max(weight, 35);
    }
  }
  return weight;
}

// ---- UNION ----------------------------------------------------------------------------------

bool IsInfoItem(const TokenSpan& s, size_t i) {
  if (IsCall(s, i, {"version", "user", "current_user", "session_user", "system_user", "database",
                    "schema", "current_database", "current_schema", "group_concat",
                    "string_agg", "load_file", "connection_id", "pg_read_file",
                    "current_setting", "inet_server_addr", "inet_client_addr"})) {
    return true;
  }
  if (s.Kind(i) == TokenKind::kVariable && s.Text(i).substr(0, 2) == "@@") return true;
  if (s.Kind(i) == TokenKind::kNumber && (s[i].flags & kHexLiteral)) return true;
  return IsAnyWord(s, i, {"current_user", "session_user", "user", "current_database"}) &&
         s.Kind(i + 1) != TokenKind::kLParen && s.Kind(i + 1) != TokenKind::kDot;
}

// The select list after UNION [ALL|DISTINCT] [(] SELECT at `i`: only constants, or info items.
bool SuspiciousUnionList(const TokenSpan& s, size_t i) {
  while (IsAnyWord(s, i, {"all", "distinct"}) || s.Kind(i) == TokenKind::kLParen) ++i;
  if (!s.Is(i, "select")) return false;
  ++i;
  bool only_constants = true;
  bool any = false;
  for (int depth = 0; i < s.size(); ++i) {
    const TokenKind k = s.Kind(i);
    if (k == TokenKind::kLParen) ++depth;
    if (k == TokenKind::kRParen && --depth < 0) break;
    if (depth == 0 && (k == TokenKind::kSemicolon ||
                       IsAnyWord(s, i, {"from", "into", "limit", "order", "union", "where"}))) {
      break;
    }
    if (IsInfoItem(s, i)) return true;
    any = true;
    if (!(s.IsLiteral(i) || k == TokenKind::kComma || k == TokenKind::kParam ||
          s.Is(i, "null") || s.IsOp(i, "-"))) {
      only_constants = false;
    }
  }
  return only_constants && any;
}

bool IsCatalog(const OperatedObject& o, Dialect d, bool* credential) {
  std::string schema = o.schema_name, table = o.table_name;
  for (char& c : schema) c = AsciiLower(c);
  for (char& c : table) c = AsciiLower(c);
  *credential = (schema == "mysql" && (table == "user" || table == "global_priv")) ||
                table == "pg_shadow" || table == "pg_authid";
  if (*credential) return true;
  if (schema == "information_schema" || schema == "pg_catalog" || schema == "mysql" ||
      schema == "performance_schema" || schema == "sys") {
    return true;
  }
  return d == Dialect::kPostgresql && schema.empty() && table.rfind("pg_", 0) == 0;
}

// ---- per-statement token scan ---------------------------------------------------------------

struct CallScan {
  int char_calls = 0;
  bool group_by = false;
  bool rand_literal = false;
};

// Error-based: functions whose error message carries their argument.
void ErrorSignals(const TokenSpan& s, size_t i, CallScan* scan, Weights* w) {
  if (IsCall(s, i, {"extractvalue", "updatexml", "name_const", "get_host_name", "xmltype",
                    "gtid_subset", "gtid_subtract", "query_to_xml", "database_to_xml"}) ||
      (s.Is(i, "exp") && s.Kind(i + 1) == TokenKind::kLParen && s.IsOp(i + 2, "~"))) {
    Raise(w, kErrorBased, 50);
  }
  if (IsCall(s, i, {"geometrycollection", "multipoint", "polygon", "multipolygon", "linestring",
                    "multilinestring", "cast", "convert", "json_keys"})) {
    // Look a bounded distance in: nested casts must not make this quadratic.
    const size_t close = std::min(s.SkipParens(i + 1), i + kArgumentWindow);
    for (size_t k = i + 2; k < close; ++k) {
      const bool info_call = IsInfoItem(s, k) && (s.Kind(k + 1) == TokenKind::kLParen ||
                                                  s.Kind(k) == TokenKind::kVariable);
      if (s.Is(k, "select") || info_call) Raise(w, kErrorBased, 50);
    }
  }
  if (s.Is(i, "rand") && s.Kind(i + 1) == TokenKind::kLParen && s.IsLiteral(i + 2)) {
    scan->rand_literal = true;  // floor(rand(0)*2) ... GROUP BY: duplicate-key error
  }
  if (s.Is(i, "group") && s.Is(i + 1, "by")) scan->group_by = true;
}

// Boolean/time blind extraction reads a secret one character at a time:
// ASCII(SUBSTRING((SELECT ...), n, 1)) > 64, (SELECT SUBSTRING(col, n, 1) FROM ...) = 'a'.
bool IsCharProbeCall(const TokenSpan& s, size_t i) {
  return IsCall(s, i, {"ascii", "ord", "substring", "substr", "mid", "length", "char_length",
                       "unicode", "left", "right"});
}

void BlindSignals(const TokenSpan& s, size_t i, Weights* w) {
  if (IsCharProbeCall(s, i)) {  // over a subquery or a server fact: MID(version(),1,1) = '5'
    const size_t close = std::min(s.SkipParens(i + 1), i + kArgumentWindow);
    for (size_t k = i + 2; k < close; ++k) {
      const bool info_call = IsInfoItem(s, k) && (s.Kind(k + 1) == TokenKind::kLParen ||
                                                  s.Kind(k) == TokenKind::kVariable);
      if (s.Is(k, "select") || info_call) Raise(w, kBlindExtraction, 35);
    }
  }
  if (s.Kind(i) == TokenKind::kLParen && s.Is(i + 1, "select") && IsCharProbeCall(s, i + 2)) {
    Raise(w, kBlindExtraction, 35);
  }
}

void ScanFunctions(const TokenSpan& s, Weights* w) {
  CallScan scan;
  for (size_t i = 0; i < s.size(); ++i) {
    if (IsCall(s, i, {"sleep", "benchmark", "pg_sleep", "pg_sleep_for", "pg_sleep_until",
                      "receive_message"}) ||
        (s.Is(i, "waitfor") && s.Is(i + 1, "delay"))) {
      Raise(w, kTimeDelay, 60);
    }
    // CHAR(n) after a column name or AS is a type (c CHAR(120), CAST(x AS CHAR(10))).
    if (IsCall(s, i, {"char", "chr"}) && !(i > 0 && s.IsName(i - 1))) {
      ++scan.char_calls;
      if (s.Kind(i + 2) == TokenKind::kNumber && s.Kind(i + 3) == TokenKind::kComma &&
          s.Kind(i + 4) == TokenKind::kNumber && s.Kind(i + 5) == TokenKind::kComma) {
        Raise(w, kEncodedPayload, 30);
      }
    }
    ErrorSignals(s, i, &scan, w);
    BlindSignals(s, i, w);
    if (IsCall(s, i, {"load_file", "pg_read_file", "pg_read_binary_file", "pg_ls_dir",
                      "lo_import", "lo_export", "xp_cmdshell"}) ||
        (s.Is(i, "into") && IsAnyWord(s, i + 1, {"outfile", "dumpfile"})) ||
        s.Is(i, "xp_cmdshell") || (s.Is(0, "copy") && s.Is(i, "program"))) {
      Raise(w, kFileAccess, 50);
    }
    if (s.Is(i, "union") && SuspiciousUnionList(s, i + 1)) Raise(w, kUnionBased, 50);
  }
  if (scan.char_calls >= 2) Raise(w, kEncodedPayload, 30);
  if (scan.rand_literal && scan.group_by) Raise(w, kErrorBased, 50);
}

bool IsDangerousType(std::string_view t) {
  static constexpr std::string_view kPrefixes[] = {"DROP", "ALTER", "CREATE", "RENAME"};
  for (std::string_view p : kPrefixes) {
    if (t.substr(0, p.size()) == p) return true;
  }
  static constexpr std::string_view kTypes[] = {"TRUNCATE", "GRANT", "REVOKE", "COPY", "LOAD",
                                                 "OTHER", "EXECUTE", "CALL"};
  return std::find(std::begin(kTypes), std::end(kTypes), t) != std::end(kTypes);
}

// The statement an injected "; ..." was appended to ends on a literal of its WHERE clause.
bool EndsOnInjectableLiteral(const StatementView& v) {
  const TokenSpan& s = v.tokens;
  size_t e = s.size();
  while (e > 0 && s.Kind(e - 1) == TokenKind::kSemicolon) --e;
  if (e == 0 || !(s.IsLiteral(e - 1) || s.Kind(e - 1) == TokenKind::kRParen)) return false;
  const std::string& t = v.classification->query_type;
  return t == "SELECT" || t == "UPDATE" || t == "DELETE" || t == "SELECT_FOR_UPDATE";
}

void StatementSignals(const StatementView& v, bool stacked, Weights* w) {
  const TokenSpan& s = v.tokens;
  ScanFunctions(s, w);
  if (const int t = TautologyWeight(s); t > 0) Raise(w, kTautology, t);
  if (v.classification->unbalanced_parens) Raise(w, kUnparsed, 20);
  const bool union_seen = v.classification->union_seen;
  for (const ObjectRef& o : v.classification->objects) {
    bool credential = false;
    if (!IsCatalog(o.object, s.dialect(), &credential)) continue;
    if (credential || o.nested || stacked) Raise(w, kCatalogProbe, 25);
    if (union_seen && o.nested) Raise(w, kUnionBased, 50);
  }
}

}  // namespace

void InjectionResult::Add(std::string_view signal, int weight) {
  if (std::find(signals.begin(), signals.end(), signal) == signals.end()) {
    signals.emplace_back(signal);
    score = std::min(100, score + weight);
  }
}

void DetectInjection(const std::vector<StatementView>& statements, uint32_t features,
                     InjectionResult* out) {
  Weights w{};
  const bool stacked = statements.size() > 1;
  for (size_t k = 0; k < statements.size(); ++k) {
    Weights own{};
    StatementSignals(statements[k], stacked && k > 0, &own);
    for (int i = 0; i < kNumSignals; ++i) w[i] = std::max(w[i], own[i]);
    if (k == 0 || !stacked) continue;
    const bool own_signal = std::any_of(own.begin(), own.end(), [](int x) { return x > 0; });
    if (own_signal || IsDangerousType(statements[k].classification->query_type) ||
        EndsOnInjectableLiteral(statements[0])) {
      Raise(&w, kStackedQuery, 40);
    }
  }
  if (features & kFeatTrailingLineComment) {
    Raise(&w, kCommentTruncation, (features & kFeatCommentHidesCode) ? 45 : 30);
  }
  if (features & kFeatUnterminatedComment) Raise(&w, kCommentTruncation, 30);
  if (features & (kFeatInlineComment | kFeatVersionKeyword)) Raise(&w, kCommentObfuscation, 30);
  if (features & kFeatHexPrintable) Raise(&w, kEncodedPayload, 30);
  if (features & kFeatUnterminatedQuote) Raise(&w, kUnparsed, 20);
  if (features & kFeatTruncated) w[kUnparsed] = 0;  // the cut, not the text, left things open
  for (int i = 0; i < kNumSignals; ++i) {
    if (w[i] > 0) out->Add(kSignalNames[i], w[i]);
  }
}

}  // namespace dbaudit::sensor::sql
