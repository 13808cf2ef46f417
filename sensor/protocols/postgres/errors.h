// ErrorResponse / NoticeResponse bodies.
//   repeated { Byte1 field code; String value\0 }  terminated by a single \0
// Field codes: S severity (localized), V severity, C SQLSTATE, M message, D detail, H hint,
// P position, p internal position, q internal query, W where, s schema, t table, c column,
// d data type, n constraint, F file, L line, R routine.
// https://www.postgresql.org/docs/15/protocol-error-fields.html
#pragma once

#include <string>

#include "absl/types/span.h"

namespace dbaudit::sensor::postgres {

struct ErrorFields {
  std::string severity;  // V (never localized) or else S
  std::string sqlstate;  // C, e.g. "28P01"
  std::string message;   // M
  std::string detail;    // D
  std::string hint;      // H
  std::string position;  // P, 1-based character index into the statement
};

// Decodes the fields it knows and skips the rest. False when the body is malformed (a field
// without its terminator); `out` then holds what was read before the damage.
bool ParseErrorFields(absl::Span<const uint8_t> body, ErrorFields* out);

// The text dbaudit reports as error_msg: the message, then " DETAIL: ", " HINT: " and
// " POSITION: " parts for the fields that are present.
std::string FormatErrorMessage(const ErrorFields& e);

}  // namespace dbaudit::sensor::postgres
