#include "sensor/protocols/postgres/errors.h"

#include <string_view>

#include "sensor/protocols/common/binary_reader.h"

namespace dbaudit::sensor::postgres {

bool ParseErrorFields(absl::Span<const uint8_t> body, ErrorFields* out) {
  protocols::BinaryReader r(body);
  std::string severity_localized;
  while (true) {
    uint8_t code = 0;
    if (!r.ReadU8(&code)) return false;  // the terminating \0 is missing
    if (code == 0) break;
    std::string_view value;
    if (!r.ReadCString(&value)) return false;
    switch (code) {
      case 'S': severity_localized.assign(value); break;
      case 'V': out->severity.assign(value); break;
      case 'C': out->sqlstate.assign(value); break;
      case 'M': out->message.assign(value); break;
      case 'D': out->detail.assign(value); break;
      case 'H': out->hint.assign(value); break;
      case 'P': out->position.assign(value); break;
      default: break;  // where, schema, table, file, line, routine: not reported
    }
  }
  if (out->severity.empty()) out->severity = std::move(severity_localized);
  return true;
}

std::string FormatErrorMessage(const ErrorFields& e) {
  std::string s = e.message;
  if (!e.detail.empty()) s.append(" DETAIL: ").append(e.detail);
  if (!e.hint.empty()) s.append(" HINT: ").append(e.hint);
  if (!e.position.empty()) s.append(" POSITION: ").append(e.position);
  return s;
}

}  // namespace dbaudit::sensor::postgres
