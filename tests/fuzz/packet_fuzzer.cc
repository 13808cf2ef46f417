// libFuzzer target over whole packets: link layer -> IP -> TCP -> flow table -> reassembly.
//
// Input layout: byte 0 picks the link type; the rest is a sequence of packets, each
//   [time step (1 byte, milliseconds)][length (2 bytes, big-endian)][frame bytes]
// A short final record just uses what is left. Caps are tiny so eviction, buffer-cap flushes
// and idle timeouts all happen within one input. The handler reads every byte it is given, so
// AddressSanitizer sees any out-of-bounds span. A good seed corpus is the link-type captures in
// tests/testdata/captures/linktypes, each turned into this layout (selector byte, then every
// frame as [1][length][frame]).
#include <cstddef>
#include <cstdint>
#include <memory>

#include "sensor/flow/packet_engine.h"

namespace {

using dbaudit::sensor::CloseInfo;
using dbaudit::sensor::ConnectionInfo;
using dbaudit::sensor::Direction;
using dbaudit::sensor::StreamHandler;
using dbaudit::sensor::StreamHandlerFactory;

constexpr int kLinktypes[] = {1 /*EN10MB*/, 113 /*LINUX_SLL*/, 276 /*LINUX_SLL2*/, 0 /*NULL*/,
                              108 /*LOOP*/, 12 /*RAW*/,      228 /*IPV4*/,       229 /*IPV6*/};

// Written through a global so the reads in TouchingHandler cannot be optimised away.
uint64_t g_checksum = 0;

class TouchingHandler : public StreamHandler {
 public:
  void OnData(Direction, int64_t, absl::Span<const uint8_t> data) override {
    for (uint8_t b : data) g_checksum += b;
  }
  void OnGap(Direction, int64_t, uint64_t length) override { g_checksum += length; }
  void OnClose(int64_t, const CloseInfo& info) override {
    g_checksum += info.bytes_client_to_server + info.bytes_server_to_client;
  }
};

class Factory : public StreamHandlerFactory {
 public:
  std::unique_ptr<StreamHandler> Create(const ConnectionInfo& info) override {
    if (info.server_port % 5 == 0) return nullptr;  // some flows are not wanted
    return std::make_unique<TouchingHandler>();
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  dbaudit::sensor::flow::EngineOptions options;
  options.max_flows = 4;
  options.max_flow_buffer_bytes = 512;
  options.max_total_buffer_bytes = 1024;
  options.idle_timeout_us = 50000;
  options.closed_linger_us = 10000;
  options.session_id_seed = 1;
  int linktype = kLinktypes[data[0] % (sizeof(kLinktypes) / sizeof(kLinktypes[0]))];
  dbaudit::sensor::flow::PacketEngine engine(options, linktype,
                                             [](int) { return std::make_unique<Factory>(); });
  size_t pos = 1;
  int64_t ts_ns = int64_t{1700000000} * 1000000000;
  while (pos < size) {
    ts_ns += int64_t{data[pos]} * 1000000;
    pos += 1;
    size_t len = size - pos;
    if (pos + 2 <= size) {
      len = (size_t{data[pos]} << 8) | data[pos + 1];
      pos += 2;
      if (len > size - pos) len = size - pos;
    }
    dbaudit::sensor::capture::Packet packet;
    packet.ts_ns = ts_ns;
    packet.caplen = static_cast<uint32_t>(len);
    packet.wire_len = static_cast<uint32_t>(len) + (data[0] & 0x80 ? 100 : 0);  // snaplen cut
    packet.data = data + pos;
    engine.OnPacket(packet);
    pos += len;
  }
  engine.Finish();
  return 0;
}
