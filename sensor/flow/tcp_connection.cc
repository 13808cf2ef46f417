#include "sensor/flow/tcp_connection.h"

#include "sensor/flow/flow_counters.h"

namespace dbaudit::sensor::flow {

using decode::kTcpAck;
using decode::kTcpFin;
using decode::kTcpRst;
using decode::kTcpSyn;

void TcpConnection::Output::OnStreamData(int64_t ts_us, absl::Span<const uint8_t> data) {
  if (conn_->handler_) conn_->handler_->OnData(dir_, ts_us, data);
}

void TcpConnection::Output::OnStreamGap(int64_t ts_us, uint64_t length) {
  if (conn_->handler_) conn_->handler_->OnGap(dir_, ts_us, length);
}

TcpConnection::TcpConnection(const ConnectionInfo& info, const Endpoint& client,
                             StreamHandlerFactory* factory, BufferBudget* budget,
                             uint64_t max_buffered)
    : info_(info), client_(client), factory_(factory), last_ts_us_(info.start_ts_us) {
  halves_[0] = std::make_unique<Half>(this, Direction::kClientToServer, budget, max_buffered);
  halves_[1] = std::make_unique<Half>(this, Direction::kServerToClient, budget, max_buffered);
}

TcpConnection::~TcpConnection() = default;

Direction TcpConnection::DirectionOf(const decode::TcpSegment& seg) const {
  return seg.src == client_.ip && seg.src_port == client_.port ? Direction::kClientToServer
                                                               : Direction::kServerToClient;
}

void TcpConnection::EnsureHandler() {
  if (handler_tried_) return;
  handler_tried_ = true;
  if (factory_ != nullptr) handler_ = factory_->Create(info_);
}

void TcpConnection::OnSegment(const decode::TcpSegment& seg) {
  last_ts_us_ = std::max(last_ts_us_, seg.ts_us);
  const FlowCounters& c = GetFlowCounters();
  if (closed_) {
    c.segments_after_close->Add();
    return;
  }
  int dir = static_cast<int>(DirectionOf(seg));
  if ((seg.flags & (kTcpSyn | kTcpAck)) == (kTcpSyn | kTcpAck)) established_ = true;
  bool has_payload = seg.payload_len > 0 || seg.payload_missing > 0;
  if (has_payload || established_) EnsureHandler();
  if (seg.flags & kTcpRst) {
    // RST ends the connection in both directions; whatever was buffered is flushed first.
    Close(seg.ts_us, EndReason::kRst);
    return;
  }
  if (seg.flags & kTcpFin) fin_seen_[dir] = true;
  // The SYN anchors the stream even before a handler exists, so a first data segment that is
  // lost or reordered still shows up as a gap instead of moving the stream's start.
  if (seg.flags & kTcpSyn) {
    halves_[dir]->reassembler.Start(seg.seq + 1);
    syn_seen_[dir] = true;
  }
  // The peer's SYN-ACK was not captured, but this side saw it: its ACK number is the peer's
  // ISN + 1, which anchors the peer's stream exactly (so a lost first segment becomes a gap).
  TcpReassembler& peer = halves_[1 - dir]->reassembler;
  if ((seg.flags & kTcpAck) && syn_seen_[dir] && !syn_seen_[1 - dir] && !peer.started()) {
    peer.Start(seg.ack);
  }
  if (handler_) {
    Reassemble(seg, dir);
    if (halves_[0]->reassembler.finished() && halves_[1]->reassembler.finished()) {
      Close(seg.ts_us, EndReason::kFin);
    }
    return;
  }
  // No handler wants this flow: nothing is buffered, only the end is tracked.
  if (has_payload) c.unhandled_payload_bytes->Add(seg.payload_len + seg.payload_missing);
  if (fin_seen_[0] && fin_seen_[1]) Close(seg.ts_us, EndReason::kFin);
}

bool TcpConnection::IsReusedBy(const decode::TcpSegment& seg) const {
  if (closed_ || (seg.flags & (kTcpSyn | kTcpAck)) != kTcpSyn) return false;
  const TcpReassembler& r = halves_[static_cast<int>(DirectionOf(seg))]->reassembler;
  return r.started() && r.first_seq() != seg.seq + 1;
}

void TcpConnection::Reassemble(const decode::TcpSegment& seg, int dir) {
  TcpReassembler& mine = halves_[dir]->reassembler;
  uint32_t data_seq = seg.seq;
  // The SYN takes one sequence number; data on a SYN (TCP Fast Open, RFC 7413) follows it.
  if (seg.flags & kTcpSyn) data_seq = seg.seq + 1;
  if (seg.payload_len > 0) {
    mine.AddSegment(seg.ts_us, data_seq, absl::MakeConstSpan(seg.payload, seg.payload_len));
  }
  if (seg.flags & kTcpFin) mine.SetFin(data_seq + seg.payload_len + seg.payload_missing);
  if (seg.flags & kTcpAck) halves_[1 - dir]->reassembler.OnAck(seg.ts_us, seg.ack);
}

void TcpConnection::Close(int64_t ts_us, EndReason reason) {
  if (closed_) return;
  closed_ = true;
  const FlowCounters& c = GetFlowCounters();
  switch (reason) {
    case EndReason::kFin: c.closed_fin->Add(); break;
    case EndReason::kRst: c.closed_rst->Add(); break;
    case EndReason::kIdleTimeout: c.closed_idle->Add(); break;
    case EndReason::kCaptureEnd: c.closed_capture_end->Add(); break;
    case EndReason::kEvicted: c.evicted->Add(); break;
  }
  if (handler_) {
    halves_[0]->reassembler.Flush(ts_us);
    halves_[1]->reassembler.Flush(ts_us);
    CloseInfo info;
    info.reason = reason;
    info.bytes_client_to_server = halves_[0]->reassembler.data_bytes();
    info.bytes_server_to_client = halves_[1]->reassembler.data_bytes();
    handler_->OnClose(ts_us, info);
    handler_.reset();
  }
  // A closed connection stays in the table briefly (to swallow late retransmissions) and
  // keeps no buffers meanwhile.
  halves_[0].reset();
  halves_[1].reset();
}

}  // namespace dbaudit::sensor::flow
