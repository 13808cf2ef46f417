// libFuzzer target: the SQL lexer, splitter, analyzer (classifier, fingerprint, injection
// signals, cache) and secret redaction. Input: byte 0 picks the dialect and lexing options, the
// rest is the statement text. Checks the invariants the pipeline relies on.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "sensor/sql/analyzer.h"
#include "sensor/sql/fingerprint.h"
#include "sensor/sql/lexer.h"

namespace sql = dbaudit::sensor::sql;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t flags = data[0];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  sql::LexOptions options;
  options.dialect = (flags & 1) ? sql::Dialect::kPostgresql : sql::Dialect::kMysql;
  options.standard_conforming_strings = (flags & 2) == 0;
  options.ansi_quotes = (flags & 4) != 0;
  options.no_backslash_escapes = (flags & 8) != 0;

  for (std::string_view s : sql::SplitStatements(options, text)) {
    if (s.empty() || s.data() < text.data() || s.data() + s.size() > text.data() + text.size()) {
      std::abort();
    }
  }
  // A small cache so eviction and promotion run too; the same text twice must agree.
  static sql::Analyzer analyzer(4);
  const sql::Analysis a = analyzer.Analyze(options, text);
  const sql::Analysis b = analyzer.Analyze(options, text);
  if (a.query_type.empty() || a.injection_score < 0 || a.injection_score > 100) std::abort();
  if (a.fingerprint_id != sql::FingerprintId(a.fingerprint)) std::abort();
  if (a.fingerprint != b.fingerprint || a.query_type != b.query_type ||
      a.injection_signals != b.injection_signals || a.objects.size() != b.objects.size()) {
    std::abort();
  }
  std::string copy(text);
  (void)sql::RedactSecrets(options.dialect, &copy);
  return 0;
}
