// Shared driver for the whole-session fuzz targets. The input is cut into chunks at the delimiter
// "\x00FUZZ\x00"; each chunk's first byte says what it is (bit 0: 0 client, 1 server; bit 1: a gap
// of (byte >> 2) bytes instead of data) and the rest is the data. Bit 0 of the input's first byte
// chooses a mid-stream pickup. Seeds: the golden pcaps' payloads joined this way.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sensor/flow/stream_handler.h"
#include "sensor/record/record_sink.h"

namespace dbaudit::fuzz {

class NullSink : public sensor::RecordSink {
 public:
  void Emit(sensor::Record&& r) override { bytes_ += r.sql_statement.size(); }
  size_t bytes_ = 0;
};

inline constexpr std::string_view kChunkDelimiter("\x00" "FUZZ" "\x00", 6);

// Builds a Session(conn, sink, options), replays the chunks of `data` into it and closes it.
template <typename Session, typename Options>
int FuzzSession(const uint8_t* data, size_t size, const Options& options) {
  if (size < 1) return 0;
  using sensor::Direction;
  sensor::ConnectionInfo conn;
  conn.session_id = "s-fuzz";
  conn.mid_stream = (data[0] & 1) != 0;
  NullSink sink;
  Session session(conn, &sink, options);
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  int64_t ts = 1;
  size_t pos = 0;
  while (pos <= input.size()) {
    size_t end = input.find(kChunkDelimiter, pos);
    if (end == std::string_view::npos) end = input.size();
    const std::string_view chunk = input.substr(pos, end - pos);
    pos = end + kChunkDelimiter.size();
    if (chunk.empty()) continue;
    const uint8_t kind = static_cast<uint8_t>(chunk[0]);
    const Direction dir = (kind & 1) ? Direction::kServerToClient : Direction::kClientToServer;
    if (kind & 2) {
      session.OnGap(dir, ++ts, kind >> 2);
    } else {
      session.OnData(dir, ++ts,
                     absl::Span<const uint8_t>(reinterpret_cast<const uint8_t*>(chunk.data()) + 1,
                                               chunk.size() - 1));
    }
  }
  session.OnClose(++ts, sensor::CloseInfo{});
  return 0;
}

}  // namespace dbaudit::fuzz
