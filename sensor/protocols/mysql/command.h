// Command phase requests: plausibility (for resync and protocol detection) and the requests with
// structure: COM_QUERY with query attributes, COM_CHANGE_USER, the prepared-statement commands.
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_command_phase.html
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/types/span.h"
#include "sensor/protocols/mysql/binary_value.h"
#include "sensor/protocols/mysql/types.h"

namespace dbaudit::sensor::mysql {

// True when `data` (a packet header and as much of the payload as is at hand) can start a
// request: sequence 0, a known command, a payload length inside that command's range, and for
// text commands a printable start of the text.
bool IsPlausibleRequest(absl::Span<const uint8_t> data);

// COM_QUERY: int<1> 0x03 | [query attributes (CLIENT_QUERY_ATTRIBUTES)] | string<EOF> query.
// Query attributes: int<lenenc> parameter_count | int<lenenc> parameter_set_count (1) |
//   parameter block (binary_value.h, named) when parameter_count > 0.
// `attributes` (optional) receives the attributes as name=value params.
bool ParseQuery(absl::Span<const uint8_t> payload, uint64_t caps, std::string_view* sql,
                std::vector<BoundParam>* attributes);

struct ChangeUser {
  std::string_view user;
  std::string_view database;
  std::string_view auth_plugin;
};
// COM_CHANGE_USER: int<1> 0x11 | string<NUL> user | auth response (int<1> length + data with
// SECURE_CONNECTION, else string<NUL>) | string<NUL> database | [int<2> charset |
// string<NUL> auth plugin (PLUGIN_AUTH) | attributes (CONNECT_ATTRS)]. The auth response is
// skipped.
bool ParseChangeUser(absl::Span<const uint8_t> payload, uint64_t caps, ChangeUser* out);

// COM_STMT_PREPARE response (first packet): int<1> 0x00 | int<4> statement_id |
// int<2> num_columns | int<2> num_params | int<1> filler | [int<2> warning_count]
struct PrepareOk {
  uint32_t statement_id = 0;
  uint16_t num_columns = 0;
  uint16_t num_params = 0;
};
bool ParsePrepareOk(absl::Span<const uint8_t> payload, PrepareOk* out);

// The statement id that follows the command byte of COM_STMT_EXECUTE / SEND_LONG_DATA / CLOSE /
// RESET / FETCH.
bool ReadStatementId(absl::Span<const uint8_t> payload, uint32_t* id);

struct ExecuteHeader {
  uint32_t statement_id = 0;
  uint8_t flags = 0;  // cursor type | PARAMETER_COUNT_AVAILABLE
};
// COM_STMT_EXECUTE: int<1> 0x17 | int<4> statement_id | int<1> flags | int<4> iteration_count |
//   [int<lenenc> parameter_count (QUERY_ATTRIBUTES with PARAMETER_COUNT_AVAILABLE)] |
//   parameter block (binary_value.h; names with QUERY_ATTRIBUTES) when there are parameters.
// `num_params` comes from the prepare response; `types` are the remembered types.
// `unread` (optional) receives the number of payload bytes left after the parameters.
bool ParseExecute(absl::Span<const uint8_t> payload, uint64_t caps, uint16_t num_params,
                  const std::vector<bool>& long_data, std::vector<ParamType>* types,
                  ExecuteHeader* header, std::vector<BoundParam>* params,
                  size_t* unread = nullptr);

// For an execution whose COM_STMT_PREPARE was not captured: the parameter count for which the
// packet (which must bind its types) parses to exactly its end, trying 0..max_params. False when
// none does.
bool GuessParamCount(absl::Span<const uint8_t> payload, uint64_t caps, uint16_t max_params,
                     uint16_t* num_params);

// COM_STMT_SEND_LONG_DATA: int<1> 0x18 | int<4> statement_id | int<2> param_id | string<EOF> data
bool ParseSendLongData(absl::Span<const uint8_t> payload, uint32_t* statement_id,
                       uint16_t* param_id, std::string_view* data);

}  // namespace dbaudit::sensor::mysql
