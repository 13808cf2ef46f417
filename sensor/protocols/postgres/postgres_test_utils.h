// Test helpers: a fake RecordSink, a session driver, and a tiny message builder for synthetic
// sequences the real captures do not contain (pipelines with errors, gaps, COPY edge cases).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/types/span.h"
#include "sensor/protocols/postgres/session.h"
#include "sensor/record/record_sink.h"

namespace dbaudit::sensor::postgres::testing {

class FakeSink : public RecordSink {
 public:
  void Emit(Record&& r) override { records.push_back(std::move(r)); }
  std::vector<Record> Of(RecordKind kind) const {
    std::vector<Record> out;
    for (const Record& r : records) {
      if (r.kind == kind) out.push_back(r);
    }
    return out;
  }
  std::vector<Record> records;
};

inline absl::Span<const uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

inline std::string Be16(uint16_t v) { return std::string{char(v >> 8), char(v & 0xFF)}; }
inline std::string Be32(uint32_t v) {
  return std::string{char(v >> 24), char((v >> 16) & 0xFF), char((v >> 8) & 0xFF), char(v & 0xFF)};
}
inline std::string Cstr(const std::string& s) { return s + std::string(1, '\0'); }
// Byte1 tag, Int32 length, body.
inline std::string Msg(char tag, const std::string& body) {
  return std::string(1, tag) + Be32(static_cast<uint32_t>(body.size() + 4)) + body;
}

inline ConnectionInfo TestConn(bool mid_stream = false) {
  ConnectionInfo c;
  c.session_id = "s-0000000000000001";
  c.client_ip = "127.0.0.1";
  c.client_port = 40000;
  c.server_ip = "127.0.0.1";
  c.server_port = 5432;
  c.mid_stream = mid_stream;
  return c;
}

// One chunk of a conversation.
struct Turn {
  Direction dir;
  std::string bytes;
};

// Feeds `turns` in order, each split in two at `split` (clamped), with timestamps 1000 apart.
inline void Feed(Session* s, const std::vector<Turn>& turns, size_t split = SIZE_MAX) {
  int64_t ts = 1000;
  for (const Turn& t : turns) {
    const size_t cut = std::min(split, t.bytes.size());
    s->OnData(t.dir, ts, Bytes(t.bytes).subspan(0, cut));
    if (cut < t.bytes.size()) s->OnData(t.dir, ts, Bytes(t.bytes).subspan(cut));
    ts += 1000;
  }
}

}  // namespace dbaudit::sensor::postgres::testing
