// Renders a Record as one JSON object (no trailing newline), snake_case names as in DESIGN.md.
// Kind-specific fields appear only on their kind; unknown values (empty user, unknown rows) are
// omitted rather than invented.
#pragma once

#include <cstdio>
#include <mutex>
#include <string>

#include "sensor/record/record.h"
#include "sensor/record/record_sink.h"

namespace dbaudit::sensor {

void AppendRecordJson(const Record& r, const std::string& sensor_id, std::string* out);

// Thread-safe sink that assigns `seq` and writes JSON Lines to a FILE (stdout by default).
class JsonlSink : public RecordSink {
 public:
  JsonlSink(std::string sensor_id, std::FILE* out);
  ~JsonlSink() override;
  void Emit(Record&& record) override;
  void Flush() override;
  uint64_t records_written() const { return next_seq_ - 1; }

 private:
  std::mutex mu_;
  std::string sensor_id_;
  std::FILE* out_;
  std::string buffer_;
  uint64_t next_seq_ = 1;
};

}  // namespace dbaudit::sensor
