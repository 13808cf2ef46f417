// One tracked TCP connection: both reassembly directions, the protocol's StreamHandler, and the
// FIN/RST bookkeeping that decides when and how it ends.
#pragma once

#include <cstdint>
#include <memory>

#include "sensor/decode/decoder.h"
#include "sensor/flow/stream_handler.h"
#include "sensor/flow/tcp_reassembler.h"

namespace dbaudit::sensor::flow {

struct Endpoint {
  decode::IpAddress ip;
  uint16_t port = 0;
  bool operator==(const Endpoint& o) const = default;
  auto operator<=>(const Endpoint& o) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const Endpoint& e) {
    return H::combine(std::move(h), e.ip, e.port);
  }
};

class TcpConnection {
 public:
  // `factory` and `budget` must outlive the connection. The handler is created lazily, when the
  // handshake completes or the first payload byte arrives, so a SYN flood creates no handlers.
  TcpConnection(const ConnectionInfo& info, const Endpoint& client,
                StreamHandlerFactory* factory, BufferBudget* budget, uint64_t max_buffered);
  ~TcpConnection();

  Direction DirectionOf(const decode::TcpSegment& seg) const;
  void OnSegment(const decode::TcpSegment& seg);
  // A bare SYN that cannot belong to this connection (its sequence number does not match the
  // stream already seen in that direction): the 4-tuple is being reused by a new connection
  // whose predecessor's end was not captured.
  bool IsReusedBy(const decode::TcpSegment& seg) const;
  // Flushes both directions (holes become gaps) and calls OnClose once. Idempotent.
  void Close(int64_t ts_us, EndReason reason);

  bool closed() const { return closed_; }
  bool fin_seen() const { return fin_seen_[0] || fin_seen_[1]; }
  int64_t last_ts_us() const { return last_ts_us_; }
  const ConnectionInfo& info() const { return info_; }

 private:
  // Routes one direction's reassembled output to the handler.
  class Output : public ReassemblyOutput {
   public:
    Output(TcpConnection* conn, Direction dir) : conn_(conn), dir_(dir) {}
    void OnStreamData(int64_t ts_us, absl::Span<const uint8_t> data) override;
    void OnStreamGap(int64_t ts_us, uint64_t length) override;

   private:
    TcpConnection* conn_;
    Direction dir_;
  };
  struct Half {
    Half(TcpConnection* conn, Direction dir, BufferBudget* budget, uint64_t max_buffered)
        : output(conn, dir), reassembler(&output, budget, max_buffered) {}
    Output output;
    TcpReassembler reassembler;
  };

  void EnsureHandler();
  void Reassemble(const decode::TcpSegment& seg, int dir);

  ConnectionInfo info_;
  Endpoint client_;
  StreamHandlerFactory* factory_;
  std::unique_ptr<StreamHandler> handler_;
  bool handler_tried_ = false;
  bool established_ = false;  // SYN-ACK seen
  bool closed_ = false;
  bool fin_seen_[2] = {false, false};
  bool syn_seen_[2] = {false, false};
  int64_t last_ts_us_ = 0;
  std::unique_ptr<Half> halves_[2];
};

}  // namespace dbaudit::sensor::flow
