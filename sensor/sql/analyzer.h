// SQL analysis of one statement: query_type, operated objects, fingerprint and injection signals.
// Never fails hard: unparseable SQL gets a best-effort type and the "unparsed" signal.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sensor/record/record.h"
#include "sensor/record/record_sink.h"
#include "sensor/sql/lexer.h"
#include "sensor/sql/splitter.h"

namespace dbaudit::sensor::sql {

struct Analysis {
  std::string query_type;                    // SELECT, INSERT, CREATE_TABLE, ... , OTHER
  std::vector<OperatedObject> objects;       // operated_obj_info
  std::string fingerprint;                   // literals and IN-lists normalised
  uint64_t fingerprint_id = 0;               // stable 64-bit hash of the fingerprint
  int injection_score = 0;                   // 0-100
  std::vector<std::string> injection_signals;
};

// Not thread-safe: use one per worker. Results are cached by fingerprint (bounded).
// query_type uses the underscore form everywhere (CREATE_TABLE, never "CREATE TABLE"); see
// NormalizeQueryType for filters that must accept both. Vocabulary: sensor/sql/README.md.
class Analyzer {
 public:
  // The cache keeps between max_cache_entries/2 and max_cache_entries analyses (two
  // generations: when the young one is full the old one is dropped); 0 disables it.
  explicit Analyzer(size_t max_cache_entries = 65536);
  ~Analyzer();
  Analysis Analyze(Dialect dialect, std::string_view sql);
  // The same with the session's quoting settings (standard_conforming_strings, sql_mode).
  Analysis Analyze(const LexOptions& options, std::string_view sql);
  // No copy: the reference stays valid until the next call on this analyzer.
  const Analysis& AnalyzeCached(const LexOptions& options, std::string_view sql);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// "CREATE TABLE", "create_table", " Create  Table " -> "CREATE_TABLE": the form filters compare.
std::string NormalizeQueryType(std::string_view query_type);

// Replaces the secrets of account statements (IDENTIFIED BY '...', PASSWORD '...',
// IDENTIFIED WITH plugin AS '...', PASSWORD('...')) by '***'. Returns true when it changed `sql`.
bool RedactSecrets(Dialect dialect, std::string* sql);

// Pipeline stage between the protocol sessions and the output: fills the analysis fields of
// statement records and passes every record on. Not thread-safe (one per worker).
// Dialect from record.session.protocol (postgresql, else mysql). query_type is only set when the
// protocol stage left it empty. MySQL objects without a schema get session.database (MySQL
// schema == database); PostgreSQL ones stay empty (search_path is not visible on the wire).
// Account statements have their secrets redacted in sql_statement (RedactSecrets).
// Only commands that carry SQL are analysed ("query", "prepare", "execute", "simple_query",
// "parse", "bind", "copy", or none); MySQL init_db / create_db / drop_db / field_list are
// analysed as USE / CREATE DATABASE / DROP DATABASE / SHOW COLUMNS FROM of their argument; other
// commands (quit, ping, function_call, ...) pass through untouched.
class ClassifyingSink : public RecordSink {
 public:
  // PRE: `next` outlives this sink.
  ClassifyingSink(RecordSink* next, size_t max_cache_entries = 65536);
  void Emit(Record&& record) override;
  void Flush() override { next_->Flush(); }

 private:
  void Classify(std::string_view sql, Record* record);
  // Statements after the first of a multi-statement message are judged together with that first
  // one, so stacked queries ("...WHERE id='1'; DROP TABLE users") are seen although the decoders
  // report each statement on its own.
  bool IsStacked(const Record& record);
  static void AddStackedSignal(Record* record);

  RecordSink* next_;
  Analyzer analyzer_;
  // session_id -> first statement of the batch in progress (bounded).
  std::unordered_map<std::string, std::string> batch_heads_;
};

}  // namespace dbaudit::sensor::sql
