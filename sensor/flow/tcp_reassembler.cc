#include "sensor/flow/tcp_reassembler.h"

#include <algorithm>
#include <cstring>
#include <iterator>

#include "sensor/flow/flow_counters.h"

namespace dbaudit::sensor::flow {
namespace {

// The largest window TCP can advertise (65535 << 14, RFC 7323): an ACK further ahead of what was
// delivered than this cannot be genuine and would otherwise turn into a huge bogus gap.
constexpr int64_t kMaxAckAhead = int64_t{1} << 30;

}  // namespace

void BufferBudget::Add(uint64_t n) { used_.fetch_add(n, std::memory_order_relaxed); }

void BufferBudget::Release(uint64_t n) { used_.fetch_sub(n, std::memory_order_relaxed); }

TcpReassembler::TcpReassembler(ReassemblyOutput* out, BufferBudget* budget, uint64_t max_buffered,
                               uint64_t max_history)
    : out_(out), budget_(budget), max_buffered_(max_buffered), max_history_(max_history) {}

TcpReassembler::~TcpReassembler() {
  uint64_t held = buffered_ + history_bytes();
  if (held != 0) budget_->Release(held);
}

void TcpReassembler::Start(uint32_t first_seq) {
  if (started_) return;
  started_ = true;
  isn_ = first_seq;
}

// Maps a 32-bit sequence number to the offset nearest the delivery point: the distance is taken
// modulo 2^32 as a signed value, so a stream may run past 4 GiB and across ISN wrap-around.
int64_t TcpReassembler::Unwrap(uint32_t seq) const {
  uint32_t reference = isn_ + static_cast<uint32_t>(delivered_);
  int32_t distance = static_cast<int32_t>(seq - reference);
  return static_cast<int64_t>(delivered_) + distance;
}

void TcpReassembler::AddSegment(int64_t ts_us, uint32_t seq, absl::Span<const uint8_t> data) {
  const FlowCounters& c = GetFlowCounters();
  if (!started_) Start(seq);
  int64_t offset = Unwrap(seq);
  const uint8_t* p = data.data();
  int64_t len = static_cast<int64_t>(data.size());
  if (offset < 0) {  // before the first byte of a picked-up stream
    int64_t cut = std::min(len, -offset);
    c.data_before_start_bytes->Add(static_cast<uint64_t>(cut));
    p += cut;
    len -= cut;
    offset += cut;
  }
  if (fin_known_ && offset + len > static_cast<int64_t>(fin_offset_)) {
    int64_t keep = std::max<int64_t>(0, static_cast<int64_t>(fin_offset_) - offset);
    c.data_after_fin_bytes->Add(static_cast<uint64_t>(len - keep));
    len = keep;
  }
  int64_t end = offset + len;
  int64_t delivered = static_cast<int64_t>(delivered_);
  if (end <= delivered) {
    if (len > 0) c.retransmitted_bytes->Add(static_cast<uint64_t>(len));
    CompareWithHistory(static_cast<uint64_t>(offset), p, static_cast<uint64_t>(len));
    return;
  }
  if (offset < delivered) {
    c.retransmitted_bytes->Add(static_cast<uint64_t>(delivered - offset));
    CompareWithHistory(static_cast<uint64_t>(offset), p, static_cast<uint64_t>(delivered - offset));
    p += delivered - offset;
    len -= delivered - offset;
    offset = delivered;
  }
  if (offset == delivered && pending_.empty()) {
    Deliver(ts_us, p, static_cast<uint64_t>(len));  // the common case: in order, no copy
  } else {
    if (offset > delivered) c.out_of_order_segments->Add();
    Insert(static_cast<uint64_t>(offset), p, static_cast<uint64_t>(len));
    Drain(ts_us);
    EnforceCaps(ts_us);
  }
}

void TcpReassembler::SetFin(uint32_t fin_seq) {
  if (!started_) Start(fin_seq);
  if (fin_known_) return;  // a retransmitted FIN; the first one stands
  fin_known_ = true;
  fin_offset_ = static_cast<uint64_t>(std::max<int64_t>(Unwrap(fin_seq), delivered_));
}

void TcpReassembler::OnAck(int64_t ts_us, uint32_t ack) {
  if (!started_) return;
  int64_t acked = Unwrap(ack);
  // The FIN occupies one sequence number that carries no byte.
  if (fin_known_) acked = std::min(acked, static_cast<int64_t>(fin_offset_));
  int64_t ahead = acked - static_cast<int64_t>(delivered_);
  if (acked > static_cast<int64_t>(history_offset_)) {
    TrimHistory(static_cast<uint64_t>(std::min<int64_t>(acked, delivered_)));
  }
  if (ahead <= 0) return;
  const FlowCounters& c = GetFlowCounters();
  if (ahead > kMaxAckAhead) {
    c.bogus_acks->Add();
    return;
  }
  uint64_t gaps_before = gap_bytes_;
  SkipTo(ts_us, static_cast<uint64_t>(acked));
  if (gap_bytes_ != gaps_before) c.ack_gaps->Add();
}

void TcpReassembler::Flush(int64_t ts_us) {
  uint64_t target = delivered_;
  if (!pending_.empty()) {
    auto last = std::prev(pending_.end());
    target = std::max<uint64_t>(target, last->first + last->second.size());
  }
  if (fin_known_) target = std::max(target, fin_offset_);
  SkipTo(ts_us, target);
}

void TcpReassembler::Deliver(int64_t ts_us, const uint8_t* data, uint64_t len) {
  if (len == 0) return;
  AppendHistory(data, len);
  delivered_ += len;
  data_bytes_ += len;
  out_->OnStreamData(ts_us, absl::MakeConstSpan(data, len));
}

void TcpReassembler::EmitGap(int64_t ts_us, uint64_t length) {
  if (length == 0) return;
  ClearHistory();
  delivered_ += length;
  history_offset_ = delivered_;
  gap_bytes_ += length;
  const FlowCounters& c = GetFlowCounters();
  c.gaps->Add();
  c.gap_bytes->Add(length);
  out_->OnStreamGap(ts_us, length);
}

// Adds [offset, offset+len) to pending_, keeping bytes already buffered (first-copy policy) and
// storing only the parts no earlier piece covers. Every overlap is compared with the kept copy.
void TcpReassembler::Insert(uint64_t offset, const uint8_t* data, uint64_t len) {
  uint64_t pos = offset;
  const uint64_t end = offset + len;
  bool differs = false;
  bool overlapped = false;
  auto it = pending_.upper_bound(pos);
  if (it != pending_.begin()) {
    auto prev = std::prev(it);
    uint64_t prev_end = prev->first + prev->second.size();
    if (prev_end > pos) {
      uint64_t stop = std::min(prev_end, end);
      differs |= !SameBytes(prev->second, prev->first, pos, data + (pos - offset), stop - pos);
      overlapped = true;
      pos = stop;
    }
  }
  while (pos < end) {
    uint64_t next_start = it == pending_.end() ? end : std::min(end, it->first);
    if (next_start > pos) {
      Store(pos, data + (pos - offset), next_start - pos);
      pos = next_start;
    }
    if (pos >= end) break;
    uint64_t stop = std::min<uint64_t>(it->first + it->second.size(), end);
    differs |= !SameBytes(it->second, it->first, pos, data + (pos - offset), stop - pos);
    overlapped = true;
    pos = stop;
    ++it;
  }
  if (overlapped) GetFlowCounters().retransmitted_bytes->Add(len);
  if (differs) GetFlowCounters().overlap_differs->Add();
}

bool TcpReassembler::SameBytes(const std::vector<uint8_t>& kept, uint64_t kept_offset,
                               uint64_t offset, const uint8_t* data, uint64_t len) {
  return std::memcmp(kept.data() + (offset - kept_offset), data, len) == 0;
}

void TcpReassembler::Store(uint64_t offset, const uint8_t* data, uint64_t len) {
  pending_.emplace(offset, std::vector<uint8_t>(data, data + len));
  buffered_ += len;
  budget_->Add(len);
}

// Delivers pending pieces that now touch the delivery point.
void TcpReassembler::Drain(int64_t ts_us) {
  while (!pending_.empty()) {
    auto it = pending_.begin();
    if (it->first > delivered_) break;
    uint64_t size = it->second.size();
    uint64_t piece_end = it->first + size;
    if (piece_end > delivered_) {
      Deliver(ts_us, it->second.data() + (delivered_ - it->first), piece_end - delivered_);
    }
    buffered_ -= size;
    budget_->Release(size);
    pending_.erase(it);
  }
}

// Moves the delivery point to `target`: buffered pieces before it are delivered in order and
// every hole between them becomes a gap.
void TcpReassembler::SkipTo(int64_t ts_us, uint64_t target) {
  while (delivered_ < target) {
    if (!pending_.empty() && pending_.begin()->first < target) {
      uint64_t start = pending_.begin()->first;
      if (start > delivered_) EmitGap(ts_us, start - delivered_);
      Drain(ts_us);
    } else {
      EmitGap(ts_us, target - delivered_);
    }
  }
  Drain(ts_us);
}

// A retransmission of bytes already delivered: compare with what was delivered, if still held.
void TcpReassembler::CompareWithHistory(uint64_t offset, const uint8_t* data, uint64_t len) {
  uint64_t start = std::max(offset, history_offset_);
  uint64_t end = std::min(offset + len, delivered_);
  if (start >= end) return;
  const uint8_t* kept = history_.data() + history_head_ + (start - history_offset_);
  if (std::memcmp(kept, data + (start - offset), end - start) != 0) {
    GetFlowCounters().overlap_differs->Add();
  }
}

void TcpReassembler::AppendHistory(const uint8_t* data, uint64_t len) {
  if (max_history_ == 0 || budget_->Exceeded()) {
    ClearHistory();
    history_offset_ = delivered_ + len;
    return;
  }
  history_.insert(history_.end(), data, data + len);
  budget_->Add(len);
  if (history_bytes() > max_history_) TrimHistory(delivered_ + len - max_history_);
}

// Forgets history before offset `upto` (acknowledged, or beyond the cap). The vector is compacted
// only when the dead prefix is large, so trimming is amortised O(1) per byte.
void TcpReassembler::TrimHistory(uint64_t upto) {
  if (upto <= history_offset_) return;
  uint64_t drop = std::min<uint64_t>(upto - history_offset_, history_bytes());
  history_head_ += drop;
  history_offset_ += drop;
  budget_->Release(drop);
  if (history_head_ == history_.size()) {
    history_.clear();
    history_head_ = 0;
  } else if (history_head_ > 4096 && history_head_ * 2 > history_.size()) {
    history_.erase(history_.begin(), history_.begin() + static_cast<ptrdiff_t>(history_head_));
    history_head_ = 0;
  }
}

void TcpReassembler::ClearHistory() {
  uint64_t held = history_bytes();
  if (held != 0) budget_->Release(held);
  history_.clear();
  history_head_ = 0;
  history_offset_ = delivered_;
}

// Over a cap, the oldest hole is given up as a gap so the bytes behind it can go downstream.
void TcpReassembler::EnforceCaps(int64_t ts_us) {
  while (!pending_.empty() && (buffered_ > max_buffered_ || budget_->Exceeded())) {
    GetFlowCounters().buffer_cap_flushes->Add();
    SkipTo(ts_us, pending_.begin()->first);
  }
}

}  // namespace dbaudit::sensor::flow
