#include "sensor/protocols/mysql/handshake.h"

#include <algorithm>

#include "sensor/protocols/common/binary_reader.h"
#include "sensor/protocols/mysql/types.h"

namespace dbaudit::sensor::mysql {
namespace {

using protocols::BinaryReader;

bool IsPrintable(std::string_view s) {
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return false;
  }
  return true;
}

// Connection attributes: lenenc total length, then lenenc key / lenenc value pairs.
void ReadConnectAttrs(BinaryReader* r, HandshakeResponse* out) {
  std::string_view block;
  if (!r->ReadLenEncString(&block)) return;
  BinaryReader attrs(block);
  std::string_view key;
  std::string_view value;
  while (attrs.ReadLenEncString(&key) && attrs.ReadLenEncString(&value)) {
    if (key == "program_name") out->program_name = value;
  }
}

// Skips the auth response: lenenc (PLUGIN_AUTH_LENENC_CLIENT_DATA), int<1> length
// (SECURE_CONNECTION) or NUL-terminated (neither). Its bytes are never looked at.
bool SkipAuthResponse(BinaryReader* r, uint64_t caps) {
  std::string_view ignored;
  if (caps & kClientPluginAuthLenencClientData) return r->ReadLenEncString(&ignored);
  if (caps & kClientSecureConnection) {
    uint8_t n;
    return r->ReadU8(&n) && r->Skip(n);
  }
  return r->ReadCString(&ignored) || r->Skip(r->remaining());
}

// HandshakeResponse320: int<2> caps | int<3> max packet | string<NUL> user | auth [| db]
bool ParseResponse320(BinaryReader* r, HandshakeResponse* out) {
  uint16_t caps;
  if (!r->ReadLE16(&caps) || !r->Skip(3)) return false;
  out->capabilities = caps;
  if (caps & kClientSsl && r->empty()) {
    out->ssl_request = true;
    return true;
  }
  return r->ReadCString(&out->user);
}

}  // namespace

// HandshakeV10:
//   int<1> protocol_version (10) | string<NUL> server_version | int<4> thread id |
//   string<8> scramble part 1 | int<1> filler | int<2> capability flags (lower) |
//   int<1> charset | int<2> status | int<2> capability flags (upper) | int<1> auth data length |
//   string<6> reserved | int<4> MariaDB extended caps (MySQL: reserved) |
//   string<max(13, len-8)> scramble part 2 (SECURE_CONNECTION) | string<NUL> auth plugin name
bool ParseGreeting(absl::Span<const uint8_t> payload, Greeting* out) {
  BinaryReader r(payload);
  uint16_t caps_low;
  if (!r.ReadU8(&out->protocol_version) || out->protocol_version != 10 ||
      !r.ReadCString(&out->server_version) || out->server_version.empty() ||
      !IsPrintable(out->server_version) || !r.ReadLE32(&out->connection_id) || !r.Skip(8 + 1) ||
      !r.ReadLE16(&caps_low)) {
    return false;
  }
  out->capabilities = caps_low;
  uint16_t status;
  uint16_t caps_high;
  uint8_t auth_len;
  uint32_t caps_ext;
  if (!r.Skip(1) || !r.ReadLE16(&status) || !r.ReadLE16(&caps_high) || !r.ReadU8(&auth_len) ||
      !r.Skip(6) || !r.ReadLE32(&caps_ext)) {
    return true;  // pre-4.1 servers stop after the lower capability flags
  }
  out->capabilities |= static_cast<uint64_t>(caps_high) << 16;
  if (!(out->capabilities & kClientLongPassword)) {
    out->capabilities |= static_cast<uint64_t>(caps_ext) << 32;
  }
  if (out->capabilities & kClientSecureConnection) {
    const size_t part2 = auth_len > 8 ? std::max<size_t>(13, auth_len - 8) : 13;
    if (!r.Skip(part2)) return true;
  }
  if (out->capabilities & kClientPluginAuth) {
    // Some servers omit the terminating NUL of the last field.
    if (!r.ReadCString(&out->auth_plugin)) out->auth_plugin = r.Rest();
  }
  return true;
}

