// Connection phase messages: the server greeting (HandshakeV10), the client's
// HandshakeResponse41 / SSLRequest, and AuthSwitchRequest.
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_connection_phase.html
// https://mariadb.com/kb/en/connection/
// Only what an audit keeps is returned; auth responses and scrambles are skipped, never copied.
#pragma once

#include <cstdint>
#include <string_view>

#include "absl/types/span.h"

namespace dbaudit::sensor::mysql {

struct Greeting {
  uint8_t protocol_version = 0;
  std::string_view server_version;
  uint32_t connection_id = 0;
  uint64_t capabilities = 0;  // includes MariaDB extended capabilities in bits 32..63
  std::string_view auth_plugin;
};

// Parses a protocol-10 greeting. False when `payload` is not one.
bool ParseGreeting(absl::Span<const uint8_t> payload, Greeting* out);

struct HandshakeResponse {
  uint64_t capabilities = 0;  // includes MariaDB extended capabilities in bits 32..63
  bool ssl_request = false;    // a 32-byte SSLRequest: TLS follows, nothing else is sent in clear
  std::string_view user;
  std::string_view database;
  std::string_view auth_plugin;
  std::string_view program_name;  // connection attribute program_name
  uint8_t zstd_level = 0;
};

// Parses HandshakeResponse41 (or the older HandshakeResponse320). False when malformed.
bool ParseHandshakeResponse(absl::Span<const uint8_t> payload, HandshakeResponse* out);

// AuthSwitchRequest: 0xFE, string<NUL> plugin name, plugin data. False unless it is one.
bool ParseAuthSwitchRequest(absl::Span<const uint8_t> payload, std::string_view* plugin);

// Content check used for protocol detection: a plausible greeting packet (header included).
bool LooksLikeGreetingPacket(absl::Span<const uint8_t> data);

}  // namespace dbaudit::sensor::mysql
