#include "sensor/protocols/mysql/response.h"

#include "sensor/protocols/common/binary_reader.h"

namespace dbaudit::sensor::mysql {
namespace {

using protocols::BinaryReader;

// Session state info: a list of int<1> type | string<lenenc> data. SESSION_TRACK_SCHEMA data is
// string<lenenc> schema name.
void ReadSessionState(std::string_view block, OkPacket* out) {
  BinaryReader r(block);
  uint8_t type;
  std::string_view data;
  while (r.ReadU8(&type) && r.ReadLenEncString(&data)) {
    if (type != kSessionTrackSchema) continue;
    BinaryReader d(data);
    std::string_view schema;
    if (d.ReadLenEncString(&schema)) {
      out->schema_changed = true;
      out->schema = schema;
    }
  }
}

}  // namespace

// OK: int<1> 0x00|0xFE | int<lenenc> affected_rows | int<lenenc> last_insert_id |
//     int<2> status_flags | int<2> warnings (PROTOCOL_41) |
//     SESSION_TRACK: string<lenenc> info [string<lenenc> session state (STATE_CHANGED)]
//     otherwise: string<EOF> info
bool ParseOk(absl::Span<const uint8_t> payload, uint64_t caps, OkPacket* out) {
  BinaryReader r(payload);
  uint8_t marker;
  if (!r.ReadU8(&marker) || (marker != kOkMarker && marker != kEofMarker)) return false;
  if (!r.ReadLenEncInt(&out->affected_rows) || !r.ReadLenEncInt(&out->last_insert_id)) {
    return false;
  }
  if (!r.ReadLE16(&out->status)) return (caps & kClientProtocol41) == 0;
  if (!r.ReadLE16(&out->warnings)) return false;
  if (caps & kClientSessionTrack) {
    if (r.empty()) return true;
    if (!r.ReadLenEncString(&out->info)) return true;  // tolerate servers that leave it out
    std::string_view state;
    if ((out->status & kServerSessionStateChanged) && r.ReadLenEncString(&state)) {
      ReadSessionState(state, out);
    }
    return true;
  }
  out->info = r.Rest();
  return true;
}

bool ParseErr(absl::Span<const uint8_t> payload, ErrPacket* out) {
  BinaryReader r(payload);
  uint8_t marker;
  if (!r.ReadU8(&marker) || marker != kErrMarker || !r.ReadLE16(&out->code)) return false;
  if (r.PeekU8() == '#' && r.remaining() >= 6) {
    if (!r.Skip(1) || !r.ReadBytes(5, &out->sql_state)) return false;
  }
  out->message = r.Rest();
  return true;
}

bool IsEofPacket(const Packet& p) {
  return !p.payload.empty() && p.payload[0] == kEofMarker && p.length < 9;
}

// EOF: int<1> 0xFE | int<2> warnings | int<2> status_flags (PROTOCOL_41)
bool ParseEof(absl::Span<const uint8_t> payload, EofPacket* out) {
  BinaryReader r(payload);
  uint8_t marker;
  if (!r.ReadU8(&marker) || marker != kEofMarker) return false;
  if (r.empty()) return true;
  return r.ReadLE16(&out->warnings) && r.ReadLE16(&out->status);
}

bool IsOkTerminator(const Packet& p) {
  // A text row starting with 0xFE announces a cell of 2^24 bytes or more, so its packet is a
  // full 0xFFFFFF-byte one: anything shorter is the terminator.
  return !p.payload.empty() && p.payload[0] == kEofMarker && p.length < kMaxPacketPayload;
}

}  // namespace dbaudit::sensor::mysql
