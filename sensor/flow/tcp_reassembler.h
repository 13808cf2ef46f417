// One direction of a TCP connection turned back into an ordered byte stream.
//
// Sequence numbers are mapped into a 64-bit space relative to the stream's first payload byte
// (offset 0), so ISN wrap-around is invisible above this class. Bytes come out strictly in
// order through ReassemblyOutput; a hole that will never fill (the peer ACKed past it, a buffer
// cap was hit, the stream ended) comes out as an explicit gap of known length, and the stream
// continues after it. Overlaps keep the first copy received; a retransmission whose bytes differ
// from that copy is counted (dbaudit_flow_overlap_differs_total).
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <vector>

#include "absl/types/span.h"

namespace dbaudit::sensor::flow {

// Bytes held for reassembly (out-of-order data and unacknowledged history) across every flow of
// an engine (all workers). The dbaudit_flow_buffered_bytes gauge is refreshed from it by the
// flow tables' periodic sweep, not on every change.
class BufferBudget {
 public:
  explicit BufferBudget(uint64_t limit) : limit_(limit) {}
  void Add(uint64_t n);
  void Release(uint64_t n);
  bool Exceeded() const { return used_.load(std::memory_order_relaxed) > limit_; }
  uint64_t used() const { return used_.load(std::memory_order_relaxed); }

 private:
  uint64_t limit_;
  std::atomic<uint64_t> used_{0};
};

class ReassemblyOutput {
 public:
  virtual ~ReassemblyOutput() = default;
  virtual void OnStreamData(int64_t ts_us, absl::Span<const uint8_t> data) = 0;
  virtual void OnStreamGap(int64_t ts_us, uint64_t length) = 0;
};

class TcpReassembler {
 public:
  // `out` and `budget` must outlive the reassembler. `max_buffered` caps this direction's
  // out-of-order bytes.
  // `max_history` bounds the delivered-but-unacknowledged bytes kept to compare retransmissions
  // of already delivered data against (0 keeps none).
  TcpReassembler(ReassemblyOutput* out, BufferBudget* budget, uint64_t max_buffered,
                 uint64_t max_history = kDefaultMaxHistory);
  static constexpr uint64_t kDefaultMaxHistory = 64 << 10;
  ~TcpReassembler();
  TcpReassembler(const TcpReassembler&) = delete;
  TcpReassembler& operator=(const TcpReassembler&) = delete;

  // Anchors offset 0 at `first_seq`, the sequence number of the first payload byte (ISN + 1
  // after a SYN; the first segment's seq on mid-stream pickup). Later calls are ignored.
  void Start(uint32_t first_seq);
  bool started() const { return started_; }
  uint32_t first_seq() const { return isn_; }  // sequence number of offset 0, once started

  // Payload at `seq`. Starts the stream at `seq` when it has not started (mid-stream pickup).
  // Bytes a snaplen cut off are simply absent: a retransmission may still fill them, otherwise
  // the peer's ACK or the end of the stream turns them into a gap.
  void AddSegment(int64_t ts_us, uint32_t seq, absl::Span<const uint8_t> data);
  // A FIN at `fin_seq` (= seq + payload length of the FIN segment): the stream ends there.
  void SetFin(uint32_t fin_seq);
  // The peer acknowledged every byte before `ack`. Unseen bytes below it become a gap.
  void OnAck(int64_t ts_us, uint32_t ack);
  // The stream is over: every byte known to exist is delivered, holes as gaps.
  void Flush(int64_t ts_us);

  bool fin_seen() const { return fin_known_; }
  // FIN seen and every byte before it delivered or reported as a gap.
  bool finished() const { return fin_known_ && delivered_ >= fin_offset_; }
  uint64_t data_bytes() const { return data_bytes_; }  // delivered payload, gaps excluded
  uint64_t gap_bytes() const { return gap_bytes_; }
  uint64_t buffered_bytes() const { return buffered_; }  // out-of-order bytes held
  uint64_t history_bytes() const { return history_.size() - history_head_; }
  uint64_t next_offset() const { return delivered_; }  // offset of the next byte to deliver

 private:
  int64_t Unwrap(uint32_t seq) const;
  void Deliver(int64_t ts_us, const uint8_t* data, uint64_t len);
  void EmitGap(int64_t ts_us, uint64_t length);
  void Insert(uint64_t offset, const uint8_t* data, uint64_t len);
  void Store(uint64_t offset, const uint8_t* data, uint64_t len);
  static bool SameBytes(const std::vector<uint8_t>& kept, uint64_t kept_offset, uint64_t offset,
                        const uint8_t* data, uint64_t len);
  void Drain(int64_t ts_us);
  void SkipTo(int64_t ts_us, uint64_t target);
  void EnforceCaps(int64_t ts_us);
  void CompareWithHistory(uint64_t offset, const uint8_t* data, uint64_t len);
  void AppendHistory(const uint8_t* data, uint64_t len);
  void TrimHistory(uint64_t upto);
  void ClearHistory();

  ReassemblyOutput* out_;
  BufferBudget* budget_;
  uint64_t max_buffered_;
  bool started_ = false;
  uint32_t isn_ = 0;          // sequence number of offset 0
  uint64_t delivered_ = 0;    // offset of the next byte to deliver
  bool fin_known_ = false;
  uint64_t fin_offset_ = 0;
  uint64_t data_bytes_ = 0;
  uint64_t gap_bytes_ = 0;
  uint64_t buffered_ = 0;
  // Out-of-order bytes by offset; pieces never overlap and all start after delivered_.
  std::map<uint64_t, std::vector<uint8_t>> pending_;
  // Delivered bytes [history_offset_, delivered_) the peer has not acknowledged yet, at
  // history_[history_head_...]. Cleared by a gap (the stream is no longer contiguous).
  uint64_t max_history_;
  std::vector<uint8_t> history_;
  size_t history_head_ = 0;
  uint64_t history_offset_ = 0;
};

}  // namespace dbaudit::sensor::flow
