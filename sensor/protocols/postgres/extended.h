// Extended query protocol messages (Parse, Bind, Execute, Close, Describe, FunctionCall), the
// CommandComplete tag, and rendering of bound parameter values with their type OIDs.
// https://www.postgresql.org/docs/15/protocol-flow.html#PROTOCOL-FLOW-EXT-QUERY
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/types/span.h"
#include "sensor/record/record.h"

namespace dbaudit::sensor::postgres {

// Parse: String statement\0, String query\0, Int16 n, Int32[n] parameter type OIDs (0 = let
// the server infer).
struct ParseMessage {
  std::string_view statement;
  std::string_view query;
  std::vector<uint32_t> param_types;
};
bool DecodeParse(absl::Span<const uint8_t> body, ParseMessage* out);

struct RawValue {
  bool is_null = false;
  absl::Span<const uint8_t> bytes;
};

// Bind: String portal\0, String statement\0, Int16 nf, Int16[nf] format codes (0 text, 1
// binary; none = all text, one = for all), Int16 n, n x { Int32 length (-1 = NULL), Byte[length] },
// Int16 nr, Int16[nr] result format codes.
struct BindMessage {
  std::string_view portal;
  std::string_view statement;
  std::vector<int16_t> formats;
  std::vector<RawValue> values;
  // The format of value i, applying the one-code-for-all rule.
  int16_t FormatOf(size_t i) const;
};
bool DecodeBind(absl::Span<const uint8_t> body, BindMessage* out);

// Execute: String portal\0, Int32 max rows (0 = no limit).
bool DecodeExecute(absl::Span<const uint8_t> body, std::string_view* portal, uint32_t* max_rows);

// Close and Describe: Byte1 'S' (statement) or 'P' (portal), String name\0.
bool DecodeTarget(absl::Span<const uint8_t> body, uint8_t* kind, std::string_view* name);

// FunctionCall: Int32 function OID, Int16 nf, Int16[nf] formats, Int16 n,
// n x { Int32 length (-1 = NULL), Byte[length] }, Int16 result format.
struct FunctionCallMessage {
  uint32_t function_oid = 0;
  std::vector<int16_t> formats;
  std::vector<RawValue> args;
};
bool DecodeFunctionCall(absl::Span<const uint8_t> body, FunctionCallMessage* out);

// CommandComplete: String tag\0, e.g. "INSERT 0 5", "UPDATE 10", "SELECT 3", "COPY 7",
// "CREATE TABLE". `command` is the tag without its counts; `rows` the last number when the
// command reports one.
struct CommandTag {
  std::string command;
  std::optional<uint64_t> rows;
};
bool DecodeCommandComplete(absl::Span<const uint8_t> body, CommandTag* out);

// ParameterDescription: Int16 n, Int32[n] parameter type OIDs.
bool DecodeParameterDescription(absl::Span<const uint8_t> body, std::vector<uint32_t>* types);

// "int4", "text", ... for the common built-in types, "oid:<n>" for others, "unspecified" for 0.
std::string TypeName(uint32_t oid);

// A bound value as text. Text-format values are returned as sent (up to `max_bytes`); binary
// values of integer, float, bool, uuid, oid and text-like types are decoded, others rendered as
// \x hex. Truncated values end in "...".
std::string RenderValue(uint32_t oid, int16_t format, absl::Span<const uint8_t> bytes,
                        size_t max_bytes);

// Turns decoded values into Record params.
std::vector<BoundParam> RenderParams(const std::vector<uint32_t>& types, const BindMessage& bind,
                                     size_t max_value_bytes);

}  // namespace dbaudit::sensor::postgres
