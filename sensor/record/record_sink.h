#pragma once

#include "sensor/record/record.h"

namespace dbaudit::sensor {

// Where a pipeline stage hands its records. A stage owns no sink; the sink outlives the stage.
// Implementations document whether Emit may be called from several threads.
class RecordSink {
 public:
  virtual ~RecordSink() = default;
  virtual void Emit(Record&& record) = 0;
  // Called once at the end of input; sinks that batch write out what they hold.
  virtual void Flush() {}
};

}  // namespace dbaudit::sensor
