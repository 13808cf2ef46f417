// libFuzzer target: MySQL framing (plain, zlib, zstd) and every message decoder on the packets it
// yields. Input: byte 0 picks the compression and the packet size cap, byte 1 where the stream is
// cut in two Feed calls, the rest is the stream.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "sensor/protocols/mysql/command.h"
#include "sensor/protocols/mysql/frame_parser.h"
#include "sensor/protocols/mysql/handshake.h"
#include "sensor/protocols/mysql/response.h"
#include "sensor/protocols/mysql/response_tracker.h"

namespace mysql = dbaudit::sensor::mysql;

namespace {

void DecodeEverything(const mysql::Packet& p, mysql::ResponseTracker* tracker) {
  mysql::Greeting g;
  mysql::HandshakeResponse hr;
  mysql::OkPacket ok;
  mysql::ErrPacket err;
  mysql::ChangeUser cu;
  mysql::PrepareOk prepare;
  std::string_view sv;
  std::vector<mysql::ParamType> types;
  std::vector<dbaudit::sensor::BoundParam> params;
  mysql::ExecuteHeader header;
  (void)mysql::ParseGreeting(p.payload, &g);
  (void)mysql::ParseHandshakeResponse(p.payload, &hr);
  (void)mysql::ParseOk(p.payload, ~0ULL, &ok);
  (void)mysql::ParseErr(p.payload, &err);
  (void)mysql::ParseChangeUser(p.payload, ~0ULL, &cu);
  (void)mysql::ParsePrepareOk(p.payload, &prepare);
  (void)mysql::ParseQuery(p.payload, mysql::kClientQueryAttributes, &sv, &params);
  (void)mysql::ParseExecute(p.payload, mysql::kClientQueryAttributes,
                            p.payload.empty() ? 0 : p.payload[0] % 20, {}, &types, &header,
                            &params);
  (void)mysql::ParseAuthSwitchRequest(p.payload, &sv);
  mysql::ResultOutcome outcome;
  if (tracker->OnPacket(p, &outcome) != mysql::ResponseTracker::Step::kContinue) {
    tracker->Start(static_cast<mysql::ResponseKind>(p.seq % 8), p.seq & 1 ? ~0ULL : 0,
                   (p.seq & 2) != 0, (p.seq & 4) != 0);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  mysql::PacketStream::Options options;
  options.max_packet_bytes = (data[0] & 0x80) ? 64 : 1 << 20;
  options.max_buffer_bytes = 1 << 20;
  mysql::PacketStream stream(options);
  stream.SetCompression(static_cast<mysql::Compression>(data[0] % 3));
  mysql::ResponseTracker tracker;
  tracker.Start(mysql::ResponseKind::kResultSet, 0, false, false);
  auto cb = [&](const mysql::Packet& p) { DecodeEverything(p, &tracker); };
  const absl::Span<const uint8_t> body(data + 2, size - 2);
  const size_t cut = body.empty() ? 0 : data[1] % (body.size() + 1);
  if (stream.Feed(body.subspan(0, cut), cb)) (void)stream.Feed(body.subspan(cut), cb);
  (void)mysql::LooksLikeGreetingPacket(body);
  (void)mysql::IsPlausibleRequest(body);
  return 0;
}
