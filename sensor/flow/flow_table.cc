#include "sensor/flow/flow_table.h"

#include <algorithm>
#include <cstdio>

#include "sensor/flow/flow_counters.h"

namespace dbaudit::sensor::flow {
namespace {

using decode::kTcpAck;
using decode::kTcpSyn;

// How often (capture time) the table looks for idle flows.
constexpr int64_t kSweepIntervalUs = 1000000;

// splitmix64's finalizer: a bijection, so distinct counters give distinct ids.
uint64_t Mix(uint64_t x) {
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

std::string SessionIdGenerator::Next() {
  uint64_t n = counter_.fetch_add(1, std::memory_order_relaxed);
  char buf[24];
  std::snprintf(buf, sizeof(buf), "s-%016llx",
                static_cast<unsigned long long>(Mix(seed_ + n)));
  return buf;
}

FlowTable::FlowTable(const FlowTableOptions& options, StreamHandlerFactory* factory,
                     BufferBudget* budget, SessionIdGenerator* ids)
    : options_(options), factory_(factory), budget_(budget), ids_(ids) {}

FlowTable::~FlowTable() { CloseAll(EndReason::kCaptureEnd); }

FlowTable::FlowKey FlowTable::KeyOf(const decode::TcpSegment& seg) {
  Endpoint a{seg.src, seg.src_port};
  Endpoint b{seg.dst, seg.dst_port};
  return a < b ? FlowKey{a, b} : FlowKey{b, a};
}

// Client and server: the SYN's sender is the client and the SYN-ACK's sender the server; without
// a handshake a configured server port decides, and failing that the lower port is the server.
Endpoint FlowTable::ChooseClient(const decode::TcpSegment& seg) const {
  Endpoint src{seg.src, seg.src_port};
  Endpoint dst{seg.dst, seg.dst_port};
  if (seg.flags & kTcpSyn) return (seg.flags & kTcpAck) ? dst : src;
  const auto& ports = options_.server_ports;
  if (std::find(ports.begin(), ports.end(), seg.dst_port) != ports.end()) return src;
  if (std::find(ports.begin(), ports.end(), seg.src_port) != ports.end()) return dst;
  return seg.src_port < seg.dst_port ? dst : src;
}

FlowTable::Entry* FlowTable::Create(const FlowKey& key, const decode::TcpSegment& seg) {
  if (flows_.size() >= options_.max_flows) MakeRoom();
  Endpoint client = ChooseClient(seg);
  const Endpoint& server = client == key.lo ? key.hi : key.lo;
  ConnectionInfo info;
  info.session_id = ids_->Next();
  info.client_ip = client.ip.ToString();
  info.client_port = client.port;
  info.server_ip = server.ip.ToString();
  info.server_port = server.port;
  info.start_ts_us = seg.ts_us;
  info.mid_stream = (seg.flags & kTcpSyn) == 0;
  const FlowCounters& c = GetFlowCounters();
  c.flows_created->Add();
  c.active_flows->Add(1);
  if (info.mid_stream) c.mid_stream_pickups->Add();
  Entry& entry = flows_[key];
  entry.conn = std::make_unique<TcpConnection>(info, client, factory_, budget_,
                                               options_.max_flow_buffer_bytes);
  entry.lru = open_lru_.insert(open_lru_.end(), key);
  entry.in_closed = false;
  return &entry;
}

void FlowTable::OnSegment(const decode::TcpSegment& seg) {
  now_us_ = std::max(now_us_, seg.ts_us);
  if (now_us_ - last_sweep_us_ >= kSweepIntervalUs) Advance(now_us_);
  FlowKey key = KeyOf(seg);
  auto it = flows_.find(key);
  bool syn_only = (seg.flags & (kTcpSyn | kTcpAck)) == kTcpSyn;
  if (it != flows_.end() && syn_only &&
      (it->second.in_closed || it->second.conn->IsReusedBy(seg))) {
    // The 4-tuple is being reused by a new connection. An open predecessor missed its end in the
    // capture; it ended by FIN if one was seen, otherwise it is reported as evicted.
    TcpConnection* old = it->second.conn.get();
    if (!old->closed()) {
      GetFlowCounters().port_reuse->Add();
      old->Close(seg.ts_us, old->fin_seen() ? EndReason::kFin : EndReason::kEvicted);
    }
    Erase(key);
    it = flows_.end();
  }
  Entry* entry = nullptr;
  if (it == flows_.end()) {
    bool has_payload = seg.payload_len > 0 || seg.payload_missing > 0;
    if ((seg.flags & kTcpSyn) == 0 && !has_payload) {
      GetFlowCounters().untracked_segments->Add();
      return;
    }
    entry = Create(key, seg);
  } else {
    entry = &it->second;
  }
  entry->conn->OnSegment(seg);
  Touch(entry);
}

void FlowTable::Touch(Entry* entry) {
  if (entry->conn->closed() && !entry->in_closed) {
    closed_lru_.splice(closed_lru_.end(), open_lru_, entry->lru);
    entry->in_closed = true;
  } else if (entry->in_closed) {
    closed_lru_.splice(closed_lru_.end(), closed_lru_, entry->lru);
  } else {
    open_lru_.splice(open_lru_.end(), open_lru_, entry->lru);
  }
}

void FlowTable::Erase(const FlowKey& key) {
  auto it = flows_.find(key);
  if (it == flows_.end()) return;
  (it->second.in_closed ? closed_lru_ : open_lru_).erase(it->second.lru);
  flows_.erase(it);
  GetFlowCounters().active_flows->Add(-1);
}

// The table is full: forget the oldest closed flow, or else evict the oldest idle open one.
void FlowTable::MakeRoom() {
  if (!closed_lru_.empty()) {
    Erase(closed_lru_.front());
    return;
  }
  if (open_lru_.empty()) return;
  FlowKey key = open_lru_.front();
  flows_.find(key)->second.conn->Close(now_us_, EndReason::kEvicted);
  Erase(key);
}

void FlowTable::Advance(int64_t now_us) {
  now_us_ = std::max(now_us_, now_us);
  last_sweep_us_ = now_us_;
  GetFlowCounters().buffered_bytes->Set(static_cast<int64_t>(budget_->used()));
  while (!open_lru_.empty()) {
    FlowKey key = open_lru_.front();
    TcpConnection* conn = flows_.find(key)->second.conn.get();
    if (now_us_ - conn->last_ts_us() < options_.idle_timeout_us) break;
    // A flow that went quiet after a FIN ended by FIN (its peer's FIN was not captured).
    conn->Close(now_us_, conn->fin_seen() ? EndReason::kFin : EndReason::kIdleTimeout);
    Erase(key);
  }
  while (!closed_lru_.empty()) {
    FlowKey key = closed_lru_.front();
    if (now_us_ - flows_.find(key)->second.conn->last_ts_us() < options_.closed_linger_us) break;
    Erase(key);
  }
}

void FlowTable::CloseAll(EndReason reason) {
  // Oldest first, so records come out in the order the flows went quiet.
  while (!open_lru_.empty()) {
    FlowKey key = open_lru_.front();
    flows_.find(key)->second.conn->Close(now_us_, reason);
    Erase(key);
  }
  while (!closed_lru_.empty()) Erase(closed_lru_.front());
}

}  // namespace dbaudit::sensor::flow
