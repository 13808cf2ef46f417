// sensor::Record (the in-process record contract) -> dbaudit.v1.Record (the wire contract).
#pragma once

#include <string>

#include "dbaudit/v1/records.pb.h"
#include "sensor/record/record.h"

namespace dbaudit::sensor::ship {

// Copies every field; the kind-specific ones go into the matching oneof member.
void ToProto(const Record& record, const std::string& sensor_id, dbaudit::v1::Record* out);

}  // namespace dbaudit::sensor::ship
