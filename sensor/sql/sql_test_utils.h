// Helpers shared by the sql module's tests.
#pragma once

#include <string>
#include <vector>

#include "sensor/record/record_sink.h"
#include "sensor/sql/analyzer.h"

namespace dbaudit::sensor::sql {

// "schema|table|column|object_type|sql_type" per object, in analysis order.
inline std::vector<std::string> RenderObjects(const std::vector<OperatedObject>& objects) {
  std::vector<std::string> out;
  for (const OperatedObject& o : objects) {
    out.push_back(o.schema_name + "|" + o.table_name + "|" + o.column_name + "|" + o.object_type +
                  "|" + o.sql_type);
  }
  return out;
}

class CollectingSink : public RecordSink {
 public:
  void Emit(Record&& record) override { records.push_back(std::move(record)); }
  void Flush() override { ++flushes; }
  std::vector<Record> records;
  int flushes = 0;
};

// xorshift64: deterministic bytes for no-crash loops.
inline uint64_t NextRandom(uint64_t* state) {
  *state ^= *state << 13;
  *state ^= *state >> 7;
  *state ^= *state << 17;
  return *state;
}

}  // namespace dbaudit::sensor::sql
