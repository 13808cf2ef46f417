// SQL analysis of one statement: query_type, operated objects, fingerprint and injection signals.
// Never fails hard: unparseable SQL gets a best-effort type and the "unparsed" signal.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sensor/record/record.h"
#include "sensor/record/record_sink.h"
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
class Analyzer {
 public:
  explicit Analyzer(size_t max_cache_entries = 65536);
  ~Analyzer();
  Analysis Analyze(Dialect dialect, std::string_view sql);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Pipeline stage between the protocol sessions and the output: fills the analysis fields of
// statement records and passes every record on. Not thread-safe (one per worker).
class ClassifyingSink : public RecordSink {
 public:
  // PRE: `next` outlives this sink.
  ClassifyingSink(RecordSink* next, size_t max_cache_entries = 65536);
  void Emit(Record&& record) override;
  void Flush() override { next_->Flush(); }

 private:
  RecordSink* next_;
  Analyzer analyzer_;
};

}  // namespace dbaudit::sensor::sql
