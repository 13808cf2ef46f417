// libFuzzer target: PostgreSQL framing and every message decoder on the frames it yields.
// Input: byte 0 picks the direction (bit 0), whether the stream starts with an untagged startup
// packet (bit 1), and the buffer cap (bits 2..7, in units of 64 bytes); the rest is the stream.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "sensor/protocols/postgres/errors.h"
#include "sensor/protocols/postgres/extended.h"
#include "sensor/protocols/postgres/frame_parser.h"
#include "sensor/protocols/postgres/startup.h"

namespace pg = dbaudit::sensor::postgres;
using dbaudit::sensor::Direction;

namespace {

void DecodeEverything(const pg::Frame& f) {
  pg::ErrorFields e;
  (void)pg::ParseErrorFields(f.body, &e);
  (void)pg::FormatErrorMessage(e);
  pg::ParseMessage parse;
  if (pg::DecodeParse(f.body, &parse)) {
    pg::BindMessage bind;
    if (pg::DecodeBind(f.body, &bind)) (void)pg::RenderParams(parse.param_types, bind, 64);
  }
  pg::BindMessage bind;
  if (pg::DecodeBind(f.body, &bind)) (void)pg::RenderParams({23, 20, 16, 2950, 700, 701}, bind, 64);
  std::string_view name;
  uint32_t rows = 0;
  uint8_t kind = 0;
  (void)pg::DecodeExecute(f.body, &name, &rows);
  (void)pg::DecodeTarget(f.body, &kind, &name);
  pg::FunctionCallMessage call;
  (void)pg::DecodeFunctionCall(f.body, &call);
  pg::CommandTag tag;
  (void)pg::DecodeCommandComplete(f.body, &tag);
  pg::AuthRequest type;
  std::vector<std::string> mechanisms;
  (void)pg::ParseAuthRequest(f.body, &type, &mechanisms);
  std::string a, b;
  (void)pg::ParseSaslMechanism(f.body, &a);
  (void)pg::ParseParameterStatus(f.body, &a, &b);
  uint32_t pid = 0;
  (void)pg::ParseBackendKeyData(f.body, &pid);
  (void)pg::ParseCancelRequest(f.body, &pid);
  pg::StartupParams params;
  (void)pg::ParseStartupParams(f.body, &params);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const Direction dir = (data[0] & 1) ? Direction::kServerToClient : Direction::kClientToServer;
  bool startup = (data[0] & 2) != 0;
  const uint32_t cap = 64u * (data[0] >> 2);
  absl::Span<const uint8_t> rest(data + 1, size - 1);
  (void)pg::LooksLikePostgres(dir, rest);
  while (!rest.empty()) {
    pg::Frame f;
    size_t used = 0;
    const pg::ParseState ps = startup ? pg::ParseStartupPacket(rest, &f, &used)
                                      : pg::ParseTaggedFrame(dir, rest, cap, &f, &used);
    startup = false;
    if (ps == pg::ParseState::kOk) {
      if (used == 0 || used > rest.size()) __builtin_trap();  // must make progress in bounds
      DecodeEverything(f);
      rest = rest.subspan(used);
      continue;
    }
    if (ps == pg::ParseState::kNeedMoreData) break;
    size_t keep = 0;
    const auto at = pg::FindFrameBoundary(dir, rest.subspan(1), &keep);
    if (!at) break;
    rest = rest.subspan(1 + *at);
  }
  return 0;
}