// HandshakeResponse41:
//   int<4> client caps | int<4> max packet | int<1> charset | string<23> filler (MariaDB: the last
//   4 bytes are the extended caps) | string<NUL> user | auth response | string<NUL> database
//   (CONNECT_WITH_DB) | string<NUL> auth plugin (PLUGIN_AUTH) | attributes (CONNECT_ATTRS) |
//   int<1> zstd level (ZSTD_COMPRESSION_ALGORITHM)
// SSLRequest is the same message cut after the filler (32 bytes) with CLIENT_SSL set.
bool ParseHandshakeResponse(absl::Span<const uint8_t> payload, HandshakeResponse* out) {
  BinaryReader r(payload);
  uint16_t caps_low;
  if (!r.ReadLE16(&caps_low)) return false;
  if (!(caps_low & kClientProtocol41)) {
    BinaryReader r320(payload);
    return ParseResponse320(&r320, out);
  }
  uint16_t caps_high;
  uint32_t caps_ext;
  if (!r.ReadLE16(&caps_high) || !r.Skip(4 + 1 + 19) || !r.ReadLE32(&caps_ext)) return false;
  out->capabilities = caps_low | (static_cast<uint64_t>(caps_high) << 16);
  if (!(out->capabilities & kClientLongPassword)) {
    out->capabilities |= static_cast<uint64_t>(caps_ext) << 32;
  }
  if (r.empty()) {
    out->ssl_request = (out->capabilities & kClientSsl) != 0;
    return out->ssl_request;
  }
  if (!r.ReadCString(&out->user) || !SkipAuthResponse(&r, out->capabilities)) return false;
  if (out->capabilities & kClientConnectWithDb) {
    if (!r.ReadCString(&out->database)) return !r.empty() ? false : true;
  }
  if (out->capabilities & kClientPluginAuth) {
    if (!r.ReadCString(&out->auth_plugin)) out->auth_plugin = r.Rest();
  }
  if (out->capabilities & kClientConnectAttrs) ReadConnectAttrs(&r, out);
  if (out->capabilities & kClientZstdCompressionAlgorithm) {
    if (!r.ReadU8(&out->zstd_level)) out->zstd_level = 0;
  }
  return true;
}

bool ParseAuthSwitchRequest(absl::Span<const uint8_t> payload, std::string_view* plugin) {
  BinaryReader r(payload);
  uint8_t marker;
  if (!r.ReadU8(&marker) || marker != kEofMarker || r.empty()) return false;
  if (!r.ReadCString(plugin)) *plugin = r.Rest();
  return IsPrintable(*plugin);
}

bool LooksLikeGreetingPacket(absl::Span<const uint8_t> data) {
  if (data.size() < kPacketHeaderBytes + 2) return false;
  const uint32_t length = data[0] | (data[1] << 8) | (data[2] << 16);
  // A greeting is one short packet with sequence 0: version string, scrambles, plugin name.
  if (data[3] != 0 || length < 20 || length > 1024 || data[4] != 10) return false;
  const auto payload = data.subspan(kPacketHeaderBytes, std::min<size_t>(length, data.size() - 4));
  BinaryReader r(payload);
  uint8_t version;
  std::string_view server_version;
  if (!r.ReadU8(&version)) return false;
  if (!r.ReadCString(&server_version)) {
    // The version string is cut by the end of what we have: judge the part we see.
    server_version = r.Rest();
    return payload.size() < length && server_version.size() >= 1 && IsPrintable(server_version);
  }
  return !server_version.empty() && server_version.size() < 128 && IsPrintable(server_version) &&
         server_version[0] >= '0' && server_version[0] <= '9';
}

}  // namespace dbaudit::sensor::mysql
