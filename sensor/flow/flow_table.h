// The flow table of one worker: finds or creates the TcpConnection of each segment, decides
// client and server, and enforces the caps (flow count with eviction of the oldest idle flow,
// idle timeout). Time is capture time (packet timestamps), so offline runs are deterministic.
#pragma once

#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "sensor/flow/tcp_connection.h"

namespace dbaudit::sensor::flow {

// "s-" + 16 hex digits, unique within one run: a bijective mix of a per-run seed plus a counter.
class SessionIdGenerator {
 public:
  explicit SessionIdGenerator(uint64_t seed) : seed_(seed) {}
  std::string Next();

 private:
  uint64_t seed_;
  std::atomic<uint64_t> counter_{0};
};

struct FlowTableOptions {
  std::vector<uint16_t> server_ports;
  size_t max_flows = 1 << 20;
  uint64_t max_flow_buffer_bytes = 4 << 20;  // out-of-order bytes per direction
  int64_t idle_timeout_us = int64_t{3600} * 1000000;
  int64_t closed_linger_us = int64_t{30} * 1000000;  // how long a closed flow swallows stragglers
};

class FlowTable {
 public:
  // `factory`, `budget` and `ids` must outlive the table.
  FlowTable(const FlowTableOptions& options, StreamHandlerFactory* factory, BufferBudget* budget,
            SessionIdGenerator* ids);
  ~FlowTable();

  void OnSegment(const decode::TcpSegment& seg);
  // Closes flows idle longer than the timeout and forgets closed ones past their linger.
  void Advance(int64_t now_us);
  // Closes every open flow (e.g. kCaptureEnd) and empties the table.
  void CloseAll(EndReason reason);
  size_t size() const { return flows_.size(); }

 private:
  struct FlowKey {
    Endpoint lo, hi;  // sorted, so both directions map to one key
    bool operator==(const FlowKey& o) const = default;
    template <typename H>
    friend H AbslHashValue(H h, const FlowKey& k) {
      return H::combine(std::move(h), k.lo, k.hi);
    }
  };
  struct Entry {
    std::unique_ptr<TcpConnection> conn;
    std::list<FlowKey>::iterator lru;  // in closed_lru_ when in_closed, else in open_lru_
    bool in_closed = false;
  };

  static FlowKey KeyOf(const decode::TcpSegment& seg);
  Entry* Create(const FlowKey& key, const decode::TcpSegment& seg);
  Endpoint ChooseClient(const decode::TcpSegment& seg) const;
  void Touch(Entry* entry);
  void Erase(const FlowKey& key);
  void MakeRoom();

  FlowTableOptions options_;
  StreamHandlerFactory* factory_;
  BufferBudget* budget_;
  SessionIdGenerator* ids_;
  absl::flat_hash_map<FlowKey, Entry> flows_;
  std::list<FlowKey> open_lru_;    // least recently active first
  std::list<FlowKey> closed_lru_;  // closed flows, least recently active first
  int64_t now_us_ = 0;
  int64_t last_sweep_us_ = 0;
};

}  // namespace dbaudit::sensor::flow
