// libFuzzer target: a whole PostgreSQL session. The input is cut into chunks at the delimiter
// "\x00FUZZ\x00"; each chunk's first byte says what it is (bit 0: 0 client, 1 server; bit 1: a
// gap of (byte >> 2) bytes instead of data) and the rest is the data. Bit 0 of the input's first
// byte chooses a mid-stream pickup. Seeds: the golden pcaps' payloads joined this way
// (tests/testdata/captures/postgres/make_fuzz_seeds.py).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sensor/protocols/postgres/session.h"

namespace {

class NullSink : public dbaudit::sensor::RecordSink {
 public:
  void Emit(dbaudit::sensor::Record&& r) override { bytes_ += r.sql_statement.size(); }
  size_t bytes_ = 0;
};

constexpr std::string_view kDelimiter("\x00" "FUZZ" "\x00", 6);

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  using dbaudit::sensor::Direction;
  dbaudit::sensor::ConnectionInfo conn;
  conn.session_id = "s-fuzz";
  conn.mid_stream = (data[0] & 1) != 0;
  NullSink sink;
  dbaudit::sensor::postgres::SessionOptions options;
  options.max_buffer_bytes = 1 << 16;
  options.max_param_value_bytes = 64;
  options.max_prepared = 8;
  options.max_pending = 64;
  dbaudit::sensor::postgres::Session session(conn, &sink, options);
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  int64_t ts = 1;
  size_t pos = 0;
  while (pos <= input.size()) {
    size_t end = input.find(kDelimiter, pos);
    if (end == std::string_view::npos) end = input.size();
    const std::string_view chunk = input.substr(pos, end - pos);
    pos = end + kDelimiter.size();
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
  session.OnClose(++ts, dbaudit::sensor::CloseInfo{});
  return 0;
}
