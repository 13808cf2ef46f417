// The boundary between TCP reassembly (sensor/flow) and the protocol parsers
// (sensor/protocols). A StreamHandler sees one TCP connection as two ordered byte streams plus
// explicit gap notices; it never sees packets, sequence numbers or retransmissions.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/types/span.h"
#include "sensor/record/record.h"

namespace dbaudit::sensor {

// What the flow table knows about a connection when it hands it to a protocol.
struct ConnectionInfo {
  std::string session_id;  // unique per sensor run, "s-" + 16 hex digits
  std::string client_ip;
  uint16_t client_port = 0;
  std::string server_ip;
  uint16_t server_port = 0;
  int64_t start_ts_us = 0;
  // True when the flow was picked up without its SYN handshake (mid-stream pickup): the
  // protocol must not expect a greeting/startup and reports user and database as unknown.
  bool mid_stream = false;
};

struct CloseInfo {
  EndReason reason = EndReason::kFin;
  uint64_t bytes_client_to_server = 0;  // payload bytes delivered (gaps not included)
  uint64_t bytes_server_to_client = 0;
};

class StreamHandler {
 public:
  virtual ~StreamHandler() = default;

  // Ordered payload bytes of one direction. `data` is only valid during the call.
  virtual void OnData(Direction dir, int64_t ts_us, absl::Span<const uint8_t> data) = 0;
  // `length` bytes of this direction were lost (the peer ACKed them or later data arrived and the
  // hole never filled). Bytes after the gap follow in OnData.
  virtual void OnGap(Direction dir, int64_t ts_us, uint64_t length) = 0;
  // The connection is over; no call follows.
  virtual void OnClose(int64_t ts_us, const CloseInfo& info) = 0;
};

// Creates a handler for a new connection, or nullptr when nothing should parse it (the flow is
// then tracked but its payload is discarded without buffering).
class StreamHandlerFactory {
 public:
  virtual ~StreamHandlerFactory() = default;
  virtual std::unique_ptr<StreamHandler> Create(const ConnectionInfo& info) = 0;
};

}  // namespace dbaudit::sensor
