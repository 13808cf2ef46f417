// Generic response packets: OK, ERR, EOF.
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_response_packets.html
#pragma once

#include <cstdint>
#include <string_view>

#include "absl/types/span.h"
#include "sensor/protocols/mysql/types.h"

namespace dbaudit::sensor::mysql {

struct OkPacket {
  uint64_t affected_rows = 0;
  uint64_t last_insert_id = 0;
  uint16_t status = 0;
  uint16_t warnings = 0;
  std::string_view info;
  bool schema_changed = false;  // session tracker reported a new current schema
  std::string_view schema;
};

// OK (0x00) or OK-as-EOF (0xFE with CLIENT_DEPRECATE_EOF). `caps` are the session's negotiated
// capabilities. False when malformed.
bool ParseOk(absl::Span<const uint8_t> payload, uint64_t caps, OkPacket* out);

struct ErrPacket {
  uint16_t code = 0;
  std::string_view sql_state;  // empty when the server sent none
  std::string_view message;
};

// ERR: 0xFF, int<2> error code, ["#" string<5> sql_state], string<EOF> message.
bool ParseErr(absl::Span<const uint8_t> payload, ErrPacket* out);

struct EofPacket {
  uint16_t warnings = 0;
  uint16_t status = 0;
};

// A classic EOF packet: 0xFE and a payload shorter than 9 bytes (a row never is: a row starting
// with 0xFE holds an 8-byte length after it).
bool IsEofPacket(const Packet& p);
bool ParseEof(absl::Span<const uint8_t> payload, EofPacket* out);

// The packet that ends a result set when CLIENT_DEPRECATE_EOF is on: an OK with the 0xFE marker
// and a payload below the maximum packet length.
bool IsOkTerminator(const Packet& p);

}  // namespace dbaudit::sensor::mysql
