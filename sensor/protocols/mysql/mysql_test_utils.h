// Helpers shared by the MySQL parser's tests: a sink that keeps records, byte conversions and a
// packet builder for the synthetic cases no capture holds (gaps, garbage, zstd).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/types/span.h"
#include "sensor/flow/stream_handler.h"
#include "sensor/record/record_sink.h"

namespace dbaudit::sensor::mysql::testing {

class CollectingSink : public RecordSink {
 public:
  void Emit(Record&& r) override { records.push_back(std::move(r)); }

  std::vector<const Record*> Of(RecordKind kind) const {
    std::vector<const Record*> out;
    for (const Record& r : records) {
      if (r.kind == kind) out.push_back(&r);
    }
    return out;
  }

  std::vector<Record> records;
};

inline absl::Span<const uint8_t> Bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// int<3> length | int<1> seq | payload
inline std::string MakePacket(uint8_t seq, std::string_view payload) {
  std::string out;
  const size_t n = payload.size();
  out.push_back(static_cast<char>(n & 0xff));
  out.push_back(static_cast<char>((n >> 8) & 0xff));
  out.push_back(static_cast<char>((n >> 16) & 0xff));
  out.push_back(static_cast<char>(seq));
  out.append(payload);
  return out;
}

// A COM_QUERY request packet.
inline std::string QueryPacket(std::string_view sql) {
  return MakePacket(0, std::string("\x03", 1) + std::string(sql));
}

// OK with affected_rows and status (no session tracking).
inline std::string OkPacket(uint8_t seq, uint8_t affected, uint16_t status = 0x0002) {
  std::string p("\x00", 1);
  p.push_back(static_cast<char>(affected));
  p.push_back('\0');  // last_insert_id
  p.push_back(static_cast<char>(status & 0xff));
  p.push_back(static_cast<char>(status >> 8));
  p.append("\x00\x00", 2);  // warnings
  return MakePacket(seq, p);
}

inline std::string ErrPacket(uint8_t seq, uint16_t code, std::string_view state,
                             std::string_view msg) {
  std::string p("\xff", 1);
  p.push_back(static_cast<char>(code & 0xff));
  p.push_back(static_cast<char>(code >> 8));
  p.push_back('#');
  p.append(state);
  p.append(msg);
  return MakePacket(seq, p);
}

inline ConnectionInfo TestConnection(bool mid_stream = false) {
  ConnectionInfo c;
  c.session_id = "s-0000000000000001";
  c.client_ip = "127.0.0.1";
  c.client_port = 40000;
  c.server_ip = "127.0.0.1";
  c.server_port = 3306;
  c.start_ts_us = 1000;
  c.mid_stream = mid_stream;
  return c;
}

}  // namespace dbaudit::sensor::mysql::testing
